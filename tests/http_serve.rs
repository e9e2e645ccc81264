//! `serve-mcp --http` on loopback (docs/remote.md): every request needs a bearer token that
//! is a live agent's; a refused request changes nothing in the store; a worker's token acts
//! as that worker only (no lead tools, no other team); a worker claims, publishes and
//! finishes a task over HTTP; the server binds loopback only unless told otherwise and
//! ends cleanly on SIGTERM.
//!
//! Teams are set up by a lead over stdio (as the local lead's Codex would), which is closed
//! before the HTTP server starts, so the server is the only process writing the store.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::home::TempHome;
use common::http::HttpServer;
use common::rpc::ok;
use common::{LEAD_ONLY_TOOLS, WORKER_TOOLS, exe, str_of, text};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

/// One raw HTTP/1.1 POST of an `initialize` request to `/mcp`: the status code and body.
fn raw_post(addr: &str, authorization: Option<&str>) -> (u16, String) {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "raw", "version": "0"}}
    })
    .to_string();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\n{auth}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut response = String::new();
    // A refusal is a complete small response; an accepted initialize may be an SSE stream:
    // the status line is what the tests need, so a read timeout ends the read.
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Every row the store keeps about teams, agents, work and events, as text (the agents'
/// last-activity time left out: a valid call refreshes it).
fn snapshot(home: &TempHome) -> Vec<String> {
    let conn = rusqlite::Connection::open(&home.db).expect("open db");
    let mut rows = Vec::new();
    for sql in [
        "SELECT * FROM teams ORDER BY team_id",
        "SELECT agent_id, team_id, role, state, stop_reason, token_hash FROM agents ORDER BY agent_id",
        "SELECT * FROM tasks ORDER BY task_id",
        "SELECT * FROM messages ORDER BY message_id",
        "SELECT * FROM deliveries ORDER BY message_id, agent_id",
        "SELECT * FROM artifacts ORDER BY artifact_id",
        "SELECT * FROM events ORDER BY seq",
    ] {
        let mut stmt = conn.prepare(sql).expect(sql);
        let n = stmt.column_count();
        let mut q = stmt.query([]).expect(sql);
        while let Some(row) = q.next().expect("row") {
            let cols: Vec<String> = (0..n)
                .map(|i| format!("{:?}", row.get_ref(i).expect("column")))
                .collect();
            rows.push(format!("{sql}: {}", cols.join("|")));
        }
    }
    rows
}

/// What the stdio lead set up: its team's lead secret, and the worker tokens of that team.
struct Team {
    team_id: String,
    lead_secret: String,
    workers: Vec<String>,
    task: String,
}

/// A team started over stdio with one task and `workers` external workers; the lead's
/// server is closed again, so only the HTTP server writes from here on.
fn team(home: &TempHome, workers: usize, finalize: bool) -> Team {
    let mut lead = home.lead();
    let started = ok(&mut lead, "team_start", json!({"goal": "serve over http"}));
    let created = ok(
        &mut lead,
        "task_create",
        json!({"title": "Write the thing", "size": "s"}),
    );
    let tokens = (0..workers)
        .map(|_| {
            let spawned = ok(
                &mut lead,
                "team_spawn",
                json!({"role": "implementer", "runner": "external", "justification": "http test"}),
            );
            text(&spawned["env"]["CODEX_TEAMS_AGENT_TOKEN"])
        })
        .collect();
    if finalize {
        ok(&mut lead, "team_finalize", json!({"summary": "done"}));
    }
    assert!(lead.close().expect("close the lead").success());
    Team {
        team_id: str_of(&started, "team_id"),
        lead_secret: str_of(&started, "lead_secret"),
        workers: tokens,
        task: text(&created["tasks"][0]["task_id"]),
    }
}

/// An MCP client over HTTP sending `token` as its bearer token.
async fn client(server: &HttpServer, token: &str) -> RunningService<RoleClient, ()> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url.clone()).auth_header(token),
    );
    ().serve(transport).await.expect("MCP session over HTTP")
}

/// Calls `tool`: Ok(structured result) or Err(the tool error's JSON).
async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Value,
) -> Result<Value, Value> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: transport error {e}"));
    let value = result.structured_content.unwrap_or(Value::Null);
    if result.is_error == Some(true) {
        Err(value)
    } else {
        Ok(value)
    }
}

async fn tool_names(client: &RunningService<RoleClient, ()>) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

