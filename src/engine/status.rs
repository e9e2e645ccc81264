//! Status is a read (issue 10). A team's task counts and fan-out plan are cached in
//! `board_state` (V8) together with the board revision they were computed at; triggers bump
//! the revision on every write that changes them. [`Engine::team_status`] reads everything
//! in one read transaction and uses the cached values while they are fresh, computing them
//! (without writing) when not. [`Engine::refresh_board`] recomputes, stores the cache and
//! records `fanout.recommended` when the plan or its input changed; the server's ticker
//! and the writes that need a plan (start, spawn, housekeeping) call it.

use crate::store::Connection;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::Engine;
use crate::error::Result;
use crate::events::{self, Trace};
use crate::fanout::{PlanInput, Recommendation, plan};
use crate::ids::TeamId;
use crate::policy::Profile;
use crate::store::board::TaskCounts;
use crate::store::{self, now_ms};

/// A planner event carries its whole input only up to this many unfinished tasks (so
/// `replay` can re-run it); past it, the input's digest and shape. Keeps every event far
/// below 16 KB however large the board.
pub const EVENT_INPUT_MAX_TASKS: usize = 48;

/// Counts and plan of a team's board, cached or computed.
pub(crate) struct BoardView {
    pub counts: TaskCounts,
    pub plan: Recommendation,
    /// Set when computed now (the cache was stale): what to store.
    pub computed: Option<Computed>,
    pub state: store::board::BoardState,
}

pub(crate) struct Computed {
    pub input: PlanInput,
    pub valid_until: Option<i64>,
}

/// The sha256 hex of a plan input's JSON: what a planner event records instead of the
/// input itself on a large board.
pub fn input_digest(input: &PlanInput) -> String {
    // Streamed into the hash: a 10,000-task input is never held as one JSON string.
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hashing(Sha256::new());
    let _ = serde_json::to_writer(&mut h, input);
    hex::encode(h.0.finalize())
}

/// Counts and plan on `c`, from the cache when it is fresh at `now`. With `tokens_now`
/// (the team's token total), a cache computed at another total is stale too: the budget
/// cap of the plan may have moved (status passes `None` and accepts a plan whose budget
/// input is up to one housekeeping tick old; its own `tokens` and `budget_left` are live).
pub(crate) fn board_view(
    c: &Connection,
    team: &TeamId,
    profile: &Profile,
    now: i64,
    tokens_now: Option<i64>,
) -> Result<BoardView> {
    let state = store::board::board_state(c, team.as_str())?;
    if state.fresh(now) && tokens_now.is_none_or(|t| state.tokens == Some(t)) {
        let counts = state
            .counts
            .as_deref()
            .and_then(|s| serde_json::from_str::<TaskCounts>(s).ok());
        let plan = state
            .plan
            .as_deref()
            .and_then(|s| serde_json::from_str::<Recommendation>(s).ok());
        if let (Some(counts), Some(plan)) = (counts, plan) {
            return Ok(BoardView {
                counts,
                plan,
                computed: None,
                state,
            });
        }
    }
    let input = crate::fanout::plan_input_in(c, team, profile, now)?;
    // The unfinished counts are the planner's own input; the finished ones an index count.
    let (done, failed, cancelled) = store::board::finished_counts(c, team.as_str())?;
    let counts = TaskCounts {
        ready: input.tasks.iter().filter(|t| t.ready).count() as i64,
        blocked: input
            .tasks
            .iter()
            .filter(|t| !t.ready && !t.claimed)
            .count() as i64,
        claimed: input.tasks.iter().filter(|t| t.claimed).count() as i64,
        done,
        failed,
        cancelled,
    };
    let valid_until = store::board::earliest_lease(c, team.as_str())?;
    Ok(BoardView {
        counts,
        plan: plan(&input),
        computed: Some(Computed { input, valid_until }),
        state,
    })
}

impl Engine {
    /// The team's plan now. When the cache was stale: stores counts and plan for the
    /// revision they were computed at, and records `fanout.recommended` (decision, reasons,
    /// input digest and shape; the whole input only for small boards) when the plan or its
    /// input differs from the last recorded one.
    pub fn refresh_board(&self, team: &TeamId) -> Result<Recommendation> {
        Ok(self.refresh_board_scanned(team)?.0)
    }

    /// [`Engine::refresh_board`], and whether it rescanned the board to get there.
    pub(crate) fn refresh_board_scanned(&self, team: &TeamId) -> Result<(Recommendation, bool)> {
        let profile = self.team_profile(team)?;
        let now = now_ms();
        let view = self.store().read_snapshot(|c| {
            let tokens = store::teams::team_tokens(c, team.as_str())?;
            board_view(c, team, &profile, now, Some(tokens))
        })?;
        let Some(computed) = view.computed else {
            return Ok((view.plan, false));
        };
        let digest = input_digest(&computed.input);
        let plan_json = serde_json::to_string(&view.plan).unwrap_or_default();
        let new_state = store::board::BoardState {
            rev: view.state.rev,
            cached_rev: Some(view.state.rev),
            valid_until: computed.valid_until,
            counts: serde_json::to_string(&view.counts).ok(),
            plan: Some(plan_json.clone()),
            digest: Some(digest.clone()),
            tokens: Some(profile.budget.team_tokens - computed.input.budget_left),
        };
        let input = &computed.input;
        self.store().write(|tx| -> Result<_> {
            let current = store::board::board_state(tx, team.as_str())?;
            if current.rev != new_state.rev {
                // The board moved on while we computed: whoever refreshes next records it.
                return Ok(());
            }
            let same = current.digest.as_deref() == Some(digest.as_str())
                && current.plan.as_deref() == Some(plan_json.as_str());
            store::board::store_board_state(tx, team.as_str(), &new_state)?;
            if !same {
                let mut data = json!({
                    "plan": view.plan,
                    "input_digest": digest,
                    "shape": {
                        "unfinished": input.tasks.len(),
                        "ready": input.tasks.iter().filter(|t| t.ready).count(),
                        "claimed": input.tasks.iter().filter(|t| t.claimed).count(),
                        "live_workers": input.live_workers,
                        "busy_workers": input.busy_workers,
                        "budget_left": input.budget_left,
                    },
                });
                if input.tasks.len() <= EVENT_INPUT_MAX_TASKS {
                    data["input"] = serde_json::to_value(input).unwrap_or_default();
                }
                events::record(tx, &Trace::team(team), "fanout.recommended", data)?;
            }
            Ok(())
        })?;
        Ok((view.plan, true))
    }
}
