//! Every MCP tool, driven in-process by the rmcp client over `tokio::io::duplex`: the good
//! path, bad input of every kind (missing, mistyped and unknown fields, unknown and
//! malformed ids, oversized bodies, other teams' ids, wrong role), role-scoped tool lists,
//! and the bus, board and artifact semantics the design promises.
//!
//! Each "server" here has its own `Engine` on the shared database file, as separate
//! `serve-mcp` processes would.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use codex_teams::engine::Engine;
use codex_teams::engine::ids::{AgentId, ArtifactId, MessageId, TaskId, TeamId};
use codex_teams::mcp::{Identity, TeamServer};
use common::home::TempHome;
use common::{LEAD_ONLY_TOOLS, WORKER_TOOLS, text};
use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

/// A temporary codex-teams home with its database.
struct Fixture {
    home: TempHome,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            home: TempHome::new(),
        }
    }

    /// Adds the user profile `quick`: the default profile with a 200 ms inbox lease, a
    /// 300 ms task lease and a 100,000-byte team quota.
    fn with_quick_profile(self) -> Fixture {
        self.home.profile(
            "quick",
            &[
                ("inbox_lease_ms", "200"),
                ("task_lease_ms", "300"),
                ("team_bytes", "100000"),
            ],
        );
        self
    }

    fn engine(&self) -> Arc<Engine> {
        Arc::new(Engine::open(&self.home.db, &self.home.home).expect("open engine"))
    }

    fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.home.db).expect("open db")
    }

    fn count(&self, sql: &str, param: &str) -> i64 {
        self.sql()
            .query_row(sql, [param], |r| r.get(0))
            .expect("count query")
    }

    /// A new lead server (its own engine, as a separate process would have).
    async fn lead(&self) -> Client {
        Client::connect(self.engine(), Identity::Lead(Mutex::new(Vec::new()))).await
    }

    /// A new worker server with the identity `team_spawn` returned.
    async fn worker(&self, spawned: &Value) -> Client {
        Client::connect(self.engine(), worker_identity(spawned)).await
    }
}

fn worker_identity(spawned: &Value) -> Identity {
    let env = &spawned["env"];
    let get = |k: &str| {
        env[k]
            .as_str()
            .unwrap_or_else(|| panic!("spawn env has no {k}: {spawned}"))
            .to_string()
    };
    Identity::Worker {
        team_id: TeamId::parse("team", &get("CODEX_TEAMS_TEAM_ID")).expect("team id"),
        agent_id: AgentId::parse("agent", &get("CODEX_TEAMS_AGENT_ID")).expect("agent id"),
        token: get("CODEX_TEAMS_AGENT_TOKEN"),
    }
}

/// An rmcp client connected to one in-process `TeamServer`.
struct Client {
    service: RunningService<RoleClient, ()>,
}

impl Client {
    async fn connect(engine: Arc<Engine>, identity: Identity) -> Client {
        let server = TeamServer::new(engine, identity, None).expect("server");
        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let service = ().serve(client_io).await.expect("client handshake");
        Client { service }
    }

    /// Calls a tool: `Ok(structuredContent)` or `Err(structuredContent)` on a tool error.
    /// `Value::Null` sends the request without an `arguments` member at all.
    async fn call(&self, tool: &str, args: Value) -> Result<Value, Value> {
        let params = match args {
            Value::Object(map) => CallToolRequestParams::new(tool.to_string()).with_arguments(map),
            Value::Null => CallToolRequestParams::new(tool.to_string()),
            other => panic!("arguments must be an object: {other}"),
        };
        let result = self
            .service
            .call_tool(params)
            .await
            .unwrap_or_else(|e| panic!("{tool}: transport error {e}"));
        let structured = result
            .structured_content
            .clone()
            .unwrap_or_else(|| panic!("{tool}: no structuredContent in {result:?}"));
        if result.is_error == Some(true) {
            Err(structured)
        } else {
            Ok(structured)
        }
    }

    async fn ok(&self, tool: &str, args: Value) -> Value {
        match self.call(tool, args.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{tool} {args} failed: {e}"),
        }
    }

    async fn err(&self, tool: &str, args: Value) -> Value {
        match self.call(tool, args.clone()).await {
            Ok(v) => panic!("{tool} {args} should have failed but returned {v}"),
            Err(e) => e,
        }
    }

    async fn tools(&self) -> Vec<Tool> {
        self.service.list_all_tools().await.expect("tools/list")
    }

    async fn tool_names(&self) -> BTreeSet<String> {
        self.tools()
            .await
            .into_iter()
            .map(|t| t.name.to_string())
            .collect()
    }
}

/// Asserts an error's code, and that it names `field` (in `field` for invalid arguments,
/// else in the message).
#[track_caller]
fn assert_error(err: &Value, code: &str, field: &str) {
    assert_eq!(err["error"], code, "wrong error code: {err}");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error without a message: {err}");
    if code == "invalid_argument" {
        assert_eq!(err["field"], field, "wrong field: {err}");
    }
    assert!(
        message.contains(field),
        "message does not name `{field}`: {err}"
    );
}

/// A lead with a started team.
async fn started(fx: &Fixture, profile: Option<&str>) -> (Client, String) {
    let lead = fx.lead().await;
    let mut args = json!({ "goal": "build the thing" });
    if let Some(p) = profile {
        args["profile"] = json!(p);
    }
    let team = lead.ok("team_start", args).await;
    let team_id = team["team_id"].as_str().expect("team_id").to_string();
    (lead, team_id)
}

