//! Team lifecycle and agents: start (or resume), status, spawn, finalize, and resolving who
//! a caller is. The hard cap of six live workers is enforced here, counted in the database
//! inside the spawn transaction so concurrent spawns from several processes cannot pass it.

use std::collections::BTreeMap;
use std::path::Path;

use rand::RngCore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::budget::{Tokens, sum_tokens};
use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::fanout::{MIN_REQUESTS_PER_AGENT, Recommendation};
use crate::ids::{AgentId, TaskId, TeamId};
use crate::policy::{HARD_CAP, Profile};
use crate::roles::Role;
use crate::runner::{self, LaunchRequest};
use crate::store::{self, AgentState, TeamState, now_ms};
use crate::{Caller, Engine};

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TeamStarted {
    pub team_id: String,
    pub agent_id: String,
    pub profile: String,
    /// True when an existing team was picked up again (lead restart).
    pub resumed: bool,
    /// A new team's lead credential: keep it; `team_start {team_id, lead_secret}` needs it
    /// to resume the team from another session. Stored only as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_secret: Option<String>,
    pub plan: Recommendation,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AgentStatus {
    pub agent_id: String,
    pub role: String,
    /// starting | active | idle | stopped | dead; the lead of an ended team: finished
    pub state: ShownAgentState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub tokens: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AgentStatus {
    /// [`store::teams::AgentRow::is_live_worker`] on the shown row (a finished lead is no
    /// worker either way).
    pub fn is_live_worker(&self) -> bool {
        self.role != store::teams::LEAD_ROLE
            && matches!(self.state, ShownAgentState::Is(s) if s.is_live())
    }
}

/// An agent's state as `status` shows it: the stored [`AgentState`], or `finished` for the
/// lead of a finalized team (its row stays live: no worker's stop path ends it). Sent as
/// the one word, like the stored states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownAgentState {
    Is(AgentState),
    Finished,
}

impl ShownAgentState {
    const FINISHED: &'static str = "finished";

    pub fn as_str(self) -> &'static str {
        match self {
            ShownAgentState::Is(s) => s.as_str(),
            ShownAgentState::Finished => Self::FINISHED,
        }
    }

    /// Whether the agent will do nothing more: stopped, dead, or the lead of a finished team.
    pub fn has_ended(self) -> bool {
        matches!(
            self,
            ShownAgentState::Finished | ShownAgentState::Is(AgentState::Stopped | AgentState::Dead)
        )
    }
}

impl std::fmt::Display for ShownAgentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ShownAgentState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShownAgentState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        if word == Self::FINISHED {
            return Ok(ShownAgentState::Finished);
        }
        AgentState::parse(&word)
            .map(ShownAgentState::Is)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "agent state `{word}` is not one of {}, {}",
                    AgentState::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    Self::FINISHED
                ))
            })
    }
}

/// A plain string in schemas, as the stored states are.
impl JsonSchema for ShownAgentState {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <String as JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <String as JsonSchema>::json_schema(generator)
    }
}

pub use codex_teams_store::board::TaskCounts;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TeamStatus {
    pub team_id: String,
    /// active | finalized
    pub state: TeamState,
    pub profile: String,
    pub agents: Vec<AgentStatus>,
    pub tasks: TaskCounts,
    /// Messages waiting in the caller's inbox.
    pub unread: i64,
    pub tokens: Tokens,
    pub budget_left: i64,
    /// The fan-out recommendation for the work on the board now.
    pub plan: Recommendation,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Spawned {
    pub agent_id: String,
    pub role: String,
    pub runner: String,
    /// The model the worker runs (`None`: the same config default as the lead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// For the `external` runner: the environment that makes `codex-teams serve-mcp` act
    /// as this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunSummary {
    pub team_id: String,
    pub goal: String,
    pub profile: String,
    pub summary: Option<String>,
    pub agents: Vec<AgentStatus>,
    pub tasks: TaskCounts,
    pub messages: i64,
    pub artifacts: i64,
    pub tokens: Tokens,
    pub budget_left: i64,
    pub duration_ms: i64,
}

/// What the lead asks of `team_spawn`.
#[derive(Debug, Clone, Default)]
pub struct SpawnRequest<'a> {
    pub role: &'a str,
    pub brief: Option<&'a str>,
    pub runner: Option<&'a str>,
    /// Why the team needs more workers than the planner recommends.
    pub justification: Option<&'a str>,
    /// The model named in the call (first in the inheritance chain).
    pub model: Option<&'a str>,
    /// The calling request's `_meta` (Codex puts the lead's model there).
    pub meta: Option<&'a serde_json::Value>,
    /// Restart this dead or stopped worker (same agent id) with `codex exec resume`.
    pub resume: Option<&'a AgentId>,
}

