//! A plain JSON-RPC client for `codex-teams serve-mcp` over a child process's stdio: no
//! MCP library, one JSON object per line, exactly what Codex sends. Used by `bench`, the
//! smoke runs and the multi-process tests, so they exercise the same path Codex does.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

pub struct StdioClient {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

/// What a `tools/call` returned: `Ok(structuredContent)` or `Err(structuredContent)` when
/// the tool reported an error (`isError: true`).
pub type ToolOutcome = std::result::Result<Value, Value>;

impl StdioClient {
    /// Starts `<exe> serve-mcp` with the database `db`, the extra environment `env` (worker
    /// credentials, or none for a lead) and `cwd`, and completes the MCP handshake.
    pub fn spawn(
        exe: &Path,
        db: &Path,
        env: &BTreeMap<String, String>,
        cwd: Option<&Path>,
    ) -> Result<StdioClient> {
        Self::spawn_with_stderr(exe, db, env, cwd, Stdio::null())
    }

    /// [`StdioClient::spawn`] with the server's stderr sent to `stderr` (a file, to read its
    /// logs) instead of discarded.
    pub fn spawn_with_stderr(
        exe: &Path,
        db: &Path,
        env: &BTreeMap<String, String>,
        cwd: Option<&Path>,
        stderr: Stdio,
    ) -> Result<StdioClient> {
        let mut cmd = Command::new(exe);
        cmd.arg("serve-mcp")
            .env("CODEX_TEAMS_DB", db)
            .env_remove("CODEX_TEAMS_TEAM_ID")
            .env_remove("CODEX_TEAMS_AGENT_ID")
            .env_remove("CODEX_TEAMS_AGENT_TOKEN")
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {} serve-mcp", exe.display()))?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin pipe"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout pipe"))?;
        let mut client = StdioClient {
            child,
            stdin: BufWriter::new(stdin),
            stdout: BufReader::new(stdout),
            next_id: 1,
        };
        client.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "codex-teams-stdio-client", "version": env!("CARGO_PKG_VERSION")}
            }),
        )?;
        client.notify("notifications/initialized", json!({}))?;
        Ok(client)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, message: &Value) -> Result<()> {
        serde_json::to_writer(&mut self.stdin, message)?;
        self.stdin.write_all(b"\n")?;
        self.stdin.flush().context("writing to serve-mcp")?;
        Ok(())
    }

    pub fn notify(&mut self, method: &str, params: Value) -> Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request without waiting for its reply (which later reads skip); returns its
    /// id, for example to cancel it with `notifications/cancelled`.
    pub fn send_request(&mut self, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        Ok(id)
    }

    /// Sends a request and returns its `result` (a JSON-RPC error is an `Err`).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.send_request(method, params)?;
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line)? == 0 {
                bail!("serve-mcp closed stdout while waiting for reply {id} to {method}");
            }
            let msg: Value = serde_json::from_str(line.trim())
                .with_context(|| format!("serve-mcp wrote a line that is not JSON: {line}"))?;
            if msg.get("id") != Some(&json!(id)) {
                continue; // a notification or log message
            }
            if let Some(err) = msg.get("error") {
                bail!("{method} failed: {err}");
            }
            return msg
                .get("result")
                .cloned()
                .ok_or_else(|| anyhow!("reply to {method} has no result: {msg}"));
        }
    }

    /// Calls a tool and returns its `structuredContent`.
    pub fn call(&mut self, tool: &str, arguments: Value) -> Result<ToolOutcome> {
        self.call_with_meta(tool, arguments, None)
    }

    /// Calls a tool with `params._meta` set, as Codex does (its thread and turn in
    /// `x-codex-turn-metadata`).
    pub fn call_with_meta(
        &mut self,
        tool: &str,
        arguments: Value,
        meta: Option<&Value>,
    ) -> Result<ToolOutcome> {
        let mut params = json!({"name": tool, "arguments": arguments});
        if let Some(meta) = meta {
            params["_meta"] = meta.clone();
        }
        let result = self.request("tools/call", params)?;
        let structured = result
            .get("structuredContent")
            .cloned()
            .ok_or_else(|| anyhow!("{tool} returned no structuredContent: {result}"))?;
        if result.get("isError") == Some(&Value::Bool(true)) {
            Ok(Err(structured))
        } else {
            Ok(Ok(structured))
        }
    }

    /// Calls a tool that must succeed.
    pub fn call_ok(&mut self, tool: &str, arguments: Value) -> Result<Value> {
        self.call(tool, arguments)?
            .map_err(|e| anyhow!("{tool} failed: {e}"))
    }

    /// Kills the server process at once (SIGKILL), as a crash would.
    pub fn kill(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Closes stdin (the end of the session) and waits for the server to exit.
    pub fn close(mut self) -> Result<std::process::ExitStatus> {
        drop(self.stdin);
        Ok(self.child.wait()?)
    }
}
