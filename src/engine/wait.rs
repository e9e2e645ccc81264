//! The pull that waits: `team_pull_inbox` over the bus's leasing and sleeping. A worker's
//! pull long-polls for mail or for work that may have become claimable; a lead's is the
//! lead's wait: one call that blocks until something needs the lead.
//!
//! With a real model a worker takes minutes; a lead that polls pays a whole request (its
//! instructions, tools and growing history) every few seconds for nothing. So a lead's pull
//! with a news cursor waits up to `messages.lead_max_wait_ms` (at most ten minutes) and wakes
//! when:
//! - a message reaches the lead from a worker (the engine's own notes — a worker ended or
//!   was stopped — come with the next wake: what they change wakes the lead when it
//!   matters);
//! - there is lead news: a task done or failed, work back on the board (a claim released or
//!   expired), a worker dead, a decision resolved (with `wait_all`, a task done alone does
//!   not wake it: the results then arrive together, with the board done);
//! - the board is done, or open work has no live worker left (the lead must act), or the
//!   planner now wants more workers than when the wait began.
//!
//! The result carries the news and the board's counts, so the lead needs no status call
//! after a wake. Other processes write the news: the wait sleeps on SQLite's
//! `data_version` (no table read while nothing commits) and checks with one indexed query.
//! [`Engine::pull`] hands a lead's call to [`Engine::lead_wait`]. Nothing is leased
//! while it waits, so a cancelled wait takes nothing from the inbox.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bus::{Inbox, Mail, News};
use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::guardrails::SYSTEM;
use crate::ids::{MessageId, TeamId};
use crate::store::board::TaskCounts;
use crate::store::{self, now_ms};
use crate::{Caller, Engine};

/// How often a waiting lead runs the team's housekeeping (idle shutdown needs a caller).
pub const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(30);
/// How long a lead woken by a message from a worker that still holds a task waits for that
/// task's result, so a result and the message announcing it arrive in one wake.
pub const LEAD_SETTLE: Duration = Duration::from_secs(10);
/// Most news items one pull returns; the rest come with the next pull.
const NEWS_MAX: i64 = 20;
/// Longest note or reason copied into a news item.
const NOTE_MAX: usize = 160;

/// One pull request.
pub struct Pull<'a> {
    /// Message ids to acknowledge.
    pub ack: &'a [String],
    pub max: Option<i64>,
    pub wait_ms: Option<i64>,
    /// Lead only: news starts after this event number (the previous pull's cursor).
    /// None: an ordinary inbox pull.
    pub news_after: Option<i64>,
    /// Polled while waiting; true ends the wait at once (the client cancelled the call).
    pub cancelled: &'a dyn Fn() -> bool,
    /// Lead only: a task done is no reason to wake (its news comes with the next wake);
    /// the board done, a failure, a message, a decision or stalled work still are.
    pub wait_all: bool,
}

/// What a lead's pull sees of the team.
#[derive(Debug, Clone)]
pub struct LeadView {
    pub news: Vec<News>,
    /// Where the next pull's news starts.
    pub cursor: i64,
    pub tasks: TaskCounts,
    /// Live workers.
    pub workers: i64,
    /// Workers the planner would start now.
    pub spawn: u32,
}

impl LeadView {
    pub fn open(&self) -> i64 {
        self.tasks.ready + self.tasks.blocked + self.tasks.claimed
    }

    /// Nothing is open and something was finished.
    pub fn board_done(&self) -> bool {
        self.open() == 0 && self.tasks.done + self.tasks.failed + self.tasks.cancelled > 0
    }

    /// Whether the lead should be woken: news, a finished board, open work nobody can do,
    /// or the planner asking for more workers than `spawn_before` (what the lead last saw).
    pub fn needs_lead(&self, spawn_before: u32, wait_all: bool) -> bool {
        self.news
            .iter()
            .any(|n| !(wait_all && n.kind == "task.done"))
            || self.board_done()
            || (self.open() > 0 && self.workers == 0)
            || self.spawn > spawn_before
    }
}

fn text(data: &Value, key: &str) -> Option<String> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.chars().count() > NOTE_MAX {
                let cut: String = s.chars().take(NOTE_MAX).collect();
                format!("{cut}…")
            } else {
                s.to_string()
            }
        })
}

