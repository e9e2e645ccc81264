//! `team_finalize`: close the team, stop its workers, store the run summary.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
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

pub const SPEC: ToolSpec = ToolSpec::new::<Args, RunSummary>(
    "team_finalize",
    "Close the team: stop workers, store the run summary.",
    Audience::Lead,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let summary = ctx
            .engine()
            .team_finalize(&caller, self.summary.as_deref())?;
        ctx.lead_left(&caller.team_id);
        to_value(summary)
    }
}
