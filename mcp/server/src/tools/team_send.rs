//! `team_send`: a message to one teammate.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::bus::Sent;
use crate::engine::error::Result;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Agent id or `lead`
    pub to: String,
    pub body: String,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_send",
    description: "Message one teammate (large content: send an artifact ref).",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<Sent>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    to_value(
        ctx.engine()
            .team_send(&caller, &a.to, &a.body, a.idempotency_key.as_deref())?,
    )
}
