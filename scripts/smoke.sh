#!/usr/bin/env bash
# A smoke scenario end to end. With a Codex CLI ($CODEX_TEAMS_CODEX, else `codex` on PATH)
# it runs `codex-teams smoke <scenario> --real`: the real Codex as lead and workers, against
# the local mock model, in a temporary CODEX_HOME. Without one it runs the simulated team.
# It says which.
#   scripts/smoke.sh [small|medium|high] [more `codex-teams smoke` flags, e.g. --profile fast --json]
#   CODEX_TEAMS_BIN  the codex-teams binary to use (default: build it with cargo)
set -euo pipefail
cd "$(dirname "$0")/.."

scenario="${1:-medium}"
[ "$#" -gt 0 ] && shift

if [ -n "${CODEX_TEAMS_BIN:-}" ]; then
  bin="$CODEX_TEAMS_BIN"
else
  cargo build --quiet --locked
  bin="$PWD/target/debug/codex-teams"
fi

codex="${CODEX_TEAMS_CODEX:-$(command -v codex || true)}"
if [ -n "$codex" ]; then
  echo "== smoke $scenario --real: real Codex CLI ($codex) against the local mock model"
  exec "$bin" smoke "$scenario" --real --codex "$codex" "$@"
else
  echo "== smoke $scenario: simulated workers (no Codex CLI found; set CODEX_TEAMS_CODEX or put codex on PATH for --real)"
  exec "$bin" smoke "$scenario" "$@"
fi
