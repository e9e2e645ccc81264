//! The `serve-mcp` server: one per Codex process, over stdio. It knows who it acts for —
//! a worker (from the credentials in its environment) or the lead of the teams it started —
//! lists only the tools that identity may use, and hands every call to the engine: quick
//! ones on the async worker that read them, ones that may wait on a blocking thread (see
//! `runs_inline`). Every result is compact JSON in `structuredContent`; every failure is
//! a tool error whose JSON names the problem (`error`, `message`, and `field` or `details`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

use crate::engine::error::{EngineError, Result};
use crate::engine::ids::{AgentId, TeamId};
use crate::engine::runner::{ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_TEAM_ID, rollout};
use crate::engine::team::Resume;
use crate::engine::{Caller, Engine};
use crate::tools::{self, Audience, Threading};

/// Whom this server acts for.
#[derive(Debug)]
pub enum Identity {
    /// No worker credentials: the lead of the teams this server starts or resumes.
    Lead(Mutex<Vec<TeamId>>),
    /// A worker, authenticated by its team id, agent id and secret.
    Worker {
        team_id: TeamId,
        agent_id: AgentId,
        token: String,
    },
}

impl Identity {
    /// Reads worker credentials from the environment; none at all means lead. A partial
    /// set is an error, so a misconfigured worker never silently acts as a lead.
    pub fn from_env() -> Result<Identity> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (get(ENV_TEAM_ID), get(ENV_AGENT_ID), get(ENV_AGENT_TOKEN)) {
            (None, None, None) => Ok(Identity::Lead(Mutex::new(Vec::new()))),
            (Some(team), Some(agent), Some(token)) => Ok(Identity::Worker {
                team_id: TeamId::parse(ENV_TEAM_ID, &team)?,
                agent_id: AgentId::parse(ENV_AGENT_ID, &agent)?,
                token,
            }),
            _ => Err(EngineError::Config(format!(
                "worker credentials are incomplete: set all of {ENV_TEAM_ID}, {ENV_AGENT_ID}, {ENV_AGENT_TOKEN} (from team_spawn's env), or none to act as lead"
            ))),
        }
    }

    pub fn is_lead(&self) -> bool {
        matches!(self, Identity::Lead(_))
    }
}

struct Inner {
    engine: Arc<Engine>,
    identity: Identity,
    workspace: Option<PathBuf>,
    /// The Codex home of the session that started this server: where its rollout file is.
    codex_home: Option<PathBuf>,
    /// The Codex threads whose requests this server has charged (its calling session's),
    /// read once more when the session ends.
    threads: Mutex<BTreeSet<String>>,
    /// Lead only: per team, where the next pull's news starts (see engine::wait).
    news_cursors: Mutex<HashMap<TeamId, i64>>,
}

/// Never cancelled: calls made outside an MCP request.
fn not_cancelled() -> bool {
    false
}

#[derive(Clone)]
pub struct TeamServer {
    inner: Arc<Inner>,
}

impl TeamServer {
    /// Builds a server. A worker identity is checked against the store now, so a wrong
    /// secret fails at start-up with a clear message rather than on the first call.
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
            engine.worker_caller(team_id, agent_id, token)?;
        }
        let inner = Arc::new(Inner {
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
fn start_ticker(inner: std::sync::Weak<Inner>) {
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

/// What a tool's handler gets: the engine, the caller's identity (through [`Ctx::caller`]),
/// the request's `_meta` and its cancellation.
pub struct Ctx<'a> {
    inner: &'a Inner,
    /// The calling request's `_meta` (Codex puts the session's model and thread there).
    pub meta: Option<&'a Value>,
    /// True once the client cancelled the call: a long wait polls it and ends.
    pub cancelled: &'a dyn Fn() -> bool,
}

impl<'a> Ctx<'a> {
    pub fn engine(&self) -> &'a Engine {
        &self.inner.engine
    }

    /// The caller of a request that may name a team: this worker, or the lead of the team
    /// (the only one it leads when `team` is None).
    pub fn caller(&self, team: Option<&str>) -> Result<Caller> {
        self.inner.caller(team)
    }

    /// The workspace teams started here work in.
    pub fn workspace(&self) -> Option<&'a Path> {
        self.inner.workspace.as_deref()
    }

    /// How this server may resume team `id`: the server that started (or resumed) it
    /// already holds its lead role; anyone else must show the lead secret.
    pub fn resume_as<'s>(&self, id: &TeamId, secret: Option<&'s str>) -> Resume<'s> {
        match &self.inner.identity {
            Identity::Lead(teams) if teams.lock().is_ok_and(|t| t.contains(id)) => {
                Resume::AlreadyLead
            }
            _ => Resume::WithSecret(secret),
        }
    }

    /// A lead server started or resumed team `id`: it now leads it, and its news starts
    /// now (a resumed lead's not at the team's first event). Nothing for a worker.
    pub fn lead_started(&self, id: TeamId) -> Result<()> {
        if let Identity::Lead(teams) = &self.inner.identity {
            let cursor = self.inner.engine.news_cursor(&id)?;
            if let Ok(mut cursors) = self.inner.news_cursors.lock() {
                cursors.entry(id.clone()).or_insert(cursor);
            }
            if let Ok(mut teams) = teams.lock()
                && !teams.contains(&id)
            {
                teams.push(id);
            }
        }
        Ok(())
    }

    /// Charges the calling session's requests so far again (the server charges them once
    /// before every call): `team_start` does, once the team they belong to exists.
    pub fn meter_session(&self) {
        self.inner.meter_caller(self.meta);
    }

    /// Team `id` is finalized: this server no longer leads it.
    pub fn lead_left(&self, id: &TeamId) {
        if let Identity::Lead(teams) = &self.inner.identity
            && let Ok(mut teams) = teams.lock()
        {
            teams.retain(|t| t != id);
        }
    }

    /// Where the lead's next pull's news of `team` starts (see engine::wait).
    pub fn news_after(&self, team: &TeamId) -> i64 {
        self.inner
            .news_cursors
            .lock()
            .ok()
            .and_then(|c| c.get(team).copied())
            .unwrap_or(0)
    }

    /// The lead has been given the news of `team` up to `cursor`.
    pub fn news_seen(&self, team: &TeamId, cursor: i64) {
        if let Ok(mut cursors) = self.inner.news_cursors.lock() {
            cursors.insert(team.clone(), cursor);
        }
    }
}

