//! The append-only event log: every state change of a team is one row with its trace ids
//! (`team_id`, `agent_id`, `task_id`, `message_id`, `artifact_id`) and a JSON payload. The
//! same record is emitted as a structured tracing event, which the log layer writes to
//! stderr and to the team's own log file. Payloads are redacted before they are stored.

use serde_json::Value;

use crate::error::Result;
use crate::ids::{AgentId, ArtifactId, MessageId, TaskId, TeamId};
use crate::redact::redact_json;
use crate::store::{self, now_ms};

/// The trace ids an event carries.
#[derive(Debug, Default, Clone)]
pub struct Trace<'a> {
    pub team: Option<&'a TeamId>,
    pub agent: Option<&'a AgentId>,
    pub task: Option<&'a TaskId>,
    pub message: Option<&'a MessageId>,
    pub artifact: Option<&'a ArtifactId>,
}

impl<'a> Trace<'a> {
    /// The ids as the store's row writer takes them.
    pub fn ids(&self) -> store::events::EventIds<'a> {
        store::events::EventIds {
            team: self.team.map(|t| t.as_str()),
            agent: self.agent.map(|a| a.as_str()),
            task: self.task.map(|t| t.as_str()),
            message: self.message.map(|m| m.as_str()),
            artifact: self.artifact.map(|a| a.as_str()),
        }
    }

    pub fn team(team: &'a TeamId) -> Self {
        Trace {
            team: Some(team),
            ..Default::default()
        }
    }
    pub fn agent(mut self, agent: &'a AgentId) -> Self {
        self.agent = Some(agent);
        self
    }
    pub fn task(mut self, task: &'a TaskId) -> Self {
        self.task = Some(task);
        self
    }
    pub fn message(mut self, message: &'a MessageId) -> Self {
        self.message = Some(message);
        self
    }
    pub fn artifact(mut self, artifact: &'a ArtifactId) -> Self {
        self.artifact = Some(artifact);
        self
    }
}

/// One stored event (the store's row type).
pub use codex_teams_store::events::{Event, EventRefs};

/// The tracing target of event log lines. Their data is redacted here, before it is stored
/// and logged, so the log layers need not scan it again.
pub const TARGET: &str = "codex_teams::event";

/// Appends an event inside the caller's write transaction, so the event exists exactly when
/// the change it describes does. Its log line is written after the commit (outside the write
/// lock), and not at all if the transaction rolls back.
pub fn record(
    tx: &store::Transaction<'_>,
    trace: &Trace<'_>,
    kind: &str,
    mut data: Value,
) -> Result<()> {
    redact_json(&mut data);
    store::events::insert(tx, now_ms(), &trace.ids(), kind, &data)?;
    if !tracing::enabled!(target: "codex_teams::event", tracing::Level::INFO) {
        return Ok(());
    }
    let owned = |id: Option<&str>| id.map(String::from);
    let team = trace.team.map(|t| t.to_string()).unwrap_or_default();
    let agent = owned(trace.agent.map(|a| a.as_str()));
    let task = owned(trace.task.map(|t| t.as_str()));
    let message = owned(trace.message.map(|m| m.as_str()));
    let artifact = owned(trace.artifact.map(|a| a.as_str()));
    let kind = kind.to_string();
    store::after_commit(move || {
        tracing::info!(
            target: "codex_teams::event",
            team_id = team,
            agent_id = agent,
            task_id = task,
            message_id = message,
            artifact_id = artifact,
            kind,
            data = %data,
            "event"
        );
    });
    Ok(())
}
