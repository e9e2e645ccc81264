//! End-to-end over HTTP: the REAL Codex CLI runs as a worker whose only codex-teams server
//! is the team server at `serve-mcp --http 127.0.0.1:0`, declared in its config as
//! `url = ".../mcp"` with `bearer_token_env_var = "CODEX_TEAMS_AGENT_TOKEN"`, against the
//! mock model. It claims its task, publishes the result and finishes; the lead (over HTTP,
//! with its lead credential) sees the task done and finalizes; nothing is left running.
//!
//! Codex is found by `tests/common/codex.rs` (skipped without one locally, a failure in CI).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codex_teams::bench::harness::MOCK_KEY;
use codex_teams::bench::mock::{MockConfig, MockServer, Script};
use codex_teams::engine::roles::Role;
use common::home::TempHome;
use common::http::HttpServer;
use common::{str_of, text};
use serde_json::json;

/// The worker's Codex home: the mock model as provider, the team server by URL.
fn codex_home(dir: &Path, mock_port: u16, url: &str) {
    std::fs::create_dir_all(dir).expect("codex home");
    let config = format!(
        "{}\n\
         [mcp_servers.codex-teams]\n\
         url = \"{url}\"\n\
         bearer_token_env_var = \"CODEX_TEAMS_AGENT_TOKEN\"\n\
         default_tools_approval_mode = \"approve\"\n\
         required = true\n",
        codex_teams::bench::harness::mock_provider_toml(mock_port)
    );
    std::fs::write(dir.join("config.toml"), config).expect("config.toml");
}

#[test]
fn a_real_codex_worker_claims_publishes_and_finishes_through_the_http_team_server() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let home = TempHome::new();
    // The team, set up by a lead over stdio (as the local lead's Codex would).
    let mut lead = home.lead();
    let (started, task, spawned) = common::rpc::one_task_team(
        &mut lead,
        json!({"goal": "fix the pager over http"}),
        "external",
    );
    assert!(lead.close().expect("close the lead").success());
    let team_id = str_of(&started, "team_id");
    let agent_id = str_of(&spawned, "agent_id");
    let token = text(&spawned["env"]["CODEX_TEAMS_AGENT_TOKEN"]);

    let server = HttpServer::start(&home);
    let plan = Script::parse(
        "goal: fix the pager\ntasks:\n  - {key: fix, title: Fix the off-by-one in the pager, size: s}\n",
        "http e2e plan",
    )
    .expect("plan");
    let requests = home.path().join("mock-requests.jsonl");
    let mock = MockServer::start(
        0,
        MockConfig {
            script: plan,
            log: Some(requests.clone()),
            capture_dir: None,
        },
    )
    .expect("mock model");
    let worker_home = home.path().join("worker-codex-home");
    codex_home(&worker_home, mock.addr().port(), &server.url);

    // The worker's Codex: its only credential is the bearer token in its environment.
    let brief = Role::Implementer.brief(&team_id, &agent_id, "", false);
    let started_at = Instant::now();
    let mut child = Command::new(&codex)
        .args([
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-s",
            "workspace-write",
            "--disable",
            "multi_agent",
            "-c",
            "shell_environment_policy.exclude=[\"CODEX_TEAMS_AGENT_TOKEN\"]",
            "-",
        ])
        .current_dir(&home.workspace)
        .env("CODEX_HOME", &worker_home)
        .env(MOCK_KEY, "mock")
        .env("CODEX_TEAMS_AGENT_TOKEN", &token)
        .env_remove("OPENAI_API_KEY")
        .env_remove("CODEX_TEAMS_TEAM_ID")
        .env_remove("CODEX_TEAMS_AGENT_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start codex exec");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(brief.as_bytes())
        .expect("write the brief");
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the worker's Codex did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The team tools the worker's Codex called (its JSONL `mcp_tool_call` items).
    let calls: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<json::Value>(l).ok())
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "mcp_tool_call")
        .map(|e| {
            format!(
                "{}:{}",
                e["item"]["tool"].as_str().unwrap_or("?"),
                e["item"]["status"].as_str().unwrap_or("?")
            )
        })
        .collect();
    eprintln!(
        "worker over HTTP: {:.1} s, calls {calls:?}",
        started_at.elapsed().as_secs_f64()
    );
    assert!(status.success(), "codex exec failed:\n{stdout}\n{stderr}");
    for tool in ["task_claim", "artifact_publish"] {
        assert!(
            calls.iter().any(|c| c == &format!("{tool}:completed")),
            "the worker called {tool} over HTTP: {calls:?}\n{stdout}"
        );
    }

    // The task is done by this worker, with its result published.
    let conn = rusqlite::Connection::open(&home.db).expect("open db");
    common::home::assert_done_and_published(&conn, &task, &team_id, &agent_id, &stdout);

    // The lead, over HTTP with its credential, finalizes; the worker's token then stops.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use rmcp::ServiceExt;
        use rmcp::model::CallToolRequestParams;
        use rmcp::transport::StreamableHttpClientTransport;
        use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(server.url.clone())
                .auth_header(str_of(&started, "lead_secret")),
        );
        let lead = ().serve(transport).await.expect("lead over HTTP");
        let json::Value::Object(args) = json!({"summary": "pager fixed"}) else {
            unreachable!()
        };
        let done = lead
            .call_tool(CallToolRequestParams::new("team_finalize").with_arguments(args))
            .await
            .expect("finalize");
        assert_ne!(done.is_error, Some(true), "{done:?}");
        let _ = lead.cancel().await;
    });
    common::home::assert_finalized(&conn, &team_id);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    if std::env::var_os("CODEX_TEAMS_E2E_SHOW_LOG").is_some() {
        eprintln!("team server log:\n{stderr}");
    }
    for secret in [&token, &str_of(&started, "lead_secret")] {
        assert!(!stderr.contains(secret.as_str()), "a token in the log");
    }
}

use serde_json as json;
