//! `artifact_publish`: store content as a versioned artifact; with `task_id` also finish
//! that task with it and claim the caller's next.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::error::{EngineError, Result};
use crate::engine::ids::TaskId;
use crate::engine::{artifacts, board};
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    pub content: String,
    /// Latest version when updating
    #[serde(default)]
    pub parent: Option<String>,
    /// Your task it completes: marks it done, claims your next
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

/// `artifact_publish`'s result: the artifact; with a `task_id` also that task done with it,
/// the caller's next task (claimed, or `claimed: false` and why) and its unread messages.
#[derive(serde::Serialize, JsonSchema)]
pub struct PublishedDone {
    #[serde(flatten)]
    pub published: artifacts::Published,
    /// With `task_id`: that task, now done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<board::Updated>,
    /// With `task_id`: your next task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<board::Claimed>,
    /// With `task_id`: messages waiting in your inbox (pull them when not 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<i64>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, PublishedDone>(
    "artifact_publish",
    "Store content as a versioned artifact; returns its ref.",
    Audience::All,
    Threading::Blocking,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let e = ctx.engine();
        let caller = ctx.caller(self.team_id.as_deref())?;
        let task = self
            .task_id
            .as_deref()
            .map(|t| TaskId::parse("task_id", t))
            .transpose()?;
        let published =
            e.artifact_publish(&caller, &self.name, &self.content, self.parent.as_deref())?;
        let Some(task) = task else {
            return to_value(published);
        };
        // The task's result in the same call: the task done with this artifact, and the
        // caller's next task claimed, so a worker needs no more calls between one task and
        // the next.
        let done = e
            .task_update(
                &caller,
                &task,
                crate::engine::store::TaskStatus::Done.as_str(),
                None,
                None,
                Some(&published.reference),
            )
            .map_err(|err| {
                EngineError::Config(format!(
                    "published {} but task {task} was not marked done: {err}",
                    published.reference
                ))
            })?;
        // The task is done whatever happens next: a claim that fails (the board done stopped
        // this worker, say) is reported as no next task, with the reason.
        let next = e
            .task_claim(&caller, None)
            .unwrap_or_else(|err| board::Claimed::nothing(err.to_string()));
        let unread = e.unread_count(&caller.agent_id)?;
        to_value(PublishedDone {
            published,
            done: Some(done),
            next: Some(next),
            unread: Some(unread),
        })
    }
}