#[test]
fn missing_wrong_revoked_and_finalized_tokens_are_refused_and_change_nothing() {
    let home = TempHome::new();
    let live = team(&home, 2, false);
    let done = team(&home, 1, true);
    // Revoke the second worker of the live team as a stop would.
    {
        let conn = rusqlite::Connection::open(&home.db).expect("open db");
        let changed = conn
            .execute(
                "UPDATE agents SET state = 'stopped', stop_reason = 'revoked' WHERE token_hash = ?1",
                [codex_teams::engine::team::token_hash(&live.workers[1])],
            )
            .expect("revoke");
        assert_eq!(changed, 1);
    }
    let server = HttpServer::start(&home);
    let addr = server.addr();
    let url = server.url.clone();
    let before = snapshot(&home);
    let bearer = |t: &str| format!("Bearer {t}");
    for (what, header, want) in [
        ("no header", None, 401),
        ("empty bearer", Some("Bearer ".to_string()), 401),
        ("not a bearer", Some("Basic dXNlcjpwdw==".to_string()), 401),
        (
            "wrong token",
            Some(bearer(
                "ctt_0000000000000000000000000000000000000000000000000000000000000000",
            )),
            401,
        ),
        (
            "a token with one character changed",
            Some(bearer(&format!(
                "{}x",
                &live.workers[0][..live.workers[0].len() - 1]
            ))),
            401,
        ),
        ("revoked worker", Some(bearer(&live.workers[1])), 403),
        (
            "worker of a finalized team",
            Some(bearer(&done.workers[0])),
            403,
        ),
        (
            "lead of a finalized team",
            Some(bearer(&done.lead_secret)),
            403,
        ),
    ] {
        let (status, body) = raw_post(&addr, header.as_deref());
        assert_eq!(status, want, "{what}: {body}");
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{what}: the refusal is JSON ({e}): {body}"));
        assert!(json["message"].is_string(), "{what}: {json}");
        for token in live.workers.iter().chain(&done.workers) {
            assert!(!body.contains(token.as_str()), "{what}: a token in {body}");
        }
    }
    // Another path than /mcp is not found, whatever the token.
    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");

    assert_eq!(
        snapshot(&home),
        before,
        "refused requests changed the store"
    );
    // A live token is let in (the control: the refusals above were about the tokens).
    let (status, _) = raw_post(&addr, Some(&bearer(&live.workers[0])));
    assert_eq!(status, 200);
    let (status, stderr) = server.stop();
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {stderr}"
    );
    for token in live.workers.iter().chain(&done.workers) {
        assert!(
            !stderr.contains(token.as_str()),
            "a token in the log: {stderr}"
        );
    }
    assert!(!stderr.contains(&done.lead_secret), "{stderr}");
    assert!(stderr.contains("refused an MCP request"), "{stderr}");
    assert!(
        stderr.contains(&format!("serving MCP over HTTP at {url}")),
        "the URL on stderr too: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_token_cannot_call_lead_tools_or_act_in_another_team() {
    let home = TempHome::new();
    let a = team(&home, 1, false);
    let b = team(&home, 0, false);
    let server = HttpServer::start(&home);
    let worker = client(&server, &a.workers[0]).await;

    let names = tool_names(&worker).await;
    for tool in WORKER_TOOLS {
        assert!(names.iter().any(|n| n == tool), "{tool} missing: {names:?}");
    }
    for tool in LEAD_ONLY_TOOLS {
        assert!(!names.iter().any(|n| n == tool), "{tool} listed: {names:?}");
    }
    // A first call marks the worker active: take that before the snapshot.
    call(&worker, "task_list", json!({}))
        .await
        .expect("task_list");
    let before = snapshot(&home);
    for (tool, args) in [
        (
            "team_spawn",
            json!({"role": "implementer", "runner": "external"}),
        ),
        ("task_create", json!({"title": "sneaky"})),
        ("team_finalize", json!({"summary": "taken over"})),
        ("team_merge", json!({"candidates": []})),
        ("team_start", json!({"goal": "a team of my own"})),
        (
            "team_start",
            json!({"goal": "x", "team_id": a.team_id, "lead_secret": "ctl_guess"}),
        ),
    ] {
        let err = call(&worker, tool, args).await.expect_err(tool);
        assert_eq!(err["error"], "forbidden", "{tool}: {err}");
    }
    // Another team named in the arguments.
    for (tool, args) in [
        ("task_list", json!({"team_id": b.team_id})),
        ("task_claim", json!({"team_id": b.team_id})),
        (
            "team_send",
            json!({"team_id": b.team_id, "to": "lead", "body": "hi"}),
        ),
        ("team_status", json!({"team_id": b.team_id})),
    ] {
        let err = call(&worker, tool, args).await.expect_err(tool);
        assert_eq!(err["error"], "forbidden", "{tool}: {err}");
    }
    // The lead of team B cannot act in team A either.
    let lead_b = client(&server, &b.lead_secret).await;
    let err = call(&lead_b, "task_list", json!({"team_id": a.team_id}))
        .await
        .expect_err("cross-team lead");
    assert_eq!(err["error"], "forbidden", "{err}");
    let err = call(
        &lead_b,
        "task_update",
        json!({"team_id": a.team_id, "task_id": a.task, "status": "done", "version": 1}),
    )
    .await
    .expect_err("cross-team update");
    assert_eq!(err["error"], "forbidden", "{err}");
    assert_eq!(snapshot(&home), before, "refused calls changed the store");

    let _ = worker.cancel().await;
    let _ = lead_b.cancel().await;
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_claims_publishes_and_finishes_over_http_and_its_lead_sees_it() {
    let home = TempHome::new();
    let a = team(&home, 1, false);
    let server = HttpServer::start(&home);
    let worker = client(&server, &a.workers[0]).await;

    let claim = call(&worker, "task_claim", json!({})).await.expect("claim");
    assert_eq!(claim["task_id"], a.task.as_str(), "{claim}");
    let published = call(
        &worker,
        "artifact_publish",
        json!({"name": "result.md", "content": "done over http"}),
    )
    .await
    .expect("publish");
    let reference = text(&published["ref"]);
    assert!(reference.starts_with("art:result.md@"), "{published}");
    call(
        &worker,
        "task_update",
        json!({"task_id": a.task, "status": "done", "version": claim["version"],
               "artifact": reference}),
    )
    .await
    .expect("update");

    // The lead credential acts as the team's lead over HTTP: it sees the work and ends
    // the team; the worker's token is refused from then on.
    let lead = client(&server, &a.lead_secret).await;
    let names = tool_names(&lead).await;
    for tool in LEAD_ONLY_TOOLS {
        assert!(names.iter().any(|n| n == tool), "{tool} missing: {names:?}");
    }
    let tasks = call(&lead, "task_list", json!({}))
        .await
        .expect("task_list");
    assert!(tasks.to_string().contains("done"), "{tasks}");
    let read = call(&lead, "artifact_read", json!({"ref": reference}))
        .await
        .expect("artifact_read");
    assert!(read.to_string().contains("done over http"), "{read}");
    call(&lead, "team_finalize", json!({"summary": "shipped"}))
        .await
        .expect("finalize");
    let (status, body) = raw_post(&server.addr(), Some(&format!("Bearer {}", a.workers[0])));
    assert_eq!(status, 403, "{body}");
    let (status, body) = raw_post(&server.addr(), Some(&format!("Bearer {}", a.lead_secret)));
    assert_eq!(status, 403, "{body}");

    let _ = worker.cancel().await;
    let _ = lead.cancel().await;
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn any_loopback_address_serves_with_its_own_host_header() {
    let home = TempHome::new();
    let a = team(&home, 1, false);
    // 127.0.0.2 is loopback on Linux (the whole 127/8); its Host header is that address.
    let server = HttpServer::start_at(&home, "127.0.0.2:0");
    let (status, body) = raw_post(&server.addr(), Some(&format!("Bearer {}", a.workers[0])));
    assert_eq!(status, 200, "{body}");
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}

/// `serve-mcp ARGS --db <home's db>` run to its end, stdin closed.
fn serve_mcp(home: &TempHome, args: &[&str]) -> std::process::Output {
    Command::new(exe())
        .arg("serve-mcp")
        .args(args)
        .arg("--db")
        .arg(&home.db)
        .envs(home.env())
        .stdin(Stdio::null())
        .output()
        .expect("run")
}

#[test]
fn a_non_loopback_address_needs_allow_remote() {
    let home = TempHome::new();
    let out = serve_mcp(&home, &["--http", "0.0.0.0:0"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing served: {:?}", out.stdout);
    // --allow-remote without --http is a usage error.
    let out = serve_mcp(&home, &["--allow-remote"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--http"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_engine_benchmark_times_calls_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let latency = codex_teams::bench::engine_http::latency(exe(), dir.path(), 20, 5)
        .expect("the HTTP latency run");
    for tool in ["team_status", "team_send"] {
        let samples = latency
            .get(tool)
            .unwrap_or_else(|| panic!("no {tool} samples"));
        assert_eq!(samples.len(), 20, "{tool}");
        assert!(samples.iter().all(|d| !d.is_zero()), "{tool}: {samples:?}");
    }
}
