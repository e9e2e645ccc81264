//! The real `codex-teams serve-mcp` binary over real stdio, driven by the plain JSON-RPC
//! client (one JSON object per line, as Codex sends): a lead server and a worker server
//! started with the environment `team_spawn` returned, sharing one database. Every tool
//! must answer with `structuredContent`, successes and tool errors alike.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use codex_teams::mcp::client::StdioClient;
use serde_json::{Value, json};
use tempfile::TempDir;

struct Fixture {
    _dir: TempDir,
    home: PathBuf,
    db: PathBuf,
    workspace: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let workspace = dir.path().join("ws");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&workspace).expect("workspace");
        Fixture {
            db: home.join("teams.db"),
            home,
            workspace,
            _dir: dir,
        }
    }

    fn exe() -> &'static Path {
        Path::new(env!("CARGO_BIN_EXE_codex-teams"))
    }

    fn env(&self, extra: Option<&Value>) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert(
            "CODEX_TEAMS_HOME".to_string(),
            self.home.display().to_string(),
        );
        if let Some(Value::Object(extra)) = extra {
            for (k, v) in extra {
                env.insert(k.clone(), v.as_str().expect("env value").to_string());
            }
        }
        env
    }

    fn lead(&self) -> StdioClient {
        StdioClient::spawn(
            Self::exe(),
            &self.db,
            &self.env(None),
            Some(&self.workspace),
        )
        .expect("start lead serve-mcp")
    }

    /// Starts a worker server with the environment `team_spawn` returned.
    fn worker_result(&self, spawned: &Value) -> anyhow::Result<StdioClient> {
        StdioClient::spawn(
            Self::exe(),
            &self.db,
            &self.env(Some(&spawned["env"])),
            Some(&self.workspace),
        )
    }

    fn worker(&self, spawned: &Value) -> StdioClient {
        self.worker_result(spawned).expect("start worker serve-mcp")
    }
}

fn tool_names(client: &mut StdioClient) -> BTreeSet<String> {
    let listed = client.request("tools/list", json!({})).expect("tools/list");
    listed["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .map(|t| {
            assert!(
                t["inputSchema"]["type"] == "object",
                "tool without an object input schema: {t}"
            );
            t["name"].as_str().expect("tool name").to_string()
        })
        .collect()
}

fn ok(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    client
        .call_ok(tool, args)
        .unwrap_or_else(|e| panic!("{tool}: {e:#}"))
}

