//! The mock brain's unit tests: the lead's and the workers' scripted turns and the
//! comparison arms, each answered from a request body built here.

use super::*;

const NS: &str = "mcp__teams_under_test";

fn ns_tool(ns: &str, names: &[&str]) -> Value {
    json!({
        "type": "namespace", "name": ns, "description": "",
        "tools": names.iter().map(|n| json!({"type": "function", "name": n, "parameters": {"type": "object"}})).collect::<Vec<_>>()
    })
}

fn exec_command() -> Value {
    json!({"type": "function", "name": "exec_command", "parameters": {"type": "object",
        "properties": {"cmd": {"type": "string"}, "login": {"type": "boolean"}, "workdir": {"type": "string"},
                       "yield_time_ms": {"type": "number"}},
        "required": ["cmd"]}})
}

fn lead_tools() -> Vec<Value> {
    vec![
        exec_command(),
        ns_tool("multi_agent_v1", &["spawn_agent", "wait_agent"]),
        ns_tool(
            NS,
            &[
                "team_start",
                "team_status",
                "team_spawn",
                "task_create",
                "team_pull_inbox",
                "team_finalize",
                "task_claim",
                "task_update",
                "artifact_publish",
            ],
        ),
    ]
}

fn worker_tools() -> Vec<Value> {
    vec![
        exec_command(),
        ns_tool(
            NS,
            &[
                "team_status",
                "team_send",
                "team_broadcast",
                "team_pull_inbox",
                "task_list",
                "task_claim",
                "task_update",
                "artifact_publish",
                "artifact_read",
            ],
        ),
    ]
}

fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

/// A conversation: prompt, then (tool, namespace?, args, result) round trips.
fn request(
    tools: Vec<Value>,
    prompt: &str,
    history: &[(&str, Option<&str>, Value, Value)],
) -> Value {
    let mut input = vec![
        json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]}),
        user("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"),
        user(prompt),
    ];
    for (i, (name, ns, args, result)) in history.iter().enumerate() {
        let mut call = json!({"type": "function_call", "name": name, "arguments": args.to_string(), "call_id": format!("c{i}")});
        if let Some(ns) = ns {
            call["namespace"] = json!(ns);
        }
        input.push(call);
        input.push(
            json!({"type": "function_call_output", "call_id": format!("c{i}"),
            "output": format!("Wall time: 0.0100 seconds\nOutput:\n{result}")}),
        );
    }
    json!({"model": "mock-lead", "input": input, "tools": tools})
}

fn only_call(reply: &Reply) -> (&str, Option<&str>, &Value) {
    assert_eq!(reply.items.len(), 1, "{reply:?}");
    match &reply.items[0] {
        Item::FunctionCall {
            name,
            namespace,
            arguments,
            ..
        } => (name.as_str(), namespace.as_deref(), arguments),
        other => panic!("expected a call, got {other:?}"),
    }
}

