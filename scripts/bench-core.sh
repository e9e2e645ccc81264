#!/usr/bin/env bash
# Engine performance through the real stdio path: per-call latency (team_status, team_send)
# and bus throughput with up to 7 serve-mcp processes, on a throwaway database.
# Builds the release binary first; every argument goes to `codex-teams bench`
# (for example: --calls 2000 --processes 7 --messages 2000 --json).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --quiet
exec target/release/codex-teams bench --engine-only "$@"
