//! Running one arm on one eval task: [`run_task`] picks the backend; the `sim` backend is
//! here, the Codex ones in [`super::real`].
//!
//! Every arm runs the same tasks on the same runner and is judged by the same checkers;
//! only who does the work, and how, differs (see [`Arm`] and docs/benchmarks.md):
//! - `fixed-6`: the naive fan-out. Profile `fixed-6` (benchmarks/profiles/): six workers
//!   from the start, every worker briefed with the whole task, results shared by broadcast,
//!   no early stop.
//! - `adaptive`: the chosen profile (default `default`): the planner sizes the team, workers
//!   get compact briefs and references, guardrails stop idle and finished workers.
//! - `lean-6`: adaptive's profile with six workers; `lean-6+<trait>`: ablation arms.
//! - `solo` and `codex-subagents`: no codex-teams at all (the lead alone; Codex's own
//!   sub-agents), codex runners only.
//!
//! Runners:
//! - `sim`: the engine with deterministic simulated workers; the plan's files are written
//!   when a subtask is done, so the checker still decides quality. Tokens are SIMULATED.
//! - `codex-mock`: the real Codex CLI against the scripted mock model; tokens are the o200k
//!   counts of the request bodies Codex really sent (see `crate::bench::harness`).
//! - `codex`: the real Codex CLI with the user's own model provider and login.

use std::time::Instant;

use anyhow::{Result, bail};

use crate::bench::team::arm::{
    Arm, Backend, BenchConfig, Sabotage, arm_profiles, subtask_keys, tail,
};
use crate::bench::team::eval::{EvalTask, class_name};
use crate::bench::team::report::TaskRun;
use crate::engine::Engine;
use crate::engine::ids::TeamId;
use crate::engine::scripted_team::{SimSpec, SimTask, run_spec};
use crate::scratch::Scratch;

/// Runs one arm on one task and checks the result.
pub fn run_task(cfg: &BenchConfig, arm: Arm, task: &EvalTask, repeat: u32) -> Result<TaskRun> {
    let sabotaged = arm == Arm::Adaptive && cfg.sabotage == Some(Sabotage::DropSubtask);
    if subtask_keys(task, sabotaged).is_empty() {
        // The broken policy dropped the only subtask: no team runs, the checker still judges.
        let scratch = Scratch::new("bench-empty")?;
        let ws = scratch.path().join("ws");
        task.prepare_workspace(&ws)?;
        let check = task.check(&ws)?;
        let mut run = TaskRun::new(task, repeat);
        run.quality_passed = check.passed;
        run.error = Some("no subtask left to run".into());
        return Ok(run);
    }
    match cfg.backend {
        Backend::Sim => run_sim(cfg, arm, task, repeat, sabotaged),
        Backend::CodexMock | Backend::Codex => {
            crate::bench::team::real::run_real(cfg, arm, task, repeat, sabotaged)
        }
    }
}

fn run_sim(
    cfg: &BenchConfig,
    arm: Arm,
    task: &EvalTask,
    repeat: u32,
    sabotaged: bool,
) -> Result<TaskRun> {
    let Some(profile) = arm.profile(&cfg.profile) else {
        bail!(
            "the `{}` arm has no codex-teams team to simulate; run it with --runner codex-mock or codex",
            arm.name()
        );
    };
    let scratch = Scratch::new("bench-sim")?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(home.join("profiles"))?;
    for (name, yaml) in arm_profiles(&cfg.profile)? {
        std::fs::write(home.join(format!("profiles/{name}.team.yaml")), yaml)?;
    }
    let ws = scratch.path().join("ws");
    task.prepare_workspace(&ws)?;
    let engine = Engine::open(&home.join("teams.db"), &home)?;
    let keys = subtask_keys(task, sabotaged);
    let tasks: Vec<SimTask> = task
        .script
        .tasks
        .iter()
        .filter(|t| keys.contains(&t.key))
        .map(|t| SimTask {
            key: t.key.clone(),
            title: t.title.clone(),
            size: t.size.clone(),
            deps: t
                .deps
                .iter()
                .filter(|d| keys.contains(d))
                .cloned()
                .collect(),
        })
        .collect();
    let mut write_error: Option<anyhow::Error> = None;
    let mut on_done = |key: &str| {
        if let Err(e) = task.write_subtask_files(&ws, key) {
            write_error.get_or_insert(e);
        }
    };
    let started = Instant::now();
    let spec = SimSpec {
        name: task.name.clone(),
        goal: task.statement.clone(),
        class: task.size_class,
        tasks,
        profile: profile.clone(),
        fixed_workers: (arm == Arm::Fixed6).then_some(6),
        broadcast_results: arm.broadcasts(),
        on_done: Some(&mut on_done),
    };
    let report = run_spec(&engine, spec)?;
    if let Some(e) = write_error {
        return Err(e);
    }
    let wall_ms = started.elapsed().as_millis() as u64;
    let team = TeamId::parse("team_id", &report.team_id)?;
    let overview = engine.overview(Some(&team), true)?;
    let tokens = overview
        .first()
        .map(|o| o.tokens.clone())
        .unwrap_or_default();
    let check = task.check(&ws)?;
    let mut run = TaskRun::new(task, repeat);
    let first = crate::engine::policy::Profile::load(&profile, &[home.join("profiles")])
        .ok()
        .map(|p| crate::bench::team::eval::planner_first(&task.script, &p));
    run.planner_class = first.as_ref().map(|f| class_name(f.class).to_string());
    run.recommended = first.map(|f| f.recommended);
    run.input_tokens = tokens.input.max(0) as u64;
    run.cached_tokens = tokens.cached.max(0) as u64;
    run.output_tokens = tokens.output.max(0) as u64;
    run.total_tokens = tokens.total.max(0) as u64;
    run.wall_ms = wall_ms;
    run.agents = report.agents_used;
    run.max_live = report.max_live;
    run.messages = report.messages.max(0) as u64;
    run.artifacts = report.artifacts.max(0) as u64;
    run.quality_passed = check.passed;
    run.error = (!check.passed).then(|| tail(&check.output, 400));
    Ok(run)
}
