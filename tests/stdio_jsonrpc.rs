//! The real `codex-teams serve-mcp` binary over real stdio, driven by the plain JSON-RPC
//! client (one JSON object per line, as Codex sends): a lead server and a worker server
//! started with the environment `team_spawn` returned, sharing one database. Every tool
//! must answer with `structuredContent`, successes and tool errors alike.

use std::collections::BTreeSet;

mod common;

use codex_teams::mcp::client::StdioClient;
use common::home::{TempHome, spawn_env};
use common::rpc::{err, ok};
use common::text;
use serde_json::{Value, json};

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

#[test]
fn every_tool_answers_with_structured_content_over_real_stdio() {
    let fx = TempHome::new();
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
    let team_id = text(&team["team_id"]);
    let created = ok(
        &mut lead,
        "task_create",
        json!({ "tasks": [
            { "key": "a", "title": "first" },
            { "key": "b", "title": "second", "deps": ["a"] }
        ]}),
    );
    let first = text(&created["tasks"][0]["task_id"]);
    let spawned = ok(
        &mut lead,
        "team_spawn",
        json!({ "role": "implementer", "brief": "take the first task", "justification": "stdio test", "runner": "external" }),
    );
    assert_eq!(spawned["env"]["CODEX_TEAMS_TEAM_ID"], team_id.as_str());
    let agent_id = text(&spawned["agent_id"]);

    let mut worker = fx.worker(&spawned);
    assert_ne!(worker.pid(), lead.pid());
    let worker_tools = tool_names(&mut worker);
    let mut expected: BTreeSet<String> =
        common::WORKER_TOOLS.into_iter().map(String::from).collect();
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
    assert!(
        text(&limit["message"]).contains("artifact_publish"),
        "{limit}"
    );

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
    let fx = TempHome::new();
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
    assert!(text(&team["team_id"]).starts_with("team_"));
    assert!(lead.close().expect("close lead").success());
}

#[test]
fn incomplete_worker_credentials_never_start_a_server() {
    let fx = TempHome::new();
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
    assert!(fx.try_serve(&spawn_env(&partial)).is_err());
    // A wrong secret is refused at start-up as well.
    let mut forged = spawned.clone();
    forged["env"]["CODEX_TEAMS_AGENT_TOKEN"] = json!("ctt_guess");
    assert!(fx.try_serve(&spawn_env(&forged)).is_err());
    assert!(lead.close().expect("close lead").success());
}

#[test]
fn non_object_arguments_are_refused_and_the_server_keeps_serving() {
    let fx = TempHome::new();
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
    assert!(text(&team["team_id"]).starts_with("team_"));
    assert!(lead.close().expect("close lead").success());
}

/// A lead with one task on the board and one external worker, both over real stdio.
fn lead_and_worker(fx: &TempHome) -> (StdioClient, StdioClient, String) {
    let mut lead = fx.lead();
    ok(
        &mut lead,
        "team_start",
        json!({"goal": "wait for the worker"}),
    );
    let created = ok(
        &mut lead,
        "task_create",
        json!({"title": "Write the thing", "size": "s"}),
    );
    let task = text(&created["tasks"][0]["task_id"]);
    let spawned = ok(
        &mut lead,
        "team_spawn",
        json!({"role": "implementer", "runner": "external"}),
    );
    let worker = fx.worker(&spawned);
    (lead, worker, task)
}

#[test]
fn a_lead_wait_blocks_until_a_result_from_another_process_and_brings_it_as_news() {
    let fx = TempHome::new();
    let (mut lead, mut worker, task) = lead_and_worker(&fx);
    let finisher = std::thread::spawn(move || {
        // A claim is not news: the lead keeps waiting through it.
        let claimed = ok(&mut worker, "task_claim", json!({}));
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(claimed["claimed"], true, "{claimed}");
        ok(
            &mut worker,
            "task_update",
            json!({"task_id": claimed["task_id"], "status": "done", "version": claimed["version"]}),
        );
        worker
    });
    let started = std::time::Instant::now();
    let woke = ok(&mut lead, "team_pull_inbox", json!({"wait_ms": 600_000}));
    let waited = started.elapsed();
    let _worker = finisher.join().expect("worker thread");
    assert!(
        waited >= std::time::Duration::from_millis(250),
        "woke before the result: {woke}"
    );
    assert!(
        waited < std::time::Duration::from_secs(20),
        "slow wake: {waited:?}"
    );
    let news = woke["news"].as_array().cloned().unwrap_or_default();
    assert!(
        news.iter()
            .any(|n| n["kind"] == "task.done" && n["task_id"] == task.as_str()),
        "{woke}"
    );
    assert_eq!(woke["board_done"], true, "{woke}");
    assert_eq!(woke["tasks"]["done"], 1, "{woke}");
    // News is delivered once: the next pull does not repeat it.
    let again = ok(&mut lead, "team_pull_inbox", json!({}));
    assert!(again.get("news").is_none(), "{again}");
}

