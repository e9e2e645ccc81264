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

# The Codex CLI: $CODEX_TEAMS_CODEX, else `codex` on PATH. Without one, the pinned release
# is installed from npm into .cache/ (not put on PATH); `install --codex` records whichever
# is used, so workers, `smoke --real` and `check-config` find it. If npm is missing too, the
# simulated team runs.
CODEX_VERSION=0.169.0
codex="${CODEX_TEAMS_CODEX:-$(command -v codex || true)}"
if [ -z "$codex" ] && command -v npm >/dev/null 2>&1; then
  cache="$PWD/.cache/codex-$CODEX_VERSION"
  if [ ! -x "$cache/node_modules/.bin/codex" ]; then
    echo "== no Codex CLI found: installing @openai/codex@$CODEX_VERSION into $cache for the smoke run"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "@openai/codex@$CODEX_VERSION" || true
  fi
  [ -x "$cache/node_modules/.bin/codex" ] && codex="$cache/node_modules/.bin/codex"
fi
echo "== codex-teams install (register with Codex: server entry, skill, prompt hook)"
if [ -n "$codex" ]; then
  "$bin" install --bin "$bin" --codex "$codex"
else
  "$bin" install --bin "$bin"
fi

if [ -n "$codex" ]; then
  echo "== codex-teams smoke medium --real (real Codex CLI $codex, local mock model)"
  "$bin" smoke medium --real --codex "$codex"
else
  echo "== codex-teams smoke medium (SIMULATED workers: no Codex CLI and no npm to install one)"
  "$bin" smoke medium
fi

echo
echo "installed $bin ($("$bin" --version))"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on PATH; add it, or call $bin by its full path" ;;
esac
echo "next: codex-teams check-config, then type \`use agents team: <task>\` in Codex"
