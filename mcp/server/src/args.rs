//! Tool arguments as Rust types: the single source of every tool's input schema. Doc
//! comments here become schema descriptions that every agent pays for on every request,
//! so only fields whose meaning is not obvious from the name carry one.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::engine::board::NewTask;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamStart {
    pub goal: String,
    /// default|fast|deep or a user profile
    #[serde(default)]
    pub profile: Option<String>,
    /// Resume this team
    #[serde(default)]
    pub team_id: Option<String>,
    /// From team_start; to resume in another session
    #[serde(default)]
    pub lead_secret: Option<String>,
    /// The board too: task_create's `tasks`
    #[serde(default)]
    pub tasks: Vec<serde_json::Value>,
    /// With tasks: also spawn the planned workers
    #[serde(default)]
    pub spawn: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamOnly {
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamFinalize {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSpawn {
    /// planner|implementer|reviewer|tester|researcher
    pub role: String,
    /// Task ids and artifact refs, not transcripts
    #[serde(default)]
    pub brief: Option<String>,
    /// codex-exec (default)|external|sim
    #[serde(default)]
    pub runner: Option<String>,
    /// Why beyond the plan
    #[serde(default)]
    pub justification: Option<String>,
    /// Default: the lead's model
    #[serde(default)]
    pub model: Option<String>,
    /// Dead worker's agent id to resume
    #[serde(default)]
    pub resume: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSend {
    /// Agent id or `lead`
    pub to: String,
    pub body: String,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBroadcast {
    pub body: String,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPullInbox {
    /// Ids of messages you handled
    #[serde(default)]
    pub ack: Vec<String>,
    #[serde(default)]
    pub max: Option<i64>,
    /// Long-poll ms (lead: until needed)
    #[serde(default)]
    pub wait_ms: Option<i64>,
    /// Lead: wake at board done or a problem, not per result
    #[serde(default)]
    pub wait_all: bool,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCreate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// Task ids this waits for
    #[serde(default)]
    pub deps: Vec<String>,
    /// s|m|l
    #[serde(default)]
    pub size: Option<String>,
    /// Only this role may claim
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    /// Batch instead; deps may name a sibling's key
    #[serde(default)]
    pub tasks: Vec<NewTask>,
    /// Also spawn the planned workers
    #[serde(default)]
    pub spawn: bool,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskList {
    /// ready|blocked|claimed|done|failed|cancelled
    #[serde(default)]
    pub status: Option<String>,
    /// next_cursor of the previous page
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1-500, default 50
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskClaim {
    /// Omit for the best ready task
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskUpdate {
    pub task_id: String,
    /// done|failed|ready|claimed(renew)|cancelled
    pub status: String,
    /// Compare-and-set version
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
    /// Result ref art:<name>@<v>
    #[serde(default)]
    pub artifact: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactPublish {
    pub name: String,
    pub content: String,
    /// Latest version when updating
    #[serde(default)]
    pub parent: Option<String>,
    /// Your task it completes: marks it done, claims your next
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRead {
    /// art:<name>@<v>
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMerge {
    #[serde(default)]
    pub candidates: Vec<String>,
    /// consensus|lead|strict_vote
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub decision_id: Option<String>,
    #[serde(default)]
    pub choice: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamVote {
    pub decision_id: String,
    pub choice: String,
    pub rationale: String,
    #[serde(default)]
    pub team_id: Option<String>,
}
