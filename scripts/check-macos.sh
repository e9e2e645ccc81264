#!/usr/bin/env bash
# Type-checks the workspace for macOS from a Linux machine: `cargo clippy --workspace
# --all-targets` for x86_64-apple-darwin (src/platform/macos.rs and everything that calls
# it, in every crate), warnings as errors. Nothing is linked, so no Apple SDK is needed; the
# bundled SQLite's build script gets a stand-in C compiler that writes empty objects. It proves the code compiles, not
# that it runs: the hosted CI's macOS job does that.
#
# Needs the Rust target: `rustup target add x86_64-apple-darwin`. Without it, says so and
# exits 0 (the check is skipped, not failed). Its own target dir: target/check-macos.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-apple-darwin
if [ "$(uname -s)" = Darwin ]; then
  echo "check-macos: on macOS already; build natively instead" >&2
  exit 0
fi
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "check-macos: skipped, Rust target $target not installed (rustup target add $target)" >&2
  exit 0
fi

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
cat > "$tools/cc" <<'CC'
#!/bin/sh
# Stand-in C compiler for `cargo check`: answers cc-rs's probes as clang (and not as
# clang-cl) and writes an empty file wherever -o points.
out=""
prev=""
for a in "$@"; do
  if [ "$a" = "-E" ]; then echo "clang"; exit 0; fi
  if [ "$a" = "-?" ]; then exit 1; fi
  if [ "$prev" = "-o" ]; then out="$a"; fi
  prev="$a"
done
if [ -n "$out" ]; then : > "$out"; fi
exit 0
CC
chmod +x "$tools/cc"

echo "== cargo clippy --target $target (type-check only, nothing linked)"
CC_x86_64_apple_darwin="$tools/cc" AR_x86_64_apple_darwin=ar \
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/check-macos" \
  cargo clippy --workspace --locked --target "$target" --all-targets -- -D warnings
