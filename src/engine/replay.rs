//! Replay: the timeline of a team from its event log, checked rather than only shown.
//!
//! Three checks run over the recorded events:
//! 1. the hash chain (see `migrations/V3__event_chain.sql`): an edited, inserted or removed
//!    event breaks it;
//! 2. every fan-out recommendation is recomputed from its recorded inputs with the current
//!    planner and must match what was recorded;
//! 3. the board is rebuilt event by event and every claim must have been legal when it was
//!    made (task ready, dependencies done, nobody else holding it);
//! 4. every arbitration outcome is recomputed from its recorded inputs;
//! 5. the token charges (`tokens.used`, one per model request) are added up per agent and
//!    must equal what the store holds for that agent; their sum is the report's `tokens`.
//!
//! Any mismatch is a divergence; `codex-teams replay` exits non-zero when there is one.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::Engine;
use crate::arbitration::{DecisionInput, evaluate};
use crate::error::Result;
use crate::events::{Event, EventRefs};
use crate::fanout::{self, PlanInput, Recommendation};
use crate::ids::TeamId;
use crate::store::{self, StoredTaskStatus, TaskStatus};

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Divergence {
    pub seq: i64,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    /// Milliseconds since the team started.
    pub at_ms: i64,
    pub kind: String,
    #[serde(flatten)]
    pub refs: EventRefs,
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReplayReport {
    pub team_id: String,
    pub events: usize,
    pub checked: Checked,
    pub divergences: Vec<Divergence>,
    /// The team's token use, added up from its `tokens.used` events.
    pub tokens: ReplayTokens,
    pub timeline: Vec<TimelineEntry>,
}

/// Token use replayed from the charges in the event log.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ReplayTokens {
    /// Charges (model requests) recorded.
    pub requests: usize,
    pub input: i64,
    pub cached: i64,
    pub output: i64,
    /// input + output, as budgets count it.
    pub total: i64,
    /// The lead's part of `total`.
    pub lead: i64,
    /// The workers' part of `total`.
    pub workers: i64,
}

/// How many decisions of each kind were re-run.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Checked {
    pub chain: usize,
    pub recommendations: usize,
    pub claims: usize,
    pub decisions: usize,
    /// Agents whose charged total was re-added from their charges.
    pub usage: usize,
}

#[derive(Debug)]
struct BoardTask {
    status: StoredTaskStatus,
    owner: Option<String>,
    deps: Vec<String>,
}

