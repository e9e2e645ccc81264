//! The append-only event log: every state change of a team is one row with its trace ids
//! (`team_id`, `agent_id`, `task_id`, `message_id`, `artifact_id`) and a JSON payload. The
//! same record is emitted as a structured tracing event, which the log layer writes to
//! stderr and to the team's own log file. Payloads are redacted before they are stored.

use serde::Serialize;
use serde_json::Value;

use crate::engine::error::Result;
use crate::engine::ids::{AgentId, ArtifactId, MessageId, TaskId, TeamId};
use crate::engine::redact::redact_json;
use crate::engine::store::{self, now_ms};

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

/// One stored event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub ts: i64,
    pub team_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_id: Option<String>,
    pub kind: String,
    pub data: Value,
}

/// Appends an event inside the caller's write transaction, so the event exists exactly when
/// the change it describes does.
pub fn record(
    tx: &rusqlite::Transaction<'_>,
    trace: &Trace<'_>,
    kind: &str,
    mut data: Value,
) -> Result<()> {
    redact_json(&mut data);
    let team = trace.team.map(|t| t.as_str()).unwrap_or_default();
    store::events::insert(tx, now_ms(), trace, kind, &data)?;
    tracing::info!(
        target: "codex_teams::event",
        team_id = team,
        agent_id = trace.agent.map(|a| a.as_str()),
        task_id = trace.task.map(|t| t.as_str()),
        message_id = trace.message.map(|m| m.as_str()),
        artifact_id = trace.artifact.map(|a| a.as_str()),
        kind,
        data = %data,
        "event"
    );
    Ok(())
}