fn err(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    match client.call(tool, args).expect("transport") {
        Ok(v) => panic!("{tool} should have failed but returned {v}"),
        Err(e) => e,
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

#[test]
fn every_tool_answers_with_structured_content_over_real_stdio() {
    let fx = Fixture::new();
    let mut lead = fx.lead();
    let lead_tools = tool_names(&mut lead);
    for name in [
        "team_start",
        "team_status",
        "team_spawn",
        "team_send",
        "team_broadcast",
        "team_pull_inbox",
        "task_create",
        "task_list",
        "task_claim",
        "task_update",
        "artifact_publish",
        "artifact_read",
        "team_finalize",
    ] {
        assert!(
            lead_tools.contains(name),
            "lead lacks {name}: {lead_tools:?}"
        );
    }

    let team = ok(
        &mut lead,
        "team_start",
        json!({ "goal": "prove stdio", "profile": "fast" }),
    );
    let team_id = s(&team["team_id"]);
    let created = ok(
        &mut lead,
        "task_create",
        json!({ "tasks": [
            { "key": "a", "title": "first" },
            { "key": "b", "title": "second", "deps": ["a"] }
        ]}),
    );
    let first = s(&created["tasks"][0]["task_id"]);
    let spawned = ok(
        &mut lead,
        "team_spawn",
        json!({ "role": "implementer", "brief": "take the first task", "justification": "stdio test", "runner": "external" }),
    );
    assert_eq!(spawned["env"]["CODEX_TEAMS_TEAM_ID"], team_id.as_str());
    let agent_id = s(&spawned["agent_id"]);

    let mut worker = fx.worker(&spawned);
    assert_ne!(worker.pid(), lead.pid());
    let worker_tools = tool_names(&mut worker);
    let mut expected: BTreeSet<String> = [
        "team_status",
        "team_send",
        "team_broadcast",
        "team_pull_inbox",
        "task_list",
        "task_claim",
        "task_update",
        "artifact_publish",
        "artifact_read",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if lead_tools.contains("team_vote") {
        expected.insert("team_vote".into());
    }
    assert_eq!(worker_tools, expected);

    let status = ok(&mut worker, "team_status", json!({}));
    assert_eq!(status["team_id"], team_id.as_str());
    let listed = ok(&mut worker, "task_list", json!({}));
    assert_eq!(listed["tasks"].as_array().map(Vec::len), Some(2));
    let claim = ok(&mut worker, "task_claim", json!({}));
    assert_eq!(claim["task_id"], first.as_str());
    let published = ok(
        &mut worker,
        "artifact_publish",
        json!({ "name": "first.md", "content": "done: first" }),
    );
    assert_eq!(published["ref"], "art:first.md@1");
    let updated = ok(
        &mut worker,
        "task_update",
        json!({ "task_id": first, "status": "done", "version": claim["version"],
                "artifact": published["ref"] }),
    );
    assert_eq!(updated["status"], "done");
    let read = ok(
        &mut worker,
        "artifact_read",
        json!({ "ref": published["ref"] }),
    );
    assert_eq!(read["content"], "done: first");
    let sent = ok(
        &mut worker,
        "team_send",
        json!({ "to": "lead", "body": "first is done", "idempotency_key": "first-done" }),
    );
    let cast = ok(
        &mut worker,
        "team_broadcast",
        json!({ "body": "second is ready" }),
    );
    assert_eq!(cast["recipients"], 1);

    // Tool errors travel as structuredContent too, from either server.
    let forbidden = err(&mut worker, "task_create", json!({ "title": "nope" }));
    assert_eq!(forbidden["error"], "forbidden", "{forbidden}");
    let limit = err(
        &mut worker,
        "team_send",
        json!({ "to": "lead", "body": "x".repeat(4097) }),
    );
    assert_eq!(limit["error"], "limit", "{limit}");
    assert!(s(&limit["message"]).contains("artifact_publish"), "{limit}");

    let inbox = ok(&mut lead, "team_pull_inbox", json!({ "wait_ms": 1000 }));
    let messages = inbox["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "{inbox}");
    assert_eq!(messages[0]["message_id"], sent["message_id"]);
    assert_eq!(messages[0]["from"], agent_id.as_str());
    let ids: Vec<Value> = messages.iter().map(|m| m["message_id"].clone()).collect();
    let acked = ok(&mut lead, "team_pull_inbox", json!({ "ack": ids }));
    assert_eq!(acked["acked"], 2);
    let worker_inbox = ok(&mut worker, "team_pull_inbox", json!({}));
    assert_eq!(worker_inbox["messages"], json!([]));

    let lead_status = ok(&mut lead, "team_status", json!({}));
    assert_eq!(lead_status["tasks"]["done"], 1);
    let summary = ok(
        &mut lead,
        "team_finalize",
        json!({ "summary": "stdio proven" }),
    );
    assert_eq!(summary["summary"], "stdio proven");
    assert_eq!(summary["tasks"]["done"], 1);

    let after = err(&mut worker, "team_status", json!({}));
    assert_eq!(after["error"], "forbidden", "{after}");

    assert!(worker.close().expect("close worker").success());
    assert!(lead.close().expect("close lead").success());
}

#[test]
fn bad_input_over_stdio_is_a_structured_tool_error() {
    let fx = Fixture::new();
    let mut lead = fx.lead();
    for (tool, args, code, field) in [
        ("team_start", json!({}), "invalid_argument", "goal"),
        (
            "team_start",
            json!({ "goal": 3 }),
            "invalid_argument",
            "goal",
        ),
        (
            "team_start",
            json!({ "goal": "g", "extra": true }),
            "invalid_argument",
            "extra",
        ),
        ("task_list", json!({}), "invalid_argument", "team_id"),
        ("no_such_tool", json!({}), "invalid_argument", "name"),
    ] {
        let e = err(&mut lead, tool, args);
        assert_eq!(e["error"], code, "{tool}: {e}");
        assert_eq!(e["field"], field, "{tool}: {e}");
    }
    // The server is still healthy after the errors.
    let team = ok(&mut lead, "team_start", json!({ "goal": "still alive" }));
    assert!(s(&team["team_id"]).starts_with("team_"));
    assert!(lead.close().expect("close lead").success());
}

#[test]
fn incomplete_worker_credentials_never_start_a_server() {
    let fx = Fixture::new();
    let mut lead = fx.lead();
    ok(&mut lead, "team_start", json!({ "goal": "g" }));
    let spawned = ok(
        &mut lead,
        "team_spawn",
        json!({ "role": "tester", "justification": "stdio test", "runner": "external" }),
    );
    // Only the team id: the server must not fall back to acting as a lead.
    let partial = json!({ "env": {
        "CODEX_TEAMS_TEAM_ID": spawned["env"]["CODEX_TEAMS_TEAM_ID"],
    }});
    assert!(fx.worker_result(&partial).is_err());
    // A wrong secret is refused at start-up as well.
    let mut forged = spawned.clone();
    forged["env"]["CODEX_TEAMS_AGENT_TOKEN"] = json!("ctt_guess");
    assert!(fx.worker_result(&forged).is_err());
    assert!(lead.close().expect("close lead").success());
}

#[test]
fn non_object_arguments_are_refused_and_the_server_keeps_serving() {
    let fx = Fixture::new();
    let mut lead = fx.lead();
    for arguments in [json!([1, 2]), json!("goal"), json!(7)] {
        let reply = lead.request(
            "tools/call",
            json!({ "name": "team_start", "arguments": arguments }),
        );
        match reply {
            // A JSON-RPC error (invalid params) is a clear refusal.
            Err(_) => {}
            // So is a tool error; a success is not.
            Ok(result) => assert_eq!(result["isError"], true, "{result}"),
        }
    }
    let team = ok(&mut lead, "team_start", json!({ "goal": "still serving" }));
    assert!(s(&team["team_id"]).starts_with("team_"));
    assert!(lead.close().expect("close lead").success());
}