/// Longest goal text a team accepts.
const GOAL_MAX_BYTES: usize = 8192;

/// The sha256 hex of an agent secret: what the database keeps instead of the secret.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ctt_{}", hex::encode(bytes))
}

/// A lead credential: like a worker token, with its own prefix so logs and redaction tell
/// them apart.
fn new_lead_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ctl_{}", hex::encode(bytes))
}

/// Who asks to resume a team: the server that already leads it, or a newcomer who must
/// show the lead secret.
#[derive(Debug, Clone, Copy)]
pub enum Resume<'a> {
    AlreadyLead,
    WithSecret(Option<&'a str>),
}

impl Engine {
    /// Starts a team with the caller as lead, or, given `resume`, picks an existing active
    /// team up again (a restarted lead).
    pub fn team_start(
        &self,
        goal: &str,
        profile_name: Option<&str>,
        workspace: Option<&Path>,
        resume: Option<(&TeamId, Resume<'_>)>,
    ) -> Result<TeamStarted> {
        if let Some((team_id, who)) = resume {
            let team = self
                .store()
                .read(|c| store::teams::team(c, team_id.as_str()))?;
            if team.state != TeamState::Active {
                return Err(EngineError::Forbidden(format!(
                    "team {team_id} is {}; hint: start a new team",
                    team.state
                )));
            }
            let lead = AgentId::from_db(team.lead_agent_id.clone());
            if let Resume::WithSecret(secret) = who {
                // Teams started before lead secrets existed have no hash: nothing to check.
                let expected = self
                    .store()
                    .read(|c| store::teams::liveness(c, team_id.as_str(), lead.as_str()))?
                    .token_hash;
                if let Some(expected) = expected.filter(|h| !h.is_empty())
                    && secret.map(token_hash).as_deref() != Some(expected.as_str())
                {
                    return Err(EngineError::Forbidden(format!(
                        "resuming team {team_id} needs its lead secret{}; hint: pass the `lead_secret` that team_start returned when the team began",
                        if secret.is_some() {
                            " (this one does not match)"
                        } else {
                            ""
                        }
                    )));
                }
            }
            self.store().write(|tx| {
                events::record(
                    tx,
                    &Trace::team(team_id).agent(&lead),
                    "team.resumed",
                    json!({}),
                )
            })?;
            let plan = self.recommend(team_id)?;
            return Ok(TeamStarted {
                team_id: team.team_id,
                agent_id: team.lead_agent_id,
                profile: team.profile,
                resumed: true,
                lead_secret: None,
                plan,
            });
        }
        let goal = goal.trim();
        if goal.is_empty() {
            return Err(EngineError::invalid(
                "goal",
                "empty; say what the team should achieve",
            ));
        }
        if goal.len() > GOAL_MAX_BYTES {
            return Err(EngineError::invalid(
                "goal",
                format!(
                    "{} bytes is over the {GOAL_MAX_BYTES}-byte limit; put details in tasks or an artifact",
                    goal.len()
                ),
            ));
        }
        if profile_name.is_some_and(|n| n.trim().is_empty()) {
            return Err(EngineError::invalid(
                "profile",
                "is empty; name a profile (default, fast, deep or one of yours) or leave it out for the default",
            ));
        }
        let env_profile = std::env::var(crate::policy::PROFILE_ENV).ok();
        let name = profile_name
            .or(env_profile.as_deref())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("default");
        let profile = Profile::load(name, &self.profile_dirs(workspace))?;
        let settings = serde_json::to_string(&profile)
            .map_err(|e| EngineError::Config(format!("profile {name}: {e}")))?;
        let team_id = TeamId::generate();
        let lead = AgentId::generate();
        let secret = new_lead_secret();
        let secret_hash = token_hash(&secret);
        let workspace_str = workspace.map(|w| w.display().to_string());
        self.store().write(|tx| {
            store::teams::insert_team(
                tx,
                &store::teams::NewTeam {
                    team_id: team_id.as_str(),
                    goal,
                    profile: &profile.name,
                    settings: &settings,
                    lead_agent_id: lead.as_str(),
                    lead_token_hash: &secret_hash,
                    workspace: workspace_str.as_deref(),
                    now: now_ms(),
                },
            )?;
            events::record(
                tx,
                &Trace::team(&team_id).agent(&lead),
                "team.started",
                json!({ "goal": goal, "profile": profile.name }),
            )
        })?;
        let plan = self.recommend(&team_id)?;
        Ok(TeamStarted {
            team_id: team_id.to_string(),
            agent_id: lead.to_string(),
            profile: profile.name,
            resumed: false,
            lead_secret: Some(secret),
            plan,
        })
    }

    /// The caller identity of a team's lead. A team's lead never changes, so it is read once
    /// per process.
    pub fn lead_caller(&self, team_id: &TeamId) -> Result<Caller> {
        let cached = self.leads.lock().ok().and_then(|m| m.get(team_id).cloned());
        let lead = match cached {
            Some(lead) => lead,
            None => {
                let lead = AgentId::from_db(
                    self.store()
                        .read(|c| store::teams::lead_of(c, team_id.as_str()))?,
                );
                if let Ok(mut m) = self.leads.lock() {
                    m.insert(team_id.clone(), lead.clone());
                }
                lead
            }
        };
        Ok(Caller {
            team_id: team_id.clone(),
            agent_id: lead,
            role: Role::Lead,
        })
    }

    /// Authenticates a worker from its credentials for the call of a team tool: marks it
    /// active (if it was starting or idle) and records its first call. Refuses wrong
    /// secrets, other teams' agents, stopped agents and finalized teams. One query, plus one
    /// write on a worker's first call (or its first after idling): this runs on every call
    /// a worker makes.
    pub fn worker_caller(
        &self,
        team_id: &TeamId,
        agent_id: &AgentId,
        token: &str,
    ) -> Result<Caller> {
        self.admit_worker(team_id, agent_id, token, true)
    }

    /// Authenticates a worker whose server is starting: marks it active, and is not a call
    /// (a worker that ends without ever calling a tool is told apart by that; see
    /// [`Engine::worker_exited`]). A wrong secret fails here, at start-up, with a clear
    /// message rather than on the first call.
    pub fn worker_server_started(
        &self,
        team_id: &TeamId,
        agent_id: &AgentId,
        token: &str,
    ) -> Result<Caller> {
        self.admit_worker(team_id, agent_id, token, false)
    }

    /// Checks a worker's credentials, marks it active if it was starting or idle, and for a
    /// tool `call` records its first one; writes only when one of those changes.
    fn admit_worker(
        &self,
        team_id: &TeamId,
        agent_id: &AgentId,
        token: &str,
        call: bool,
    ) -> Result<Caller> {
        let (caller, live) = self.check_worker(team_id, agent_id, token)?;
        let activate = matches!(live.state, AgentState::Starting | AgentState::Idle);
        if !activate && (live.called || !call) {
            return Ok(caller);
        }
        let now = now_ms();
        self.store().write(|tx| -> Result<_> {
            if store::teams::activate_agent(tx, agent_id.as_str(), now)? {
                events::record(
                    tx,
                    &Trace::team(team_id).agent(agent_id),
                    "agent.active",
                    json!({ "from": live.state }),
                )?;
            }
            if call {
                store::teams::record_first_call(tx, agent_id.as_str(), now)?;
            }
            Ok(())
        })?;
        Ok(caller)
    }

    /// Checks a worker's credentials and that it may act; changes nothing. Returns the
    /// caller and what the store holds of the agent.
    pub fn check_worker(
        &self,
        team_id: &TeamId,
        agent_id: &AgentId,
        token: &str,
    ) -> Result<(Caller, store::teams::Liveness)> {
        let live = self
            .store()
            .read(|c| store::teams::liveness(c, team_id.as_str(), agent_id.as_str()))
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => EngineError::Forbidden(format!(
                    "unknown agent {agent_id}; hint: check {}",
                    runner::ENV_AGENT_ID
                )),
                other => other.into(),
            })?;
        let expected = live.token_hash.as_deref().unwrap_or("");
        if live.agent_team_id != team_id.as_str()
            || expected.is_empty()
            || token_hash(token) != expected
        {
            return Err(EngineError::Forbidden(format!(
                "credentials for agent {agent_id} do not match team {team_id}; hint: use the env that team_spawn returned"
            )));
        }
        let role = Role::parse("role", &live.role)?;
        let caller = Caller {
            team_id: team_id.clone(),
            agent_id: agent_id.clone(),
            role,
        };
        refuse_dead(&caller, &live)?;
        Ok((caller, live))
    }

    /// Refuses calls from stopped or dead agents and into finalized teams.
    pub fn check_live(&self, caller: &Caller) -> Result<()> {
        let live = self.store().read(|c| {
            store::teams::liveness(c, caller.team_id.as_str(), caller.agent_id.as_str())
        })?;
        refuse_dead(caller, &live)
    }

    /// A read: one read transaction, no housekeeping, no event. Counts and plan come from
    /// the board cache while it is fresh (see `engine::status`); the server's ticker does
    /// the housekeeping and keeps the cache fresh.
    pub fn team_status(&self, caller: &Caller) -> Result<TeamStatus> {
        let profile = self.team_profile(&caller.team_id)?;
        let now = now_ms();
        self.store().read_snapshot(|c| {
            let team = store::teams::team(c, caller.team_id.as_str())?;
            let agents = store::teams::agents(c, caller.team_id.as_str())?;
            let view = crate::status::board_view(c, &caller.team_id, &profile, now, None)?;
            let unread = store::teams::unread(c, caller.agent_id.as_str(), now)?;
            let tokens = sum_tokens(&agents);
            Ok(TeamStatus {
                agents: agents.iter().map(|a| agent_status(a, team.state)).collect(),
                team_id: team.team_id,
                state: team.state,
                profile: team.profile,
                tasks: view.counts,
                unread,
                budget_left: profile.budget.team_tokens - tokens.total,
                tokens,
                plan: view.plan,
            })
        })
    }

    /// Adds a worker to the team and asks its runner to start it.
    pub fn team_spawn(&self, caller: &Caller, request: &SpawnRequest<'_>) -> Result<Spawned> {
        caller.require_lead("team_spawn")?;
        self.check_live(caller)?;
        let role = Role::parse_worker("role", request.role)?;
        let profile = self.team_profile(&caller.team_id)?;
        let runner = runner::by_name(request.runner.unwrap_or(&profile.worker.runner))?;
        if runner.name() == "ssh" && profile.worker.ssh.is_none() {
            return Err(EngineError::invalid(
                "runner",
                format!(
                    "`ssh` needs `worker.ssh` (host and team server url) in the team's profile `{}`; see docs/remote.md",
                    profile.name
                ),
            ));
        }
        let justification = request
            .justification
            .map(str::trim)
            .filter(|j| !j.is_empty());
        let plan = self.recommend(&caller.team_id)?;
        let per_agent = profile.budget.agent_fixed_cost_tokens * MIN_REQUESTS_PER_AGENT;
        let brief = request.brief.unwrap_or("").trim();
        if brief.len() as i64 > profile.worker.brief_max_bytes {
            return Err(EngineError::invalid(
                "brief",
                format!(
                    "{} bytes is over this profile's {}-byte brief limit; put context in an artifact and pass its ref",
                    brief.len(),
                    profile.worker.brief_max_bytes
                ),
            ));
        }
        let cap = i64::from(profile.max_threads.min(HARD_CAP));
        let resumed = match request.resume {
            Some(id) => Some(self.resumable(caller, id)?),
            None => None,
        };
        let agent_id = request.resume.cloned().unwrap_or_else(AgentId::generate);
        let token = new_token();
        let hash = token_hash(&token);
        let full_brief = role.brief(
            caller.team_id.as_str(),
            agent_id.as_str(),
            brief,
            runner.teaches_work_loop(&profile.worker.codex),
        );
        let parent = runner::model::parent_command_line();
        let (parent_model, inherited_flags) = runner::model::from_command_line(&parent);
        let meta_model = request.meta.and_then(runner::model::model_from_meta);
        let (model, model_source) = runner::model::resolve(
            request.model,
            &profile.worker.model,
            meta_model.as_deref(),
            parent_model.as_deref(),
        );
        self.store().write(|tx| {
            let live = store::teams::live_workers(tx, caller.team_id.as_str())?;
            if live >= cap {
                return Err(EngineError::Limit(format!(
                    "team {} already has {live} live workers and its cap is {cap} (profile `{}` max_threads, hard cap {HARD_CAP}); hint: wait for a worker to finish or stop one",
                    caller.team_id, profile.name
                )));
            }
            let used = store::teams::team_tokens(tx, caller.team_id.as_str())?;
            let left = profile.budget.team_tokens - used;
            if left < per_agent {
                return Err(EngineError::Limit(format!(
                    "budget left {left} tokens cannot afford another agent (~{per_agent} tokens: fixed cost {} x {MIN_REQUESTS_PER_AGENT} requests)",
                    profile.budget.agent_fixed_cost_tokens
                )));
            }
            let silent = silent_exits(tx, &caller.team_id)?;
            if silent >= crate::workers::SILENT_EXITS_BEFORE_REFUSAL {
                return Err(EngineError::conflict(
                    format!(
                        "the last {silent} workers of team {} {}: their Codex most likely cannot reach the codex-teams tools, so a new worker would do the same; hint: run `codex-teams check-config`, read the team log, then do the work yourself or finalize",
                        caller.team_id,
                        crate::workers::ENDED_WITHOUT_A_CALL
                    ),
                    json!({ "silent_exits": silent }),
                ));
            }
            if live >= i64::from(plan.recommended) && justification.is_none() {
                return Err(EngineError::Limit(format!(
                    "the planner recommends {} worker(s) and {live} are live ({}); hint: pass `justification` to spawn beyond the recommendation",
                    plan.recommended,
                    plan.reasons.join("; ")
                )));
            }
            let new = store::teams::NewAgent {
                agent_id: agent_id.as_str(),
                team_id: caller.team_id.as_str(),
                role: role.as_str(),
                runner: runner.name(),
                token_hash: &hash,
                brief: &full_brief,
                model: model.as_deref(),
                now: now_ms(),
            };
            if resumed.is_some() {
                store::teams::revive_agent(tx, &new)?;
            } else {
                store::teams::insert_agent(tx, &new)?;
            }
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&agent_id),
                if resumed.is_some() { "agent.resumed" } else { "agent.spawned" },
                json!({ "role": role, "runner": runner.name(), "live": live + 1, "by": caller.agent_id,
                        "recommended": plan.recommended, "justification": justification,
                        "model": model, "model_source": model_source,
                        "thread_id": resumed.as_ref().and_then(|r| r.thread_id.clone()) }),
            )
        })?;
        // A new Codex worker starts with a task already claimed for it and named in its
        // brief: no claim round trip (a whole model request) before it can work. Its claims
        // are released like any other if it fails to start or dies.
        let mut full_brief = full_brief;
        if resumed.is_none() && matches!(runner.name(), "codex-exec" | "ssh") {
            let worker = Caller {
                team_id: caller.team_id.clone(),
                agent_id: agent_id.clone(),
                role,
            };
            if let Ok(first) = self.task_claim(&worker, None)
                && let Some(line) = first.brief_line()
            {
                full_brief.push('\n');
                full_brief.push_str(&line);
            }
        }
        let mut env = BTreeMap::new();
        env.insert(runner::ENV_TEAM_ID.to_string(), caller.team_id.to_string());
        env.insert(runner::ENV_AGENT_ID.to_string(), agent_id.to_string());
        env.insert(runner::ENV_AGENT_TOKEN.to_string(), token);
        env.insert(
            runner::ENV_DB.to_string(),
            self.store().path().display().to_string(),
        );
        // A remote worker works in its host's `worker.ssh.workdir`, not in a local checkout.
        let workspace = match runner.name() {
            "ssh" => None,
            _ => self.worker_workspace(&caller.team_id, &agent_id, &profile)?,
        };
        let request = LaunchRequest {
            team_id: caller.team_id.clone(),
            agent_id: agent_id.clone(),
            role,
            brief: full_brief,
            env,
            workspace,
            model: model.clone(),
            inherited_flags,
            sandbox: profile.worker.sandbox.as_str().to_string(),
            codex: profile.worker.codex.clone(),
            resume_thread: resumed.and_then(|r| r.thread_id),
            db: self.store().path().to_path_buf(),
            home: self.home().to_path_buf(),
            ssh: profile.worker.ssh.clone(),
        };
        match runner.launch(&request) {
            Ok(launched) => {
                if launched.pid.is_some() {
                    self.store().write(|tx| {
                        store::teams::set_agent_pid(tx, agent_id.as_str(), launched.pid)
                    })?;
                }
                Ok(Spawned {
                    agent_id: agent_id.to_string(),
                    role: role.to_string(),
                    runner: runner.name().to_string(),
                    model,
                    env: launched.env,
                })
            }
            Err(err) => {
                let reason = format!("launch failed: {err}");
                self.end_agent(&caller.team_id, &agent_id, AgentState::Dead, &reason)?;
                Err(err)
            }
        }
    }

    /// Stops or marks dead one agent: releases its claims and records why.
    pub fn end_agent(
        &self,
        team: &TeamId,
        agent: &AgentId,
        state: AgentState,
        reason: &str,
    ) -> Result<bool> {
        self.end_agent_and(team, agent, state, reason, |_| Ok(()))
    }

    /// [`Engine::end_agent`], running `also` in the same transaction when the agent did
    /// end: whoever sees the agent gone sees what `also` wrote too (the lead's notice).
    pub(crate) fn end_agent_and(
        &self,
        team: &TeamId,
        agent: &AgentId,
        state: AgentState,
        reason: &str,
        also: impl Fn(&crate::store::Transaction<'_>) -> Result<()>,
    ) -> Result<bool> {
        let now = now_ms();
        self.store().write(|tx| {
            let changed = store::teams::end_agent(tx, agent.as_str(), state, reason, now)?;
            if changed {
                let released = store::board::release_claims_of(tx, agent.as_str(), now)?;
                events::record(
                    tx,
                    &Trace::team(team).agent(agent),
                    if state == AgentState::Dead {
                        "agent.dead"
                    } else {
                        "agent.stopped"
                    },
                    json!({ "reason": reason, "released": released }),
                )?;
                for task in released {
                    let task = TaskId::from_db(task);
                    events::record(
                        tx,
                        &Trace::team(team).agent(agent).task(&task),
                        "task.released",
                        json!({ "reason": reason }),
                    )?;
                }
                also(tx)?;
            }
            Ok(changed)
        })
    }

    /// Closes the team: stops every live worker, cancels open work, stores the run summary.
    pub fn team_finalize(&self, caller: &Caller, summary: Option<&str>) -> Result<RunSummary> {
        caller.require_lead("team_finalize")?;
        let team = self
            .store()
            .read(|c| store::teams::team(c, caller.team_id.as_str()))?;
        if team.state != TeamState::Active {
            if let Some(stored) = team.summary.as_deref()
                && let Ok(summary) = serde_json::from_str::<RunSummary>(stored)
            {
                return Ok(summary);
            }
            return Err(EngineError::Forbidden(format!(
                "team {} is already finalized",
                caller.team_id
            )));
        }
        let agents = self
            .store()
            .read(|c| store::teams::agents(c, caller.team_id.as_str()))?;
        for agent in &agents {
            self.halt_worker(&caller.team_id, agent, "team finalized", None)?;
        }
        let swept = runner::codex_exec::end_team_leftovers(&caller.team_id);
        if swept > 0 {
            tracing::info!(team_id = %caller.team_id, count = swept, "ended processes the team's workers left behind");
        }
        // The summary's totals include every request written down so far, the stopped
        // workers' last ones too. What comes after (the lead's closing answer) is added to
        // the stored summary when it is charged.
        self.meter_team(&caller.team_id)?;
        let profile = self.team_profile(&caller.team_id)?;
        let now = now_ms();
        let summary_text = summary
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from);
        self.store().write(|tx| {
            let agents = store::teams::agents(tx, caller.team_id.as_str())?;
            let tasks = store::board::counts(tx, caller.team_id.as_str(), now)?;
            let counts =
                store::teams::counts(tx, caller.team_id.as_str(), caller.agent_id.as_str(), now)?;
            let tokens = sum_tokens(&agents);
            let cancelled = store::board::cancel_open(tx, caller.team_id.as_str(), now)?;
            let run = RunSummary {
                team_id: team.team_id.clone(),
                goal: team.goal.clone(),
                profile: team.profile.clone(),
                summary: summary_text.clone(),
                agents: agents.iter().map(|a| agent_status(a, team.state)).collect(),
                tasks: TaskCounts {
                    cancelled: tasks.cancelled + cancelled,
                    ready: 0,
                    blocked: 0,
                    ..tasks
                },
                messages: counts.messages,
                artifacts: counts.artifacts,
                budget_left: profile.budget.team_tokens - tokens.total,
                tokens,
                duration_ms: now - team.created_at,
            };
            let text = serde_json::to_string(&run)
                .map_err(|e| EngineError::Integrity(format!("summary: {e}")))?;
            if !store::teams::finalize_team(tx, caller.team_id.as_str(), &text, now)? {
                return Err(EngineError::Forbidden(format!(
                    "team {} is already finalized",
                    caller.team_id
                )));
            }
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id),
                "team.finalized",
                serde_json::to_value(&run).unwrap_or_default(),
            )?;
            Ok(run)
        })
    }
}