/// Spawns a worker. The justification lets tests build teams of any shape regardless of
/// what the fan-out planner would recommend for their (usually tiny) boards.
async fn spawn(lead: &Client, role: &str) -> Value {
    lead.ok(
        "team_spawn",
        json!({ "role": role, "brief": "task ids only", "justification": "test fixture", "runner": "external" }),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Good paths
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_answers_on_the_good_path() {
    let fx = Fixture::new();
    let lead = fx.lead().await;

    let team = lead
        .ok(
            "team_start",
            json!({ "goal": "ship feature X", "profile": "fast" }),
        )
        .await;
    let team_id = text(&team["team_id"]);
    assert!(team_id.starts_with("team_"), "{team}");
    assert!(text(&team["agent_id"]).starts_with("agent_"), "{team}");
    assert_eq!(team["profile"], "fast");
    assert_eq!(team["resumed"], false);

    let created = lead
        .ok(
            "task_create",
            json!({ "tasks": [
                { "key": "plan", "title": "Write the plan", "size": "s", "priority": 5 },
                { "key": "code", "title": "Implement", "deps": ["plan"], "role": "implementer" }
            ]}),
        )
        .await;
    let tasks = created["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["status"], "ready");
    assert_eq!(tasks[1]["status"], "blocked");
    let plan_id = text(&tasks[0]["task_id"]);
    let code_id = text(&tasks[1]["task_id"]);

    let single = lead.ok("task_create", json!({ "title": "Docs" })).await;
    assert_eq!(single["tasks"][0]["status"], "ready");

    let spawned = spawn(&lead, "implementer").await;
    assert_eq!(spawned["role"], "implementer");
    assert_eq!(spawned["runner"], "external");
    assert_eq!(spawned["env"]["CODEX_TEAMS_TEAM_ID"], team_id.as_str());
    let agent_id = text(&spawned["agent_id"]);
    let worker = fx.worker(&spawned).await;

    let status = worker.ok("team_status", json!({})).await;
    assert_eq!(status["team_id"], team_id.as_str());
    assert_eq!(status["state"], "active");
    assert_eq!(status["tasks"]["ready"], 2);
    assert_eq!(status["tasks"]["blocked"], 1);
    assert_eq!(status["agents"].as_array().map(Vec::len), Some(2));

    let listed = worker.ok("task_list", json!({ "status": "ready" })).await;
    assert_eq!(listed["tasks"].as_array().map(Vec::len), Some(2));
    // Highest priority first.
    let claim = worker.ok("task_claim", json!({})).await;
    assert_eq!(claim["claimed"], true);
    assert_eq!(claim["task_id"], plan_id.as_str());
    let version = claim["version"].as_i64().expect("version");

    let published = worker
        .ok(
            "artifact_publish",
            json!({ "name": "plan.md", "content": "1. do it" }),
        )
        .await;
    assert_eq!(published["ref"], "art:plan.md@1");
    assert_eq!(published["version"], 1);
    assert_eq!(published["sha256"].as_str().map(str::len), Some(64));

    let updated = worker
        .ok(
            "task_update",
            json!({ "task_id": plan_id, "status": "done", "version": version,
                    "note": "planned", "artifact": "art:plan.md@1" }),
        )
        .await;
    assert_eq!(updated["status"], "done");
    assert_eq!(updated["version"], version + 1);

    // The dependent task is ready now and its claim lists the plan as input.
    let claim2 = worker.ok("task_claim", json!({ "task_id": code_id })).await;
    assert_eq!(claim2["claimed"], true);
    assert_eq!(claim2["inputs"], json!(["art:plan.md@1"]));

    let read = worker
        .ok("artifact_read", json!({ "ref": "art:plan.md@1" }))
        .await;
    assert_eq!(read["content"], "1. do it");
    assert_eq!(read["author"], agent_id.as_str());
    assert_eq!(read["sha256"], published["sha256"]);

    let sent = worker
        .ok("team_send", json!({ "to": "lead", "body": "plan is up" }))
        .await;
    assert_eq!(sent["recipients"], 1);
    assert!(text(&sent["message_id"]).starts_with("msg_"));
    let cast = lead
        .ok("team_broadcast", json!({ "body": "all hands" }))
        .await;
    assert_eq!(cast["recipients"], 1);

    let inbox = lead.ok("team_pull_inbox", json!({})).await;
    assert_eq!(inbox["messages"][0]["body"], "plan is up");
    assert_eq!(inbox["messages"][0]["from"], agent_id.as_str());
    assert_eq!(inbox["messages"][0]["delivery_count"], 1);
    let winbox = worker.ok("team_pull_inbox", json!({ "max": 5 })).await;
    assert_eq!(winbox["messages"][0]["body"], "all hands");
    assert_eq!(winbox["messages"][0]["broadcast"], true);

    let summary = lead
        .ok("team_finalize", json!({ "summary": "feature X shipped" }))
        .await;
    assert_eq!(summary["team_id"], team_id.as_str());
    assert_eq!(summary["summary"], "feature X shipped");
    assert_eq!(summary["profile"], "fast");
    assert_eq!(summary["tasks"]["done"], 1);
    assert_eq!(summary["artifacts"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_lists_every_tool_and_worker_sees_only_worker_tools_without_team_id() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let lead_names = lead.tool_names().await;
    for name in WORKER_TOOLS.iter().chain(LEAD_ONLY_TOOLS.iter()) {
        assert!(
            lead_names.contains(*name),
            "lead misses {name}: {lead_names:?}"
        );
    }

    let worker = fx.worker(&spawn(&lead, "tester").await).await;
    let tools = worker.tools().await;
    let names: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    let mut expected: BTreeSet<String> = WORKER_TOOLS.iter().map(|n| n.to_string()).collect();
    // team_vote is a worker tool in the design; accept it once the server offers it.
    if lead_names.contains("team_vote") {
        expected.insert("team_vote".into());
    }
    assert_eq!(names, expected);
    for tool in &tools {
        let props = tool.input_schema.get("properties");
        assert!(
            props.is_none_or(|p| p.get("team_id").is_none()),
            "{} shows team_id to a worker: {:?}",
            tool.name,
            tool.input_schema
        );
    }
    // The lead's schemas do carry team_id (a lead may run several teams).
    let lead_tools = lead.tools().await;
    let status = lead_tools
        .iter()
        .find(|t| t.name == "team_status")
        .expect("team_status");
    assert!(status.input_schema["properties"].get("team_id").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn team_start_with_team_id_resumes_the_team_on_a_new_server() {
    let fx = Fixture::new();
    let first = fx.lead().await;
    let team = first
        .ok("team_start", json!({ "goal": "build the thing" }))
        .await;
    let team_id = text(&team["team_id"]);
    let secret = text(&team["lead_secret"]);
    assert!(secret.starts_with("ctl_"), "{team}");
    let lead_agent = text(&first.ok("team_status", json!({})).await["agents"][0]["agent_id"]);
    first.ok("task_create", json!({ "title": "survive" })).await;
    drop(first);

    let second = fx.lead().await;
    let resumed = second
        .ok(
            "team_start",
            json!({ "goal": "build the thing", "team_id": team_id, "lead_secret": secret }),
        )
        .await;
    assert!(resumed.get("lead_secret").is_none(), "{resumed}");
    assert_eq!(resumed["resumed"], true);
    assert_eq!(resumed["team_id"], team_id.as_str());
    assert_eq!(resumed["agent_id"], lead_agent.as_str());
    let tasks = second.ok("task_list", json!({})).await;
    assert_eq!(tasks["tasks"][0]["title"], "survive");
}

// ---------------------------------------------------------------------------------------
// Bad input, tool by tool
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn missing_required_fields_are_named() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let cases = [
        ("team_start", json!({ "profile": "fast" }), "goal"),
        ("team_spawn", json!({ "brief": "x" }), "role"),
        ("team_send", json!({ "body": "hi" }), "to"),
        ("team_send", json!({ "to": "lead" }), "body"),
        ("team_broadcast", json!({}), "body"),
        ("task_create", json!({ "detail": "no title" }), "title"),
        ("task_update", json!({ "status": "done" }), "task_id"),
        (
            "task_update",
            json!({ "task_id": TaskId::generate().as_str() }),
            "status",
        ),
        ("artifact_publish", json!({ "content": "x" }), "name"),
        ("artifact_publish", json!({ "name": "x" }), "content"),
        ("artifact_read", json!({}), "ref"),
    ];
    for (tool, args, field) in cases {
        let err = lead.err(tool, args).await;
        assert_error(&err, "invalid_argument", field);
        assert!(
            err["message"]
                .as_str()
                .unwrap_or_default()
                .contains("missing"),
            "{tool}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrongly_typed_fields_are_named() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = TaskId::generate();
    let cases = [
        ("team_start", json!({ "goal": 5 }), "goal"),
        ("team_status", json!({ "team_id": 5 }), "team_id"),
        ("team_spawn", json!({ "role": true }), "role"),
        ("team_send", json!({ "to": "lead", "body": 5 }), "body"),
        ("team_broadcast", json!({ "body": ["a"] }), "body"),
        ("team_pull_inbox", json!({ "max": "ten" }), "max"),
        ("team_pull_inbox", json!({ "ack": "msg_1" }), "ack"),
        ("team_pull_inbox", json!({ "wait_ms": 1.5 }), "wait_ms"),
        (
            "task_create",
            json!({ "title": "x", "priority": "high" }),
            "priority",
        ),
        (
            "task_create",
            json!({ "tasks": [{ "title": 7 }] }),
            "tasks[0].title",
        ),
        ("task_list", json!({ "status": 3 }), "status"),
        ("task_claim", json!({ "task_id": 7 }), "task_id"),
        (
            "task_update",
            json!({ "task_id": task.as_str(), "status": "done", "version": "1" }),
            "version",
        ),
        (
            "artifact_publish",
            json!({ "name": "a", "content": {} }),
            "content",
        ),
        ("artifact_read", json!({ "ref": 1 }), "ref"),
        ("team_finalize", json!({ "summary": 1 }), "summary"),
    ];
    for (tool, args, field) in cases {
        let err = lead.err(tool, args).await;
        assert_error(&err, "invalid_argument", field);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_are_refused_by_name() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = TaskId::generate();
    let cases = [
        ("team_start", json!({ "goal": "g", "bogus": 1 })),
        ("team_status", json!({ "bogus": 1 })),
        ("team_spawn", json!({ "role": "tester", "bogus": 1 })),
        (
            "team_send",
            json!({ "to": "lead", "body": "b", "bogus": 1 }),
        ),
        ("team_broadcast", json!({ "body": "b", "bogus": 1 })),
        ("team_pull_inbox", json!({ "bogus": 1 })),
        ("task_create", json!({ "title": "t", "bogus": 1 })),
        ("task_list", json!({ "bogus": 1 })),
        ("task_claim", json!({ "bogus": 1 })),
        (
            "task_update",
            json!({ "task_id": task.as_str(), "status": "done", "bogus": 1 }),
        ),
        (
            "artifact_publish",
            json!({ "name": "n", "content": "c", "bogus": 1 }),
        ),
        ("artifact_read", json!({ "ref": "art:n@1", "bogus": 1 })),
        ("team_finalize", json!({ "bogus": 1 })),
    ];
    for (tool, args) in cases {
        let err = lead.err(tool, args).await;
        assert_error(&err, "invalid_argument", "bogus");
    }
    // Unknown fields inside a batch task are refused too, with their path.
    let err = lead
        .err(
            "task_create",
            json!({ "tasks": [{ "title": "t", "bogus": 1 }] }),
        )
        .await;
    assert_eq!(err["error"], "invalid_argument", "{err}");
    assert!(text(&err["message"]).contains("bogus"), "{err}");
    // Nothing was written by any of the refused calls.
    let tasks = lead.ok("task_list", json!({})).await;
    assert_eq!(tasks["tasks"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_tool_is_refused_by_name() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let err = lead.err("team_teleport", json!({})).await;
    assert_error(&err, "invalid_argument", "name");
    assert!(text(&err["message"]).contains("team_teleport"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_ids_are_refused_with_the_field_and_expected_form() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let cases = [
        (
            "team_start",
            json!({ "goal": "g", "team_id": "team_xyz" }),
            "team_id",
        ),
        ("team_status", json!({ "team_id": "nope" }), "team_id"),
        (
            "team_status",
            json!({ "team_id": AgentId::generate().as_str() }),
            "team_id",
        ),
        ("team_send", json!({ "to": "agent_12", "body": "b" }), "to"),
        ("team_pull_inbox", json!({ "ack": ["msg_zz"] }), "ack[0]"),
        (
            "task_create",
            json!({ "title": "t", "deps": ["task_1"] }),
            "deps",
        ),
        ("task_claim", json!({ "task_id": "task_nothex" }), "task_id"),
        (
            "task_update",
            json!({ "task_id": "42", "status": "done" }),
            "task_id",
        ),
        ("artifact_read", json!({ "ref": "art:@1" }), "ref"),
        ("artifact_read", json!({ "ref": "art:x@0" }), "ref"),
        ("artifact_read", json!({ "ref": "artv_short" }), "ref"),
        (
            "artifact_publish",
            json!({ "name": "a b", "content": "c" }),
            "name",
        ),
        (
            "artifact_publish",
            json!({ "name": "a", "content": "c", "parent": "art:a@x" }),
            "parent",
        ),
        ("team_finalize", json!({ "team_id": "team_" }), "team_id"),
    ];
    for (tool, args, field) in cases {
        let err = lead.err(tool, args.clone()).await;
        assert_error(&err, "invalid_argument", field);
    }
    let err = lead
        .err(
            "task_update",
            json!({ "task_id": TaskId::generate().as_str(), "status": "done", "artifact": "not a ref" }),
        )
        .await;
    assert_error(&err, "invalid_argument", "artifact");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_values_are_refused_with_the_valid_choices() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = text(&lead.ok("task_create", json!({ "title": "t" })).await["tasks"][0]["task_id"]);
    let cases = [
        ("team_start", json!({ "goal": "  " }), "goal", "empty"),
        (
            "team_start",
            json!({ "goal": "g", "profile": "nosuch" }),
            "profile",
            "fast",
        ),
        (
            "team_start",
            json!({ "goal": "g", "profile": "../etc" }),
            "profile",
            "letters",
        ),
        (
            "team_start",
            json!({ "goal": "g", "profile": "" }),
            "profile",
            "empty",
        ),
        (
            "team_spawn",
            json!({ "role": "wizard" }),
            "role",
            "implementer",
        ),
        ("team_spawn", json!({ "role": "lead" }), "role", "one lead"),
        (
            "team_spawn",
            json!({ "role": "tester", "runner": "warp" }),
            "runner",
            "external",
        ),
        (
            "team_spawn",
            json!({ "role": "tester", "brief": "x".repeat(5000) }),
            "brief",
            "artifact",
        ),
        (
            "team_send",
            json!({ "to": "lead", "body": "   " }),
            "body",
            "empty",
        ),
        ("team_broadcast", json!({ "body": "" }), "body", "empty"),
        (
            "team_broadcast",
            json!({ "body": "b", "idempotency_key": "" }),
            "idempotency_key",
            "1 to 128",
        ),
        (
            "team_pull_inbox",
            json!({ "max": 0 }),
            "max",
            "out of range",
        ),
        (
            "team_pull_inbox",
            json!({ "wait_ms": -1 }),
            "wait_ms",
            "negative",
        ),
        (
            "task_create",
            json!({ "title": "t", "size": "xl" }),
            "size",
            "s, m, l",
        ),
        (
            "task_create",
            json!({ "title": "t", "size": "" }),
            "size",
            "empty",
        ),
        (
            "task_create",
            json!({ "title": "t", "role": "lead" }),
            "role",
            "one lead",
        ),
        (
            "task_create",
            json!({ "title": "x".repeat(300) }),
            "title",
            "limit",
        ),
        (
            "task_create",
            json!({ "title": "t", "tasks": [{ "title": "u" }] }),
            "tasks",
            "not both",
        ),
        ("task_create", json!({ "tasks": [] }), "title", "missing"),
        ("task_list", json!({ "status": "open" }), "status", "ready"),
        (
            "task_update",
            json!({ "task_id": task, "status": "bogus" }),
            "status",
            "done",
        ),
        (
            "task_update",
            json!({ "task_id": task, "status": "claimed" }),
            "status",
            "task_claim",
        ),
    ];
    for (tool, args, field, hint) in cases {
        let err = lead.err(tool, args.clone()).await;
        assert_error(&err, "invalid_argument", field);
        assert!(
            text(&err["message"]).contains(hint),
            "{tool} {args}: message lacks `{hint}`: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_but_well_formed_ids_are_not_found() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let ghost_task = TaskId::generate();
    let ghost_agent = AgentId::generate();

    let err = lead
        .err(
            "team_send",
            json!({ "to": ghost_agent.as_str(), "body": "hi" }),
        )
        .await;
    assert_error(&err, "not_found", ghost_agent.as_str());
    let err = lead
        .err("task_claim", json!({ "task_id": ghost_task.as_str() }))
        .await;
    assert_error(&err, "not_found", ghost_task.as_str());
    let err = lead
        .err(
            "task_update",
            json!({ "task_id": ghost_task.as_str(), "status": "done" }),
        )
        .await;
    assert_error(&err, "not_found", ghost_task.as_str());
    let err = lead
        .err(
            "task_create",
            json!({ "title": "t", "deps": [ghost_task.as_str()] }),
        )
        .await;
    assert_error(&err, "not_found", ghost_task.as_str());
    let err = lead
        .err("artifact_read", json!({ "ref": "art:ghost@1" }))
        .await;
    assert_error(&err, "not_found", "art:ghost@1");
    let ghost_art = ArtifactId::generate();
    let err = lead
        .err("artifact_read", json!({ "ref": ghost_art.as_str() }))
        .await;
    assert_error(&err, "not_found", ghost_art.as_str());
    let err = lead
        .err(
            "task_update",
            json!({ "task_id": ghost_task.as_str(), "status": "done", "artifact": "art:ghost@1" }),
        )
        .await;
    assert_error(&err, "not_found", "art:ghost@1");
    let err = lead
        .err(
            "artifact_publish",
            json!({ "name": "fresh", "content": "c", "parent": "art:fresh@1" }),
        )
        .await;
    assert_eq!(err["error"], "conflict", "{err}");
    assert_eq!(err["details"]["latest"], Value::Null, "{err}");

    // Acknowledging an unknown message id is harmless: nothing is acknowledged.
    let inbox = lead
        .ok(
            "team_pull_inbox",
            json!({ "ack": [MessageId::generate().as_str()] }),
        )
        .await;
    assert_eq!(inbox["acked"], 0);

    // Resuming a team that does not exist.
    let ghost_team = TeamId::generate();
    let other = fx.lead().await;
    let err = other
        .err(
            "team_start",
            json!({ "goal": "g", "team_id": ghost_team.as_str() }),
        )
        .await;
    assert_error(&err, "not_found", ghost_team.as_str());
    // Nothing was created by the failed task_create.
    let tasks = lead.ok("task_list", json!({})).await;
    assert_eq!(tasks["tasks"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn message_over_the_profile_cap_is_refused_with_an_artifact_hint() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let worker = fx.worker(&spawn(&lead, "researcher").await).await;

    let at_cap = "a".repeat(4096);
    worker
        .ok("team_send", json!({ "to": "lead", "body": at_cap }))
        .await;
    let over = "a".repeat(4097);
    for (tool, args) in [
        ("team_send", json!({ "to": "lead", "body": over })),
        ("team_broadcast", json!({ "body": over })),
    ] {
        let err = worker.err(tool, args).await;
        assert_error(&err, "limit", "body");
        let message = text(&err["message"]);
        assert!(message.contains("artifact_publish"), "{err}");
        assert!(message.contains("4096"), "{err}");
    }
    // Multi-byte text counts bytes, not characters.
    let err = worker
        .err("team_broadcast", json!({ "body": "é".repeat(2049) }))
        .await;
    assert_error(&err, "limit", "body");
    // Only the message at the cap was stored.
    let inbox = lead.ok("team_pull_inbox", json!({})).await;
    assert_eq!(inbox["messages"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_past_the_team_storage_quota_is_a_limit_and_stores_nothing() {
    let fx = Fixture::new().with_quick_profile();
    let (lead, team_id) = started(&fx, Some("quick")).await;
    let chunk = "x".repeat(40_000);
    lead.ok("artifact_publish", json!({ "name": "a", "content": chunk }))
        .await;
    lead.ok("artifact_publish", json!({ "name": "b", "content": chunk }))
        .await;
    // 80,000 of 100,000 bytes used: a third 40,000 would pass the quota.
    let err = lead
        .err("artifact_publish", json!({ "name": "c", "content": chunk }))
        .await;
    assert_error(&err, "limit", "storage.team_bytes");
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM artifacts WHERE team_id = ?1",
            &team_id
        ),
        2
    );
    // What still fits is taken.
    lead.ok(
        "artifact_publish",
        json!({ "name": "c", "content": "y".repeat(20_000) }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_artifacts_and_notes_are_refused() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let err = lead
        .err(
            "artifact_publish",
            json!({ "name": "huge", "content": "x".repeat(4 * 1024 * 1024 + 1) }),
        )
        .await;
    assert_error(&err, "limit", "content");
    let task = text(&lead.ok("task_create", json!({ "title": "t" })).await["tasks"][0]["task_id"]);
    let err = lead
        .err(
            "task_update",
            json!({ "task_id": task, "status": "done", "note": "n".repeat(1001) }),
        )
        .await;
    assert_error(&err, "invalid_argument", "note");
    let err = lead
        .err("team_start", json!({ "goal": "g".repeat(8193) }))
        .await;
    assert_error(&err, "invalid_argument", "goal");
}

// ---------------------------------------------------------------------------------------
// Roles and teams
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn worker_cannot_call_lead_only_tools() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let worker = fx.worker(&spawn(&lead, "planner").await).await;
    let cases = [
        ("team_start", json!({ "goal": "mine now" })),
        ("team_spawn", json!({ "role": "tester" })),
        ("task_create", json!({ "title": "sneaky" })),
        ("team_finalize", json!({})),
    ];
    for (tool, args) in cases {
        let err = worker.err(tool, args).await;
        assert_error(&err, "forbidden", tool);
        assert!(text(&err["message"]).contains("lead-only"), "{err}");
    }
    // Nothing happened: no task, no new agent, team still active.
    let status = lead.ok("team_status", json!({})).await;
    assert_eq!(status["state"], "active");
    assert_eq!(status["agents"].as_array().map(Vec::len), Some(2));
    assert_eq!(status["tasks"]["ready"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_cannot_cancel_or_move_tasks_it_does_not_hold() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = text(&lead.ok("task_create", json!({ "title": "t" })).await["tasks"][0]["task_id"]);
    let worker = fx.worker(&spawn(&lead, "implementer").await).await;
    let err = worker
        .err("task_update", json!({ "task_id": task, "status": "done" }))
        .await;
    assert_error(&err, "forbidden", "claim it first");
    worker.ok("task_claim", json!({ "task_id": task })).await;
    let err = worker
        .err(
            "task_update",
            json!({ "task_id": task, "status": "cancelled" }),
        )
        .await;
    assert_error(&err, "forbidden", "only the lead cancels");
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_of_one_team_cannot_act_in_another() {
    let fx = Fixture::new();
    let (lead_a, team_a) = started(&fx, None).await;
    let (lead_b, team_b) = started(&fx, None).await;
    let spawned_a = spawn(&lead_a, "implementer").await;
    let worker_a = fx.worker(&spawned_a).await;
    let agent_b = text(&spawn(&lead_b, "implementer").await["agent_id"]);
    let task_b =
        text(&lead_b.ok("task_create", json!({ "title": "b's" })).await["tasks"][0]["task_id"]);
    let art_b = lead_b
        .ok(
            "artifact_publish",
            json!({ "name": "secret", "content": "team b only" }),
        )
        .await;

    // Naming team B explicitly is forbidden, whatever the tool.
    for (tool, args) in [
        ("team_status", json!({ "team_id": team_b })),
        ("task_list", json!({ "team_id": team_b })),
        ("task_claim", json!({ "team_id": team_b })),
        ("team_pull_inbox", json!({ "team_id": team_b })),
        ("team_broadcast", json!({ "team_id": team_b, "body": "hi" })),
        (
            "artifact_read",
            json!({ "team_id": team_b, "ref": "art:secret@1" }),
        ),
    ] {
        let err = worker_a.err(tool, args).await;
        assert_error(&err, "forbidden", &team_b);
    }
    // Its own team id is fine.
    worker_a
        .ok("team_status", json!({ "team_id": team_a }))
        .await;

    // B's ids are invisible from team A.
    let err = worker_a
        .err("team_send", json!({ "to": agent_b, "body": "psst" }))
        .await;
    assert_error(&err, "not_found", &agent_b);
    let err = worker_a
        .err("task_claim", json!({ "task_id": task_b }))
        .await;
    assert_error(&err, "not_found", &task_b);
    let err = worker_a
        .err(
            "task_update",
            json!({ "task_id": task_b, "status": "done" }),
        )
        .await;
    assert_error(&err, "not_found", &task_b);
    let err = worker_a
        .err("artifact_read", json!({ "ref": "art:secret@1" }))
        .await;
    assert_error(&err, "not_found", "art:secret@1");
    let err = worker_a
        .err("artifact_read", json!({ "ref": art_b["artifact_id"] }))
        .await;
    assert_eq!(err["error"], "not_found", "{err}");
    // Publishing the same name in team A starts A's own history.
    let mine = worker_a
        .ok(
            "artifact_publish",
            json!({ "name": "secret", "content": "team a" }),
        )
        .await;
    assert_eq!(mine["ref"], "art:secret@1");

    // B's task is untouched.
    let b_tasks = lead_b.ok("task_list", json!({})).await;
    assert_eq!(b_tasks["tasks"][0]["status"], "ready");

    // A's credentials presented for team B do not make a server.
    let Identity::Worker {
        agent_id, token, ..
    } = worker_identity(&spawned_a)
    else {
        unreachable!()
    };
    let forged = Identity::Worker {
        team_id: TeamId::parse("team", &team_b).expect("team id"),
        agent_id,
        token,
    };
    let err = TeamServer::new(fx.engine(), forged, None)
        .err()
        .expect("forged identity must be refused");
    assert_eq!(err.code(), "forbidden", "{err}");
    // A wrong secret is refused as well.
    let Identity::Worker {
        team_id, agent_id, ..
    } = worker_identity(&spawned_a)
    else {
        unreachable!()
    };
    let wrong = Identity::Worker {
        team_id,
        agent_id,
        token: "ctt_guess".into(),
    };
    let err = TeamServer::new(fx.engine(), wrong, None)
        .err()
        .expect("wrong secret must be refused");
    assert_eq!(err.code(), "forbidden", "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_cannot_use_a_team_it_did_not_start() {
    let fx = Fixture::new();
    let (lead_a, team_a) = started(&fx, None).await;
    let (_lead_b, team_b) = started(&fx, None).await;
    for (tool, args) in [
        ("team_status", json!({ "team_id": team_b })),
        (
            "task_create",
            json!({ "team_id": team_b, "title": "hijack" }),
        ),
        ("team_spawn", json!({ "team_id": team_b, "role": "tester" })),
        (
            "team_send",
            json!({ "team_id": team_b, "to": "lead", "body": "x" }),
        ),
        ("team_finalize", json!({ "team_id": team_b })),
    ] {
        let err = lead_a.err(tool, args).await;
        assert_error(&err, "forbidden", &team_b);
        assert!(text(&err["message"]).contains("team_start"), "{err}");
    }
    // With two teams, a lead must say which one it means.
    let team_c = text(&lead_a.ok("team_start", json!({ "goal": "second" })).await["team_id"]);
    let err = lead_a.err("team_status", json!({})).await;
    assert_error(&err, "invalid_argument", "team_id");
    assert!(text(&err["message"]).contains(&team_a), "{err}");
    assert!(text(&err["message"]).contains(&team_c), "{err}");
    lead_a.ok("team_status", json!({ "team_id": team_c })).await;
    // A lead server with no team yet is told to start one.
    let fresh = fx.lead().await;
    let err = fresh.err("task_list", json!({})).await;
    assert_error(&err, "invalid_argument", "team_id");
    assert!(text(&err["message"]).contains("team_start"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn seventh_worker_is_refused_with_the_cap() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    for _ in 0..6 {
        spawn(&lead, "implementer").await;
    }
    let err = lead.err("team_spawn", json!({ "role": "tester" })).await;
    assert_error(&err, "limit", "6");
    assert!(text(&err["message"]).contains("cap"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Bus semantics
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_repeat_returns_the_first_message_and_stores_nothing() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    let w1 = fx.worker(&spawn(&lead, "implementer").await).await;
    let spawned_w2 = spawn(&lead, "reviewer").await;
    let w2_id = text(&spawned_w2["env"]["CODEX_TEAMS_AGENT_ID"]);
    let w2 = fx.worker(&spawned_w2).await;

    let args = json!({ "to": "lead", "body": "done with 1", "idempotency_key": "t1-done" });
    let first = w1.ok("team_send", args.clone()).await;
    assert!(first.get("duplicate").is_none_or(|d| d == false), "{first}");
    let again = w1.ok("team_send", args).await;
    assert_eq!(again["message_id"], first["message_id"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["recipients"], first["recipients"]);
    // Same key, different body or recipient: a conflict naming the first message, never a
    // silent drop of the second one.
    let changed = w1
        .err(
            "team_send",
            json!({ "to": "lead", "body": "DO NOT deploy", "idempotency_key": "t1-done" }),
        )
        .await;
    assert_error(&changed, "conflict", "idempotency_key");
    assert!(
        text(&changed["message"]).contains(&text(&first["message_id"])),
        "{changed}"
    );
    let elsewhere = w1
        .err(
            "team_send",
            json!({ "to": w2_id, "body": "done with 1", "idempotency_key": "t1-done" }),
        )
        .await;
    assert_error(&elsewhere, "conflict", "recipient");
    // Keys are per sender: another agent may use the same key.
    let other = w2
        .ok(
            "team_send",
            json!({ "to": "lead", "body": "mine", "idempotency_key": "t1-done" }),
        )
        .await;
    assert_ne!(other["message_id"], first["message_id"]);

    let cast = w1
        .ok(
            "team_broadcast",
            json!({ "body": "heads up", "idempotency_key": "b1" }),
        )
        .await;
    assert_eq!(cast["recipients"], 2);
    let cast2 = w1
        .ok(
            "team_broadcast",
            json!({ "body": "heads up", "idempotency_key": "b1" }),
        )
        .await;
    assert_eq!(cast2["message_id"], cast["message_id"]);
    assert_eq!(cast2["duplicate"], true);
    assert_eq!(cast2["recipients"], 2);

    assert_eq!(
        fx.count("SELECT COUNT(*) FROM messages WHERE team_id = ?1", &team_id),
        3
    );
    // The lead gets each message once: first, w2's, and the broadcast.
    let inbox = lead.ok("team_pull_inbox", json!({})).await;
    let bodies: Vec<&str> = inbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, ["done with 1", "mine", "heads up"]);
    // w2 got the broadcast once; the sender did not get its own broadcast.
    let w2_inbox = w2.ok("team_pull_inbox", json!({})).await;
    assert_eq!(w2_inbox["messages"].as_array().map(Vec::len), Some(1));
    let w1_inbox = w1.ok("team_pull_inbox", json!({})).await;
    assert_eq!(w1_inbox["messages"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_messages_are_never_redelivered() {
    let fx = Fixture::new().with_quick_profile();
    let (lead, _) = started(&fx, Some("quick")).await;
    let worker = fx.worker(&spawn(&lead, "tester").await).await;
    lead.ok("team_broadcast", json!({ "body": "one" })).await;

    let inbox = worker.ok("team_pull_inbox", json!({})).await;
    let id = text(&inbox["messages"][0]["message_id"]);
    assert!(inbox["lease_until"].is_i64(), "{inbox}");
    let acked = worker.ok("team_pull_inbox", json!({ "ack": [id] })).await;
    assert_eq!(acked["acked"], 1);
    assert_eq!(acked["messages"], json!([]));
    // Wait well past the 200 ms lease: nothing comes back.
    let later = worker
        .ok("team_pull_inbox", json!({ "wait_ms": 800 }))
        .await;
    assert_eq!(later["messages"], json!([]), "{later}");
    // Acknowledging twice acknowledges nothing new.
    let twice = worker.ok("team_pull_inbox", json!({ "ack": [id] })).await;
    assert_eq!(twice["acked"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unacknowledged_messages_come_back_after_the_lease_with_delivery_count() {
    let fx = Fixture::new().with_quick_profile();
    let (lead, _) = started(&fx, Some("quick")).await;
    let worker = fx.worker(&spawn(&lead, "tester").await).await;
    let sent = lead
        .ok(
            "team_send",
            json!({ "to": text(&lead.ok("team_status", json!({})).await["agents"][1]["agent_id"]), "body": "please ack" }),
        )
        .await;

    let first = worker.ok("team_pull_inbox", json!({})).await;
    assert_eq!(first["messages"][0]["message_id"], sent["message_id"]);
    assert_eq!(first["messages"][0]["delivery_count"], 1);
    // While leased it is not delivered again.
    let during = worker.ok("team_pull_inbox", json!({})).await;
    assert_eq!(during["messages"], json!([]));

    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        let inbox = worker
            .ok("team_pull_inbox", json!({ "wait_ms": 1000 }))
            .await;
        if !inbox["messages"].as_array().is_none_or(Vec::is_empty) {
            break inbox;
        }
        assert!(Instant::now() < deadline, "message never came back");
    };
    assert_eq!(again["messages"][0]["message_id"], sent["message_id"]);
    assert_eq!(again["messages"][0]["delivery_count"], 2);
    assert_eq!(again["messages"][0]["body"], "please ack");
    let done = worker
        .ok("team_pull_inbox", json!({ "ack": [sent["message_id"]] }))
        .await;
    assert_eq!(done["acked"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn long_poll_returns_as_soon_as_another_server_sends() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let spawned = spawn(&lead, "tester").await;
    let to = text(&spawned["agent_id"]);
    let worker = Arc::new(fx.worker(&spawned).await);

    let poller = worker.clone();
    let started_at = Instant::now();
    let poll = tokio::spawn(async move {
        poller
            .ok("team_pull_inbox", json!({ "wait_ms": 20000 }))
            .await
    });
    // The poll is still waiting: an empty inbox does not return early.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "long-poll returned with an empty inbox"
    );

    // The lead is another server with its own engine and connections.
    lead.ok("team_send", json!({ "to": to, "body": "wake up" }))
        .await;
    let inbox = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("long-poll did not wake up on the new message")
        .expect("poll task");
    assert_eq!(inbox["messages"][0]["body"], "wake up");
    assert!(
        started_at.elapsed() < Duration::from_secs(10),
        "long-poll waited for its timeout instead of the message"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engines_own_note_does_not_wake_a_waiting_lead_but_comes_with_the_wake() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    lead.ok("task_create", json!({ "title": "Some work" }))
        .await;
    let busy = fx.worker(&spawn(&lead, "implementer").await).await;
    let claimed = busy.ok("task_claim", json!({})).await;
    assert_eq!(claimed["claimed"], true, "{claimed}");
    let idle = spawn(&lead, "implementer").await;
    // The idle worker is stopped: the engine notes it to the lead. One worker still works
    // on the only task, so the lead has nothing to do yet.
    let engine = fx.engine();
    let team = TeamId::parse("team", &team_id).expect("team id");
    let agent = AgentId::parse("agent", &text(&idle["agent_id"])).expect("agent id");
    assert!(
        engine
            .stop_worker(&team, &agent, "idle in a test", "guardrail.idle_shutdown")
            .expect("stop")
    );
    let t = Instant::now();
    let inbox = lead.ok("team_pull_inbox", json!({ "wait_ms": 1500 })).await;
    assert!(
        t.elapsed() >= Duration::from_millis(1400),
        "the note woke the lead: {inbox}"
    );
    assert_eq!(inbox["messages"][0]["from"], "system", "{inbox}");
    assert_eq!(inbox["workers"], 1, "{inbox}");
}

#[tokio::test(flavor = "multi_thread")]
async fn team_start_with_tasks_creates_the_board_in_the_same_call() {
    let fx = Fixture::new();
    let lead = fx.lead().await;
    let out = lead
        .ok(
            "team_start",
            json!({ "goal": "two steps", "tasks": [
                { "key": "a", "title": "Step A" },
                { "key": "b", "title": "Step B", "deps": ["a"] } ] }),
        )
        .await;
    assert!(out["team_id"].is_string(), "{out}");
    let tasks = out["board"]["tasks"].as_array().expect("board.tasks");
    assert_eq!(tasks.len(), 2, "{out}");
    assert!(out["board"]["plan"].is_object(), "{out}");
    let listed = lead.ok("task_list", json!({})).await;
    assert_eq!(
        listed["tasks"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    // A malformed task is refused by its index; spawn without tasks is refused.
    let err = lead
        .err(
            "team_start",
            json!({ "goal": "bad", "tasks": [{ "titel": "x" }] }),
        )
        .await;
    assert_error(&err, "invalid_argument", "tasks[0]");
    let err = lead
        .err("team_start", json!({ "goal": "bad", "spawn": true }))
        .await;
    assert_error(&err, "invalid_argument", "spawn");
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_with_task_id_marks_it_done_and_claims_the_next() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    lead.ok(
        "task_create",
        json!({ "tasks": [ { "key": "a", "title": "First" }, { "key": "b", "title": "Second", "deps": ["a"] } ] }),
    )
    .await;
    let spawned = spawn(&lead, "implementer").await;
    let worker = fx.worker(&spawned).await;
    let claimed = worker.ok("task_claim", json!({})).await;
    let first = text(&claimed["task_id"]);
    lead.ok(
        "team_send",
        json!({ "to": text(&spawned["agent_id"]), "body": "hi" }),
    )
    .await;
    let out = worker
        .ok(
            "artifact_publish",
            json!({ "name": "first", "content": "done A", "task_id": first }),
        )
        .await;
    assert_eq!(out["ref"], "art:first@1", "{out}");
    assert_eq!(out["done"]["status"], "done", "{out}");
    assert_eq!(out["next"]["claimed"], true, "{out}");
    assert_eq!(out["next"]["title"], "Second", "{out}");
    assert_eq!(out["next"]["inputs"], json!(["art:first@1"]), "{out}");
    assert_eq!(out["unread"], 1, "{out}");
    // Publishing again for a task no longer held names the artifact it did publish.
    let err = worker
        .err(
            "artifact_publish",
            json!({ "name": "again", "content": "x", "task_id": first }),
        )
        .await;
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("art:again@1"),
        "{err}"
    );
    // Without task_id: the plain result.
    let plain = worker
        .ok(
            "artifact_publish",
            json!({ "name": "note", "content": "x" }),
        )
        .await;
    assert!(plain.get("next").is_none(), "{plain}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_waiting_for_all_is_not_woken_by_a_result_but_by_the_board_done() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    lead.ok(
        "task_create",
        json!({ "tasks": [ { "key": "a", "title": "One" }, { "key": "b", "title": "Two" } ] }),
    )
    .await;
    let worker = fx.worker(&spawn(&lead, "implementer").await).await;
    let one = text(&worker.ok("task_claim", json!({})).await["task_id"]);
    worker
        .ok("task_update", json!({ "task_id": one, "status": "done" }))
        .await;
    // One result is news, but with wait_all it does not end the wait.
    let t = Instant::now();
    let inbox = lead
        .ok(
            "team_pull_inbox",
            json!({ "wait_ms": 1200, "wait_all": true }),
        )
        .await;
    assert!(
        t.elapsed() >= Duration::from_millis(1100),
        "a result woke a lead waiting for all: {inbox}"
    );
    assert_eq!(inbox["news"][0]["kind"], "task.done", "{inbox}");
    assert_ne!(inbox["board_done"], true, "{inbox}");
    // The last result ends the board: that wakes it at once.
    let two = text(&worker.ok("task_claim", json!({})).await["task_id"]);
    let waiting = tokio::spawn(async move {
        let t = Instant::now();
        let inbox = lead
            .ok(
                "team_pull_inbox",
                json!({ "wait_ms": 20000, "wait_all": true }),
            )
            .await;
        (t.elapsed(), inbox)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker
        .ok("task_update", json!({ "task_id": two, "status": "done" }))
        .await;
    let (took, inbox) = waiting.await.expect("the wait");
    assert!(took < Duration::from_secs(10), "{took:?} {inbox}");
    assert_eq!(inbox["board_done"], true, "{inbox}");
}

#[tokio::test(flavor = "multi_thread")]
async fn long_poll_without_mail_returns_empty_after_wait() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let t = Instant::now();
    let inbox = lead.ok("team_pull_inbox", json!({ "wait_ms": 150 })).await;
    assert_eq!(inbox["messages"], json!([]));
    assert!(t.elapsed() >= Duration::from_millis(150));
}

// ---------------------------------------------------------------------------------------
// Board semantics
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn dependency_cycles_in_a_batch_are_refused_and_nothing_is_written() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    for tasks in [
        json!([
            { "key": "a", "title": "A", "deps": ["b"] },
            { "key": "b", "title": "B", "deps": ["a"] }
        ]),
        json!([{ "key": "self", "title": "S", "deps": ["self"] }]),
        json!([
            { "key": "x", "title": "X" },
            { "key": "y", "title": "Y", "deps": ["x", "z"] },
            { "key": "z", "title": "Z", "deps": ["y"] }
        ]),
    ] {
        let err = lead.err("task_create", json!({ "tasks": tasks })).await;
        assert_error(&err, "invalid_argument", "deps");
        assert!(text(&err["message"]).contains("cycle"), "{err}");
    }
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM tasks WHERE team_id = ?1", &team_id),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_dependencies_are_refused() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    let ghost = TaskId::generate();
    let err = lead
        .err(
            "task_create",
            json!({ "tasks": [
                { "key": "a", "title": "A" },
                { "title": "B", "deps": ["a", ghost.as_str()] }
            ]}),
        )
        .await;
    assert_error(&err, "not_found", ghost.as_str());
    let err = lead
        .err(
            "task_create",
            json!({ "tasks": [{ "title": "B", "deps": ["no-such-key"] }] }),
        )
        .await;
    assert_eq!(err["error"], "invalid_argument", "{err}");
    assert!(text(&err["field"]).contains("deps"), "{err}");
    assert!(text(&err["message"]).contains("no-such-key"), "{err}");
    // A task of another team is as unknown as a made-up one.
    let (other, _) = started(&fx, None).await;
    let foreign =
        text(&other.ok("task_create", json!({ "title": "theirs" })).await["tasks"][0]["task_id"]);
    let err = lead
        .err("task_create", json!({ "title": "t", "deps": [foreign] }))
        .await;
    assert_error(&err, "not_found", &foreign);
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM tasks WHERE team_id = ?1", &team_id),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_conflict_tells_who_holds_the_task() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task =
        text(&lead.ok("task_create", json!({ "title": "only one" })).await["tasks"][0]["task_id"]);
    let s1 = spawn(&lead, "implementer").await;
    let holder = text(&s1["agent_id"]);
    let w1 = fx.worker(&s1).await;
    let w2 = fx.worker(&spawn(&lead, "implementer").await).await;

    let won = w1.ok("task_claim", json!({ "task_id": task })).await;
    assert_eq!(won["claimed"], true);
    let err = w2.err("task_claim", json!({ "task_id": task })).await;
    assert_error(&err, "conflict", &holder);
    assert_eq!(err["details"]["holder"], holder.as_str());
    assert_eq!(err["details"]["task_id"], task.as_str());
    // Claiming the best ready task finds none and says why, without an error.
    let none = w2.ok("task_claim", json!({})).await;
    assert_eq!(none["claimed"], false);
    assert!(text(&none["reason"]).contains("claimed"), "{none}");
    // Re-claiming one's own task is idempotent.
    let mine = w1.ok("task_claim", json!({ "task_id": task })).await;
    assert_eq!(mine["task_id"], task.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_respect_dependencies_and_roles() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let created = lead
        .ok(
            "task_create",
            json!({ "tasks": [
                { "key": "a", "title": "A", "role": "reviewer" },
                { "key": "b", "title": "B", "deps": ["a"] }
            ]}),
        )
        .await;
    let a = text(&created["tasks"][0]["task_id"]);
    let b = text(&created["tasks"][1]["task_id"]);
    let w = fx.worker(&spawn(&lead, "implementer").await).await;
    let err = w.err("task_claim", json!({ "task_id": b })).await;
    assert_error(&err, "conflict", "blocked");
    assert_eq!(err["details"]["waiting_on"], json!([a]));
    let err = w.err("task_claim", json!({ "task_id": a })).await;
    assert_error(&err, "forbidden", "reviewer");
    let none = w.ok("task_claim", json!({})).await;
    assert_eq!(none["claimed"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn task_update_with_a_stale_version_is_a_conflict() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = text(&lead.ok("task_create", json!({ "title": "t" })).await["tasks"][0]["task_id"]);
    // A second open task keeps the team from stopping early when the first is done.
    lead.ok("task_create", json!({ "title": "later" })).await;
    let w = fx.worker(&spawn(&lead, "implementer").await).await;
    let claim = w.ok("task_claim", json!({ "task_id": task })).await;
    let v = claim["version"].as_i64().expect("version");
    let err = w
        .err(
            "task_update",
            json!({ "task_id": task, "status": "done", "version": v - 1 }),
        )
        .await;
    assert_error(&err, "conflict", "version");
    assert_eq!(err["details"]["version"], v);
    assert_eq!(err["details"]["status"], "claimed");
    // The right version succeeds; repeating it is stale now.
    w.ok(
        "task_update",
        json!({ "task_id": task, "status": "done", "version": v }),
    )
    .await;
    let err = w
        .err(
            "task_update",
            json!({ "task_id": task, "status": "done", "version": v }),
        )
        .await;
    assert_eq!(err["error"], "conflict", "{err}");
    // Done tasks cannot be finished again, even by the lead.
    let err = lead
        .err(
            "task_update",
            json!({ "task_id": task, "status": "failed" }),
        )
        .await;
    assert_error(&err, "conflict", "already done");
}

// ---------------------------------------------------------------------------------------
// Artifact semantics
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn artifact_versions_need_the_latest_parent() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let w = fx.worker(&spawn(&lead, "implementer").await).await;
    let v1 = w
        .ok(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "v1" }),
        )
        .await;
    assert_eq!(v1["ref"], "art:api.rs@1");

    let err = lead
        .err(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "mine" }),
        )
        .await;
    assert_error(&err, "conflict", "parent");
    assert_eq!(err["details"]["latest"], "art:api.rs@1");

    let v2 = lead
        .ok(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "v2", "parent": "art:api.rs@1" }),
        )
        .await;
    assert_eq!(v2["ref"], "art:api.rs@2");
    // A stale parent is a conflict naming the latest, not an overwrite.
    let err = w
        .err(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "v2'", "parent": "art:api.rs@1" }),
        )
        .await;
    assert_error(&err, "conflict", "stale");
    assert_eq!(err["details"]["latest"], "art:api.rs@2");
    // A bare version number works as parent too.
    let v3 = w
        .ok(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "v3", "parent": "2" }),
        )
        .await;
    assert_eq!(v3["version"], 3);
    // A parent of another name is refused.
    let err = w
        .err(
            "artifact_publish",
            json!({ "name": "api.rs", "content": "x", "parent": "art:other@3" }),
        )
        .await;
    assert_error(&err, "invalid_argument", "parent");

    // Every version stays readable; the name alone reads the latest.
    for (r, content) in [
        ("art:api.rs@1", "v1"),
        ("art:api.rs@2", "v2"),
        ("art:api.rs", "v3"),
    ] {
        let read = w.ok("artifact_read", json!({ "ref": r })).await;
        assert_eq!(read["content"], content, "{r}");
    }
    let by_id = w
        .ok("artifact_read", json!({ "ref": v2["artifact_id"] }))
        .await;
    assert_eq!(by_id["ref"], "art:api.rs@2");
}

#[tokio::test(flavor = "multi_thread")]
async fn artifact_read_detects_a_checksum_mismatch() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    let published = lead
        .ok(
            "artifact_publish",
            json!({ "name": "result.json", "content": "{\"ok\":true}" }),
        )
        .await;
    lead.ok("artifact_read", json!({ "ref": published["ref"] }))
        .await;
    let changed = fx
        .sql()
        .execute(
            "UPDATE artifacts SET content = 'x' WHERE team_id = ?1",
            [&team_id],
        )
        .expect("tamper");
    assert_eq!(changed, 1);
    let err = lead
        .err("artifact_read", json!({ "ref": published["ref"] }))
        .await;
    assert_error(&err, "integrity", "art:result.json@1");
    assert!(text(&err["message"]).contains("checksum"), "{err}");
    let err = lead
        .err("artifact_read", json!({ "ref": published["artifact_id"] }))
        .await;
    assert_eq!(err["error"], "integrity", "{err}");
}

// ---------------------------------------------------------------------------------------
// Finalize
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn finalize_stops_workers_and_stores_the_summary() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    let task = text(
        &lead
            .ok("task_create", json!({ "title": "open work" }))
            .await["tasks"][0]["task_id"],
    );
    let spawned = spawn(&lead, "implementer").await;
    let worker = fx.worker(&spawned).await;
    worker.ok("task_claim", json!({ "task_id": task })).await;

    let summary = lead
        .ok("team_finalize", json!({ "summary": "stopped early" }))
        .await;
    assert_eq!(summary["summary"], "stopped early");
    assert_eq!(summary["tasks"]["cancelled"], 1, "{summary}");
    let workers: Vec<&Value> = summary["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["role"] != "lead")
        .collect();
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0]["state"], "stopped");

    // The summary is stored with the team.
    let stored: String = fx
        .sql()
        .query_row(
            "SELECT summary FROM teams WHERE team_id = ?1 AND state = 'finalized'",
            [&team_id],
            |r| r.get(0),
        )
        .expect("stored summary");
    let stored: Value = serde_json::from_str(&stored).expect("summary json");
    assert_eq!(stored["summary"], "stopped early");

    // Every worker tool is refused now.
    for (tool, args) in [
        ("team_status", json!({})),
        ("team_send", json!({ "to": "lead", "body": "still here?" })),
        ("team_pull_inbox", json!({})),
        ("task_claim", json!({})),
        (
            "artifact_publish",
            json!({ "name": "late", "content": "x" }),
        ),
    ] {
        let err = worker.err(tool, args).await;
        assert_error(&err, "forbidden", "finalized");
    }
    // A new worker server with the same credentials cannot start either.
    let err = TeamServer::new(fx.engine(), worker_identity(&spawned), None)
        .err()
        .expect("a stopped worker must not get a server");
    assert_eq!(err.code(), "forbidden", "{err}");
    // The team cannot be resumed or finalized again.
    let other = fx.lead().await;
    let err = other
        .err("team_start", json!({ "goal": "g", "team_id": team_id }))
        .await;
    assert_error(&err, "forbidden", "finalized");
    let err = lead.err("team_status", json!({})).await;
    assert_error(&err, "invalid_argument", "team_id");
}

// ---------------------------------------------------------------------------------------
// More edges
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_call_without_arguments_is_an_empty_object() {
    let fx = Fixture::new();
    let (lead, team_id) = started(&fx, None).await;
    let status = lead.ok("team_status", Value::Null).await;
    assert_eq!(status["team_id"], team_id.as_str());
    let err = lead.err("team_send", Value::Null).await;
    assert_error(&err, "invalid_argument", "to");
}

#[tokio::test(flavor = "multi_thread")]
async fn resuming_a_team_needs_its_lead_secret() {
    let fx = Fixture::new();
    let first = fx.lead().await;
    let team = first.ok("team_start", json!({ "goal": "g" })).await;
    let team_id = text(&team["team_id"]);
    let secret = text(&team["lead_secret"]);
    // The database keeps only its hash.
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM agents WHERE team_id = ?1 AND role = 'lead' AND token_hash IS NOT NULL AND token_hash NOT LIKE 'ctl_%'",
            &team_id
        ),
        1
    );
    // Any process that can open the database (a worker that unset its variables) is a
    // lead server without the secret: it may not take the team over.
    let intruder = fx.lead().await;
    for args in [
        json!({ "goal": "g", "team_id": team_id }),
        json!({ "goal": "g", "team_id": team_id, "lead_secret": "ctl_0000" }),
    ] {
        let err = intruder.err("team_start", args).await;
        assert_error(&err, "forbidden", "lead secret");
    }
    let err = intruder
        .err(
            "team_spawn",
            json!({ "team_id": team_id, "role": "tester" }),
        )
        .await;
    assert_error(&err, "forbidden", &team_id);
    // The server that started it resumes without the secret; another one with it.
    first
        .ok("team_start", json!({ "goal": "g", "team_id": team_id }))
        .await;
    intruder
        .ok(
            "team_start",
            json!({ "goal": "g", "team_id": team_id, "lead_secret": secret }),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn following_the_resume_hint_resumes_the_team() {
    let fx = Fixture::new();
    let first = fx.lead().await;
    let team = first.ok("team_start", json!({ "goal": "g" })).await;
    let team_id = text(&team["team_id"]);
    let secret = text(&team["lead_secret"]);
    let second = fx.lead().await;
    let err = second
        .err("team_status", json!({ "team_id": team_id }))
        .await;
    assert_error(&err, "forbidden", &team_id);
    // The hint names the arguments to pass; passing exactly those must work.
    let message = text(&err["message"]);
    let hint = message
        .split("hint: team_start ")
        .nth(1)
        .unwrap_or_else(|| panic!("no team_start hint: {message}"));
    assert!(hint.contains("lead_secret"), "{message}");
    let args = json!({ "goal": "build the thing", "team_id": team_id, "lead_secret": secret });
    let resumed = second.ok("team_start", args).await;
    assert_eq!(resumed["resumed"], true);
    second
        .ok("team_status", json!({ "team_id": team_id }))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sending_to_oneself_or_pulling_too_many_is_refused() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let spawned = spawn(&lead, "tester").await;
    let me = text(&spawned["agent_id"]);
    let worker = fx.worker(&spawned).await;
    let err = worker
        .err("team_send", json!({ "to": me, "body": "hi me" }))
        .await;
    assert_error(&err, "invalid_argument", "to");
    let err = lead
        .err("team_send", json!({ "to": "lead", "body": "hi me" }))
        .await;
    assert_error(&err, "invalid_argument", "to");
    let err = worker.err("team_pull_inbox", json!({ "max": 1000 })).await;
    assert_error(&err, "invalid_argument", "max");
    let tasks: Vec<Value> = (0..51)
        .map(|i| json!({ "title": format!("t{i}") }))
        .collect();
    let err = lead.err("task_create", json!({ "tasks": tasks })).await;
    assert_error(&err, "invalid_argument", "tasks");
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_is_exclusive_across_servers() {
    let fx = Fixture::new();
    let (lead, _) = started(&fx, None).await;
    let task = text(
        &lead
            .ok("task_create", json!({ "title": "contested" }))
            .await["tasks"][0]["task_id"],
    );
    let mut workers = Vec::new();
    for _ in 0..5 {
        let spawned = spawn(&lead, "implementer").await;
        workers.push((
            text(&spawned["agent_id"]),
            Arc::new(fx.worker(&spawned).await),
        ));
    }
    let attempts: Vec<_> = workers
        .iter()
        .map(|(id, w)| {
            let (id, w, task) = (id.clone(), w.clone(), task.clone());
            tokio::spawn(
                async move { (id, w.call("task_claim", json!({ "task_id": task })).await) },
            )
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for attempt in attempts {
        let (id, outcome) = attempt.await.expect("claim task");
        match outcome {
            Ok(v) => {
                assert_eq!(v["claimed"], true, "{v}");
                winners.push(id);
            }
            Err(e) => losers.push(e),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}, losers: {losers:?}");
    for e in &losers {
        assert_eq!(e["error"], "conflict", "{e}");
        assert_eq!(e["details"]["holder"], winners[0].as_str(), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_claim_goes_back_to_the_board() {
    let fx = Fixture::new().with_quick_profile();
    let (lead, _) = started(&fx, Some("quick")).await;
    let task = text(&lead.ok("task_create", json!({ "title": "t" })).await["tasks"][0]["task_id"]);
    lead.ok("task_create", json!({ "title": "keep the board open" }))
        .await;
    let s1 = spawn(&lead, "implementer").await;
    let gone = fx.worker(&s1).await;
    let claim = gone.ok("task_claim", json!({ "task_id": task })).await;
    let version = claim["version"].clone();
    // The first worker goes silent; after its 300 ms lease another worker gets the task.
    let other = fx.worker(&spawn(&lead, "implementer").await).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match other.call("task_claim", json!({ "task_id": task })).await {
            Ok(v) => {
                assert_eq!(v["claimed"], true, "{v}");
                break;
            }
            Err(e) => {
                assert_eq!(e["error"], "conflict", "{e}");
                assert!(Instant::now() < deadline, "lease never expired: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // The silent worker no longer holds it and cannot finish it.
    let err = gone
        .err(
            "task_update",
            json!({ "task_id": task, "status": "done", "version": version }),
        )
        .await;
    assert!(
        err["error"] == "conflict" || err["error"] == "forbidden",
        "{err}"
    );
}
