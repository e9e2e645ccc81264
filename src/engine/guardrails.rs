//! Guardrails: the rules that stop spending when spending no longer helps.
//! - idle shutdown: a worker silent for the profile's `idle_timeout_ms` is stopped and its
//!   claims released;
//! - early stop: when every task is finished and no merge decision is open (profile
//!   `early_stop.all_tasks_done`) the remaining workers are stopped;
//! - compact messaging: transcript-like message bodies are refused (publish an artifact).
//!
//! Every stop fires an event and tells the lead why, as a message from `system`. The token
//! budget stops (`budget.agent_tokens`, `budget.team_tokens`) are not here: they live with
//! the metering in [`crate::budget`].

use serde::Serialize;
use serde_json::json;

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{AgentId, MessageId, TeamId};
use crate::runner;
use crate::store::{self, AgentState, TeamState, now_ms};

/// The sender name of messages the engine itself sends.
pub const SYSTEM: &str = "system";

/// Lines that look like a chat turn (`user:`, `assistant:` ...). Three or more of them in
/// one body mean a transcript is being pasted.
const TRANSCRIPT_TURNS: usize = 3;
/// More lines than this in one message is a document, not a message.
const MESSAGE_MAX_LINES: usize = 60;

/// True when `body` reads like a pasted transcript or document rather than a message.
pub fn looks_like_transcript(body: &str) -> bool {
    let mut turns = 0;
    let mut lines = 0;
    for line in body.lines() {
        lines += 1;
        let l = line.trim_start().to_ascii_lowercase();
        if [
            "user:",
            "assistant:",
            "system:",
            "human:",
            "ai:",
            "developer:",
            "tool:",
        ]
        .iter()
        .any(|p| l.starts_with(p))
        {
            turns += 1;
        }
    }
    turns >= TRANSCRIPT_TURNS || lines > MESSAGE_MAX_LINES
}

/// What one housekeeping pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Housekeeping {
    pub idle_stopped: Vec<String>,
    pub early_stopped: Vec<String>,
    /// `external` workers found dead (no call for a whole task lease).
    pub dead: Vec<String>,
    /// Whether the pass rescanned the board (the cached plan was stale): the server
    /// returns the memory that scan freed afterwards.
    #[serde(skip)]
    pub board_scanned: bool,
}

impl Engine {
    /// Refuses transcript-like bodies with the hint to publish an artifact.
    pub fn check_compact(&self, team: &TeamId, agent: &AgentId, body: &str) -> Result<()> {
        if !looks_like_transcript(body) {
            return Ok(());
        }
        self.store().write(|tx| {
            events::record(
                tx,
                &Trace::team(team).agent(agent),
                "guardrail.message_refused",
                json!({ "bytes": body.len(), "lines": body.lines().count() }),
            )
        })?;
        Err(EngineError::Limit(format!(
            "`body` looks like a transcript or document ({} lines); hint: publish it with artifact_publish and send the ref",
            body.lines().count()
        )))
    }

    /// Stops one worker: ends its process (if its runner owns one), releases its claims,
    /// records `event` and tells the lead. Returns false if it was not live.
    pub fn stop_worker(
        &self,
        team: &TeamId,
        agent: &AgentId,
        reason: &str,
        event: &str,
    ) -> Result<bool> {
        let row = self
            .store()
            .read(|c| store::teams::agent(c, agent.as_str()))?;
        let body = format!("[codex-teams] {agent} ({}) stopped: {reason}", row.role);
        self.halt_worker(team, &row, reason, Some((event, &body)))
    }

    /// The one way a live worker is stopped: record the stop (claims released), then
    /// signal its process. The order matters: the runner's supervisor sees the process end
    /// and must find the agent already stopped, not take the exit for a crash. This may run
    /// in the worker's own server, which the signal ends too. False if it was not live.
    /// `notice`: an event to record and a message to the lead, written in the same
    /// transaction as the stop, so a lead that sees the worker gone also finds the notice.
    pub(crate) fn halt_worker(
        &self,
        team: &TeamId,
        row: &store::teams::AgentRow,
        reason: &str,
        notice: Option<(&str, &str)>,
    ) -> Result<bool> {
        if !row.is_live_worker() {
            return Ok(false);
        }
        let agent = AgentId::from_db(row.agent_id.clone());
        let ended = self.end_agent_and(team, &agent, AgentState::Stopped, reason, |tx| {
            let Some((event, body)) = notice else {
                return Ok(());
            };
            events::record(
                tx,
                &Trace::team(team).agent(&agent),
                event,
                json!({ "reason": reason }),
            )?;
            notify_lead(tx, team, body)
        })?;
        if !ended {
            return Ok(false);
        }
        // A request already sent is paid for: let its usage reach the rollout file (and
        // the budget) rather than kill the worker between the response and its record.
        if row.runner == "codex-exec" {
            self.let_request_land(&agent);
        }
        if let Ok(r) = runner::by_name(&row.runner)
            && let Err(err) = r.stop(&agent, row.pid.map(|p| p as u32))
        {
            tracing::warn!(team_id = %team, agent_id = %agent, error = %err, "stopping the worker process failed");
        }
        Ok(true)
    }

