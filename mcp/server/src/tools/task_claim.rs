//! `task_claim`: claim a ready task (the best one, or the one named).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::board::Claimed;
use crate::engine::error::Result;
use crate::engine::ids::TaskId;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Omit for the best ready task
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec {
    name: "task_claim",
    description: "Claim a ready task; exactly one claimant wins.",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<Claimed>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    let id = a
        .task_id
        .as_deref()
        .map(|t| TaskId::parse("task_id", t))
        .transpose()?;
    to_value(ctx.engine().task_claim(&caller, id.as_ref())?)
}
