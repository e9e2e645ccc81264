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
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::args;
use crate::engine::error::{EngineError, Result};
use crate::engine::ids::{AgentId, DecisionId, TaskId, TeamId};
use crate::engine::runner::{ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_TEAM_ID, rollout};
use crate::engine::team::{Resume, SpawnRequest};
use crate::engine::wait::Pull;
use crate::engine::{Caller, Engine};
use crate::tools::{self, Audience};

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

fn parse<T: DeserializeOwned>(args: Value) -> Result<T> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names missing and unknown fields itself; for type errors the path does.
        let field = if path == "." {
            inner.split('`').nth(1).unwrap_or("arguments").to_string()
        } else {
            path
        };
        EngineError::invalid(field, inner)
    })
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| EngineError::Integrity(format!("serialising a result: {e}")))
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
        let out = self.run_tool(name, args, meta.as_ref(), cancelled);
        if name == "team_start" && out.is_ok() {
            // The team exists now: the session's requests so far are its lead's.
            self.meter_caller(meta.as_ref());
        }
        out
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
        let e = &self.engine;
        match name {
            "team_start" => {
                let a: args::TeamStart = parse(args)?;
                let resume = a
                    .team_id
                    .as_deref()
                    .map(|t| TeamId::parse("team_id", t))
                    .transpose()?;
                // The server that started (or resumed) a team already holds its lead role;
                // anyone else must show the lead secret.
                let who = match (&self.identity, &resume) {
                    (Identity::Lead(teams), Some(id))
                        if teams.lock().is_ok_and(|t| t.contains(id)) =>
                    {
                        Resume::AlreadyLead
                    }
                    _ => Resume::WithSecret(a.lead_secret.as_deref()),
                };
                let started = e.team_start(
                    &a.goal,
                    a.profile.as_deref(),
                    self.workspace.as_deref(),
                    resume.as_ref().map(|id| (id, who)),
                )?;
                if let Identity::Lead(teams) = &self.identity {
                    let id = TeamId::from_db(started.team_id.clone());
                    // A resumed lead starts its news now, not at the team's first event.
                    let cursor = e.news_cursor(&id)?;
                    if let Ok(mut cursors) = self.news_cursors.lock() {
                        cursors.entry(id.clone()).or_insert(cursor);
                    }
                    if let Ok(mut teams) = teams.lock()
                        && !teams.contains(&id)
                    {
                        teams.push(id);
                    }
                }
                if a.tasks.is_empty() {
                    if a.spawn {
                        return Err(EngineError::invalid(
                            "spawn",
                            "needs `tasks`: the workers are spawned for the board they create",
                        ));
                    }
                    return to_value(started);
                }
                // The board (and its workers) in the same call. Its tasks are task_create's
                // (their schema is shown once, there).
                let mut batch = Vec::with_capacity(a.tasks.len());
                for (i, t) in a.tasks.into_iter().enumerate() {
                    let task: crate::engine::board::NewTask = serde_json::from_value(t)
                        .map_err(|err| {
                            EngineError::invalid(
                                format!("tasks[{i}]"),
                                format!("{err}; a task is {{title, key?, deps?, detail?, size?, role?, priority?}}"),
                            )
                        })?;
                    batch.push(task);
                }
                let caller = self.caller(Some(&started.team_id))?;
                let board = create_board(e, &caller, &batch, a.spawn, meta)?;
                let mut out = to_value(started)?;
                out["board"] = board;
                Ok(out)
            }
            "team_status" => {
                let a: args::TeamOnly = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(e.team_status(&caller)?)
            }
            "team_spawn" => {
                let a: args::TeamSpawn = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let resume = a
                    .resume
                    .as_deref()
                    .map(|r| AgentId::parse("resume", r))
                    .transpose()?;
                to_value(e.team_spawn(
                    &caller,
                    &SpawnRequest {
                        role: &a.role,
                        brief: a.brief.as_deref(),
                        runner: a.runner.as_deref(),
                        justification: a.justification.as_deref(),
                        model: a.model.as_deref(),
                        meta,
                        resume: resume.as_ref(),
                    },
                )?)
            }
            "team_send" => {
                let a: args::TeamSend = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(e.team_send(&caller, &a.to, &a.body, a.idempotency_key.as_deref())?)
            }
            "team_broadcast" => {
                let a: args::TeamBroadcast = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(e.team_broadcast(&caller, &a.body, a.idempotency_key.as_deref())?)
            }
            "team_pull_inbox" => {
                let a: args::TeamPullInbox = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let news_after = match caller.is_lead() {
                    true => Some(
                        self.news_cursors
                            .lock()
                            .ok()
                            .and_then(|c| c.get(&caller.team_id).copied())
                            .unwrap_or(0),
                    ),
                    false => None,
                };
                let inbox = e.pull(
                    &caller,
                    &Pull {
                        ack: &a.ack,
                        max: a.max,
                        wait_ms: a.wait_ms,
                        news_after,
                        cancelled,
                        wait_all: a.wait_all,
                    },
                )?;
                // A cancelled call's result is never delivered: keep its news for the next.
                if let Some(cursor) = inbox.cursor
                    && !cancelled()
                    && let Ok(mut cursors) = self.news_cursors.lock()
                {
                    cursors.insert(caller.team_id.clone(), cursor);
                }
                to_value(inbox)
            }
            "task_create" => {
                let a: args::TaskCreate = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let batch = match (a.title, a.tasks.is_empty()) {
                    (Some(title), true) => vec![crate::engine::board::NewTask {
                        title,
                        detail: a.detail,
                        deps: a.deps,
                        size: a.size,
                        role: a.role,
                        priority: a.priority,
                        key: None,
                    }],
                    (None, false) => a.tasks,
                    (Some(_), false) => {
                        return Err(EngineError::invalid(
                            "tasks",
                            "give either `title` (one task) or `tasks` (a batch), not both",
                        ));
                    }
                    (None, true) => {
                        return Err(EngineError::invalid(
                            "title",
                            "missing; give `title` (one task) or `tasks` (a batch)",
                        ));
                    }
                };
                create_board(e, &caller, &batch, a.spawn, meta)
            }
            "task_list" => {
                let a: args::TaskList = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(e.task_list(&caller, a.status.as_deref(), a.cursor.as_deref(), a.limit)?)
            }
            "task_claim" => {
                let a: args::TaskClaim = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let id = a
                    .task_id
                    .as_deref()
                    .map(|t| TaskId::parse("task_id", t))
                    .transpose()?;
                to_value(e.task_claim(&caller, id.as_ref())?)
            }
            "task_update" => {
                let a: args::TaskUpdate = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let id = TaskId::parse("task_id", &a.task_id)?;
                to_value(e.task_update(
                    &caller,
                    &id,
                    &a.status,
                    a.version,
                    a.note.as_deref(),
                    a.artifact.as_deref(),
                )?)
            }
            "artifact_publish" => {
                let a: args::ArtifactPublish = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let task = a
                    .task_id
                    .as_deref()
                    .map(|t| TaskId::parse("task_id", t))
                    .transpose()?;
                let published =
                    e.artifact_publish(&caller, &a.name, &a.content, a.parent.as_deref())?;
                let Some(task) = task else {
                    return to_value(published);
                };
                // The task's result in the same call: the task done with this artifact, and
                // the caller's next task claimed, so a worker needs no more calls between
                // one task and the next.
                let done = e
                    .task_update(
                        &caller,
                        &task,
                        "done",
                        None,
                        None,
                        Some(&published.reference),
                    )
                    .map_err(|err| {
                        EngineError::Config(format!(
                            "published {} but task {task} was not marked done: {err}",
                            published.reference
                        ))
                    })?;
                // The task is done whatever happens next: a claim that fails (the board done
                // stopped this worker, say) is reported as no next task, with the reason.
                let next = e
                    .task_claim(&caller, None)
                    .unwrap_or_else(|err| crate::engine::board::Claimed::nothing(err.to_string()));
                let unread = e.unread_count(&caller.agent_id)?;
                to_value(tools::PublishedDone {
                    published,
                    done: Some(done),
                    next: Some(next),
                    unread: Some(unread),
                })
            }
            "artifact_read" => {
                let a: args::ArtifactRead = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(e.artifact_read(&caller, &a.reference)?)
            }
            "team_finalize" => {
                let a: args::TeamFinalize = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let summary = e.team_finalize(&caller, a.summary.as_deref())?;
                if let Identity::Lead(teams) = &self.identity
                    && let Ok(mut teams) = teams.lock()
                {
                    teams.retain(|t| *t != caller.team_id);
                }
                to_value(summary)
            }
            "team_merge" => {
                let a: args::TeamMerge = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                to_value(team_merge(e, &caller, a)?)
            }
            "team_vote" => {
                let a: args::TeamVote = parse(args)?;
                let caller = self.caller(a.team_id.as_deref())?;
                let id = DecisionId::parse("decision_id", &a.decision_id)?;
                to_value(e.decision_vote(&caller, &id, &a.choice, &a.rationale)?)
            }
            other => Err(EngineError::invalid("name", format!("no tool `{other}`"))),
        }
    }
}

