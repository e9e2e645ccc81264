//! `task_list`: the board's tasks, paged.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::board::TaskPage;
use crate::engine::error::Result;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// ready|blocked|claimed|done|failed|cancelled
    #[serde(default)]
    pub status: Option<String>,
    /// next_cursor of the previous page
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1-500, default 50
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, TaskPage>(
    "task_list",
    "List board tasks, paged.",
    Audience::All,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        to_value(ctx.engine().task_list(
            &caller,
            self.status.as_deref(),
            self.cursor.as_deref(),
            self.limit,
        )?)
    }
}
