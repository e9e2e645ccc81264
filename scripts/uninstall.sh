#!/usr/bin/env bash
# Undo scripts/install.sh:
#   1. `codex-teams uninstall`: what `codex-teams install` added to $CODEX_HOME (default
#      ~/.codex) comes out, and files only it touched come back byte for byte;
#   2. the binary and the directories install.sh made for it, as listed in
#      $CODEX_TEAMS_HOME/install-receipt (a source build: `cargo uninstall`);
#   3. with --purge, the codex-teams home too ($CODEX_TEAMS_HOME, default ~/.codex-teams:
#      the teams database, logs, your profiles). Without it the home is kept.
# Other arguments go to `codex-teams uninstall` (--dry-run, --json, --codex-home DIR); with
# --dry-run nothing is removed here either, only listed. Messages go to stderr.
set -euo pipefail

home="${CODEX_TEAMS_HOME:-$HOME/.codex-teams}"
receipt="$home/install-receipt"
purge=0 dry=0
args=()
for a in "$@"; do
  case "$a" in
    --purge) purge=1 ;;
    --dry-run) dry=1; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
say() { echo "$*" >&2; }
remove() { if [ "$dry" = 1 ]; then say "would remove $1"; else rm -f -- "$1"; say "removed $1"; fi; }

# The binary: the one the receipt names, else where install.sh puts it, else on PATH.
bin=""
if [ -f "$receipt" ]; then
  bin="$(awk '$1 == "bin" { sub(/^bin /, ""); print; exit }' "$receipt")"
  root="$(awk '$1 == "cargo" { sub(/^cargo /, ""); print; exit }' "$receipt")"
  [ -z "$root" ] || bin="$root/bin/codex-teams"
fi
for candidate in "$bin" "${CODEX_TEAMS_PREFIX:-}${CODEX_TEAMS_PREFIX:+/bin/codex-teams}" \
    "$HOME/.local/bin/codex-teams" "$HOME/.cargo/bin/codex-teams" "$(command -v codex-teams || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
done
[ -n "$bin" ] && [ -x "$bin" ] || { say "error: codex-teams not found (no receipt at $receipt, not in ~/.local/bin, ~/.cargo/bin or on PATH)"; exit 1; }

"$bin" uninstall ${args[@]+"${args[@]}"}

if [ -f "$receipt" ]; then
  while read -r kind path; do
    case "$kind" in
      bin) remove "$path" ;;
      cargo)
        if command -v cargo >/dev/null 2>&1; then
          if [ "$dry" = 1 ]; then say "would run cargo uninstall --root $path codex-teams"
          else cargo uninstall --quiet --root "$path" codex-teams; say "cargo uninstall --root $path codex-teams"; fi
        else
          remove "$path/bin/codex-teams"
        fi ;;
      dir)
        if [ "$dry" = 1 ]; then say "would remove $path if empty"
        elif rmdir -- "$path" 2>/dev/null; then say "removed empty directory $path"; fi ;;
    esac
  done < <(grep -v '^#' "$receipt")
  [ "$dry" = 1 ] || rm -f -- "$receipt"
else
  say "note: no install receipt ($receipt): the binary $bin is left in place"
fi

if [ "$purge" = 1 ]; then
  if [ "$dry" = 1 ]; then say "would remove $home"; else rm -rf -- "$home"; say "removed $home"; fi
elif [ -d "$home" ]; then
  say "kept $home (the teams database and your profiles); --purge removes it"
fi