fn only_message(reply: &Reply) -> &str {
    assert_eq!(reply.items.len(), 1, "{reply:?}");
    match &reply.items[0] {
        Item::Message { text } => text,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn small() -> Script {
    Script::builtin("small").unwrap_or_else(|| panic!("small"))
}

fn started() -> Value {
    json!({"team_id": "team_1", "agent_id": "agent_lead", "profile": "default", "resumed": false,
           "plan": {"class": "small", "recommended": 1, "spawn": 0, "reasons": []}})
}

fn created(spawn: i64) -> Value {
    json!({"tasks": [{"task_id": "task_a", "key": "fix", "status": "ready"}, {"task_id": "task_b", "key": "test", "status": "blocked"}],
           "plan": {"class": "small", "recommended": spawn, "spawn": spawn, "reasons": []}})
}

fn status(ready: i64, blocked: i64, claimed: i64, spawn: i64, agents: Value) -> Value {
    json!({"team_id": "team_1", "state": "active", "profile": "default", "agents": agents,
           "tasks": {"ready": ready, "blocked": blocked, "claimed": claimed, "done": 2, "failed": 0, "cancelled": 0},
           "unread": 0, "tokens": {"input": 0, "cached": 0, "output": 0, "total": 0}, "budget_left": 1,
           "plan": {"class": "small", "recommended": 1, "spawn": spawn, "reasons": []}})
}

#[test]
fn no_trigger_phrase_means_no_tool_call() {
    let req = request(lead_tools(), "What does this repo do?", &[]);
    let reply = next(&req, &small());
    assert_eq!(reply.who, Who::Lead);
    only_message(&reply);
}

#[test]
fn trigger_starts_a_team_in_the_requests_namespace() {
    for prompt in [
        "Use Agents Team: fix the pager profile=fast",
        "please USE AGENT TEAMS to fix it",
    ] {
        let req = request(lead_tools(), prompt, &[]);
        let reply = next(&req, &small());
        let (name, ns, args) = only_call(&reply);
        assert_eq!((name, ns), ("team_start", Some(NS)));
        assert!(
            args["goal"].as_str().is_some_and(|g| !g.is_empty()),
            "{args}"
        );
        if prompt.contains("profile=") {
            assert_eq!(args["goal"], "fix the pager");
            assert_eq!(args["profile"], "fast");
        }
    }
    // Another namespace name is used as given.
    let mut tools = lead_tools();
    tools[2]["name"] = json!("mcp__other");
    let reply = next(&request(tools, "use agents team: x", &[]), &small());
    assert_eq!(only_call(&reply).1, Some("mcp__other"));
}

/// A lead's wait result: messages, the board's open counts, live workers, spawn.
fn waited(open: [i64; 3], workers: i64, spawn: i64, messages: Value) -> Value {
    let [ready, blocked, claimed] = open;
    let mut v = json!({"messages": messages, "acked": 0,
        "tasks": {"ready": ready, "blocked": blocked, "claimed": claimed, "done": 2, "failed": 0, "cancelled": 0},
        "workers": workers});
    if spawn > 0 {
        v["spawn"] = json!(spawn);
    }
    if ready + blocked + claimed == 0 {
        v["board_done"] = json!(true);
    }
    v
}

#[test]
fn lead_creates_the_board_and_its_team_in_one_call_then_waits() {
    let plan = small();
    let h1 = [("team_start", Some(NS), json!({"goal": "g"}), started())];
    let reply = next(&request(lead_tools(), "use agents team: g", &h1), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "task_create");
    assert_eq!(args["spawn"], true);
    let tasks = args["tasks"].as_array().cloned().unwrap_or_default();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[1]["deps"], json!(["fix"]));
    assert_eq!(tasks[0]["key"], "fix");

    // Both recommended workers came with the board: the next call is the wait.
    let mut out = created(2);
    out["spawned"] = json!([{"agent_id": "agent_1", "role": "implementer", "runner": "codex-exec"},
                            {"agent_id": "agent_2", "role": "implementer", "runner": "codex-exec"}]);
    let mut h2 = h1.to_vec();
    h2.push(("task_create", Some(NS), args.clone(), out));
    let reply = next(&request(lead_tools(), "use agents team: g", &h2), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_pull_inbox");
    assert_eq!(args["wait_ms"], 600_000);
}

#[test]
fn lead_with_another_runner_spawns_one_by_one_and_falls_back_to_external() {
    let mut plan = small();
    plan.runner = Some("bogus".into());
    let h1 = [("team_start", Some(NS), json!({"goal": "g"}), started())];
    let reply = next(&request(lead_tools(), "use agents team: g", &h1), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "task_create");
    assert!(args.get("spawn").is_none(), "{args}");
    let mut h2 = h1.to_vec();
    h2.push(("task_create", Some(NS), args.clone(), created(2)));
    let reply = next(&request(lead_tools(), "use agents team: g", &h2), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_spawn");
    assert_eq!(args["runner"], "bogus");
    assert_eq!(args["role"], "implementer");

    // The runner is unknown: fall back to external.
    let mut h3 = h2.clone();
    h3.push(("team_spawn", Some(NS), args.clone(),
        json!({"error": "invalid_argument", "field": "runner", "message": "invalid `runner`: `bogus` is not a runner; valid: external, sim"})));
    let reply = next(&request(lead_tools(), "use agents team: g", &h3), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(
        (name, args["runner"].as_str()),
        ("team_spawn", Some("external"))
    );

    // Two spawned: now the wait.
    let mut h4 = h3.clone();
    for id in ["agent_1", "agent_2"] {
        h4.push((
            "team_spawn",
            Some(NS),
            args.clone(),
            json!({"agent_id": id, "role": "implementer", "runner": "external"}),
        ));
    }
    let reply = next(&request(lead_tools(), "use agents team: g", &h4), &plan);
    assert_eq!(only_call(&reply).0, "team_pull_inbox");
}

#[test]
fn lead_stops_spawning_when_refused_waits_and_finalizes() {
    let plan = small();
    let mut out = created(2);
    out["spawned"] =
        json!([{"agent_id": "agent_1", "role": "implementer", "runner": "codex-exec"}]);
    out["spawn_error"] = json!({"error": "limit", "message": "the planner recommends 1 worker(s)"});
    let mut h = vec![
        ("team_start", Some(NS), json!({"goal": "g"}), started()),
        ("task_create", Some(NS), json!({}), out),
    ];
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_pull_inbox");
    // The wait asks for one more, but spawning was refused: wait again, acknowledging.
    h.push(("team_pull_inbox", Some(NS), args.clone(),
        waited([1, 1, 0], 1, 1, json!([{"message_id": "msg_9", "from": "agent_1", "body": "hi", "delivery_count": 1, "sent_at": 1}]))));
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_pull_inbox");
    assert_eq!(args["ack"], json!(["msg_9"]));
    // The board is done: finalize, then report.
    h.push((
        "team_pull_inbox",
        Some(NS),
        args.clone(),
        waited([0, 0, 0], 1, 0, json!([])),
    ));
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
    assert_eq!(only_call(&reply).0, "team_finalize");
    h.push(("team_finalize", Some(NS), json!({}),
        json!({"team_id": "team_1", "tasks": {"done": 2, "failed": 0, "cancelled": 0}, "agents": [{}, {}], "tokens": {"total": 5}})));
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
    assert!(only_message(&reply).contains("team_1"));
    // Start, board + team, two waits, finalize (and the report): 5 tool calls.
    assert_eq!(h.len(), 5);
}

#[test]
fn lead_finalizes_when_no_worker_is_left_and_the_planner_starts_none() {
    let mut out = created(1);
    out["spawned"] =
        json!([{"agent_id": "agent_1", "role": "implementer", "runner": "codex-exec"}]);
    let mut h = vec![
        ("team_start", Some(NS), json!({"goal": "g"}), started()),
        ("task_create", Some(NS), json!({}), out),
        // One task left, nobody live, and the planner starts nobody (budget spent).
        (
            "team_pull_inbox",
            Some(NS),
            json!({}),
            waited([1, 0, 0], 0, 0, json!([])),
        ),
    ];
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &small());
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_finalize");
    assert!(
        args["summary"]
            .as_str()
            .unwrap_or("")
            .contains("no worker is left")
    );
    // While the planner still asks for a worker, the lead spawns instead.
    h.pop();
    h.push((
        "team_pull_inbox",
        Some(NS),
        json!({}),
        waited([1, 0, 0], 0, 1, json!([])),
    ));
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &small());
    assert_eq!(only_call(&reply).0, "team_spawn");
}

#[test]
fn worker_runs_the_plans_command_with_the_files() {
    let mut plan = small();
    plan.tasks[0].run = Some("sleep 2".into());
    let h = vec![(
        "task_claim",
        Some(NS),
        json!({}),
        claimed("Fix off-by-one in paginate()", &[]),
    )];
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, ns, args) = only_call(&reply);
    assert_eq!((name, ns), ("exec_command", None));
    assert_eq!(args["cmd"], "sleep 2");
    // A command may be slow: the call waits for it (exec_command yields after 10 s).
    assert_eq!(args["yield_time_ms"], 30_000);
    plan.tasks[0].files.insert("src/a.rs".into(), "x".into());
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let cmd = only_call(&reply).2["cmd"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        cmd.starts_with("mkdir -p 'src' && printf") && cmd.ends_with(" && sleep 2"),
        "{cmd}"
    );
}

#[test]
fn lead_scales_up_when_status_says_spawn() {
    let live =
        json!([{"agent_id": "agent_1", "role": "implementer", "state": "active", "tokens": 0}]);
    let h = vec![
        ("team_start", Some(NS), json!({"goal": "g"}), started()),
        ("task_create", Some(NS), json!({}), created(1)),
        (
            "team_spawn",
            Some(NS),
            json!({}),
            json!({"agent_id": "agent_1", "role": "implementer", "runner": "codex-exec"}),
        ),
        ("team_status", Some(NS), json!({}), status(2, 0, 1, 1, live)),
    ];
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &small());
    assert_eq!(only_call(&reply).0, "team_spawn");
}