/// The refusals of [`Engine::check_live`], on an already-read [`store::teams::Liveness`].
/// How many of the team's most recently started workers, in a row, ended without calling a
/// team tool (live workers are skipped: they have not ended yet).
fn silent_exits(conn: &store::Connection, team: &TeamId) -> Result<usize> {
    // `agents` lists in start order (time, then the time-ordered id): newest last.
    Ok(store::teams::agents(conn, team.as_str())?
        .iter()
        .rev()
        .filter(|a| a.role != store::teams::LEAD_ROLE && !a.state.is_live())
        .take_while(|a| {
            a.state == AgentState::Dead
                && a.stop_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(crate::workers::ENDED_WITHOUT_A_CALL))
        })
        .count())
}

pub(crate) fn refuse_dead(caller: &Caller, live: &store::teams::Liveness) -> Result<()> {
    match live.team_state {
        None => return Err(EngineError::not_found("team", caller.team_id.as_str())),
        Some(TeamState::Active) => {}
        Some(TeamState::Finalized) => {
            return Err(EngineError::Forbidden(format!(
                "team {} is finalized; no new work is accepted",
                caller.team_id
            )));
        }
    }
    if matches!(live.state, AgentState::Stopped | AgentState::Dead) {
        return Err(EngineError::Forbidden(format!(
            "agent {} is {} ({}); hint: the lead can spawn a replacement",
            caller.agent_id,
            live.state,
            live.stop_reason.as_deref().unwrap_or_default()
        )));
    }
    Ok(())
}

