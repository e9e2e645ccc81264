//! `task_claim`: claim a ready task (the best one, or the one named).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
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

pub const SPEC: ToolSpec = ToolSpec::new::<Args, Claimed>(
    "task_claim",
    "Claim a ready task; exactly one claimant wins.",
    Audience::All,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let id = self
            .task_id
            .as_deref()
            .map(|t| TaskId::parse("task_id", t))
            .transpose()?;
        to_value(ctx.engine().task_claim(&caller, id.as_ref())?)
    }
}
