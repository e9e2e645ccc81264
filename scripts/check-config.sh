#!/usr/bin/env bash
# Check the installation (Codex release, server entry, binary, approvals, skill, hook trust,
# profiles, database); non-zero exit on any FAIL. Arguments go to `codex-teams check-config`.
set -euo pipefail
bin="${CODEX_TEAMS_PREFIX:-$HOME/.cargo}/bin/codex-teams"
[ -x "$bin" ] || bin="$(command -v codex-teams)" || { echo "codex-teams not found" >&2; exit 1; }
exec "$bin" check-config "$@"
