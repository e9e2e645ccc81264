#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test, including the end-to-end tests that
# drive the real Codex CLI (pinned, installed from npm into a cache directory when missing)
# against the local mock model. What CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

CODEX_VERSION=0.169.0
cache="${CODEX_TEAMS_CACHE:-$PWD/.cache}/codex-$CODEX_VERSION"
if [ -z "${CODEX_TEAMS_CODEX:-}" ]; then
  if [ ! -x "$cache/node_modules/.bin/codex" ]; then
    echo "== installing @openai/codex@$CODEX_VERSION into $cache"
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "@openai/codex@$CODEX_VERSION"
  fi
  export CODEX_TEAMS_CODEX="$cache/node_modules/.bin/codex"
fi
echo "== Codex CLI: $("$CODEX_TEAMS_CODEX" --version) ($CODEX_TEAMS_CODEX)"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --all-targets --locked
