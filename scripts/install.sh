#!/usr/bin/env bash
# Build codex-teams, install the binary, and create its home and database.
#   CODEX_TEAMS_PREFIX  install root; the binary goes to $CODEX_TEAMS_PREFIX/bin (default ~/.cargo)
#   CODEX_TEAMS_HOME    data directory that `codex-teams init` creates (default ~/.codex-teams)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${CODEX_TEAMS_PREFIX:-$HOME/.cargo}"
bin="$prefix/bin/codex-teams"

echo "== building and installing codex-teams into $prefix/bin"
cargo install --path . --locked --root "$prefix"

echo "== codex-teams init"
"$bin" init

echo
echo "installed $bin ($("$bin" --version))"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on PATH; add it, or call $bin by its full path" ;;
esac
