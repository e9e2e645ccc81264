#!/usr/bin/env bash
# Remove what `codex-teams install` added to $CODEX_HOME (default ~/.codex): files only install
# touched come back byte for byte. Arguments go to `codex-teams uninstall` (--dry-run, --json,
# --codex-home DIR). The binary and the codex-teams home (teams database) are left in place.
set -euo pipefail
bin="${CODEX_TEAMS_PREFIX:-$HOME/.cargo}/bin/codex-teams"
[ -x "$bin" ] || bin="$(command -v codex-teams)" || { echo "codex-teams not found" >&2; exit 1; }
exec "$bin" uninstall "$@"