/// An agent as `status` shows it. The lead's row is never ended by a worker's stop path, so
/// once its team is finalized the lead is reported `finished`, not still `active`.
fn agent_status(a: &store::teams::AgentRow, team_state: TeamState) -> AgentStatus {
    let lead_done =
        a.role == store::teams::LEAD_ROLE && team_state != TeamState::Active && a.state.is_live();
    AgentStatus {
        agent_id: a.agent_id.clone(),
        role: a.role.clone(),
        state: if lead_done {
            ShownAgentState::Finished
        } else {
            ShownAgentState::Is(a.state)
        },
        task_id: a.current_task.clone(),
        tokens: a.tokens_input + a.tokens_output,
        reason: a.stop_reason.clone(),
    }
}

/// Everything `codex-teams status` shows about one team.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TeamOverview {
    pub team_id: String,
    pub goal: String,
    pub state: TeamState,
    pub profile: String,
    pub created_at: i64,
    pub agents: Vec<AgentStatus>,
    pub tasks: Vec<crate::board::TaskView>,
    pub task_counts: TaskCounts,
    pub tokens: Tokens,
    pub budget_left: i64,
}

impl Engine {
    /// Teams for operators (no caller): one team, or every active (or every) team.
    pub fn overview(
        &self,
        team: Option<&TeamId>,
        include_finalized: bool,
    ) -> Result<Vec<TeamOverview>> {
        let now = now_ms();
        let rows = self.store().read(|c| match team {
            Some(t) => Ok(vec![store::teams::team(c, t.as_str())?]),
            None => store::teams::teams(c, include_finalized),
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = TeamId::from_db(row.team_id.clone());
            // Usage recorded since the last charge (a lead's closing answer, a worker
            // whose supervisor is gone) before totals are shown.
            self.meter_team(&id)?;
            let profile = self.team_profile(&id)?;
            let lead = self.lead_caller(&id)?;
            // What people and scripts see of a team is redacted like its logs: a goal or a
            // title may quote a secret the user pasted.
            let tasks = self
                .task_list_all(&lead)?
                .into_iter()
                .map(|mut t| {
                    t.title = crate::redact::redact(&t.title);
                    t.note = t.note.map(|n| crate::redact::redact(&n));
                    t
                })
                .collect();
            let (agents, counts) = self.store().read(|c| -> Result<_> {
                Ok((
                    store::teams::agents(c, id.as_str())?,
                    store::board::counts(c, id.as_str(), now)?,
                ))
            })?;
            let tokens = sum_tokens(&agents);
            out.push(TeamOverview {
                agents: agents.iter().map(|a| agent_status(a, row.state)).collect(),
                team_id: row.team_id,
                goal: crate::redact::redact(&row.goal),
                state: row.state,
                profile: row.profile,
                created_at: row.created_at,
                tasks,
                task_counts: counts,
                budget_left: profile.budget.team_tokens - tokens.total,
                tokens,
            })
        }
        Ok(out)
    }
}

/// `task_create`'s result: the new tasks and the planner's recommendation for the board now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TasksCreated {
    pub tasks: Vec<crate::board::CreatedTask>,
    pub plan: Recommendation,
    /// With `spawn`: the workers started (agent id and role).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spawned: Vec<Spawned>,
    /// With `spawn`: why starting a worker failed (the tasks were created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawn_error: Option<serde_json::Value>,
}

