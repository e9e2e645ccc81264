//! The domain: teams, agents, the message bus, the task board, artifacts, policy and the
//! event log. Knows nothing about clap, stdio or MCP; commands and MCP tools are thin
//! adapters over [`Engine`].
//!
//! # Layering
//!
//! No module names a module on its own layer or above it (checked: no import cycles between
//! sibling modules). Bottom to top:
//!
//! 1. `error`, `redact`; then `ids`, `roles`, `home_config`; then `events`, `policy` —
//!    vocabulary: ids, roles, errors, the event log and profiles.
//! 2. `board` (tasks and their counts), `artifacts`, `fanout` (the planner) and `runner`
//!    (starting workers; token [`runner::Usage`] as a session reports it).
//! 3. `budget` (metering and token totals), `status` (the board view), `guardrails`,
//!    `arbitration`.
//! 4. `team` (start, spawn, stop, finalize; uses the planner, runners, budget and board),
//!    `replay`, `workers`.
//! 5. `bus` (sending, leasing, sleeping until mail), `sim` (simulated runs over `team`).
//! 6. `wait`: the pull that waits (`team_pull_inbox`: a worker's long-poll and the lead's
//!    wait) over the bus.
//!
//! [`Engine`] and [`Caller`] live here at the root, which every module may use.

/// The OS-specific calls are their own crate (`src/platform`).
pub use codex_teams_platform as platform;

pub mod arbitration;
pub mod artifacts;
pub mod bearer;
pub mod board;
pub mod budget;
pub mod bus;
pub mod error;
pub mod events;
pub mod fanout;
pub mod guardrails;
pub mod home_config;
pub mod ids;
pub mod policy;
pub use codex_teams_store::private;
pub mod redact;
pub mod replay;
pub mod roles;
pub mod runner;
pub mod scripted_team;
pub mod status;
/// The SQLite store is its own crate (`mcp/store`); the engine reaches it only through it.
pub use codex_teams_store as store;
pub mod team;
pub mod wait;
pub mod workers;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{EngineError, Result};
use crate::ids::{AgentId, TeamId};
use crate::policy::Profile;
use crate::roles::Role;
use crate::store::{Store, now_ms};

/// Who is calling: resolved once per request from the server's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub team_id: TeamId,
    pub agent_id: AgentId,
    pub role: Role,
}

impl Caller {
    pub fn is_lead(&self) -> bool {
        self.role == Role::Lead
    }

    pub fn require_lead(&self, tool: &str) -> Result<()> {
        if self.is_lead() {
            Ok(())
        } else {
            Err(EngineError::Forbidden(format!(
                "`{tool}` is a lead-only tool and this agent is a {}; hint: ask the lead via team_send",
                self.role.as_str()
            )))
        }
    }
}

/// The engine over one shared database. One per process; safe to share across threads.
#[derive(Debug)]
pub struct Engine {
    store: Store,
    home: PathBuf,
    /// When this process last recorded activity for each agent, to keep heartbeats to at
    /// most one write per agent per [`HEARTBEAT_EVERY_MS`].
    heartbeats: Mutex<HashMap<AgentId, i64>>,
    /// Teams' resolved profiles, read once per process (they never change after start).
    profiles: Mutex<HashMap<TeamId, std::sync::Arc<Profile>>>,
    /// Teams' leads, read once per process (a team's lead never changes).
    leads: Mutex<HashMap<TeamId, AgentId>>,
}

/// One consistent read of a team's stored rows ([`Engine::team_snapshot`]).
pub struct TeamSnapshot {
    pub team: store::teams::TeamRow,
    pub agents: Vec<store::teams::AgentRow>,
    pub tasks: Vec<store::board::TaskRow>,
    pub counts: store::board::TaskCounts,
    pub events: Vec<store::events::Event>,
}

/// Minimum spacing of activity writes for one agent.
pub const HEARTBEAT_EVERY_MS: i64 = 1000;

impl Engine {
    /// Opens the engine on the database at `db` (created and migrated if needed). `home` is
    /// where per-team logs and user profiles live.
    /// Opens the store at `db` with the settings of `home` (`<home>/config.toml`).
    pub fn open(db: &Path, home: &Path) -> Result<Engine> {
        let settings = home_config::HomeConfig::load(home)?;
        let store = Store::open_with(db, settings.synchronous)?;
        Ok(Engine {
            store,
            home: home.to_path_buf(),
            heartbeats: Mutex::new(HashMap::new()),
            profiles: Mutex::new(HashMap::new()),
            leads: Mutex::new(HashMap::new()),
        })
    }

