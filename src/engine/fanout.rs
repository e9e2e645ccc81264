//! The fan-out planner: how many workers the work on the board deserves, decided from
//! evidence and explained. Pure and deterministic: the same [`PlanInput`] always gives the
//! same [`Recommendation`], so `replay` can re-run every recorded recommendation.
//!
//! Evidence, in order of use:
//! 1. the shape of the unfinished task graph: its parallel width (most tasks on one
//!    dependency level) decides the size class: 1-2 small, 3-4 medium, 5 or more
//!    high-parallel. A strict chain is small whatever its length; six independent subtasks
//!    are high-parallel whatever their sizes (see [`class_of_width`]);
//! 2. the profile's bounds for that size class (the seed's bands: 1-2, 3-4, 5-6);
//! 3. the remaining budget against the measured fixed cost of one more agent.
//!
//! Scaling: up only when ready work queues behind busy agents and budget remains; down
//! only through idle shutdown (see `guardrails`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::{Bounds, HARD_CAP, Profile};

/// Model requests an agent needs at the least (start, claim, work, publish, report):
/// the multiplier that turns the per-request fixed cost into the cost of one more agent.
pub const MIN_REQUESTS_PER_AGENT: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Small,
    Medium,
    High,
}

/// One unfinished task as the planner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTask {
    pub id: String,
    /// s | m | l
    pub size: String,
    /// Unfinished tasks this one waits for.
    pub deps: Vec<String>,
    pub ready: bool,
    pub claimed: bool,
}

/// Everything a recommendation is computed from; recorded with it for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    pub tasks: Vec<PlanTask>,
    pub live_workers: u32,
    pub busy_workers: u32,
    pub budget_left: i64,
    pub bounds_small: Bounds,
    pub bounds_medium: Bounds,
    pub bounds_high: Bounds,
    pub max_threads: u32,
    pub agent_fixed_cost_tokens: i64,
}

// The planner's recommendation for a team: its size class, how many workers it deserves
// and how many to spawn now. The fields that carry it in answers and events keep the JSON
// key `plan`. (A plain comment: a doc comment would enter the tools' output schemas.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Recommendation {
    pub class: SizeClass,
    /// Workers this work deserves.
    pub recommended: u32,
    /// Workers to start now (0 unless ready work queues behind busy agents).
    pub spawn: u32,
    pub reasons: Vec<String>,
}

impl PlanInput {
    pub fn new(tasks: Vec<PlanTask>, live: u32, busy: u32, budget_left: i64, p: &Profile) -> Self {
        PlanInput {
            tasks,
            live_workers: live,
            busy_workers: busy,
            budget_left,
            bounds_small: p.fanout.small,
            bounds_medium: p.fanout.medium,
            bounds_high: p.fanout.high,
            max_threads: p.max_threads,
            agent_fixed_cost_tokens: p.budget.agent_fixed_cost_tokens,
        }
    }
}

fn units(size: &str) -> u32 {
    match size {
        "s" => 1,
        "l" => 4,
        _ => 2,
    }
}

/// The size class of work whose parallel width (see [`parallel_width`]) is `width`: what
/// can run at once decides how many agents help, not how much work there is in total. A
/// chain of ten large tasks still needs one agent at a time; six small independent tasks
/// can use six. The eval set's declared classes follow the same rule.
pub fn class_of_width(width: u32) -> SizeClass {
    match width {
        0..=2 => SizeClass::Small,
        3..=4 => SizeClass::Medium,
        _ => SizeClass::High,
    }
}

/// Most unfinished tasks on one dependency level (level = longest chain of unfinished
/// dependencies below a task). A lower bound on useful parallelism that ignores sizes.
pub fn parallel_width(tasks: &[PlanTask]) -> u32 {
    let index: BTreeMap<&str, &PlanTask> = tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut level: BTreeMap<&str, u32> = BTreeMap::new();
    fn depth<'a>(
        id: &'a str,
        index: &BTreeMap<&'a str, &'a PlanTask>,
        level: &mut BTreeMap<&'a str, u32>,
        guard: u32,
    ) -> u32 {
        if let Some(&d) = level.get(id) {
            return d;
        }
        let d = match index.get(id) {
            // `guard` stops a corrupted (cyclic) graph from recursing forever.
            Some(t) if guard < 10_000 => t
                .deps
                .iter()
                .filter(|d| index.contains_key(d.as_str()))
                .map(|d| depth(d, index, level, guard + 1) + 1)
                .max()
                .unwrap_or(0),
            _ => 0,
        };
        level.insert(id, d);
        d
    }
    for t in tasks {
        depth(&t.id, &index, &mut level, 0);
    }
    let mut per_level: BTreeMap<u32, u32> = BTreeMap::new();
    for d in level.values() {
        *per_level.entry(*d).or_default() += 1;
    }
    per_level.values().copied().max().unwrap_or(0)
}

