#!/usr/bin/env bash
# Install codex-teams, create its home and database, register it with Codex, and run a smoke
# scenario. Two ways to get the binary (docs/install.md has a third, `cargo install --git`):
#   scripts/install.sh --from-archive PATH   a release archive (codex-teams-<target>.tar.xz or
#                                            .tar.gz): its SHA-256 is checked against PATH.sha256
#                                            or the sha256.sum beside it; no Rust needed
#   scripts/install.sh                       build from this checkout with cargo (Rust 1.95+)
# Environment:
#   CODEX_TEAMS_PREFIX  install root; the binary goes to $CODEX_TEAMS_PREFIX/bin
#                       (default ~/.local for an archive, like the release's shell installer;
#                       ~/.cargo for a source build)
#   CODEX_TEAMS_HOME    data directory that `codex-teams init` creates (default ~/.codex-teams)
#   CODEX_HOME          the Codex home `codex-teams install` edits (default ~/.codex)
#   CODEX_TEAMS_CODEX   the Codex CLI to register and smoke-test with (default: `codex` on PATH)
# What it installed is listed in $CODEX_TEAMS_HOME/install-receipt; scripts/uninstall.sh
# removes exactly that. Check with scripts/check-config.sh.
set -euo pipefail
caller="$PWD"
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "error: $1" >&2; [ $# -lt 2 ] || echo "hint: $2" >&2; exit 1; }

archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from-archive) [ $# -ge 2 ] || die "--from-archive needs the path of a release archive"
                    archive="$2"; shift 2 ;;
    --from-archive=*) archive="${1#--from-archive=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1'" "scripts/install.sh [--from-archive PATH] (--help for more)" ;;
  esac
done

home="${CODEX_TEAMS_HOME:-$HOME/.codex-teams}"
# What this run installed, one "kind path" line each, in the order uninstall undoes them.
# (Plain strings, not arrays: macOS's bash 3.2 treats an empty array as unset under set -u.)
receipt_bin=""
receipt_dirs=""

# mkdir -p that remembers each directory it had to create (deepest first), so uninstall can
# remove them again when they are empty then.
make_dir() {
  local dir="$1"
  while [ ! -d "$dir" ]; do
    receipt_dirs="${receipt_dirs}dir $dir"$'\n'
    dir="$(dirname "$dir")"
  done
  mkdir -p "$1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# The published checksum of $archive: PATH.sha256 ("<hex>  <name>"), else its line in the
# sha256.sum beside it. Prints "<hex> <file it came from>".
expected_sha256() {
  local name dir line
  name="$(basename "$archive")"
  dir="$(dirname "$archive")"
  if [ -f "$archive.sha256" ]; then
    line="$(awk 'NF { print $1; exit }' "$archive.sha256")"
    [ -n "$line" ] && { echo "$line $archive.sha256"; return; }
  fi
  if [ -f "$dir/sha256.sum" ]; then
    line="$(awk -v n="$name" '{ f = $2; sub(/^\*/, "", f); if (f == n) { print $1; exit } }' "$dir/sha256.sum")"
    [ -n "$line" ] && { echo "$line $dir/sha256.sum"; return; }
  fi
  return 1
}

if [ -n "$archive" ]; then
  case "$archive" in /*) ;; *) archive="$caller/$archive" ;; esac
  prefix="${CODEX_TEAMS_PREFIX:-$HOME/.local}"
  bin="$prefix/bin/codex-teams"
  [ -f "$archive" ] || die "--from-archive: no such file: $archive"
  echo "== checking the SHA-256 of $archive"
  found="$(expected_sha256)" || die "no checksum for $(basename "$archive"): expected $archive.sha256 or a line for it in $(dirname "$archive")/sha256.sum" \
    "download the .sha256 (or sha256.sum) published with the archive and put it beside it; nothing was installed"
  expected="$(echo "${found%% *}" | tr 'A-F' 'a-f')"
  actual="$(sha256_of "$archive")"
  if [ "$expected" != "$actual" ]; then
    echo "error: checksum mismatch for $(basename "$archive"): nothing was installed" >&2
    echo "  expected SHA-256 $expected (from ${found#* })" >&2
    echo "  actual   SHA-256 $actual" >&2
    echo "hint: the archive is damaged or is not the one published; download it (and its .sha256) again" >&2
    exit 1
  fi
  echo "   ok: $actual (from ${found#* })"
  unpack="$(mktemp -d)"
  trap 'rm -rf "$unpack"' EXIT
  tar -xf "$archive" -C "$unpack" || die "could not unpack $archive (a .tar.xz needs xz installed)"
  shipped="$(find "$unpack" -maxdepth 2 -type f -name codex-teams)"
  [ -n "$shipped" ] && [ "$(printf '%s\n' "$shipped" | wc -l)" -eq 1 ] \
    || die "$archive holds no codex-teams binary (or more than one): is it a codex-teams release archive?"
  "$shipped" --version >/dev/null 2>&1 \
    || die "the binary in $archive does not run here: $("$shipped" --version 2>&1 | head -1)" \
      "pick the archive for this machine ($(uname -m), $(uname -s))"
  echo "== installing $("$shipped" --version) into $prefix/bin"
  make_dir "$prefix/bin"
  cp "$shipped" "$bin.new.$$"
  chmod 0755 "$bin.new.$$"
  mv -f "$bin.new.$$" "$bin"
  receipt_bin="bin $bin"
else
  prefix="${CODEX_TEAMS_PREFIX:-$HOME/.cargo}"
  bin="$prefix/bin/codex-teams"
  command -v cargo >/dev/null 2>&1 || die "no Rust toolchain (cargo) to build codex-teams from source" \
    "install a release archive instead: scripts/install.sh --from-archive codex-teams-<target>.tar.xz (docs/install.md), or Rust 1.95+ with rustup"
  echo "== building and installing codex-teams into $prefix/bin"
  cargo install --path . --locked --root "$prefix"
  receipt_bin="cargo $prefix"
fi

echo "== codex-teams init"
"$bin" init

# The Codex CLI: $CODEX_TEAMS_CODEX, else `codex` on PATH. Without one, the pinned release
# (the codex-version file) is installed from npm into .cache/ (not put on PATH);
# `install --codex` records whichever is used, so workers, `smoke --real` and `check-config`
# find it. If npm is missing too, the simulated team runs.
CODEX_VERSION="$(cat codex-version)"
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

# The receipt, private like everything in the home: the binary (or the cargo root that
# holds it) and the directories made for it.
(
  umask 077
  {
    echo "# written by scripts/install.sh; scripts/uninstall.sh removes what is listed here"
    echo "$receipt_bin"
    printf '%s' "$receipt_dirs"
  } > "$home/install-receipt"
)

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
