//! `task_list`: the board's tasks, paged.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
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

pub const SPEC: ToolSpec = ToolSpec {
    name: "task_list",
    description: "List board tasks, paged.",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<TaskPage>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    to_value(
        ctx.engine()
            .task_list(&caller, a.status.as_deref(), a.cursor.as_deref(), a.limit)?,
    )
}