#[test]
fn lead_is_capped_and_never_loops_forever() {
    let mut plan = small();
    plan.max_wait_rounds = Some(2);
    let live =
        json!([{"agent_id": "agent_1", "role": "implementer", "state": "active", "tokens": 0}]);
    let mut h = vec![
        ("team_start", Some(NS), json!({"goal": "g"}), started()),
        ("task_create", Some(NS), json!({}), created(1)),
        (
            "team_spawn",
            Some(NS),
            json!({}),
            json!({"agent_id": "agent_1", "role": "implementer", "runner": "external"}),
        ),
    ];
    let mut calls = 0;
    loop {
        let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
        let (name, _, _) = only_call(&reply);
        calls += 1;
        assert!(calls < 20, "no progress: {h:?}");
        match name {
            "team_status" => h.push((
                ("team_status"),
                Some(NS),
                json!({}),
                status(1, 0, 0, 0, live.clone()),
            )),
            "team_pull_inbox" => h.push((
                "team_pull_inbox",
                Some(NS),
                json!({}),
                json!({"messages": [], "acked": 0}),
            )),
            "team_finalize" => break,
            other => panic!("unexpected {other}"),
        }
    }
    // The absolute cap: any history that long ends in finalize.
    let mut plan = small();
    plan.max_lead_calls = Some(5);
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &plan);
    assert_eq!(only_call(&reply).0, "team_finalize");
}

