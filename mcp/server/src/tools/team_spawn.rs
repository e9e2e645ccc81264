//! `team_spawn`: a new worker with a role and a short brief (or a dead one resumed).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::error::Result;
use crate::engine::ids::AgentId;
use crate::engine::team::{SpawnRequest, Spawned};
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// planner|implementer|reviewer|tester|researcher
    pub role: String,
    /// Task ids and artifact refs, not transcripts
    #[serde(default)]
    pub brief: Option<String>,
    /// codex-exec|external|sim|ssh; default: profile worker.runner
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

pub const SPEC: ToolSpec = ToolSpec::new::<Args, Spawned>(
    "team_spawn",
    "Add a worker with a role and a short brief.",
    Audience::Lead,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let resume = self
            .resume
            .as_deref()
            .map(|r| AgentId::parse("resume", r))
            .transpose()?;
        to_value(ctx.engine().team_spawn(
            &caller,
            &SpawnRequest {
                role: &self.role,
                brief: self.brief.as_deref(),
                runner: self.runner.as_deref(),
                justification: self.justification.as_deref(),
                model: self.model.as_deref(),
                meta: ctx.meta,
                resume: resume.as_ref(),
            },
        )?)
    }
}
