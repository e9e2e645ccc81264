//! `task_update`: set a task's status, optionally with its result artifact.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
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

pub const SPEC: ToolSpec = ToolSpec {
    name: "task_update",
    description: "Set a task's status; attach a result artifact.",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<Updated>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    let id = TaskId::parse("task_id", &a.task_id)?;
    to_value(ctx.engine().task_update(
        &caller,
        &id,
        &a.status,
        a.version,
        a.note.as_deref(),
        a.artifact.as_deref(),
    )?)
}