fn news_of(e: Event) -> News {
    let mut n = News {
        kind: e.kind.clone(),
        task_id: e.refs.task_id,
        agent_id: e.refs.agent_id,
        decision_id: None,
        artifact: None,
        note: None,
    };
    match e.kind.as_str() {
        "task.updated" => {
            let to = e
                .data
                .get("to")
                .and_then(Value::as_str)
                .unwrap_or("updated");
            n.kind = format!("task.{to}");
            n.artifact = text(&e.data, "artifact");
            n.note = text(&e.data, "note");
        }
        "task.released" => {
            n.kind = "task.returned".into();
            n.note = text(&e.data, "reason");
        }
        "task.lease_expired" => {
            n.kind = "task.returned".into();
            n.note = Some("claim lease expired".into());
        }
        "decision.resolved" => {
            n.decision_id = text(&e.data, "decision_id");
            n.artifact = text(&e.data, "winner");
            n.note = text(&e.data, "outcome").or_else(|| text(&e.data, "status"));
        }
        _ => n.note = text(&e.data, "reason"),
    }
    n
}

impl Engine {
    /// Acknowledges `ack`, then leases up to `max` messages, waiting up to `wait_ms` for one.
    pub fn team_pull_inbox(
        &self,
        caller: &Caller,
        ack: &[String],
        max: Option<i64>,
        wait_ms: Option<i64>,
    ) -> Result<Inbox> {
        self.pull(
            caller,
            &Pull {
                ack,
                max,
                wait_ms,
                news_after: None,
                cancelled: &|| false,
                wait_all: false,
            },
        )
    }

    /// Acknowledges `ack`, then leases up to `max` messages, waiting up to `wait_ms` for
    /// something to return. A worker waits (at most `messages.max_wait_ms`) for a message,
    /// or for work that may have become claimable: a task finished or back on the board.
    /// A lead with a news cursor waits for anything that needs it (see the module doc),
    /// at most `messages.lead_max_wait_ms`, and gets the board's state with the result.
    pub fn pull(&self, caller: &Caller, req: &Pull<'_>) -> Result<Inbox> {
        self.check_live(caller)?;
        let profile = self.team_profile(&caller.team_id)?;
        let max = match req.max {
            None => profile.messages.max_pull,
            Some(m) if (1..=profile.messages.max_pull).contains(&m) => m,
            Some(m) => {
                return Err(EngineError::invalid(
                    "max",
                    format!("{m} is out of range; 1 to {}", profile.messages.max_pull),
                ));
            }
        };
        let news_after = req.news_after.filter(|_| caller.is_lead());
        let cap = match news_after {
            Some(_) => profile
                .messages
                .lead_max_wait_ms
                .max(profile.messages.max_wait_ms),
            None => profile.messages.max_wait_ms,
        };
        let wait = match req.wait_ms {
            None => 0,
            Some(w) if w < 0 => {
                return Err(EngineError::invalid(
                    "wait_ms",
                    format!("{w} is negative; 0 to {cap}"),
                ));
            }
            Some(w) => w.min(cap),
        };
        let mut ids = Vec::with_capacity(req.ack.len());
        for (i, raw) in req.ack.iter().enumerate() {
            ids.push(MessageId::parse(&format!("ack[{i}]"), raw)?.to_string());
        }
        if let Some(after) = news_after {
            return self.lead_wait(caller, &ids, max, wait, after, req);
        }
        let deadline = Instant::now() + Duration::from_millis(wait as u64);
        // A waiting worker also wakes when work may have become claimable (a task finished,
        // so its dependants may be ready, or a task came back to the board).
        let unblock_after = match wait > 0 {
            true => Some(
                self.store()
                    .read(|c| store::events::last_seq(c, caller.team_id.as_str()))?,
            ),
            false => None,
        };
        let agent = caller.agent_id.as_str();
        let mut acked_total = 0i64;
        let mut pending_ack = ids;
        loop {
            let (acked, inbox) = self.ack_and_lease(caller, &pending_ack, max)?;
            acked_total += acked;
            pending_ack.clear();
            let unblocked = match unblock_after {
                Some(after) => self
                    .store()
                    .read(|c| store::events::has_lead_news(c, caller.team_id.as_str(), after))?,
                None => false,
            };
            if !inbox.messages.is_empty()
                || unblocked
                || Instant::now() >= deadline
                || (req.cancelled)()
            {
                return Ok(Inbox {
                    acked: acked_total,
                    ..inbox
                });
            }
            let news = unblock_after.map(|after| (caller.team_id.as_str(), after));
            self.wait_for_mail(agent, news, Mail::Any, deadline, req.cancelled)?;
        }
    }

    /// Where a lead's news starts now: after everything already recorded for `team`.
    pub fn news_cursor(&self, team: &TeamId) -> Result<i64> {
        self.store()
            .read(|c| Ok(store::events::last_seq(c, team.as_str())?))
    }

