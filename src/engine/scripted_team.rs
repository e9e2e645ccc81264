//! Simulated team runs: a scripted lead and deterministic `sim` workers driven through the
//! real engine (the same board, bus, artifacts, planner, budgets and guardrails a real team
//! uses). Workers are stepped round-robin in a fixed order, so a run is reproducible.
//! Token figures are SIMULATED: each worker step is charged the profile's measured fixed
//! cost of one model request plus the bytes it reads and writes / 4.
//!
//! Only the machinery: what to run (the smoke scenarios, the eval tasks) and how to judge
//! a run (the smoke checks) live with the measurement code (`codex_teams::bench`). The
//! `sim` runner these workers use is [`crate::runner::sim`].

use schemars::JsonSchema;
use serde::Serialize;

use crate::board::NewTask;
use crate::error::Result;
use crate::fanout::SizeClass;
use crate::ids::{AgentId, TaskId, TeamId};
use crate::policy::Bounds;
use crate::roles::Role;
use crate::runner::Usage;
use crate::store;
use crate::team::SpawnRequest;
use crate::{Caller, Engine};

/// Says, wherever a sim figure is shown, that it is not a measurement.
pub const SIMULATED: &str = "simulated";

/// The outcome of a simulated run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SimReport {
    /// Always "simulated": these are not measurements of a model.
    pub kind: &'static str,
    pub scenario: String,
    pub profile: String,
    pub team_id: String,
    pub class: SizeClass,
    /// The profile's bounds for the scenario's size class.
    pub expected_min: u32,
    pub expected_max: u32,
    /// Workers started over the run.
    pub agents_used: u32,
    /// Most workers live at any moment.
    pub max_live: u32,
    pub tasks_done: i64,
    pub rounds: u32,
    /// Simulated tokens (input + output).
    pub simulated_tokens: i64,
    pub budget_team_tokens: i64,
    pub messages: i64,
    pub artifacts: i64,
    pub stop_reasons: Vec<String>,
}

/// Most rounds before a run is declared stuck.
const MAX_ROUNDS: u32 = 200;

/// One task of a simulated run (owned, so eval tasks can be simulated too).
#[derive(Debug, Clone)]
pub struct SimTask {
    pub key: String,
    pub title: String,
    pub size: String,
    pub deps: Vec<String>,
}

/// Everything a simulated run needs.
pub struct SimSpec<'a> {
    pub name: String,
    pub goal: String,
    pub class: SizeClass,
    pub tasks: Vec<SimTask>,
    pub profile: String,
    /// The naive baseline: start exactly this many workers at once, never follow the
    /// planner (each spawn carries a justification).
    pub fixed_workers: Option<u32>,
    /// Naive coordination: every finished result is broadcast to every teammate, and every
    /// worker reads every broadcast.
    pub broadcast_results: bool,
    /// Called with the task key each time a task is marked done.
    pub on_done: Option<&'a mut dyn FnMut(&str)>,
}

struct SimWorker {
    caller: Caller,
    task: Option<TaskId>,
}

/// Runs a simulated team for `spec`.
pub fn run_spec(engine: &Engine, mut spec: SimSpec<'_>) -> Result<SimReport> {
    let started = engine.team_start(&spec.goal, Some(&spec.profile), None, None)?;
    let team = TeamId::from_db(started.team_id.clone());
    let lead = engine.lead_caller(&team)?;
    let batch: Vec<NewTask> = spec
        .tasks
        .iter()
        .map(|t| NewTask {
            title: t.title.clone(),
            size: Some(t.size.clone()),
            deps: t.deps.clone(),
            key: Some(t.key.clone()),
            ..Default::default()
        })
        .collect();
    let created = engine.task_create(&lead, &batch)?;
    let keys: std::collections::HashMap<String, String> = created
        .into_iter()
        .filter_map(|c| c.key.map(|k| (c.task_id, k)))
        .collect();
    let prof = engine.team_profile(&team)?;
    let bounds: Bounds = match spec.class {
        SizeClass::Small => prof.fanout.small,
        SizeClass::Medium => prof.fanout.medium,
        SizeClass::High => prof.fanout.high,
    };
    let ctx = StepContext {
        fixed: prof.budget.agent_fixed_cost_tokens,
        broadcast: spec.broadcast_results,
        naive: spec.fixed_workers.is_some(),
        brief_tokens: if spec.fixed_workers.is_some() {
            // A naive worker is briefed with the whole task.
            (spec.goal.len() + spec.tasks.iter().map(|t| t.title.len() + 8).sum::<usize>()) as i64
                / 4
        } else {
            0
        },
    };

    let mut workers: Vec<SimWorker> = Vec::new();
    let mut max_live = 0u32;
    let mut rounds = 0u32;
    loop {
        let plan = engine.recommend(&team)?;
        let to_spawn = match spec.fixed_workers {
            Some(n) if workers.is_empty() => n,
            Some(_) => 0,
            None => plan.spawn,
        };
        for _ in 0..to_spawn {
            let spawned = engine.team_spawn(
                &lead,
                &SpawnRequest {
                    role: Role::Implementer.as_str(),
                    brief: Some("Claim ready tasks; publish results as artifacts."),
                    runner: Some("sim"),
                    justification: spec.fixed_workers.map(|_| "fixed fan-out baseline"),
                    ..Default::default()
                },
            )?;
            workers.push(SimWorker {
                caller: Caller {
                    team_id: team.clone(),
                    agent_id: AgentId::from_db(spawned.agent_id),
                    role: Role::Implementer,
                },
                task: None,
            });
        }
        let live = count_live(engine, &team)?;
        max_live = max_live.max(live);
        let counts = engine
            .store()
            .read(|c| store::board::counts(c, team.as_str(), store::now_ms()))?;
        if counts.ready + counts.blocked + counts.claimed == 0
            || rounds >= MAX_ROUNDS
            || live == 0 && to_spawn == 0
        {
            break;
        }
        rounds += 1;
        for w in workers.iter_mut() {
            if let Some(done) = step(engine, w, &ctx)?
                && let Some(key) = keys.get(done.as_str())
                && let Some(cb) = spec.on_done.as_mut()
            {
                cb(key);
            }
        }
    }
    let summary = engine.team_finalize(&lead, Some("simulated run"))?;
    let events = engine
        .store()
        .read(|c| store::events::list(c, team.as_str(), 0, i64::MAX))?;
    let stop_reasons: Vec<String> = events
        .iter()
        .filter(|e| e.kind.starts_with("guardrail.") || e.kind.starts_with("budget."))
        .map(|e| {
            format!(
                "{}: {}",
                e.kind,
                e.data.get("reason").and_then(|r| r.as_str()).unwrap_or("")
            )
        })
        .collect();
    let agents_used = workers.len() as u32;
    Ok(SimReport {
        kind: SIMULATED,
        scenario: spec.name.clone(),
        profile: started.profile,
        team_id: started.team_id,
        class: spec.class,
        expected_min: bounds.min,
        expected_max: bounds.max,
        agents_used,
        max_live,
        tasks_done: summary.tasks.done,
        rounds,
        simulated_tokens: summary.tokens.total,
        budget_team_tokens: prof.budget.team_tokens,
        messages: summary.messages,
        artifacts: summary.artifacts,
        stop_reasons,
    })
}