/// Starts `count` workers for a new batch (`task_create {spawn: true}`): the board and its
/// team in one call. Roles follow the batch's role-bound tasks in turn (implementer when
/// none is bound); the default runner and an empty brief (the role brief names the team).
/// Stops at the first refusal, which is returned beside the workers already started: the
/// tasks exist either way, so the call must not fail as a whole.
/// `task_create`'s work, also done by `team_start` with `tasks`: the batch, the planner's
/// recommendation for the board now, and with `spawn` the workers it recommends.
fn create_board(
    e: &Engine,
    caller: &Caller,
    batch: &[crate::engine::board::NewTask],
    spawn: bool,
    meta: Option<&Value>,
) -> Result<Value> {
    let created = e.task_create(caller, batch)?;
    let plan = e.recommend(&caller.team_id)?;
    let mut out = json!({ "tasks": created, "plan": plan });
    if spawn {
        let (spawned, error) = spawn_planned(e, caller, batch, plan.spawn, meta.cloned());
        if !spawned.is_empty() {
            out["spawned"] = to_value(spawned)?;
        }
        if let Some(err) = error {
            out["spawn_error"] = err.to_json();
        }
    }
    to_value(out)
}

fn spawn_planned(
    e: &Engine,
    caller: &Caller,
    batch: &[crate::engine::board::NewTask],
    count: u32,
    meta: Option<Value>,
) -> (Vec<crate::engine::team::Spawned>, Option<EngineError>) {
    let roles: Vec<&str> = batch.iter().filter_map(|t| t.role.as_deref()).collect();
    let mut spawned = Vec::new();
    for i in 0..count as usize {
        let role = roles
            .get(i % roles.len().max(1))
            .copied()
            .unwrap_or("implementer");
        let request = SpawnRequest {
            role,
            brief: None,
            runner: None,
            justification: None,
            model: None,
            meta: meta.as_ref(),
            resume: None,
        };
        match e.team_spawn(caller, &request) {
            Ok(s) => spawned.push(s),
            Err(err) => return (spawned, Some(err)),
        }
    }
    (spawned, None)
}

