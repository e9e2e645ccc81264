//! What runners report about worker processes, and what a resume or an isolated worker
//! needs: thread ids, activity, exits, charged usage, worktrees.

use std::path::PathBuf;

use serde_json::json;

use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::guardrails::notify_lead;
use crate::ids::{AgentId, TeamId};
use crate::policy::{Isolation, Profile};
use crate::store::{self, AgentState, now_ms};
use crate::{Caller, Engine};

/// The reason of a worker that ended before calling a single team tool.
pub const ENDED_WITHOUT_A_CALL: &str = "ended without calling a team tool";

/// How many of a team's most recently started workers may end without a call before
/// `team_spawn` refuses to start another: the next would most likely do the same.
pub const SILENT_EXITS_BEFORE_REFUSAL: usize = 2;

/// A stopped or dead worker that can be resumed.
pub struct Resumable {
    pub thread_id: Option<String>,
}

impl Engine {
    /// Records the Codex thread of a worker (for `codex exec resume`).
    pub fn record_thread(&self, team: &TeamId, agent: &AgentId, thread: &str) -> Result<()> {
        self.store().write(|tx| {
            store::teams::set_thread(tx, agent.as_str(), thread)?;
            events::record(
                tx,
                &Trace::team(team).agent(agent),
                "agent.thread",
                json!({ "thread_id": thread }),
            )
        })
    }

    /// Records that a worker's process did something (idle detection), and extends the
    /// lease of every task it holds whose lease has not yet run out, by the team's
    /// `leases.task_lease_ms` (a heartbeat, like a Temporal activity's): a worker that is
    /// slow but alive keeps its task; one that is dead or silent stops extending it, and
    /// loses it when the lease runs out. The codex-exec supervisor calls this for the
    /// JSONL events of the running process (at most once a second).
    pub fn record_activity(&self, agent: &AgentId) -> Result<()> {
        let row = self
            .store()
            .read(|c| store::teams::agent(c, agent.as_str()))?;
        let team = crate::ids::TeamId::from_db(row.team_id);
        let lease_ms = self.team_profile(&team)?.leases.task_lease_ms;
        let now = now_ms();
        self.store().write(|tx| {
            store::teams::set_activity(tx, agent.as_str(), now)?;
            Ok(store::board::extend_leases_of(
                tx,
                agent.as_str(),
                now,
                now + lease_ms,
            )?)
        })
    }

    /// A worker's process ended. Unless the engine had already stopped it, it becomes
    /// `state` (`stopped` after a clean exit, `dead` otherwise): claims are released and the
    /// lead is told. A worker that never called a team tool (its Codex had no codex-teams
    /// tools, or answered its brief in prose) is `dead` with [`ENDED_WITHOUT_A_CALL`] in its
    /// reason whatever its exit, and `team_spawn` stops replacing such workers after
    /// [`SILENT_EXITS_BEFORE_REFUSAL`] in a row.
    pub fn worker_exited(
        &self,
        team: &TeamId,
        agent: &AgentId,
        state: AgentState,
        reason: &str,
    ) -> Result<bool> {
        let never_called = self
            .store()
            .read(|c| store::teams::agent(c, agent.as_str()))
            .is_ok_and(|row| row.first_call_at.is_none());
        let (state, reason) = if never_called {
            (
                AgentState::Dead,
                format!(
                    "{ENDED_WITHOUT_A_CALL} ({reason}); its Codex may not have had the codex-teams tools: see the team log"
                ),
            )
        } else {
            (state, reason.to_string())
        };
        if !self.end_agent(team, agent, state, &reason)? {
            return Ok(false);
        }
        let body = format!("[codex-teams] {agent} {state}: {reason}");
        self.store().write(|tx| notify_lead(tx, team, &body))?;
        Ok(true)
    }

    /// Checks that `agent` is a stopped or dead worker of the caller's team.
    pub fn resumable(&self, caller: &Caller, agent: &AgentId) -> Result<Resumable> {
        let row = self
            .store()
            .read(|c| store::teams::agent(c, agent.as_str()))
            .ok()
            .filter(|a| a.team_id == caller.team_id.as_str() && a.role != "lead")
            .ok_or_else(|| {
                EngineError::not_found_hint(
                    "agent",
                    agent.as_str(),
                    "`resume` must name a worker of this team",
                )
            })?;
        if !matches!(row.state, AgentState::Stopped | AgentState::Dead) {
            return Err(EngineError::conflict(
                format!(
                    "agent {agent} is {}; only a dead or stopped worker can be resumed",
                    row.state
                ),
                json!({ "agent_id": agent, "state": row.state }),
            ));
        }
        let thread_id = self
            .store()
            .read(|c| store::teams::thread_of(c, agent.as_str()))?;
        Ok(Resumable { thread_id })
    }

    /// Where a worker works: the team's workspace, or its own git worktree when the
    /// profile asks for isolation.
    pub fn worker_workspace(
        &self,
        team: &TeamId,
        agent: &AgentId,
        profile: &Profile,
    ) -> Result<Option<PathBuf>> {
        let ws = self
            .store()
            .read(|c| store::teams::team(c, team.as_str()))?
            .workspace
            .map(PathBuf::from);
        match (profile.worker.isolation, ws) {
            (Isolation::Shared, ws) => Ok(ws),
            (Isolation::Worktree, None) => Err(EngineError::Config(
                "profile asks for worktree isolation but the team has no workspace".into(),
            )),
            (Isolation::Worktree, Some(ws)) => {
                let dir = self.home().join("worktrees").join(agent.as_str());
                if dir.exists() {
                    return Ok(Some(dir));
                }
                let out = std::process::Command::new("git")
                    .arg("-C")
                    .arg(&ws)
                    .args(["worktree", "add", "--detach"])
                    .arg(&dir)
                    .output()
                    .map_err(|e| EngineError::Config(format!("running git worktree add: {e}")))?;
                if !out.status.success() {
                    return Err(EngineError::Config(format!(
                        "git worktree add in {} failed: {}; hint: worktree isolation needs the workspace to be a git repository with a commit",
                        ws.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                Ok(Some(dir))
            }
        }
    }
}

#[cfg(test)]
#[path = "workers_tests.rs"]
mod tests;
