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

# tests/e2e_ssh.rs runs a real sshd on a loopback port as the remote host of an ssh worker.
if [ ! -x /usr/sbin/sshd ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing openssh-server (for tests/e2e_ssh.rs)"
  apt-get install -y --no-install-recommends openssh-server >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends openssh-server >/dev/null; } \
    || echo "openssh-server could not be installed: tests/e2e_ssh.rs fails under CI=true" >&2
fi

# The GitHub workflows are valid (actionlint, installed into .cache/ when missing).
scripts/lint-workflows.sh

# The library crates sit below what uses them; a crate of its own cannot name a module above
# it, so its normal dependencies are the whole check. `below CRATE WHAT PATTERN` fails when
# CRATE's dependency tree holds a crate matching PATTERN.
below() {
  local crate="$1" what="$2" pattern="$3" tree found
  tree="$(cargo tree --locked -p "$crate" -e normal --prefix none)" || exit 1
  if found=$(grep -E "$pattern" <<<"$tree"); then
    echo "$crate depends on $what; it must stay below them:" >&2
    sort -u <<<"$found" >&2
    exit 1
  fi
}
# The store crate (mcp/store) sits below everything: not the engine, the MCP server
# (codex-teams-server, rmcp) or the CLI (the codex-teams package, clap).
echo "== the store crate depends on nothing above it"
below codex-teams-store "the engine, the MCP server, rmcp or clap" '^(codex-teams(-engine|-server)? |rmcp |clap )'
# The engine (src/engine) is the domain: it reaches the store crate and src/platform, never
# the MCP server (codex-teams-server, rmcp), the CLI (clap) or the codex-teams package with
# the commands and measurement code. Redaction's maintained rules (secretscan, whose library
# brings clap) are supplied by the binary at start, not depended on by the engine.
echo "== the engine crate depends on nothing above it"
below codex-teams-engine "the MCP server, the CLI, rmcp or clap" '^(codex-teams(-server)? |rmcp |clap )'

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