/// `team_merge` is three calls in one: open (`candidates`), poll (`decision_id`), and
/// override (`decision_id` + `choice`). Arguments that belong to another form are refused.
fn team_merge(
    e: &Engine,
    caller: &Caller,
    a: args::TeamMerge,
) -> Result<crate::engine::arbitration::DecisionView> {
    let Some(raw) = a.decision_id.as_deref() else {
        if a.choice.is_some() {
            return Err(EngineError::invalid(
                "choice",
                "only with decision_id (to override an open decision)",
            ));
        }
        return e.decision_open(
            caller,
            &a.candidates,
            a.mode.as_deref(),
            a.question.as_deref(),
        );
    };
    let id = DecisionId::parse("decision_id", raw)?;
    for (field, given) in [
        ("candidates", !a.candidates.is_empty()),
        ("mode", a.mode.is_some()),
        ("question", a.question.is_some()),
    ] {
        if given {
            return Err(EngineError::invalid(
                field,
                "only when opening a decision; with decision_id pass at most `choice`",
            ));
        }
    }
    match a.choice.as_deref() {
        Some(choice) => e.decision_override(caller, &id, choice),
        None => e.decision_state(caller, &id),
    }
}

/// Whether a call runs on the async worker that received it rather than on a blocking
/// thread. Calls that only touch the database finish in well under a millisecond, and the
/// hand-off to a blocking thread and back (two thread wake-ups) cost about as much as the
/// call itself. Calls that may wait (a long-poll pull, which also ends early when the client
/// cancels it) or start and stop processes (spawn, `task_create {spawn}`, finalize) or run
/// an arbitration keep to the blocking pool. (A status or update
/// call that triggers an early or idle stop may signal a worker and wait out its grace
/// period; the runtime's other worker keeps the session going meanwhile.)
fn runs_inline(name: &str, args: &Value) -> bool {
    let waits = args
        .get("wait_ms")
        .and_then(Value::as_i64)
        .is_some_and(|w| w > 0);
    let spawns = args.get("spawn").and_then(Value::as_bool) == Some(true);
    !waits
        && !spawns
        && matches!(
            name,
            "team_send"
                | "team_broadcast"
                | "team_status"
                | "team_pull_inbox"
                | "task_list"
                | "task_claim"
                | "task_update"
                | "task_create"
                | "artifact_read"
        )
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
                if matches!(closing_call.as_str(), "task_update" | "artifact_publish")
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
