//! Whom a server acts for and what it keeps between calls: its [`Identity`] (a worker, or
//! the lead of the teams it started), the caller each request resolves to, the lead's news
//! cursors and the Codex threads it meters. Tool handlers see it through [`Ctx`]; the
//! catalogue (`tools`) and the server that dispatches on it both sit above this module.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::engine::error::{EngineError, Result};
use crate::engine::ids::{AgentId, TeamId};
use crate::engine::runner::{ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_TEAM_ID, rollout};
use crate::engine::team::Resume;
use crate::engine::{Caller, Engine};

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

/// What a server keeps for the identity it acts for, shared by its calls.
pub(crate) struct Session {
    pub(crate) engine: Arc<Engine>,
    pub(crate) identity: Identity,
    /// A `codex-exec` worker: its answers are held while it is being stopped (the other
    /// callers never are, and pay no read for it).
    pub(crate) held_on_stop: bool,
    pub(crate) workspace: Option<PathBuf>,
    /// The Codex home of the session that started this server: where its rollout file is.
    pub(crate) codex_home: Option<PathBuf>,
    /// The Codex threads whose requests this server has charged (its calling session's),
    /// read once more when the session ends.
    pub(crate) threads: Mutex<BTreeSet<String>>,
    /// Lead only: per team, where the next pull's news starts (see engine::wait).
    pub(crate) news_cursors: Mutex<HashMap<TeamId, i64>>,
}

/// What a tool's handler gets: the engine, the caller's identity (through [`Ctx::caller`]),
/// the request's `_meta` and its cancellation.
pub struct Ctx<'a> {
    pub(crate) inner: &'a Session,
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
        self.inner.lead_started(id)
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

impl Session {
    /// See [`Ctx::lead_started`].
    pub(crate) fn lead_started(&self, id: TeamId) -> Result<()> {
        if let Identity::Lead(teams) = &self.identity {
            let cursor = self.engine.news_cursor(&id)?;
            if let Ok(mut cursors) = self.news_cursors.lock() {
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

    /// Resolves the caller for a request that may name a team.
    pub(crate) fn caller(&self, team_arg: Option<&str>) -> Result<Caller> {
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
    pub(crate) fn meter_caller(&self, meta: Option<&Value>) {
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
}
