//! `team_merge`: open a decision among candidate refs, poll it, or override it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::arbitration::{DecisionView, Merge};
use crate::engine::error::Result;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
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

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_merge",
    description: "Decide among candidate refs; poll by decision_id; override with choice.",
    audience: Audience::Lead,
    threading: Threading::Blocking,
    input: input::<Args>,
    output: output::<DecisionView>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    to_value(ctx.engine().decision_merge(
        &caller,
        &Merge {
            candidates: &a.candidates,
            mode: a.mode.as_deref(),
            question: a.question.as_deref(),
            decision_id: a.decision_id.as_deref(),
            choice: a.choice.as_deref(),
        },
    )?)
}
