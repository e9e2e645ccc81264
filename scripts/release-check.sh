#!/usr/bin/env bash
# The release archive, proven offline (issue 13 point 6); scripts/verify.sh runs it.
#   1. scripts/release.sh builds this machine's archive, as the release workflow does
#      (skipped when CODEX_TEAMS_ARCHIVE names one already built);
#   2. into an empty HOME, with no cargo, rustc or rustup on PATH:
#      a damaged copy of the archive is refused and installs nothing;
#      scripts/install.sh --from-archive installs it (checksum verified);
#      `codex-teams check-config` is green; `codex-teams smoke medium --real` passes against
#      the local mock model with the Codex CLI in $CODEX_TEAMS_CODEX;
#   3. scripts/uninstall.sh --purge leaves the HOME exactly as it was (every path, and every
#      file's bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS

codex="${CODEX_TEAMS_CODEX:-}"
[ -n "$codex" ] && [ -x "$codex" ] || { echo "error: set CODEX_TEAMS_CODEX to the Codex CLI (scripts/verify.sh does)" >&2; exit 1; }

archive="${CODEX_TEAMS_ARCHIVE:-}"
if [ -z "$archive" ]; then
  scripts/release.sh
  archive="$repo/target/distrib/codex-teams-$(rustc -vV | sed -n 's/^host: //p').tar.xz"
fi
built=$SECONDS
echo "== release check: $archive ($(wc -c < "$archive" | tr -d ' ') bytes)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
home="$work/home"
mkdir "$home"
# A file of the user's own, so "as it was" means more than "empty".
mkdir -p "$home/notes" && echo "mine" > "$home/notes/todo.txt"

# PATH without the Rust toolchain: every directory holding cargo, rustc or rustup is dropped.
path=""
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  if [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; then continue; fi
  path="${path:+$path:}$d"
done

# Run with only that HOME and PATH: no codex-teams or Codex settings from the caller.
in_home() {
  env -i HOME="$home" PATH="$path" USER="${USER:-user}" LANG="${LANG:-C}" TMPDIR="${TMPDIR:-/tmp}" \
    CODEX_TEAMS_CODEX="$codex" "$@"
}
in_home bash -c '! command -v cargo && ! command -v rustc' >/dev/null \
  || { echo "error: cargo is still on the PATH built for the check: $path" >&2; exit 1; }

tree() { (cd "$home" && find . -print | LC_ALL=C sort && find . -type f -exec cksum {} + | LC_ALL=C sort); }
tree > "$work/before"

echo "== a damaged archive is refused"
mkdir "$work/damaged"
cp "$archive" "$archive.sha256" "$work/damaged/"
damaged="$work/damaged/$(basename "$archive")"
printf 'x' >> "$damaged"
if in_home "$repo/scripts/install.sh" --from-archive "$damaged" > "$work/damaged.log" 2>&1; then
  cat "$work/damaged.log"; echo "error: install.sh installed a damaged archive" >&2; exit 1
fi
grep -q "checksum mismatch" "$work/damaged.log" || { cat "$work/damaged.log"; echo "error: no checksum mismatch message" >&2; exit 1; }
tree | cmp -s - "$work/before" || { echo "error: the refused install changed the HOME" >&2; exit 1; }
echo "   refused: $(grep -m1 'checksum mismatch' "$work/damaged.log")"

echo "== scripts/install.sh --from-archive (no cargo on PATH, empty HOME)"
in_home "$repo/scripts/install.sh" --from-archive "$archive"
bin="$home/.local/bin/codex-teams"
[ -x "$bin" ] || { echo "error: install.sh put no binary at $bin" >&2; exit 1; }

echo "== codex-teams check-config"
in_home "$bin" check-config
in_home "$bin" check-config --json > "$work/check.json"
grep -q '^  "ok": true' "$work/check.json" || { cat "$work/check.json"; echo "error: check-config --json is not ok" >&2; exit 1; }

echo "== codex-teams smoke medium --real"
in_home "$bin" smoke medium --real --codex "$codex"

echo "== scripts/uninstall.sh --purge"
in_home "$repo/scripts/uninstall.sh" --purge
tree > "$work/after"
if ! diff "$work/before" "$work/after"; then
  echo "error: the HOME is not as it was before the install (diff above: < before, > after)" >&2
  exit 1
fi
echo "release check: passed (archive built in $((built - started)) s, install to uninstall in $((SECONDS - built)) s; HOME as it was)"
