//! `task_create`: tasks for the board (one, or a batch with dependencies), the planner's
//! recommendation, and with `spawn` the workers it recommends.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::board::NewTask;
use crate::engine::error::{EngineError, Result};
use crate::engine::team::TasksCreated;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// Task ids this waits for
    #[serde(default)]
    pub deps: Vec<String>,
    /// s|m|l
    #[serde(default)]
    pub size: Option<String>,
    /// Only this role may claim
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    /// Batch instead; deps may name a sibling's key
    #[serde(default)]
    pub tasks: Vec<NewTask>,
    /// Also spawn the planned workers
    #[serde(default)]
    pub spawn: bool,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, TasksCreated>(
    "task_create",
    "Add tasks to the board, with dependencies.",
    Audience::Lead,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        // One task (`title` and its fields) or a batch (`tasks`), never both.
        let batch = match (self.title, self.tasks.is_empty()) {
            (Some(title), true) => vec![NewTask {
                title,
                detail: self.detail,
                deps: self.deps,
                size: self.size,
                role: self.role,
                priority: self.priority,
                key: None,
            }],
            (None, false) => self.tasks,
            (Some(_), false) => {
                return Err(EngineError::invalid(
                    "tasks",
                    "give either `title` (one task) or `tasks` (a batch), not both",
                ));
            }
            (None, true) => {
                return Err(EngineError::invalid(
                    "title",
                    "missing; give `title` (one task) or `tasks` (a batch)",
                ));
            }
        };
        to_value(
            ctx.engine()
                .create_board(&caller, &batch, self.spawn, ctx.meta)?,
        )
    }
}