    /// The raw store, for the engine's own modules. Outside the engine, rows are read
    /// through the methods that name them ([`Engine::teams`], [`Engine::agents`],
    /// [`Engine::team_snapshot`]).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// How many messages wait in `agent`'s inbox (unacknowledged, not leased).
    pub fn unread_count(&self, agent: &AgentId) -> Result<i64> {
        Ok(self
            .store
            .read(|c| store::teams::unread(c, agent.as_str(), now_ms()))?)
    }

    /// Whether `agent` was stopped while its runner (`codex-exec`) may still be running:
    /// its own server is then about to be signalled. False for an unknown agent.
    pub fn stopped_under_runner(&self, agent: &AgentId) -> bool {
        self.store
            .read(|c| store::teams::agent(c, agent.as_str()))
            .is_ok_and(|a| a.state == store::AgentState::Stopped && a.runner == "codex-exec")
    }

    /// The ids of every team, newest first, finalized ones included.
    pub fn all_team_ids(&self) -> Result<Vec<String>> {
        let teams = self.store.read(|c| store::teams::teams(c, true))?;
        Ok(teams.into_iter().map(|t| t.team_id).collect())
    }

    /// Every team, newest first; finalized ones too when `include_finalized`.
    pub fn teams(&self, include_finalized: bool) -> Result<Vec<store::teams::TeamRow>> {
        Ok(self
            .store
            .read(|c| store::teams::teams(c, include_finalized))?)
    }

    /// The agents of `team`, lead and workers, in the order they were created.
    pub fn agents(&self, team: &TeamId) -> Result<Vec<store::teams::AgentRow>> {
        Ok(self
            .store
            .read(|c| store::teams::agents(c, team.as_str()))?)
    }

    /// Everything stored about `team`, read in one transaction: its row, agents, tasks
    /// (with the status callers see now), task counts and whole event log. An unknown team
    /// is `not_found`.
    pub fn team_snapshot(&self, team: &TeamId) -> Result<TeamSnapshot> {
        let now = now_ms();
        self.store.read(|c| -> Result<TeamSnapshot> {
            Ok(TeamSnapshot {
                team: store::teams::team(c, team.as_str())?,
                agents: store::teams::agents(c, team.as_str())?,
                tasks: store::board::tasks(c, team.as_str(), now)?,
                counts: store::board::counts(c, team.as_str(), now)?,
                events: store::events::list(c, team.as_str(), 0, i64::MAX)?,
            })
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Where user profiles are searched, most specific first: the repository's
    /// `.codex-teams/profiles/` (from `workspace`), then `<home>/profiles/`.
    pub fn profile_dirs(&self, workspace: Option<&Path>) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(ws) = workspace {
            dirs.push(ws.join(".codex-teams").join("profiles"));
        }
        dirs.push(self.home.join("profiles"));
        dirs
    }

    /// The resolved profile a team runs under.
    pub fn team_profile(&self, team: &TeamId) -> Result<std::sync::Arc<Profile>> {
        if let Some(p) = self.profiles.lock().ok().and_then(|m| m.get(team).cloned()) {
            return Ok(p);
        }
        let settings = self
            .store
            .read(|conn| store::teams::settings(conn, team.as_str()))?;
        let profile: Profile = serde_json::from_str(&settings).map_err(|e| {
            EngineError::Integrity(format!("team {team} has unreadable settings: {e}"))
        })?;
        let profile = std::sync::Arc::new(profile);
        if let Ok(mut m) = self.profiles.lock() {
            m.insert(team.clone(), profile.clone());
        }
        Ok(profile)
    }

    /// Records that `caller` is alive: refreshes its activity time and the leases of the
    /// tasks it holds. Throttled per process; refuses stopped agents and finalized teams.
    pub fn touch(&self, caller: &Caller) -> Result<()> {
        let now = now_ms();
        let due = self
            .heartbeats
            .lock()
            .map(|m| {
                m.get(&caller.agent_id)
                    .is_none_or(|t| now - t >= HEARTBEAT_EVERY_MS)
            })
            .unwrap_or(true);
        if !due {
            return Ok(());
        }
        let profile = self.team_profile(&caller.team_id)?;
        self.store.write(|tx| {
            store::teams::touch_agent(
                tx,
                caller.agent_id.as_str(),
                now,
                now + profile.leases.task_lease_ms,
            )
        })?;
        if let Ok(mut m) = self.heartbeats.lock() {
            m.insert(caller.agent_id.clone(), now);
        }
        Ok(())
    }
}