impl Inner {
    /// Resolves the caller for a request that may name a team.
    fn caller(&self, team_arg: Option<&str>) -> Result<Caller> {
        match &self.identity {
            Identity::Worker {
                team_id,
                agent_id,
                token,
            } => {
                if let Some(t) = team_arg
                    && TeamId::parse("team_id", t)? != *team_id
                {
                    return Err(EngineError::Forbidden(format!(
                        "this worker belongs to team {team_id}; it cannot act in team {t}"
                    )));
                }
                let caller = self.engine.worker_caller(team_id, agent_id, token)?;
                self.engine.touch(&caller)?;
                Ok(caller)
            }
            Identity::Lead(teams) => {
                let teams = teams.lock().map(|t| t.clone()).unwrap_or_default();
                let team = match team_arg {
                    Some(t) => {
                        let id = TeamId::parse("team_id", t)?;
                        if !teams.contains(&id) {
                            return Err(EngineError::Forbidden(format!(
                                "this server is not the lead of team {id}; hint: team_start {{goal, team_id: \"{id}\", lead_secret}} resumes it with the lead_secret team_start returned"
                            )));
                        }
                        id
                    }
                    None => match teams.as_slice() {
                        [one] => one.clone(),
                        [] => {
                            return Err(EngineError::invalid(
                                "team_id",
                                "no active team; call team_start first",
                            ));
                        }
                        many => {
                            return Err(EngineError::invalid(
                                "team_id",
                                format!(
                                    "this lead has {} active teams; pass team_id (one of {})",
                                    many.len(),
                                    many.iter()
                                        .map(|t| t.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ));
                        }
                    },
                };
                self.engine.lead_caller(&team)
            }
        }
    }

    /// Charges the calling session's requests so far, from its rollout file. The session's
    /// thread comes from the call's `_meta`; a lead's is charged to the team it started
    /// last, a worker's to the worker. Metering never fails a call: problems are logged.
    fn meter_caller(&self, meta: Option<&Value>) {
        let Some((thread, turn)) = meta.and_then(rollout::thread_from_meta) else {
            return;
        };
        let e = &self.engine;
        let owner = match &self.identity {
            Identity::Worker {
                team_id, agent_id, ..
            } => Some((team_id.clone(), agent_id.clone())),
            Identity::Lead(teams) => teams
                .lock()
                .ok()
                .and_then(|t| t.last().cloned())
                .and_then(|team| Some((team.clone(), e.lead_caller(&team).ok()?.agent_id))),
        };
        let Some((team, agent)) = owner else {
            return;
        };
        let metered = e
            .watch_thread(
                &team,
                &agent,
                &thread,
                self.codex_home.as_deref(),
                turn.as_deref(),
            )
            .and_then(|_| e.meter_thread(&thread));
        if let Err(err) = metered {
            tracing::warn!(team_id = %team, agent_id = %agent, thread, error = %err, "metering the caller's requests failed");
        }
        if let Ok(mut threads) = self.threads.lock() {
            threads.insert(thread);
        }
    }

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

impl ServerHandler for TeamServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("codex-teams", env!("CARGO_PKG_VERSION")),
        )
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
        let closing_call = name.clone();
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
        let result = match outcome {
            Ok(value) => {
                // A call that finished the worker's last task may have stopped it (early
                // stop): answered, its Codex would send one more request that the signal
                // cuts off. Held like a refused call, it ends with the process.
                if tools::spec(&closing_call).is_some_and(|t| t.ends_work)
                    && self.inner.being_stopped()
                {
                    tokio::time::sleep(STOPPED_HOLD).await;
                }
                CallToolResult::structured(value)
            }
            Err((name, err)) => {
                tracing::warn!(tool = %name, code = err.code(), error = %err, elapsed_us = started.elapsed().as_micros() as u64, "tool call failed");
                if self.inner.being_stopped() {
                    // Answering would let the worker's Codex send one more model request,
                    // which the stop's signal then cuts off after the model served it:
                    // paid for, never recorded. Held, the call ends with the process.
                    tokio::time::sleep(STOPPED_HOLD).await;
                }
                CallToolResult::structured_error(err.to_json())
            }
        };
        Ok(result.into())
    }
}

/// How long a call of a worker that is being stopped is held before its error is answered:
/// longer than a stop takes (the wait for an in-flight request, then SIGTERM and the grace
/// before SIGKILL), so the process ends first.
const STOPPED_HOLD: std::time::Duration = std::time::Duration::from_secs(20);

impl Inner {
    /// True for a `codex-exec` worker whose record says it was stopped: its process is about
    /// to be signalled.
    fn being_stopped(&self) -> bool {
        let Identity::Worker { agent_id, .. } = &self.identity else {
            return false;
        };
        self.engine.stopped_under_runner(agent_id)
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
