//! `task_update`: set a task's status, optionally with its result artifact.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::board::Updated;
use crate::engine::error::Result;
use crate::engine::ids::TaskId;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub task_id: String,
    /// done|failed|ready|claimed(renew)|cancelled
    pub status: String,
    /// Compare-and-set version
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
    /// Result ref art:<name>@<v>
    #[serde(default)]
    pub artifact: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, Updated>(
    "task_update",
    "Set a task's status; attach a result artifact.",
    Audience::All,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let id = TaskId::parse("task_id", &self.task_id)?;
        to_value(ctx.engine().task_update(
            &caller,
            &id,
            &self.status,
            self.version,
            self.note.as_deref(),
            self.artifact.as_deref(),
        )?)
    }
}