impl Engine {
    pub fn replay(&self, team: &TeamId) -> Result<ReplayReport> {
        self.store()
            .read(|c| store::teams::team(c, team.as_str()))?;
        // Usage written since the last charge, so the totals match `status`.
        self.meter_team(team)?;
        let (raw, agents) = self.store().read(|c| -> Result<_> {
            Ok((
                store::events::list_raw(c, team.as_str())?,
                store::teams::agents(c, team.as_str())?,
            ))
        })?;
        let mut divergences = Vec::new();
        let mut checked = Checked::default();
        let mut prev = String::new();
        let mut chain_broken = false;
        for r in &raw {
            let e = &r.event;
            if r.expected_chain(&prev) != r.chain && !chain_broken {
                divergences.push(Divergence {
                    seq: e.seq,
                    kind: e.kind.clone(),
                    detail: "hash chain broken: this event or one before it was edited, inserted or removed".into(),
                });
                chain_broken = true;
            }
            checked.chain += 1;
            prev = r.chain.clone();
        }
        let events: Vec<&Event> = raw.iter().map(|r| &r.event).collect();
        let mut board: BTreeMap<String, BoardTask> = BTreeMap::new();
        for e in &events {
            match e.kind.as_str() {
                "fanout.recommended" => {
                    checked.recommendations += 1;
                    let input = e
                        .data
                        .get("input")
                        .cloned()
                        .map(serde_json::from_value::<PlanInput>);
                    let recorded = e
                        .data
                        .get("plan")
                        .cloned()
                        .map(serde_json::from_value::<Recommendation>);
                    let digest = e.data.get("input_digest").and_then(Value::as_str);
                    match (input, recorded) {
                        (Some(Ok(input)), Some(Ok(_)))
                            if digest.is_some_and(|d| d != crate::status::input_digest(&input)) =>
                        {
                            divergences.push(Divergence {
                                seq: e.seq,
                                kind: e.kind.clone(),
                                detail: "the recorded input does not match its recorded digest"
                                    .into(),
                            });
                        }
                        // A large board's recommendation records its input's digest and
                        // shape, not the input: nothing to re-run.
                        (None, Some(Ok(_))) if digest.is_some() => {}
                        (Some(Ok(input)), Some(Ok(recorded))) => {
                            let now = fanout::plan(&input);
                            if now != recorded {
                                divergences.push(Divergence {
                                    seq: e.seq,
                                    kind: e.kind.clone(),
                                    detail: format!(
                                        "recorded {} worker(s) ({:?}); the planner now says {} ({:?})",
                                        recorded.recommended, recorded.class, now.recommended, now.class
                                    ),
                                });
                            }
                        }
                        _ => divergences.push(Divergence {
                            seq: e.seq,
                            kind: e.kind.clone(),
                            detail: "recommendation without readable input/plan".into(),
                        }),
                    }
                }
                "task.created" => {
                    if let Some(t) = &e.refs.task_id {
                        let deps = e
                            .data
                            .get("deps")
                            .and_then(Value::as_array)
                            .map(|d| {
                                d.iter()
                                    .filter_map(|v| v.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default();
                        board.insert(
                            t.clone(),
                            BoardTask {
                                status: StoredTaskStatus::Open,
                                owner: None,
                                deps,
                            },
                        );
                    }
                }
                "task.claimed" => {
                    checked.claims += 1;
                    if let Some(problem) = claim_problem(&board, e) {
                        divergences.push(Divergence {
                            seq: e.seq,
                            kind: e.kind.clone(),
                            detail: problem,
                        });
                    }
                    if let Some(t) = e.refs.task_id.as_ref().and_then(|t| board.get_mut(t)) {
                        t.status = StoredTaskStatus::Claimed;
                        t.owner = e.refs.agent_id.clone();
                    }
                }
                "task.updated" => {
                    if let Some(t) = e.refs.task_id.as_ref().and_then(|t| board.get_mut(t)) {
                        let to = e.data.get("to").and_then(Value::as_str).unwrap_or("");
                        t.status = match TaskStatus::parse(to) {
                            Ok(
                                to @ (TaskStatus::Done
                                | TaskStatus::Failed
                                | TaskStatus::Cancelled
                                | TaskStatus::Ready),
                            ) => to.stored(),
                            _ => t.status,
                        };
                        if t.status != StoredTaskStatus::Claimed {
                            t.owner = None;
                        }
                    }
                }
                "decision.resolved" => {
                    checked.decisions += 1;
                    if let Some(problem) = decision_problem(&e.data) {
                        divergences.push(Divergence {
                            seq: e.seq,
                            kind: e.kind.clone(),
                            detail: problem,
                        });
                    }
                }
                "task.released" | "task.lease_expired" => {
                    if let Some(t) = e.refs.task_id.as_ref().and_then(|t| board.get_mut(t)) {
                        t.status = StoredTaskStatus::Open;
                        t.owner = None;
                    }
                }
                _ => {}
            }
        }
        let tokens = replay_tokens(&events, &agents, &mut checked, &mut divergences);
        let start = events.first().map(|e| e.ts).unwrap_or(0);
        let timeline = events
            .iter()
            .map(|e| TimelineEntry {
                seq: e.seq,
                at_ms: e.ts - start,
                kind: e.kind.clone(),
                refs: e.refs.clone(),
                data: e.data.clone(),
            })
            .collect();
        Ok(ReplayReport {
            team_id: team.to_string(),
            events: events.len(),
            checked,
            divergences,
            tokens,
            timeline,
        })
    }
}

/// Adds up the `tokens.used` charges per agent and compares each agent's sum with its
/// stored total.
fn replay_tokens(
    events: &[&Event],
    agents: &[store::teams::AgentRow],
    checked: &mut Checked,
    divergences: &mut Vec<Divergence>,
) -> ReplayTokens {
    let mut tokens = ReplayTokens::default();
    let mut per_agent: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut last_seq = 0;
    for e in events.iter().filter(|e| e.kind == "tokens.used") {
        let n = |k: &str| e.data.get(k).and_then(Value::as_i64).unwrap_or(0);
        tokens.requests += 1;
        tokens.input += n("input");
        tokens.cached += n("cached");
        tokens.output += n("output");
        let entry = per_agent
            .entry(e.refs.agent_id.as_deref().unwrap_or(""))
            .or_default();
        entry.0 += n("input");
        entry.1 += n("output");
        last_seq = e.seq;
    }
    tokens.total = tokens.input + tokens.output;
    for a in agents {
        checked.usage += 1;
        let (input, output) = per_agent
            .get(a.agent_id.as_str())
            .copied()
            .unwrap_or_default();
        let total = input + output;
        if a.role == "lead" {
            tokens.lead += total;
        } else {
            tokens.workers += total;
        }
        if (input, output) != (a.tokens_input, a.tokens_output) {
            divergences.push(Divergence {
                seq: last_seq,
                kind: "tokens.used".into(),
                detail: format!(
                    "agent {} is charged {} input + {} output tokens, but its recorded charges add up to {input} + {output}",
                    a.agent_id, a.tokens_input, a.tokens_output
                ),
            });
        }
    }
    tokens
}

/// Why a recorded claim could not have been legal, if it could not.
fn claim_problem(board: &BTreeMap<String, BoardTask>, e: &Event) -> Option<String> {
    let id = e.refs.task_id.as_ref()?;
    let Some(task) = board.get(id) else {
        return Some(format!("claim of {id}, which was never created"));
    };
    if task.status == StoredTaskStatus::Claimed && task.owner != e.refs.agent_id {
        return Some(format!(
            "claimed by {} while {} held it",
            e.refs.agent_id.clone().unwrap_or_default(),
            task.owner.clone().unwrap_or_default()
        ));
    }
    if !matches!(
        task.status,
        StoredTaskStatus::Open | StoredTaskStatus::Claimed
    ) {
        return Some(format!("claimed while {}", task.status));
    }
    let open: BTreeSet<&str> = task
        .deps
        .iter()
        .filter(|d| {
            board
                .get(*d)
                .is_none_or(|t| t.status != StoredTaskStatus::Done)
        })
        .map(String::as_str)
        .collect();
    if !open.is_empty() {
        return Some(format!(
            "claimed while blocked on {}",
            open.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    None
}

/// Re-runs a recorded arbitration from its inputs; says how the outcome differs, if it does.
fn decision_problem(data: &Value) -> Option<String> {
    let input = data
        .get("input")
        .cloned()
        .map(serde_json::from_value::<DecisionInput>);
    let at = data.get("at").and_then(Value::as_i64);
    let (Some(Ok(input)), Some(at)) = (input, at) else {
        return Some("resolution without readable input or time".into());
    };
    let Some(now) = evaluate(&input, at) else {
        return Some("recorded as resolved, but its inputs leave it open".into());
    };
    let recorded = (
        data.get("outcome").and_then(Value::as_str).unwrap_or(""),
        data.get("winner").and_then(Value::as_str),
        data.get("status").and_then(Value::as_str).unwrap_or(""),
    );
    let computed = (
        now.outcome.as_str(),
        now.winner.as_deref(),
        now.status.as_str(),
    );
    (recorded != computed).then(|| {
        format!(
            "recorded {} (winner {}), the rule now gives {} (winner {})",
            recorded.0,
            recorded.1.unwrap_or("none"),
            computed.0,
            computed.1.unwrap_or("none")
        )
    })
}
