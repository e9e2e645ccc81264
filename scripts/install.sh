#!/usr/bin/env bash
# Build codex-teams, install the binary, create its home and database, register it with
# Codex, and run a smoke scenario.
#   CODEX_TEAMS_PREFIX  install root; the binary goes to $CODEX_TEAMS_PREFIX/bin (default ~/.cargo)
#   CODEX_TEAMS_HOME    data directory that `codex-teams init` creates (default ~/.codex-teams)
#   CODEX_HOME          the Codex home `codex-teams install` edits (default ~/.codex)
# Undo with scripts/uninstall.sh; check with scripts/check-config.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${CODEX_TEAMS_PREFIX:-$HOME/.cargo}"
bin="$prefix/bin/codex-teams"

echo "== building and installing codex-teams into $prefix/bin"
cargo install --path . --locked --root "$prefix"

echo "== codex-teams init"
"$bin" init

echo "== codex-teams install (register with Codex: server entry, skill, prompt hook)"
"$bin" install --bin "$bin"

# Smoke scenario: through the real Codex CLI (against the local mock model) when one is found.
codex="${CODEX_TEAMS_CODEX:-$(command -v codex || true)}"
if [ -n "$codex" ]; then
  echo "== codex-teams smoke medium --real (real Codex CLI $codex, local mock model)"
  "$bin" smoke medium --real --codex "$codex"
else
  echo "== codex-teams smoke medium (simulated workers: no Codex CLI found)"
  "$bin" smoke medium
fi

echo
echo "installed $bin ($("$bin" --version))"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on PATH; add it, or call $bin by its full path" ;;
esac
echo "next: codex-teams check-config, then type \`use agents team: <task>\` in Codex"
