//! The `serve-mcp` server: one per Codex process, over stdio. It knows who it acts for —
//! a worker (from the credentials in its environment) or the lead of the teams it started —
//! lists only the tools that identity may use, and hands every call to the engine: quick
//! ones on the async worker that read them, ones that may wait on a blocking thread (see
//! `runs_inline`). Every result is compact JSON in `structuredContent`; every failure is
//! a tool error whose JSON names the problem (`error`, `message`, and `field` or `details`).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

use crate::engine::Engine;
use crate::engine::error::{EngineError, Result};
use crate::engine::ids::TeamId;
use crate::engine::runner::rollout;
use crate::session::{Ctx, Identity, Session};
use crate::tools::{self, Audience, Threading};

/// Never cancelled: calls made outside an MCP request.
fn not_cancelled() -> bool {
    false
}

#[derive(Clone)]
pub struct TeamServer {
    inner: Arc<Session>,
}

impl TeamServer {
    /// Builds a server. A worker identity is checked against the store now (and the worker
    /// marked active), so a wrong secret fails at start-up with a clear message rather than
    /// on the first call.
    pub fn new(
        engine: Arc<Engine>,
        identity: Identity,
        workspace: Option<PathBuf>,
    ) -> Result<Self> {
        if let Identity::Worker {
            team_id,
            agent_id,
            token,
        } = &identity
        {
            engine.worker_server_started(team_id, agent_id, token)?;
        }
        // Only a worker whose process the engine signals (runner `codex-exec`) has its
        // answers held while it is being stopped; the runner of an agent never changes.
        let held_on_stop = match &identity {
            Identity::Worker {
                team_id, agent_id, ..
            } => engine
                .agents(team_id)?
                .iter()
                .any(|a| a.agent_id == agent_id.as_str() && a.runner == "codex-exec"),
            Identity::Lead(_) => false,
        };
        let inner = Arc::new(Session {
            held_on_stop,
            engine,
            identity,
            workspace,
            codex_home: rollout::parent_codex_home(),
            threads: Mutex::new(BTreeSet::new()),
            news_cursors: Mutex::new(HashMap::new()),
        });
        if inner.identity.is_lead() {
            start_ticker(Arc::downgrade(&inner));
        }
        Ok(TeamServer { inner })
    }

    /// The server of a lead that shows its team's lead credential over HTTP: it leads that
    /// team, and its news starts now.
    pub fn lead_of(engine: Arc<Engine>, team: TeamId, workspace: Option<PathBuf>) -> Result<Self> {
        let server = TeamServer::new(engine, Identity::Lead(Mutex::new(Vec::new())), workspace)?;
        server.inner.lead_started(team)?;
        Ok(server)
    }

    /// The calling session has ended (its Codex process exited): charge the requests it
    /// made after its last tool call (for a lead, the closing answer).
    pub fn session_ended(&self) {
        let threads = self
            .inner
            .threads
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        for thread in threads {
            if let Err(err) = self.inner.engine.meter_thread(&thread) {
                tracing::warn!(thread, error = %err, "metering the session's last requests failed");
            }
        }
    }

    /// The tool list this server's identity sees.
    pub fn tools(&self) -> Vec<Tool> {
        tools::visible(self.inner.identity.is_lead())
            .into_iter()
            .map(|(name, description, schema)| Tool::new(name, description, Arc::new(schema)))
            .collect()
    }

    /// Runs one tool call to completion on the calling thread (blocking).
    pub fn call_blocking(&self, name: &str, args: Value) -> std::result::Result<Value, Value> {
        self.inner
            .dispatch(name, args, None, &not_cancelled)
            .map_err(|e| e.to_json())
    }
}

/// How often the lead's server runs housekeeping for its teams.
pub const HOUSEKEEPING_TICK: std::time::Duration = std::time::Duration::from_millis(500);

