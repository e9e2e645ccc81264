#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test, including the end-to-end tests that
# drive the real Codex CLI (pinned, installed from npm into a cache directory when missing)
# against the local mock model. What CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# macOS is a supported target: Linux-only calls (prctl, /proc) live in src/platform only.
echo "== OS-specific calls only in src/platform"
if leaks=$(grep -rnE 'prctl|PR_SET_PDEATHSIG|"/proc[/"]' src mcp --include='*.rs' | grep -v '^src/platform/'); then
  echo "Linux-only calls outside src/platform (go through crate::platform instead):" >&2
  echo "$leaks" >&2
  exit 1
fi
if leaks=$(grep -rnE 'libc::(kill|killpg|getpgrp)\b' src mcp tests --include='*.rs' | grep -v '^src/platform/'); then
  echo "signals outside src/platform (use platform::{signal, signal_group, group_exists, own_group}):" >&2
  echo "$leaks" >&2
  exit 1
fi

# The tested Codex release: one line in codex-version (build.rs bakes the same into --version).
CODEX_VERSION="$(cat codex-version)"
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

# The GitHub workflows are valid (actionlint, installed into .cache/ when missing).
scripts/lint-workflows.sh

# `refuse MESSAGE LIST GREP_ARGS...`: when `grep GREP_ARGS` finds lines in LIST (a crate's
# dependencies, one a line), fails the run with MESSAGE and those lines.
refuse() {
  local message="$1" list="$2" found
  shift 2
  if found=$(grep "$@" <<<"$list"); then
    echo "$message" >&2
    echo "$found" >&2
    exit 1
  fi
}

# The store crate (mcp/store) sits below everything: it must not depend on the engine
# (codex-teams-engine), the MCP server (codex-teams-server, rmcp) or the CLI (the codex-teams
# package, clap).
echo "== the store crate depends on nothing above it"
store_deps="$(cargo tree --locked -p codex-teams-store -e normal --prefix none)"
refuse "mcp/store (codex-teams-store) depends on the engine, rmcp or clap; the store must stay below them:" \
  "$store_deps" -E '^(codex-teams(-engine|-server)? |rmcp|clap)'

# The engine (src/engine, the crate codex-teams-engine) is the domain: it reaches the store
# crate and src/platform, never the MCP server (codex-teams-server, rmcp), the CLI (clap) or
# the codex-teams package with the commands and measurement code. Being a crate of its own,
# it cannot name a module above it (`crate::mcp` does not exist there), so its dependencies
# are the whole check. One exception, checked by name: secretscan (the maintained redaction
# rules, src/engine/redact.rs) ships its own command line in its library crate and brings
# clap with it (0.2.5 has no feature to leave it out); nothing else may bring clap.
echo "== the engine crate depends on nothing above it"
engine_deps="$(cargo tree --locked -p codex-teams-engine -e normal --prefix none)"
refuse "src/engine (codex-teams-engine) depends on the MCP server, the CLI or rmcp; the engine must stay below them:" \
  "$engine_deps" -E '^(codex-teams(-server)? |rmcp)'
if grep -q '^clap ' <<<"$engine_deps"; then
  clap_users="$(cargo tree --locked -p codex-teams-engine -e normal -i clap --depth 1 --prefix none | tail -n +2)"
  refuse "src/engine (codex-teams-engine) reaches clap through more than secretscan; the engine must stay below the CLI:" \
    "$clap_users" -v '^secretscan '
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# A deadline well inside CI's 90 minutes: a hung test fails the run with its name on
# screen (libtest reports tests running over 60 s) instead of timing the whole job out.
# (GNU timeout; macOS has it only with coreutils, so it runs unbounded there.)
deadline=()
if command -v timeout >/dev/null 2>&1; then deadline=(timeout -k 30 2700); fi
if ! ${deadline[@]+"${deadline[@]}"} cargo test --workspace --all-targets --locked; then
  echo "cargo test failed or ran past 45 minutes (see the tests reported as running over 60 s)" >&2
  exit 1
fi

# Fuzzing (proptest on stable): the stdio framing and every tool's argument decoding, 25 s
# each; a crash fails the run and its shrunk input lands in tests/fuzz_corpus/.
echo "== fuzz (stdio framing, tool arguments: 25 s each)"
CODEX_TEAMS_FUZZ_SECONDS=25 cargo test --locked --test fuzz -- --nocapture

# The benchmark gate on real Codex traffic (reduced set: one task per size class): the
# adaptive team must beat the fixed fan-out of 6 without losing a quality check...
echo "== benchmark gate (codex-mock, reduced eval set)"
bench_tasks=fix-paginate-last-page,report-exporters,unit-converters
target/debug/codex-teams bench --runner codex-mock --no-engine --tasks "$bench_tasks" --out target/bench-ci
# ...and a deliberately broken adaptive policy must fail it.
echo "== benchmark gate must fail a broken policy (codex-mock, --sabotage drop-subtask)"
if target/debug/codex-teams bench --runner codex-mock --no-engine --tasks fix-paginate-last-page \
    --sabotage drop-subtask --out target/bench-ci-sabotage >/dev/null 2>&1; then
  echo "the benchmark passed a policy that drops a subtask: the gate cannot fail" >&2
  exit 1
fi
echo "as expected, the gate failed the broken policy: $(grep -o '"reason": "[^"]*' target/bench-ci-sabotage/*.json | head -1 | cut -d'"' -f4)"
# cargo-dist, pinned in dist-workspace.toml: the release workflow's own tool. Installed from
# crates.io into .cache/ when missing (several minutes once: 439 crates), so that the archive
# below is built by `dist build` exactly as the workflow's build job builds it, and the
# workflow is checked to be what that cargo-dist generates from dist-workspace.toml.
dist_version="$(sed -n 's/^cargo-dist-version = "\(.*\)"/\1/p' dist-workspace.toml)"
if ! { command -v dist >/dev/null 2>&1 && [ "$(dist --version 2>/dev/null)" = "cargo-dist $dist_version" ]; }; then
  dist_root="${CODEX_TEAMS_CACHE:-$PWD/.cache}/cargo-dist-$dist_version"
  if [ ! -x "$dist_root/bin/dist" ]; then
    echo "== installing cargo-dist $dist_version (crates.io) into $dist_root"
    cargo install --quiet --locked cargo-dist --version "$dist_version" --root "$dist_root"
  fi
  export PATH="$dist_root/bin:$PATH"
fi
echo "== dist generate --check (release.yml is what cargo-dist $dist_version writes)"
dist generate --check
# The release archive as users get it: built like the release workflow builds it, installed
# into an empty HOME with no cargo on PATH, check-config green, smoke medium --real, then
# uninstalled leaving the HOME as it was. Costs a release build (docs/install.md says how long).
echo "== release archive check (scripts/release-check.sh)"
scripts/release-check.sh
echo "verify: all checks passed"
