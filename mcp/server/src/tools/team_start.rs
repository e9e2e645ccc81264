//! `team_start`: start a team for a goal with the caller as lead, or resume one; with
//! `tasks` also its board (and with `spawn` its workers) in the same call.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::board::NewTask;
use crate::engine::error::{EngineError, Result};
use crate::engine::ids::TeamId;
use crate::engine::team::TeamStarted;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub goal: String,
    /// default|fast|deep or a user profile
    #[serde(default)]
    pub profile: Option<String>,
    /// Resume this team
    #[serde(default)]
    pub team_id: Option<String>,
    /// From team_start; to resume in another session
    #[serde(default)]
    pub lead_secret: Option<String>,
    /// The board too: task_create's `tasks`
    #[serde(default)]
    pub tasks: Vec<serde_json::Value>,
    /// With tasks: also spawn the planned workers
    #[serde(default)]
    pub spawn: bool,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, TeamStarted>(
    "team_start",
    "Start a team for a goal (you become lead), or resume one by team_id.",
    Audience::Lead,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let out = start(ctx, self);
        if out.is_ok() {
            // The team exists now: the session's requests so far are its lead's.
            ctx.meter_session();
        }
        out
    }
}

fn start(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let e = ctx.engine();
    let resume = a
        .team_id
        .as_deref()
        .map(|t| TeamId::parse("team_id", t))
        .transpose()?;
    let who = resume
        .as_ref()
        .map(|id| (id, ctx.resume_as(id, a.lead_secret.as_deref())));
    let started = e.team_start(&a.goal, a.profile.as_deref(), ctx.workspace(), who)?;
    ctx.lead_started(TeamId::from_db(started.team_id.clone()))?;
    if a.tasks.is_empty() {
        if a.spawn {
            return Err(EngineError::invalid(
                "spawn",
                "needs `tasks`: the workers are spawned for the board they create",
            ));
        }
        return to_value(started);
    }
    // The board (and its workers) in the same call. Its tasks are task_create's (their
    // schema is shown once, there).
    let mut batch = Vec::with_capacity(a.tasks.len());
    for (i, t) in a.tasks.into_iter().enumerate() {
        let task: NewTask = serde_json::from_value(t).map_err(|err| {
            EngineError::invalid(
                format!("tasks[{i}]"),
                format!(
                    "{err}; a task is {{title, key?, deps?, detail?, size?, role?, priority?}}"
                ),
            )
        })?;
        batch.push(task);
    }
    let caller = ctx.caller(Some(&started.team_id))?;
    let board = e.create_board(&caller, &batch, a.spawn, ctx.meta)?;
    let mut out = to_value(started)?;
    out["board"] = to_value(board)?;
    Ok(out)
}
