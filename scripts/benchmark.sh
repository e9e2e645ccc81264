#!/usr/bin/env bash
# The team benchmark: the adaptive team against a naive fixed fan-out of 6 on the eval set.
# A thin wrapper over `codex-teams bench`; every flag is passed on, for example:
#   scripts/benchmark.sh --baseline fixed-6 --candidate adaptive            # codex-mock, whole set
#   scripts/benchmark.sh --runner sim                                       # simulated, seconds
#   scripts/benchmark.sh --runner codex-mock --tasks fix-paginate-last-page
#   scripts/benchmark.sh --arms fixed-6,lean-6,adaptive,solo,codex-subagents --repeat 3   # every arm
# Writes benchmarks/results/<date>-<runner>.{md,json,svg}; exits non-zero on a `fail` verdict.
# The codex runners need the Codex CLI: $CODEX_TEAMS_CODEX, or `codex` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
# The repository's committed reports live in benchmarks/results; `codex-teams bench` itself
# writes under $CODEX_TEAMS_HOME/bench unless given --out.
for arg in "$@"; do
  case "$arg" in --out|--out=*) exec target/release/codex-teams bench "$@" ;; esac
done
exec target/release/codex-teams bench --out benchmarks/results "$@"