#[test]
fn a_cancelled_lead_wait_ends_at_once_and_takes_nothing_from_the_inbox() {
    let fx = TempHome::new();
    let (mut lead, mut worker, _task) = lead_and_worker(&fx);
    let ct = ok(&mut worker, "task_claim", json!({}));
    assert_eq!(ct["claimed"], true, "{ct}");
    // A ten-minute wait, left pending.
    let id = lead
        .send_request(
            "tools/call",
            json!({"name": "team_pull_inbox", "arguments": {"wait_ms": 600_000}}),
        )
        .expect("send the wait");
    // The wait does not block the server: another call is answered meanwhile.
    let started = std::time::Instant::now();
    let status = ok(&mut lead, "team_status", json!({}));
    assert!(status["tasks"]["claimed"] == 1, "{status}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    lead.notify(
        "notifications/cancelled",
        json!({"requestId": id, "reason": "the user pressed Esc"}),
    )
    .expect("cancel");
    // The wait polls its cancellation every few ms; give it a moment to end.
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Had the cancelled wait kept running, it would have leased this message (a result
    // nobody reads) and the pull below would come back empty.
    ok(
        &mut worker,
        "team_send",
        json!({"to": "lead", "body": "question"}),
    );
    // A live wait looks every 50 ms at most: this is long enough for one to take it.
    std::thread::sleep(std::time::Duration::from_millis(400));
    let pulled = ok(&mut lead, "team_pull_inbox", json!({}));
    let messages = pulled["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 1, "{pulled}");
    assert_eq!(messages[0]["body"], "question");
    assert_eq!(messages[0]["delivery_count"], 1, "{pulled}");
}

#[test]
fn a_result_and_the_message_announcing_it_wake_the_lead_once() {
    let fx = TempHome::new();
    let (mut lead, mut worker, task) = lead_and_worker(&fx);
    let claimed = ok(&mut worker, "task_claim", json!({}));
    assert_eq!(claimed["claimed"], true, "{claimed}");
    let finisher = std::thread::spawn(move || {
        // As a worker does: tell the lead, then (a model request later) mark the task done.
        ok(
            &mut worker,
            "team_send",
            json!({"to": "lead", "body": "done: art:thing@1"}),
        );
        std::thread::sleep(std::time::Duration::from_millis(400));
        ok(
            &mut worker,
            "task_update",
            json!({"task_id": claimed["task_id"], "status": "done", "version": claimed["version"]}),
        );
        worker
    });
    let woke = ok(&mut lead, "team_pull_inbox", json!({"wait_ms": 600_000}));
    let _worker = finisher.join().expect("worker thread");
    assert_eq!(woke["messages"][0]["body"], "done: art:thing@1", "{woke}");
    assert!(
        woke["news"].as_array().is_some_and(|n| n
            .iter()
            .any(|x| x["kind"] == "task.done" && x["task_id"] == task.as_str())),
        "{woke}"
    );
    assert_eq!(woke["board_done"], true, "{woke}");
}

#[test]
fn a_lead_wait_returns_at_once_when_open_work_has_no_worker() {
    let fx = TempHome::new();
    let mut lead = fx.lead();
    ok(&mut lead, "team_start", json!({"goal": "nobody to do it"}));
    ok(&mut lead, "task_create", json!({"title": "Orphan task"}));
    let started = std::time::Instant::now();
    let woke = ok(&mut lead, "team_pull_inbox", json!({"wait_ms": 600_000}));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{woke}"
    );
    assert_eq!(woke["workers"], 0, "{woke}");
    assert_eq!(woke["tasks"]["ready"], 1, "{woke}");
    assert_eq!(woke["spawn"], 1, "the planner asks for a worker: {woke}");
}

#[test]
fn a_blocked_workers_wait_ends_when_its_dependency_is_done() {
    let fx = TempHome::new();
    let mut lead = fx.lead();
    ok(&mut lead, "team_start", json!({"goal": "a chain"}));
    ok(
        &mut lead,
        "task_create",
        json!({"tasks": [{"key": "a", "title": "First"}, {"key": "b", "title": "Second", "deps": ["a"]}]}),
    );
    let mut first = fx.worker(&ok(
        &mut lead,
        "team_spawn",
        json!({"role": "implementer", "runner": "external", "justification": "test"}),
    ));
    let mut second = fx.worker(&ok(
        &mut lead,
        "team_spawn",
        json!({"role": "implementer", "runner": "external", "justification": "test"}),
    ));
    let claimed = ok(&mut first, "task_claim", json!({}));
    assert_eq!(claimed["claimed"], true, "{claimed}");
    let blocked = ok(&mut second, "task_claim", json!({}));
    assert_eq!(blocked["claimed"], false, "{blocked}");
    let finisher = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        ok(
            &mut first,
            "task_update",
            json!({"task_id": claimed["task_id"], "status": "done", "version": claimed["version"]}),
        );
        first
    });
    let started = std::time::Instant::now();
    ok(&mut second, "team_pull_inbox", json!({"wait_ms": 20_000}));
    let waited = started.elapsed();
    let _first = finisher.join().expect("worker thread");
    assert!(
        waited < std::time::Duration::from_secs(10),
        "the wait ran to its end: {waited:?}"
    );
    let next = ok(&mut second, "task_claim", json!({}));
    assert_eq!(next["claimed"], true, "{next}");
    assert_eq!(next["title"], "Second");
}