impl Engine {
    /// `task_create`'s work, also done by `team_start` with `tasks`: the batch, the
    /// planner's recommendation for the board now, and with `spawn` the workers it
    /// recommends. `meta` is the calling session's (model inheritance for the workers).
    pub fn create_board(
        &self,
        caller: &Caller,
        batch: &[crate::board::NewTask],
        spawn: bool,
        meta: Option<&serde_json::Value>,
    ) -> Result<TasksCreated> {
        let tasks = self.task_create(caller, batch)?;
        let plan = self.recommend(&caller.team_id)?;
        let (spawned, spawn_error) = match spawn {
            true => self.spawn_planned(caller, batch, plan.spawn, meta),
            false => (Vec::new(), None),
        };
        Ok(TasksCreated {
            tasks,
            plan,
            spawned,
            spawn_error: spawn_error.map(|err| err.to_json()),
        })
    }

    /// Starts `count` workers for a new batch (`task_create {spawn: true}`): the board and
    /// its team in one call. Roles follow the batch's role-bound tasks in turn (implementer
    /// when none is bound); the default runner and an empty brief (the role brief names the
    /// team). Stops at the first refusal, which is returned beside the workers already
    /// started: the tasks exist either way, so the call must not fail as a whole.
    fn spawn_planned(
        &self,
        caller: &Caller,
        batch: &[crate::board::NewTask],
        count: u32,
        meta: Option<&serde_json::Value>,
    ) -> (Vec<Spawned>, Option<EngineError>) {
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
                meta,
                resume: None,
            };
            match self.team_spawn(caller, &request) {
                Ok(s) => spawned.push(s),
                Err(err) => return (spawned, Some(err)),
            }
        }
        (spawned, None)
    }
}