    /// The lead's view of `team`: news after `after`, the board and the workers.
    pub fn lead_view(&self, team: &TeamId, after: i64) -> Result<LeadView> {
        let plan = self.recommend(team)?;
        let now = now_ms();
        let (events, hi, tasks, workers) = self.store().read(|c| -> Result<_> {
            // Everything up to `hi` is committed (SQLite has one writer), so the cursor
            // can move past events that are not news without skipping any that are.
            let hi = store::events::last_seq(c, team.as_str())?;
            let events = store::events::lead_news(c, team.as_str(), after, hi, NEWS_MAX)?;
            let tasks = store::board::counts(c, team.as_str(), now)?;
            let workers = store::teams::agents(c, team.as_str())?
                .iter()
                .filter(|a| a.is_live_worker())
                .count() as i64;
            Ok((events, hi, tasks, workers))
        })?;
        let cursor = if events.len() as i64 >= NEWS_MAX {
            events.last().map(|e| e.seq).unwrap_or(hi)
        } else {
            hi
        };
        Ok(LeadView {
            news: events.into_iter().map(news_of).collect(),
            cursor,
            tasks,
            workers,
            spawn: plan.spawn,
        })
    }

    /// Whether any of `senders` is a worker of `team` that holds a task now.
    fn senders_hold_tasks(&self, team: &TeamId, senders: &[String]) -> Result<bool> {
        if senders.is_empty() {
            return Ok(false);
        }
        let agents = self
            .store()
            .read(|c| store::teams::agents(c, team.as_str()))?;
        Ok(senders.iter().any(|s| {
            agents
                .iter()
                .any(|a| a.agent_id == *s && a.current_task.is_some())
        }))
    }

    /// The lead's pull with a news cursor: acknowledges `ack`, waits up to `wait` ms until
    /// something needs the lead (see the module doc), then leases up to `max` messages and
    /// returns them with the news and the board. Nothing is leased while waiting, so a
    /// cancelled wait takes nothing from the inbox.
    pub(crate) fn lead_wait(
        &self,
        caller: &Caller,
        ack: &[String],
        max: i64,
        wait: i64,
        after: i64,
        req: &Pull<'_>,
    ) -> Result<Inbox> {
        let (cancelled, wait_all) = (req.cancelled, req.wait_all);
        let started = Instant::now();
        let mut deadline = started + Duration::from_millis(wait as u64);
        let (acked, _) = self.ack_and_lease(caller, ack, 0)?;
        let team = &caller.team_id;
        let agent = caller.agent_id.as_str();
        let mut settling = false;
        let mut housekept = started;
        let mut spawn_before = None;
        loop {
            if cancelled() {
                return Ok(Inbox {
                    acked,
                    ..Inbox::default()
                });
            }
            let view = self.lead_view(team, after)?;
            let before = *spawn_before.get_or_insert(view.spawn);
            let senders = self
                .store()
                .read(|c| store::bus::deliverable_senders(c, agent, now_ms()))?;
            // The engine's own notes (a worker ended or was stopped) do not need the lead by
            // themselves: what they change wakes it when it matters (stalled work, the
            // board done, more workers wanted). They come with the next wake.
            let mail = senders.iter().any(|s| s != SYSTEM);
            let woken = mail || view.needs_lead(before, wait_all);
            let now = Instant::now();
            if woken
                && !settling
                && view.news.is_empty()
                && now < deadline
                && self.senders_hold_tasks(team, &senders)?
            {
                // A message from a worker that still holds a task usually comes just
                // before that task's result: wait a little for it, so one wake has both.
                settling = true;
                deadline = deadline.min(now + LEAD_SETTLE);
            } else if (woken && !settling) || (settling && !view.news.is_empty()) || now >= deadline
            {
                let (_, inbox) = self.ack_and_lease(caller, &[], max)?;
                return Ok(Inbox {
                    acked,
                    board_done: view.board_done(),
                    tasks: Some(view.tasks),
                    workers: Some(view.workers),
                    spawn: view.spawn,
                    cursor: Some(view.cursor),
                    news: view.news,
                    ..inbox
                });
            }
            if housekept.elapsed() >= HOUSEKEEPING_EVERY {
                // Idle shutdown needs someone to look; a waiting lead is the one who is there.
                self.housekeeping(team)?;
                housekept = Instant::now();
                continue;
            }
            let until = deadline.min(Instant::now() + HOUSEKEEPING_EVERY);
            let mail = match settling {
                true => Mail::Ignore,
                false => Mail::NotFrom(SYSTEM),
            };
            self.wait_for_mail(agent, Some((team.as_str(), after)), mail, until, cancelled)?;
        }
    }
}
