//! `team_pull_inbox`: new messages (a lead's also carry the team's news), long-polled.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::bus::Inbox;
use crate::engine::error::Result;
use crate::engine::wait::Pull;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Ids of messages you handled
    #[serde(default)]
    pub ack: Vec<String>,
    #[serde(default)]
    pub max: Option<i64>,
    /// Long-poll ms (lead: until needed)
    #[serde(default)]
    pub wait_ms: Option<i64>,
    /// Lead: wake at board done or a problem, not per result
    #[serde(default)]
    pub wait_all: bool,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, Inbox>(
    "team_pull_inbox",
    "Get new messages; ack the ids you handled or they come back.",
    Audience::All,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        let news_after = match caller.is_lead() {
            true => Some(ctx.news_after(&caller.team_id)),
            false => None,
        };
        let inbox = ctx.engine().pull(
            &caller,
            &Pull {
                ack: &self.ack,
                max: self.max,
                wait_ms: self.wait_ms,
                news_after,
                cancelled: ctx.cancelled,
                wait_all: self.wait_all,
            },
        )?;
        // A cancelled call's result is never delivered: keep its news for the next.
        if let Some(cursor) = inbox.cursor
            && !(ctx.cancelled)()
        {
            ctx.news_seen(&caller.team_id, cursor);
        }
        to_value(inbox)
    }
}
