//! `team_vote`: a vote on an open decision.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
use crate::engine::arbitration::DecisionView;
use crate::engine::error::Result;
use crate::engine::ids::DecisionId;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub decision_id: String,
    pub choice: String,
    pub rationale: String,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec {
    name: "team_vote",
    description: "Vote on a decision: a candidate ref and a one-line rationale.",
    audience: Audience::All,
    threading: Threading::Blocking,
    input: input::<Args>,
    output: output::<DecisionView>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    let id = DecisionId::parse("decision_id", &a.decision_id)?;
    to_value(
        ctx.engine()
            .decision_vote(&caller, &id, &a.choice, &a.rationale)?,
    )
}
