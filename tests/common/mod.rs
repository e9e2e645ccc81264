//! Helpers shared by the integration test binaries: each binary says `mod common;` and uses
//! the parts it needs (so items one binary leaves unused are allowed).
//!
//! - [`codex`]: the real Codex CLI the real-Codex tests run, or a skip (a failure in CI).
//! - [`home`]: a codex-teams home in a temporary directory, and `serve-mcp` processes on it.
//! - [`http`]: `serve-mcp --http` processes on a home.
//! - [`rpc`]: tool calls over a [`codex_teams::mcp::client::StdioClient`] that must succeed
//!   or must fail.

#![allow(dead_code)]

pub mod codex;
pub mod home;
pub mod http;
pub mod rpc;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The tools a worker's server lists (besides `team_vote` where arbitration is on), written
/// out here rather than read from the catalogue, so the tests notice when it changes.
pub const WORKER_TOOLS: [&str; 9] = [
    "team_status",
    "team_send",
    "team_broadcast",
    "team_pull_inbox",
    "task_list",
    "task_claim",
    "task_update",
    "artifact_publish",
    "artifact_read",
];

/// The tools only a lead's server lists.
pub const LEAD_ONLY_TOOLS: [&str; 4] = ["team_start", "team_spawn", "task_create", "team_finalize"];

/// The codex-teams binary Cargo built for these tests.
pub fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_codex-teams"))
}

/// Polls `done` every 20 ms for up to `limit`; whether it became true.
pub fn within(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `v` as a string; panics naming `v` when it is not one.
pub fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// The string field `field` of `v`; panics naming both when it is absent or not a string.
pub fn str_of(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{field}` in {v}"))
        .to_string()
}

/// The JSON a command printed on stdout; panics (naming `what`, with its stderr) when it
/// failed, or (with its stdout) when stdout is not JSON.
pub fn json_output(what: &str, out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
