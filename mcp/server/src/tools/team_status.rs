//! `team_status`: the team's agents, task counts, the caller's unread count, tokens used.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::error::Result;
use crate::engine::team::TeamStatus;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_status",
    description: "Team agents, task counts, your unread count, tokens used.",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<TeamStatus>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    to_value(ctx.engine().team_status(&caller)?)
}
