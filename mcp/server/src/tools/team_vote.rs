//! `team_vote`: a vote on an open decision.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
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

pub const SPEC: ToolSpec = ToolSpec::new::<Args, DecisionView>(
    "team_vote",
    "Vote on a decision: a candidate ref and a one-line rationale.",
    Audience::All,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let id = DecisionId::parse("decision_id", &self.decision_id)?;
        to_value(
            ctx.engine()
                .decision_vote(&caller, &id, &self.choice, &self.rationale)?,
        )
    }
}
