//! Tool calls over real stdio that must succeed or must fail.

use codex_teams::mcp::client::StdioClient;
use serde_json::Value;

/// Calls `tool`; its result, or a panic naming the tool and the error.
pub fn ok(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    client
        .call_ok(tool, args)
        .unwrap_or_else(|e| panic!("{tool}: {e:#}"))
}

/// Calls `tool`, which must answer with a tool error; that error (a transport failure or a
/// success panics).
pub fn err(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    match client.call(tool, args).expect("transport") {
        Ok(v) => panic!("{tool} should have failed but returned {v}"),
        Err(e) => e,
    }
}

/// A lead's team with one small task ("Fix the off-by-one in the pager") and one worker
/// spawned with `runner`: `team_start` (with `start` as its arguments), `task_create`,
/// `team_spawn`. Returns what `team_start` returned, the task id and what `team_spawn`
/// returned.
pub fn one_task_team(
    client: &mut StdioClient,
    start: Value,
    runner: &str,
) -> (Value, String, Value) {
    let started = ok(client, "team_start", start);
    let created = ok(
        client,
        "task_create",
        serde_json::json!({"title": "Fix the off-by-one in the pager", "size": "s"}),
    );
    let task = created["tasks"][0]["task_id"]
        .as_str()
        .expect("task_create returned a task id")
        .to_string();
    let spawned = ok(
        client,
        "team_spawn",
        serde_json::json!({"role": "implementer", "runner": runner, "justification": "remote worker"}),
    );
    (started, task, spawned)
}
