//! `bench --engine-only --http`: the per-call latency of the team server over MCP
//! streamable HTTP on loopback (`serve-mcp --http`, docs/remote.md), measured like the
//! stdio figures beside it: the same calls (`team_status`, `team_send` to a worker), made by
//! the lead one after another after a warm-up, each timed from the client's send to its
//! answer. The client is rmcp's streamable-HTTP client on reqwest, the stack Codex uses,
//! with the team's lead credential as its bearer token.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::engine::store::HOME_ENV;
use crate::mcp::client::StdioClient;

/// The team server process; stopped (SIGTERM, then a kill) when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        crate::platform::signal(self.0.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `team_status` and `team_send` over HTTP: `calls` timed calls each after `warmup` rounds,
/// on a fresh database in `dir` (the servers' home). The samples, per tool; the engine
/// benchmark summarizes them as it does its own.
pub fn latency(
    exe: &Path,
    dir: &Path,
    calls: u32,
    warmup: u32,
) -> Result<BTreeMap<&'static str, Vec<Duration>>> {
    let db = dir.join("http.db");
    let mut env = BTreeMap::new();
    env.insert(HOME_ENV.to_string(), dir.display().to_string());
    // The team: a lead (its credential is the bearer token) and a worker to send to.
    let mut lead = StdioClient::spawn(exe, &db, &env, Some(dir))?;
    let started = lead.call_ok(
        "team_start",
        json!({ "goal": "codex-teams bench over http" }),
    )?;
    let secret = field(&started, "lead_secret")?;
    let spawned = lead.call_ok(
        "team_spawn",
        json!({ "role": "implementer", "runner": "external", "justification": "bench: the receiver" }),
    )?;
    let receiver = field(&spawned, "agent_id")?;
    lead.close()?;

    let mut child = Command::new(exe)
        .args(["serve-mcp", "--http", "127.0.0.1:0", "--db"])
        .arg(&db)
        .envs(&env)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting serve-mcp --http")?;
    let stdout = child.stdout.take();
    let served = Served(child);
    let mut url = String::new();
    if let Some(out) = stdout {
        BufReader::new(out)
            .read_line(&mut url)
            .context("reading the team server's URL")?;
    }
    let url = url.trim().to_string();
    if !url.starts_with("http://") {
        bail!("serve-mcp --http printed no URL (got {url:?})");
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let measured = runtime.block_on(async {
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(url.clone()).auth_header(secret),
        );
        let client =
            ().serve(transport)
                .await
                .with_context(|| format!("an MCP session with {url}"))?;
        for i in 0..warmup {
            call(&client, "team_status", json!({})).await?;
            call(
                &client,
                "team_send",
                json!({ "to": receiver, "body": format!("warm-up {i}") }),
            )
            .await?;
        }
        let mut out = BTreeMap::new();
        let mut status = Vec::with_capacity(calls as usize);
        for _ in 0..calls {
            let t = Instant::now();
            call(&client, "team_status", json!({})).await?;
            status.push(t.elapsed());
        }
        out.insert("team_status", status);
        let mut send = Vec::with_capacity(calls as usize);
        for i in 0..calls {
            let args = json!({ "to": receiver, "body": format!("latency {i}") });
            let t = Instant::now();
            call(&client, "team_send", args).await?;
            send.push(t.elapsed());
        }
        out.insert("team_send", send);
        let _ = client.cancel().await;
        Ok::<_, anyhow::Error>(out)
    });
    drop(served);
    measured
}

async fn call(client: &RunningService<RoleClient, ()>, tool: &str, args: Value) -> Result<Value> {
    let Value::Object(args) = args else {
        bail!("{tool}: arguments must be an object");
    };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args))
        .await
        .with_context(|| format!("{tool} over HTTP"))?;
    let value = result.structured_content.unwrap_or(Value::Null);
    if result.is_error == Some(true) {
        return Err(anyhow!("{tool} over HTTP failed: {value}"));
    }
    Ok(value)
}

fn field(v: &Value, name: &str) -> Result<String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| anyhow!("reply has no `{name}`: {v}"))
}