    /// Housekeeping for one team: expired leases swept, dead `external` workers (silent
    /// for a whole task lease) marked dead, early stop, idle shutdown, and the board cache
    /// (counts and plan) refreshed. Runs on the server's ticker thread and after a task
    /// finishes, never inside `team_status`. Reads one snapshot; writes only what is due.
    pub fn housekeeping(&self, team: &TeamId) -> Result<Housekeeping> {
        let mut done = self.housekeeping_due(team)?;
        done.board_scanned = self.refresh_board_scanned(team)?.1;
        Ok(done)
    }

    /// [`Engine::housekeeping`] without the board cache refresh (a scan of the unfinished
    /// tasks): what a finished task needs at once (early stop). The ticker refreshes.
    pub fn housekeeping_due(&self, team: &TeamId) -> Result<Housekeeping> {
        let profile = self.team_profile(team)?;
        let now = now_ms();
        let mut done = Housekeeping::default();
        let (agents, (unfinished, any_done), state, open_decisions, expired) =
            self.store().read_snapshot(|c| -> Result<_> {
                Ok((
                    store::teams::agents(c, team.as_str())?,
                    store::board::finished_state(c, team.as_str())?,
                    store::teams::team(c, team.as_str())?.state,
                    store::arbitration::open_count(c, team.as_str())?,
                    store::board::any_expired(c, team.as_str(), now)?,
                ))
            })?;
        if state != TeamState::Active {
            return Ok(done);
        }
        if expired {
            self.store().write(|tx| self.sweep(tx, team, now))?;
        }
        let live: Vec<_> = agents.iter().filter(|a| a.is_live_worker()).collect();
        // A worker whose process nobody supervises (`external`) that holds a claim and has
        // made no call for a whole task lease is dead: its slot and its claims go back. (One
        // without a claim is left to idle shutdown.)
        for a in &live {
            let silent = now - a.last_activity_at;
            if a.runner == "external"
                && a.current_task.is_some()
                && silent >= profile.leases.task_lease_ms
            {
                let id = AgentId::from_db(a.agent_id.clone());
                let reason = format!("no call for {} s (task lease expired)", silent / 1000);
                if self.end_agent(team, &id, AgentState::Dead, &reason)? {
                    let body = format!("[codex-teams] {id} ({}) is dead: {reason}", a.role);
                    self.store().write(|tx| notify_lead(tx, team, &body))?;
                    done.dead.push(a.agent_id.clone());
                }
            }
        }
        let live: Vec<_> = live
            .into_iter()
            .filter(|a| !done.dead.contains(&a.agent_id))
            .collect();
        // Voters of an open decision are still needed, even when the board is empty.
        let finished = !unfinished && any_done && open_decisions == 0;
        if finished && profile.early_stop.all_tasks_done {
            for a in &live {
                let id = AgentId::from_db(a.agent_id.clone());
                if self.stop_worker(team, &id, "all tasks done", "guardrail.early_stop")? {
                    done.early_stopped.push(a.agent_id.clone());
                }
            }
        } else {
            for a in &live {
                let silent = now - a.last_activity_at;
                if silent >= profile.leases.idle_timeout_ms && a.current_task.is_none() {
                    let id = AgentId::from_db(a.agent_id.clone());
                    let reason = format!("idle for {} s with no claimed task", silent / 1000);
                    if self.stop_worker(team, &id, &reason, "guardrail.idle_shutdown")? {
                        done.idle_stopped.push(a.agent_id.clone());
                    }
                }
            }
        }
        Ok(done)
    }
}

/// Sends `body` to the team's lead from [`SYSTEM`] inside `tx`.
pub fn notify_lead(tx: &crate::store::Transaction<'_>, team: &TeamId, body: &str) -> Result<()> {
    let lead = store::teams::lead_of(tx, team.as_str())?;
    let id = MessageId::generate();
    store::bus::insert(
        tx,
        &store::bus::NewMessage {
            message_id: id.as_str(),
            team_id: team.as_str(),
            from: SYSTEM,
            to: Some(&lead),
            body,
            key: None,
            now: now_ms(),
        },
        std::slice::from_ref(&lead),
    )?;
    let lead = AgentId::from_db(lead);
    events::record(
        tx,
        &Trace::team(team).agent(&lead).message(&id),
        "message.sent",
        json!({ "from": SYSTEM, "to": lead, "recipients": 1, "bytes": body.len() }),
    )
}

#[cfg(test)]
mod tests {
    use super::looks_like_transcript;

    #[test]
    fn transcripts_and_documents_are_recognised() {
        assert!(looks_like_transcript(
            "User: hi\nAssistant: hello\nuser: do X\nassistant: done"
        ));
        assert!(looks_like_transcript(&"line\n".repeat(61)));
        assert!(!looks_like_transcript(
            "task_0a done; result in art:parser@2. Next: tests."
        ));
    }
}
