//! `team_finalize`: close the team, stop its workers, store the run summary.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::error::Result;
use crate::engine::team::RunSummary;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_finalize",
    description: "Close the team: stop workers, store the run summary.",
    audience: Audience::Lead,
    threading: Threading::Blocking,
    input: input::<Args>,
    output: output::<RunSummary>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    let summary = ctx.engine().team_finalize(&caller, a.summary.as_deref())?;
    ctx.lead_left(&caller.team_id);
    to_value(summary)
}