#[test]
fn lead_reports_a_failed_start_without_looping() {
    let h = [(
        "team_start",
        Some(NS),
        json!({"goal": "g"}),
        json!({"error": "config", "message": "no profile `x`"}),
    )];
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &small());
    assert!(only_message(&reply).contains("no profile"));
}

const BRIEF: &str = "You are agent_0123abc, an implementer in codex-teams team team_77aa. Write code.\nWork loop: task_claim ...";

fn claimed(title: &str, inputs: &[&str]) -> Value {
    json!({"claimed": true, "task_id": "task_t1", "title": title, "version": 2, "inputs": inputs})
}

#[test]
fn worker_runs_the_task_loop() {
    let mut plan = small();
    plan.tasks[1]
        .files
        .insert("tests/page.rs".into(), "it's a test\n".into());
    plan.tasks[1]
        .send
        .push(crate::bench::mock::script::ScriptSend {
            to: "lead".into(),
            body: None,
        });
    let req = request(worker_tools(), BRIEF, &[]);
    let reply = next(&req, &plan);
    assert_eq!(
        reply.who,
        Who::Worker {
            agent_id: Some("agent_0123abc".into()),
            role: Some("implementer".into()),
            team_id: Some("team_77aa".into())
        }
    );
    let (name, ns, args) = only_call(&reply);
    assert_eq!((name, ns, args), ("task_claim", Some(NS), &json!({})));

    let mut h = vec![(
        "task_claim",
        Some(NS),
        json!({}),
        claimed("Regression test for the last page", &["art:fix@1"]),
    )];
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, ns, args) = only_call(&reply);
    assert_eq!((name, ns), ("exec_command", None));
    let cmd = args["cmd"].as_str().unwrap_or("");
    assert!(
        cmd.contains("mkdir -p 'tests'") && cmd.contains(r"'it'\''s a test"),
        "{cmd}"
    );
    assert_eq!(args["login"], false);
    h.push(("exec_command", None, args.clone(), json!("ok")));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(
        (name, args),
        ("artifact_read", &json!({"ref": "art:fix@1"}))
    );
    h.push((
        "artifact_read",
        Some(NS),
        args.clone(),
        json!({"ref": "art:fix@1", "content": "x"}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!((name, &args["name"]), ("artifact_publish", &json!("test")));
    // A conflict is retried on the latest version.
    h.push(("artifact_publish", Some(NS), args.clone(),
        json!({"error": "conflict", "message": "exists", "details": {"name": "test", "latest": "art:test@1"}})));
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(
        (name, &args["parent"]),
        ("artifact_publish", &json!("art:test@1"))
    );
    h.push((
        "artifact_publish",
        Some(NS),
        args.clone(),
        json!({"ref": "art:test@2", "artifact_id": "a", "version": 2, "sha256": "x"}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(
        (name, &args["to"], &args["body"]),
        ("team_send", &json!("lead"), &json!("test done: art:test@2"))
    );
    h.push((
        "team_send",
        Some(NS),
        args.clone(),
        json!({"message_id": "msg_1", "recipients": 1}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "task_update");
    assert_eq!(
        args,
        &json!({"task_id": "task_t1", "status": "done", "artifact": "art:test@2"})
    );
    h.push((
        "task_update",
        Some(NS),
        args.clone(),
        json!({"task_id": "task_t1", "status": "done", "version": 3}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    assert_eq!(only_call(&reply).0, "team_pull_inbox");
    h.push(("team_pull_inbox", Some(NS), json!({}), json!({"messages": [{"message_id": "msg_5", "from": "lead", "body": "thanks", "delivery_count": 1, "sent_at": 1}], "acked": 0})));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    assert_eq!(only_call(&reply).0, "task_claim");
    h.push((
        "task_claim",
        Some(NS),
        json!({}),
        json!({"claimed": false, "reason": "no ready task; 1 blocked on dependencies"}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(name, "team_pull_inbox");
    assert_eq!(args["ack"], json!(["msg_5"]));
    assert_eq!(args["wait_ms"], 5000);
    h.push((
        "team_pull_inbox",
        Some(NS),
        args.clone(),
        json!({"messages": [], "acked": 1}),
    ));

    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    assert_eq!(only_call(&reply).0, "task_claim");
    h.push((
        "task_claim",
        Some(NS),
        json!({}),
        json!({"claimed": false, "reason": "no open tasks"}),
    ));
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    assert!(only_message(&reply).starts_with("done: 1 task(s)"));
}

#[test]
fn worker_sends_to_the_holder_of_a_task_key() {
    let mut plan = Script::builtin("medium").unwrap_or_else(|| panic!("medium"));
    plan.tasks[1]
        .send
        .push(crate::bench::mock::script::ScriptSend {
            to: "csv".into(),
            body: Some("json uses , too".into()),
        });
    let mut h = vec![
        (
            "task_claim",
            Some(NS),
            json!({}),
            claimed("JSON exporter", &[]),
        ),
        (
            "artifact_publish",
            Some(NS),
            json!({}),
            json!({"ref": "art:json@1"}),
        ),
    ];
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    assert_eq!(only_call(&reply).0, "task_list");
    h.push(("task_list", Some(NS), json!({}),
        json!({"tasks": [{"task_id": "task_c", "title": "CSV exporter", "status": "claimed", "owner": "agent_other", "size": "m", "version": 2}]})));
    let reply = next(&request(worker_tools(), BRIEF, &h), &plan);
    let (name, _, args) = only_call(&reply);
    assert_eq!(
        (name, &args["to"], &args["body"]),
        (
            "team_send",
            &json!("agent_other"),
            &json!("json uses , too")
        )
    );
    assert_eq!(args["idempotency_key"], "task_t1-send-0");
}

#[test]
fn worker_without_shell_tool_only_publishes_and_stops_on_errors() {
    let mut plan = small();
    plan.tasks[0].files.insert("src/a.rs".into(), "x".into());
    let tools = vec![worker_tools().remove(1)];
    let h = vec![(
        "task_claim",
        Some(NS),
        json!({}),
        claimed("Fix off-by-one in paginate()", &[]),
    )];
    let reply = next(&request(tools.clone(), BRIEF, &h), &plan);
    assert_eq!(only_call(&reply).0, "artifact_publish");
    // A non-JSON failure from Codex itself is an error, and a refused claim ends the run.
    let h = vec![("task_claim", Some(NS), json!({}), json!("x"))];
    let mut req = request(tools.clone(), BRIEF, &h);
    req["input"][4]["output"] = json!("MCP tool call requires approval");
    let reply = next(&req, &plan);
    assert!(only_message(&reply).contains("requires approval"));
    let h = vec![(
        "task_claim",
        Some(NS),
        json!({}),
        json!({"error": "forbidden", "message": "team team_1 is finalized"}),
    )];
    let reply = next(&request(tools, BRIEF, &h), &plan);
    assert!(only_message(&reply).contains("finalized"));
}

#[test]
fn worker_stops_when_the_engine_stopped_it() {
    let h = vec![
        (
            "task_claim",
            Some(NS),
            json!({}),
            claimed("Fix off-by-one in paginate()", &[]),
        ),
        (
            "artifact_publish",
            Some(NS),
            json!({}),
            json!({"ref": "art:fix@1"}),
        ),
        (
            "task_update",
            Some(NS),
            json!({"task_id": "task_t1", "status": "done", "artifact": "art:fix@1"}),
            json!({"task_id": "task_t1", "status": "done", "version": 3}),
        ),
        (
            "team_pull_inbox",
            Some(NS),
            json!({}),
            json!({"error": "forbidden", "message": "agent agent_0123abc is stopped (all tasks done)"}),
        ),
    ];
    let reply = next(&request(worker_tools(), BRIEF, &h), &small());
    let text = only_message(&reply);
    assert!(
        text.starts_with("done: 1 task(s)") && text.contains("is stopped"),
        "{text}"
    );
}

#[test]
fn flat_prefixed_tools_are_supported() {
    let tools = vec![
        json!({"type": "function", "name": "mcp__ct__team_start"}),
        json!({"type": "function", "name": "mcp__ct__task_create"}),
    ];
    let reply = next(&request(tools, "use agents team: go", &[]), &small());
    let (name, ns, _) = only_call(&reply);
    assert_eq!((name, ns), ("mcp__ct__team_start", None));
}

#[test]
fn without_team_tools_the_model_just_answers() {
    let reply = next(
        &request(vec![exec_command()], "use agents team: go", &[]),
        &small(),
    );
    assert_eq!(reply.who, Who::Plain);
    only_message(&reply);
}

#[test]
fn call_ids_are_fresh_within_a_conversation() {
    let h = [("team_start", Some(NS), json!({"goal": "g"}), started())];
    let reply = next(&request(lead_tools(), "use agents team: g", &h), &small());
    match &reply.items[0] {
        Item::FunctionCall { call_id, .. } => assert_eq!(call_id, "call_2"),
        other => panic!("{other:?}"),
    }
    let item = reply.items[0].to_json(7);
    assert_eq!(item["namespace"], NS);
    assert!(item["arguments"].is_string());
}

/// A namespace whose tools declare their arguments (as the real server's schemas do).
fn ns_tool_args(ns: &str, tools: &[(&str, &[&str])]) -> Value {
    let tools: Vec<Value> = tools
        .iter()
        .map(|(n, args)| {
            let props: Map<String, Value> = args
                .iter()
                .map(|a| (a.to_string(), json!({"type": "string"})))
                .collect();
            json!({"type": "function", "name": n, "parameters": {"type": "object", "properties": props}})
        })
        .collect();
    json!({"type": "namespace", "name": ns, "description": "", "tools": tools})
}

#[test]
fn lead_starts_team_board_and_workers_in_one_call_then_waits_for_the_board() {
    let tools = vec![
        exec_command(),
        ns_tool_args(
            NS,
            &[
                ("team_start", &["goal", "profile", "tasks", "spawn"]),
                ("team_status", &[]),
                ("team_spawn", &["role", "brief"]),
                ("task_create", &["tasks", "spawn"]),
                ("team_pull_inbox", &["ack", "wait_ms", "wait_all"]),
                ("team_finalize", &["summary"]),
            ],
        ),
    ];
    let prompt = "use agents team: fix the pager";
    let r = next(&request(tools.clone(), prompt, &[]), &small());
    let (name, _, args) = only_call(&r);
    assert_eq!(name, "team_start");
    assert_eq!(args["tasks"].as_array().map(Vec::len), Some(2), "{args}");
    assert_eq!(args["spawn"], true);
    // The board and its worker came back with the start: no task_create, no spawn.
    let mut start = started();
    let mut board = created(1);
    board["spawned"] =
        json!([{"agent_id": "agent_w", "role": "implementer", "runner": "codex-exec"}]);
    start["board"] = board;
    let history = [("team_start", Some(NS), args.clone(), start)];
    let r = next(&request(tools.clone(), prompt, &history), &small());
    let (name, _, wait) = only_call(&r);
    assert_eq!(name, "team_pull_inbox");
    assert_eq!(wait["wait_all"], true, "{wait}");
    // The board done: finalize.
    let done = json!({"messages": [], "acked": [], "board_done": true, "workers": 0,
                      "tasks": {"ready": 0, "blocked": 0, "claimed": 0, "done": 2, "failed": 0, "cancelled": 0}});
    let mut history = history.to_vec();
    history.push(("team_pull_inbox", Some(NS), wait.clone(), done));
    let r = next(&request(tools, prompt, &history), &small());
    assert_eq!(only_call(&r).0, "team_finalize");
}

#[test]
fn worker_works_the_task_its_brief_names_and_its_publish_closes_it_and_claims_the_next() {
    let plan = Script::parse(
        "tasks:\n  - {key: fix, title: Fix the pager, files: {src/p.rs: x}}\n  - {key: test, title: Test the pager, deps: [fix], read: [fix], files: {tests/p.rs: y}}\n",
        "test plan",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let tools = vec![
        exec_command(),
        ns_tool_args(
            NS,
            &[
                ("task_claim", &["task_id"]),
                ("task_update", &["task_id", "status", "artifact"]),
                (
                    "artifact_publish",
                    &["name", "content", "parent", "task_id"],
                ),
                ("artifact_read", &["ref"]),
                ("team_pull_inbox", &["ack", "wait_ms"]),
            ],
        ),
    ];
    let brief = "You are agent_w1, an implementer in codex-teams team team_1. Write code.\nYour task (claimed for you): task_a \"Fix the pager\"";
    let mut history: Vec<(&str, Option<&str>, Value, Value)> = Vec::new();
    let mut names = Vec::new();
    for _ in 0..10 {
        let r = next(&request(tools.clone(), brief, &history), &plan);
        let Item::FunctionCall {
            name,
            namespace,
            arguments,
            ..
        } = &r.items[0]
        else {
            break;
        };
        let name: &'static str = match name.as_str() {
            "exec_command" => "exec_command",
            "artifact_read" => "artifact_read",
            "artifact_publish" => "artifact_publish",
            other => panic!("unexpected call {other}: {names:?}"),
        };
        names.push(name);
        let out = match name {
            "artifact_publish" if arguments["task_id"] == "task_a" => json!({
                "ref": "art:fix@1", "artifact_id": "artv_1", "version": 1, "sha256": "x",
                "done": {"task_id": "task_a", "status": "done", "version": 3},
                "next": {"claimed": true, "task_id": "task_b", "title": "Test the pager", "inputs": ["art:fix@1"]},
                "unread": 0}),
            "artifact_publish" => {
                assert_eq!(arguments["task_id"], "task_b", "{arguments}");
                json!({"ref": "art:test@1", "artifact_id": "artv_2", "version": 1, "sha256": "y",
                       "done": {"task_id": "task_b", "status": "done", "version": 3},
                       "next": {"claimed": false, "reason": "no open tasks"}, "unread": 0})
            }
            "artifact_read" => json!({"ref": "art:fix@1", "content": "fixed"}),
            _ => json!("ok"),
        };
        let ns = namespace.as_ref().map(|_| NS);
        history.push((name, ns, arguments.clone(), out));
    }
    // No claim, no task_update, no inbox pull: work, publish, work, read, publish, stop.
    assert_eq!(
        names,
        [
            "exec_command",
            "artifact_publish",
            "exec_command",
            "artifact_read",
            "artifact_publish"
        ]
    );
    let r = next(&request(tools, brief, &history), &plan);
    assert!(only_message(&r).contains("2 task(s) completed"), "{r:?}");
}

#[test]
fn first_task_reads_the_brief_line() {
    let v = first_task("x\nYour task (claimed for you): task_9 \"Port \"a\" parser\": do it. Inputs: art:a@1, art:b@2")
        .unwrap_or_else(|| panic!("parsed"));
    assert_eq!(v["task_id"], "task_9");
    assert_eq!(v["title"], "Port \"a\" parser");
    assert_eq!(v["inputs"], json!(["art:a@1", "art:b@2"]));
    assert!(first_task("You are agent_1, a tester").is_none());
}