/// The housekeeping ticker: a thread of the lead's server that, every
/// [`HOUSEKEEPING_TICK`], runs [`Engine::housekeeping`] for each team this server leads
/// (lease sweep, dead and idle workers, early stop, the board cache). Stops and their grace
/// periods wait here, never on a request thread, and `team_status` stays a read. Ends
/// when the server is dropped.
fn start_ticker(inner: std::sync::Weak<Session>) {
    let spawned = std::thread::Builder::new()
        .name("codex-teams-housekeeping".into())
        .spawn(move || {
            loop {
                std::thread::sleep(HOUSEKEEPING_TICK);
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                let teams = match &inner.identity {
                    Identity::Lead(teams) => teams.lock().map(|t| t.clone()).unwrap_or_default(),
                    Identity::Worker { .. } => Vec::new(),
                };
                let mut scanned = false;
                for team in teams {
                    // Requests finished while a worker runs a long shell command reach its
                    // rollout file after the event that started the command: without this
                    // they would be charged (and the budget enforced) only at its next event.
                    if let Err(err) = inner.engine.meter_team(&team) {
                        tracing::warn!(team_id = %team, error = %err, "metering failed");
                    }
                    match inner.engine.housekeeping(&team) {
                        Ok(done) => scanned |= done.board_scanned,
                        Err(err) => {
                            tracing::warn!(team_id = %team, error = %err, "housekeeping failed")
                        }
                    }
                }
                // A board scan frees megabytes at 10,000 tasks; without this the allocator
                // keeps them (issue 10: the lead grew from 26 to 51 MB with the board).
                if scanned {
                    crate::platform::memory::release_free();
                }
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "could not start the housekeeping thread");
    }
}

impl Session {
    fn dispatch(
        &self,
        name: &str,
        args: Value,
        meta: Option<Value>,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Value> {
        // Usage first, so that what this call reports or decides (status, finalize,
        // budgets) includes the request that made it.
        self.meter_caller(meta.as_ref());
        self.run_tool(name, args, meta.as_ref(), cancelled)
    }

    fn run_tool(
        &self,
        name: &str,
        args: Value,
        meta: Option<&Value>,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Value> {
        let spec = tools::spec(name).ok_or_else(|| {
            EngineError::invalid("name", format!("no tool `{name}`; see tools/list"))
        })?;
        if spec.audience == Audience::Lead && !self.identity.is_lead() {
            return Err(EngineError::Forbidden(format!(
                "`{name}` is a lead-only tool; hint: ask the lead via team_send"
            )));
        }
        (spec.call)(
            &Ctx {
                inner: self,
                meta,
                cancelled,
            },
            args,
        )
    }
}

/// Whether a call runs on the async worker that received it rather than on a blocking
/// thread. Calls that only touch the database finish in well under a millisecond, and the
/// hand-off to a blocking thread and back (two thread wake-ups) cost about as much as the
/// call itself. Calls that may wait (a long-poll pull, which also ends early when the client
/// cancels it) or start and stop processes (spawn, `task_create {spawn}`, finalize) or run
/// an arbitration keep to the blocking pool. Each tool's `SPEC` says which it is
/// ([`Threading`]); an unknown tool's error is made on the blocking pool. (A status or update
/// call that triggers an early or idle stop may signal a worker and wait out its grace
/// period; the runtime's other worker keeps the session going meanwhile.)
fn runs_inline(name: &str, args: &Value) -> bool {
    let waits = args
        .get("wait_ms")
        .and_then(Value::as_i64)
        .is_some_and(|w| w > 0);
    let spawns = args.get("spawn").and_then(Value::as_bool) == Some(true);
    !waits && !spawns && tools::spec(name).is_some_and(|t| t.threading == Threading::Inline)
}

/// What `initialize` answers, over stdio and over HTTP.
pub(crate) fn server_info() -> ServerConfig {
    ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
        Implementation::new("codex-teams", env!("CARGO_PKG_VERSION")),
    )
}

impl ServerHandler for TeamServer {
    fn get_info(&self) -> ServerConfig {
        server_info()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        // Codex puts the calling session's model in `_meta` (model inheritance).
        let meta = request
            .meta
            .as_ref()
            .map(|m| Value::Object(m.0.0.clone()))
            .or_else(|| Some(Value::Object(context.meta.0.0.clone())))
            .filter(|m| m.as_object().is_some_and(|o| !o.is_empty()));
        let args = Value::Object(request.arguments.unwrap_or_default());
        let inner = self.inner.clone();
        let started = std::time::Instant::now();
        let outcome = if runs_inline(&name, &args) {
            inner
                .dispatch(&name, args, meta, &not_cancelled)
                .map_err(|e| (name, e))
        } else {
            // `notifications/cancelled` for this request cancels `ct`: a long wait ends.
            let ct = context.ct.clone();
            tokio::task::spawn_blocking(move || {
                inner
                    .dispatch(&name, args, meta, &|| ct.is_cancelled())
                    .map_err(|e| (name, e))
            })
            .await
            .map_err(|e| McpError::internal_error(format!("tool task failed: {e}"), None))?
        };
        // A worker whose record says it was stopped is about to be signalled. Answered, its
        // Codex would send one more model request, which the signal then cuts off after the
        // model served it: paid for, never recorded. Held, the call ends with the process.
        // (Any call: the one that finished its last task, an error, or a long-poll that
        // returned as the stop was being written.)
        let hold = self.inner.being_stopped();
        let result = match outcome {
            Ok(value) => CallToolResult::structured(value),
            Err((name, err)) => {
                tracing::warn!(tool = %name, code = err.code(), error = %err, elapsed_us = started.elapsed().as_micros() as u64, "tool call failed");
                CallToolResult::structured_error(err.to_json())
            }
        };
        if hold {
            tokio::time::sleep(STOPPED_HOLD).await;
        }
        Ok(result.into())
    }
}

/// How long a call of a worker that is being stopped is held before it is answered:
/// longer than a stop takes (the wait for an in-flight request, then SIGTERM and the grace
/// before SIGKILL), so the process ends first.
const STOPPED_HOLD: std::time::Duration = std::time::Duration::from_secs(20);

impl Session {
    /// True for a `codex-exec` worker whose record says it was stopped: its process is about
    /// to be signalled.
    fn being_stopped(&self) -> bool {
        let Identity::Worker { agent_id, .. } = &self.identity else {
            return false;
        };
        self.held_on_stop && self.engine.stopped_under_runner(agent_id)
    }
}

#[cfg(test)]
mod tests {
    use super::runs_inline;
    use serde_json::json;

    #[test]
    fn inline_tools_run_inline_unless_they_wait_or_spawn() {
        assert!(runs_inline("team_status", &json!({})));
        assert!(runs_inline("team_pull_inbox", &json!({ "wait_ms": 0 })));
        assert!(!runs_inline("team_pull_inbox", &json!({ "wait_ms": 5 })));
        assert!(runs_inline("task_create", &json!({ "title": "t" })));
        assert!(!runs_inline(
            "task_create",
            &json!({ "title": "t", "spawn": true })
        ));
        // An Inline tool given either argument (which it then refuses) still goes to the pool.
        assert!(!runs_inline("team_send", &json!({ "spawn": true })));
    }

    #[test]
    fn blocking_and_unknown_tools_go_to_the_pool() {
        for name in [
            "team_start",
            "team_spawn",
            "artifact_publish",
            "team_finalize",
        ] {
            assert!(!runs_inline(name, &json!({})), "{name}");
        }
        assert!(!runs_inline("team_merge", &json!({})));
        assert!(!runs_inline("team_vote", &json!({})));
        assert!(!runs_inline("no_such_tool", &json!({})));
    }
}
