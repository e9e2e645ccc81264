//! The team message bus: direct messages and broadcasts with at-least-once delivery.
//!
//! - A send with an idempotency key that was used before returns the first message id and
//!   stores nothing; the same key with another recipient or body is a `conflict` naming the
//!   first message, never a silent drop.
//! - A pull leases what it returns for the profile's `inbox_lease_ms` (at most 30 s).
//!   Messages are acknowledged by passing their ids to the next pull; anything not
//!   acknowledged comes back after its lease with a higher `delivery_count`. An acknowledged
//!   message never comes back.
//! - Waiting is built here: `Engine::wait_for_mail` sleeps on SQLite's `data_version`, so
//!   a wait costs no queries while nothing commits. The pull itself (`team_pull_inbox`: a
//!   worker's long-poll and the lead's wait) sits one layer up, in the `wait` module.

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{AgentId, MessageId};
use crate::store::board::TaskCounts;
use crate::store::{self, now_ms};
use crate::team::refuse_dead;
use crate::{Caller, Engine};

const KEY_MAX: usize = 128;
/// How often a long-poll looks at `data_version`, at first and at most.
const POLL_FIRST: Duration = Duration::from_millis(2);
const POLL_MAX: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Sent {
    pub message_id: String,
    /// How many inboxes the message went to.
    pub recipients: i64,
    /// True when the idempotency key was seen before and nothing new was stored.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InboxMessage {
    pub message_id: String,
    pub from: String,
    pub body: String,
    /// 1 on first delivery; higher means an earlier delivery was not acknowledged.
    pub delivery_count: i64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub broadcast: bool,
    pub sent_at: i64,
}

/// One thing that happened on the team that the lead may need to act on.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct News {
    /// task.done | task.failed | task.returned | agent.dead | decision.resolved
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    /// The task's result ref, or the decision's winner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// The task's note or the reason, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Inbox {
    pub messages: Vec<InboxMessage>,
    /// How many of the passed `ack` ids were acknowledged now.
    pub acked: i64,
    /// When the returned messages come back if not acknowledged (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    /// Lead only: what happened since its last pull.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub news: Vec<News>,
    /// Lead only: the board now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<TaskCounts>,
    /// Lead only: live workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<i64>,
    /// Lead only: workers the planner would start now.
    #[serde(skip_serializing_if = "is_zero")]
    pub spawn: u32,
    /// Lead only: no task is open (finalize).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub board_done: bool,
    /// Lead only: where the next pull's news starts (kept by the server, not shown).
    #[serde(skip)]
    pub cursor: Option<i64>,
}

