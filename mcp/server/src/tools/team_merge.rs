//! `team_merge`: open a decision among candidate refs, poll it, or override it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
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

pub const SPEC: ToolSpec = ToolSpec::new::<Args, DecisionView>(
    "team_merge",
    "Decide among candidate refs; poll by decision_id; override with choice.",
    Audience::Lead,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        to_value(ctx.engine().decision_merge(
            &caller,
            &Merge {
                candidates: &self.candidates,
                mode: self.mode.as_deref(),
                question: self.question.as_deref(),
                decision_id: self.decision_id.as_deref(),
                choice: self.choice.as_deref(),
            },
        )?)
    }
}