/// The recommendation for `input`.
pub fn plan(input: &PlanInput) -> Recommendation {
    let mut reasons = Vec::new();
    let open = input.tasks.len() as u32;
    let ready = input.tasks.iter().filter(|t| t.ready).count() as u32;
    let work: u32 = input.tasks.iter().map(|t| units(&t.size)).sum();
    let width = parallel_width(&input.tasks);
    let class = class_of_width(width);
    let bounds = match class {
        SizeClass::Small => input.bounds_small,
        SizeClass::Medium => input.bounds_medium,
        SizeClass::High => input.bounds_high,
    };
    reasons.push(format!(
        "{open} unfinished task(s), {ready} ready, parallel width {width}, {work} work unit(s) -> {} (profile bounds {}-{})",
        match class {
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
            SizeClass::High => "high-parallel",
        },
        bounds.min,
        bounds.max
    ));
    let mut n = width.min(open).clamp(bounds.min, bounds.max);
    let cap = input.max_threads.min(HARD_CAP);
    if n > cap {
        reasons.push(format!("capped at max_threads {cap}"));
        n = cap;
    }
    let per_agent = input.agent_fixed_cost_tokens.max(1) * MIN_REQUESTS_PER_AGENT;
    let affordable = (input.budget_left.max(0) / per_agent).min(i64::from(HARD_CAP)) as u32;
    if affordable < n {
        reasons.push(format!(
            "budget left {} affords {affordable} agent(s) at ~{per_agent} tokens each (fixed cost {} x {MIN_REQUESTS_PER_AGENT} requests)",
            input.budget_left, input.agent_fixed_cost_tokens
        ));
        n = affordable;
    }
    if open == 0 {
        reasons.push("no tasks yet: create the board, then ask again".to_string());
    }
    let idle = input.live_workers.saturating_sub(input.busy_workers);
    let queued = ready.saturating_sub(idle);
    let room = n.saturating_sub(input.live_workers);
    let spawn = if open == 0 {
        0
    } else if input.live_workers == 0 {
        // The first team is the recommendation itself (a profile may ask for a pair).
        n
    } else {
        room.min(queued)
    };
    if spawn > 0 && input.live_workers == 0 {
        reasons.push(format!("no workers yet: start {spawn}"));
    } else if spawn > 0 {
        reasons.push(format!(
            "{queued} ready task(s) queue behind {} busy worker(s): start {spawn}",
            input.busy_workers
        ));
    } else if input.live_workers > n {
        reasons.push(format!(
            "{} live worker(s) exceed the {n} recommended: idle ones stop after the idle timeout",
            input.live_workers
        ));
    } else if room > 0 && queued == 0 && open > 0 {
        reasons.push("no ready work is waiting: no new worker now".to_string());
    }
    reasons.push(format!("recommended {n}"));
    Recommendation {
        class,
        recommended: n,
        spawn,
        reasons,
    }
}

pub(crate) use engine_glue::plan_input_in;

mod engine_glue {
    use crate::store::Connection;

    use super::{PlanInput, PlanTask, Recommendation};
    use crate::Engine;
    use crate::error::Result;
    use crate::ids::TeamId;
    use crate::policy::Profile;
    use crate::store::{self, now_ms};

    /// The planner's inputs for a team, read on `c` (inside the caller's read transaction):
    /// only unfinished tasks, only the columns the planner uses, only edges between
    /// unfinished tasks.
    pub(crate) fn plan_input_in(
        c: &Connection,
        team: &TeamId,
        profile: &Profile,
        now: i64,
    ) -> Result<PlanInput> {
        let rows = store::board::unfinished(c, team.as_str(), now)?;
        // task -> (its unfinished dependencies, whether any dependency is not done)
        let mut deps: std::collections::HashMap<String, (Vec<String>, bool)> =
            std::collections::HashMap::new();
        for (task, dep, unfinished) in store::board::unfinished_deps(c, team.as_str())? {
            let entry = deps.entry(task).or_default();
            entry.1 = true;
            if unfinished {
                entry.0.push(dep);
            }
        }
        let tasks = rows
            .into_iter()
            .map(|(id, size, claimed)| {
                let (deps, blocked) = deps.remove(&id).unwrap_or_default();
                PlanTask {
                    // An unclaimed task is ready when every dependency is done.
                    ready: !claimed && !blocked,
                    claimed,
                    deps,
                    id,
                    size,
                }
            })
            .collect();
        let agents = store::teams::agents(c, team.as_str())?;
        let live: Vec<_> = agents.iter().filter(|a| a.is_live_worker()).collect();
        let busy = live.iter().filter(|a| a.current_task.is_some()).count() as u32;
        let used: i64 = agents
            .iter()
            .map(|a| a.tokens_input + a.tokens_output)
            .sum();
        Ok(PlanInput::new(
            tasks,
            live.len() as u32,
            busy,
            profile.budget.team_tokens - used,
            profile,
        ))
    }

    impl Engine {
        /// The planner's inputs for a team, read from the board and the agents.
        pub fn plan_input(&self, team: &TeamId) -> Result<PlanInput> {
            let profile = self.team_profile(team)?;
            let now = now_ms();
            self.store()
                .read_snapshot(|c| plan_input_in(c, team, &profile, now))
        }

        /// The team's recommendation now; recorded (decision, reasons, a digest of its
        /// input) when it or its input differs from the last one recorded. See
        /// [`Engine::refresh_board`].
        pub fn recommend(&self, team: &TeamId) -> Result<Recommendation> {
            self.refresh_board(team)
        }
    }
}

#[cfg(test)]
#[path = "fanout_tests.rs"]
mod tests;