fn count_live(engine: &Engine, team: &TeamId) -> Result<u32> {
    Ok(engine
        .store()
        .read(|c| store::teams::live_workers(c, team.as_str()))? as u32)
}

struct StepContext {
    fixed: i64,
    broadcast: bool,
    naive: bool,
    brief_tokens: i64,
}

fn is_live(engine: &Engine, agent: &AgentId) -> Result<bool> {
    let state = engine
        .store()
        .read(|c| store::teams::agent(c, agent.as_str()))?
        .state;
    Ok(state.is_live())
}

/// One simulated model request of one worker: read the inbox (naive workers read every
/// broadcast), then claim, or finish the claimed task. Returns the task it finished.
fn step(engine: &Engine, w: &mut SimWorker, ctx: &StepContext) -> Result<Option<TaskId>> {
    if !is_live(engine, &w.caller.agent_id)? {
        return Ok(None);
    }
    let team = w.caller.team_id.clone();
    let agent = w.caller.agent_id.clone();
    // Every request re-reads the conversation so far: the naive brief, and what the inbox
    // delivered.
    let mut read = ctx.brief_tokens;
    if ctx.broadcast {
        let inbox = engine.team_pull_inbox(&w.caller, &[], None, None)?;
        let ids: Vec<String> = inbox
            .messages
            .iter()
            .map(|m| m.message_id.clone())
            .collect();
        read += inbox
            .messages
            .iter()
            .map(|m| m.body.len() as i64 / 4)
            .sum::<i64>();
        if !ids.is_empty() {
            engine.team_pull_inbox(&w.caller, &ids, Some(1), None)?;
        }
    }
    match w.task.take() {
        None => {
            let claimed = engine.task_claim(&w.caller, None)?;
            read += (claimed.detail.as_deref().unwrap_or("").len()
                + claimed.title.as_deref().unwrap_or("").len()) as i64
                / 4;
            engine.record_usage(&team, &agent, simulated(ctx.fixed + read, 40))?;
            if let Some(id) = claimed.task_id {
                w.task = Some(TaskId::from_db(id));
            } else if !ctx.naive {
                let counts = engine
                    .store()
                    .read(|c| store::board::counts(c, team.as_str(), store::now_ms()))?;
                if counts.ready + counts.blocked == 0 {
                    // Nothing left that this worker could ever take: stop instead of idling.
                    engine.stop_worker(
                        &team,
                        &agent,
                        "no work left (simulated idle shutdown)",
                        "guardrail.idle_shutdown",
                    )?;
                }
            }
            Ok(None)
        }
        Some(task) => {
            let content = format!(
                "SIMULATED result of {task}: no model ran; this is a scripted placeholder."
            );
            let published = engine.artifact_publish(
                &w.caller,
                &format!("result/{}", task.as_str()),
                &content,
                None,
            )?;
            let output = content.len() as i64 / 4 + 60;
            engine.record_usage(&team, &agent, simulated(ctx.fixed + read, output))?;
            // The budget may have stopped this worker; its claim was then released.
            if !is_live(engine, &agent)? {
                return Ok(None);
            }
            if ctx.broadcast {
                engine.team_broadcast(&w.caller, &content, None)?;
            }
            engine.task_update(
                &w.caller,
                &task,
                store::TaskStatus::Done.as_str(),
                None,
                None,
                Some(&published.reference),
            )?;
            Ok(Some(task))
        }
    }
}

/// One simulated model request's usage: no cache, the given input and output.
fn simulated(input: i64, output: i64) -> Usage {
    Usage {
        input,
        cached: 0,
        output,
    }
}