/// Which deliverable mail ends a wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mail<'a> {
    /// None (a settling lead waits for news only).
    Ignore,
    Any,
    /// Mail from anyone but this sender (a lead is not woken by the engine's own notes).
    NotFrom(&'a str),
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Engine {
    fn check_body(&self, caller: &Caller, body: &str) -> Result<()> {
        if body.trim().is_empty() {
            return Err(EngineError::invalid("body", "empty; say something"));
        }
        let cap = self.team_profile(&caller.team_id)?.messages.body_cap_bytes;
        if body.len() as i64 > cap {
            return Err(EngineError::Limit(format!(
                "`body` is {} bytes, over this team's {cap}-byte message cap; hint: publish the content with artifact_publish and send its ref",
                body.len()
            )));
        }
        self.check_compact(&caller.team_id, &caller.agent_id, body)
    }

    fn check_key(key: Option<&str>) -> Result<Option<&str>> {
        match key {
            Some(k) if k.is_empty() || k.len() > KEY_MAX => Err(EngineError::invalid(
                "idempotency_key",
                format!("must be 1 to {KEY_MAX} bytes"),
            )),
            other => Ok(other),
        }
    }

    /// Sends `body` to one agent of the caller's team (`to` = an agent id or `lead`).
    pub fn team_send(
        &self,
        caller: &Caller,
        to: &str,
        body: &str,
        key: Option<&str>,
    ) -> Result<Sent> {
        self.check_body(caller, body)?;
        let key = Self::check_key(key)?;
        let to = if to.trim().eq_ignore_ascii_case("lead") {
            self.lead_caller(&caller.team_id)?.agent_id
        } else {
            AgentId::parse("to", to)?
        };
        if to == caller.agent_id {
            return Err(EngineError::invalid(
                "to",
                "is the caller itself; send to a teammate",
            ));
        }
        self.send_to(caller, Some(&to), body, key)
    }

    /// Sends `body` to every other live agent of the caller's team.
    pub fn team_broadcast(&self, caller: &Caller, body: &str, key: Option<&str>) -> Result<Sent> {
        self.check_body(caller, body)?;
        let key = Self::check_key(key)?;
        self.send_to(caller, None, body, key)
    }

    /// Stores the message. The sender's liveness and the recipient's membership are checked
    /// inside the write transaction: no separate reads on the hot path, and no send slips in
    /// after the sender was stopped.
    fn send_to(
        &self,
        caller: &Caller,
        to: Option<&AgentId>,
        body: &str,
        key: Option<&str>,
    ) -> Result<Sent> {
        let team = caller.team_id.as_str();
        let from = caller.agent_id.as_str();
        self.store().write(|tx| {
            refuse_dead(caller, &store::teams::liveness(tx, team, from)?)?;
            if let Some(to) = to
                && store::teams::team_of_agent(tx, to.as_str())?.as_deref() != Some(team)
            {
                return Err(EngineError::not_found_hint(
                    "agent",
                    to.as_str(),
                    "`to` must be an agent of this team (see team_status) or `lead`",
                ));
            }
            if let Some(k) = key
                && let Some(first) = store::bus::find_by_key(tx, team, from, k)?
            {
                // A key names one request, as in payment APIs: the same key with another
                // recipient or body is a caller bug, and answering `duplicate` would drop
                // the second message silently.
                if first.to.as_deref() != to.map(AgentId::as_str) || first.body != body {
                    return Err(EngineError::conflict(
                        format!(
                            "`idempotency_key` `{k}` was already used for message {} with another {}; hint: use a new key for a new message",
                            first.message_id,
                            if first.body != body { "body" } else { "recipient" }
                        ),
                        json!({ "message_id": first.message_id, "to": first.to }),
                    ));
                }
                let recipients = store::bus::recipient_count(tx, &first.message_id)?;
                return Ok(Sent {
                    message_id: first.message_id,
                    recipients,
                    duplicate: true,
                });
            }
            let recipients = match to {
                Some(to) => vec![to.to_string()],
                None => store::bus::broadcast_recipients(tx, team, from)?,
            };
            let id = MessageId::generate();
            store::bus::insert(
                tx,
                &store::bus::NewMessage {
                    message_id: id.as_str(),
                    team_id: team,
                    from,
                    to: to.map(AgentId::as_str),
                    body,
                    key,
                    now: now_ms(),
                },
                &recipients,
            )?;
            events::record(
                tx,
                &Trace::team(&caller.team_id)
                    .agent(&caller.agent_id)
                    .message(&id),
                if to.is_some() {
                    "message.sent"
                } else {
                    "message.broadcast"
                },
                json!({ "to": to, "recipients": recipients.len(), "bytes": body.len() }),
            )?;
            Ok(Sent {
                message_id: id.to_string(),
                recipients: recipients.len() as i64,
                duplicate: false,
            })
        })
    }

    /// Acknowledges `ack` and leases up to `max` deliverable messages, in one transaction.
    /// Returns how many were acknowledged and the leased messages.
    pub(crate) fn ack_and_lease(
        &self,
        caller: &Caller,
        ack: &[String],
        max: i64,
    ) -> Result<(i64, Inbox)> {
        let profile = self.team_profile(&caller.team_id)?;
        let agent = caller.agent_id.as_str();
        let now = now_ms();
        let until = now + profile.messages.inbox_lease_ms;
        let (acked, pulled) = self.store().write(|tx| -> Result<_> {
            let acked = store::bus::ack(tx, agent, ack, now)?;
            for id in &acked {
                let mid = MessageId::from_db(id.clone());
                events::record(
                    tx,
                    &Trace::team(&caller.team_id)
                        .agent(&caller.agent_id)
                        .message(&mid),
                    "message.acked",
                    json!({}),
                )?;
            }
            let pulled = if max > 0 {
                store::bus::lease(tx, agent, max, now, until)?
            } else {
                Vec::new()
            };
            for p in &pulled {
                let mid = MessageId::from_db(p.message_id.clone());
                events::record(
                    tx,
                    &Trace::team(&caller.team_id)
                        .agent(&caller.agent_id)
                        .message(&mid),
                    "message.delivered",
                    json!({ "delivery_count": p.delivery_count }),
                )?;
            }
            Ok((acked.len() as i64, pulled))
        })?;
        Ok((
            acked,
            Inbox {
                lease_until: (!pulled.is_empty()).then_some(until),
                messages: pulled
                    .into_iter()
                    .map(|p| InboxMessage {
                        message_id: p.message_id,
                        from: p.from,
                        body: p.body,
                        delivery_count: p.delivery_count,
                        broadcast: p.broadcast,
                        sent_at: p.sent_at,
                    })
                    .collect(),
                acked,
                ..Inbox::default()
            },
        ))
    }

    /// Sleeps until mail for `agent` may be deliverable (as `mail` says), the team has news
    /// after the cursor in `news`,
    /// `deadline` passes or `cancelled` says so. Looks at
    /// `data_version` (no table read) and only queries after another commit, or when an
    /// unacknowledged lease is due to run out.
    pub(crate) fn wait_for_mail(
        &self,
        agent: &str,
        news: Option<(&str, i64)>,
        mail: Mail<'_>,
        deadline: Instant,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<()> {
        self.store().read(|conn| {
            let mut version = store::bus::data_version(conn)?;
            let mut lease_due = store::bus::next_lease_expiry(conn, agent)?;
            let mut step = POLL_FIRST;
            while Instant::now() < deadline && !cancelled() {
                std::thread::sleep(step.min(deadline.saturating_duration_since(Instant::now())));
                step = (step * 2).min(POLL_MAX);
                let now = now_ms();
                let v = store::bus::data_version(conn)?;
                let due = lease_due.is_some_and(|t| t <= now);
                if v != version || due {
                    let wake = match mail {
                        Mail::Ignore => false,
                        Mail::Any => store::bus::has_deliverable(conn, agent, now, None)?,
                        Mail::NotFrom(from) => {
                            store::bus::has_deliverable(conn, agent, now, Some(from))?
                        }
                    };
                    if wake {
                        return Ok(());
                    }
                    if let Some((team, after)) = news
                        && store::events::has_lead_news(conn, team, after)?
                    {
                        return Ok(());
                    }
                    version = v;
                    lease_due = store::bus::next_lease_expiry(conn, agent)?.filter(|t| *t > now);
                    step = POLL_FIRST;
                }
            }
            Ok(())
        })
    }
}
