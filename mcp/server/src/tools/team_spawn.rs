//! `team_spawn`: a new worker with a role and a short brief (or a dead one resumed).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
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

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_spawn",
    description: "Add a worker with a role and a short brief.",
    audience: Audience::Lead,
    threading: Threading::Blocking,
    input: input::<Args>,
    output: output::<Spawned>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    let resume = a
        .resume
        .as_deref()
        .map(|r| AgentId::parse("resume", r))
        .transpose()?;
    to_value(ctx.engine().team_spawn(
        &caller,
        &SpawnRequest {
            role: &a.role,
            brief: a.brief.as_deref(),
            runner: a.runner.as_deref(),
            justification: a.justification.as_deref(),
            model: a.model.as_deref(),
            meta: ctx.meta,
            resume: resume.as_ref(),
        },
    )?)
}
