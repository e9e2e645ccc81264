//! Running the arms of the benchmark over the eval set.
//!
//! Both arms use the same engine, the same tasks and the same checkers; only the
//! orchestration policy differs:
//! - `fixed-6`: the naive fan-out. Profile `fixed-6` (benchmarks/profiles/): six workers
//!   from the start, every worker briefed with the whole task, results shared by broadcast,
//!   no early stop.
//! - `adaptive`: the chosen profile (default `default`): the planner sizes the team, workers
//!   get compact briefs and references, guardrails stop idle and finished workers.
//!
//! Runners:
//! - `sim`: the engine with deterministic simulated workers; the plan's files are written
//!   when a subtask is done, so the checker still decides quality. Tokens are SIMULATED.
//! - `codex-mock`: the real Codex CLI against the scripted mock model; tokens are the o200k
//!   counts of the request bodies Codex really sent (see `crate::harness`).
//! - `codex`: the real Codex CLI with the user's own model provider and login.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::bench::eval::{EvalTask, class_name};
use crate::bench::report::TaskRun;
use crate::engine::Engine;
use crate::engine::ids::TeamId;
use crate::engine::sim::{SimSpec, SimTask, run_spec};
use crate::scratch::Scratch;

/// The baseline profile, shipped with the benchmark.
pub const FIXED6_PROFILE: &str = include_str!("../../benchmarks/profiles/fixed-6.team.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Sim,
    CodexMock,
    Codex,
}

impl Runner {
    pub fn name(self) -> &'static str {
        match self {
            Runner::Sim => "sim",
            Runner::CodexMock => "codex-mock",
            Runner::Codex => "codex",
        }
    }

    /// What its token figures are, for every place they are shown.
    pub fn measurement(self) -> &'static str {
        match self {
            Runner::Sim => "SIMULATED (deterministic sim workers; not a measurement of Codex)",
            Runner::CodexMock => {
                "real Codex CLI traffic against a scripted mock model (o200k counts of the request bodies)"
            }
            Runner::Codex => "real Codex CLI with a real model (usage reported by the provider)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    Fixed6,
    Adaptive,
}

impl Arm {
    pub fn parse(raw: &str) -> Result<Arm> {
        match raw {
            "fixed-6" => Ok(Arm::Fixed6),
            "adaptive" => Ok(Arm::Adaptive),
            other => bail!("`{other}` is not an arm; valid: fixed-6, adaptive"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arm::Fixed6 => "fixed-6",
            Arm::Adaptive => "adaptive",
        }
    }
}

/// A deliberately broken policy, to prove the gate can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sabotage {
    /// The candidate drops one subtask (the last one no other subtask depends on).
    DropSubtask,
}

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub runner: Runner,
    /// The adaptive arm's profile.
    pub profile: String,
    pub sabotage: Option<Sabotage>,
    /// The Codex executable (codex runners).
    pub codex: Option<PathBuf>,
    /// The codex-teams executable to register with Codex (codex runners).
    pub bin: Option<PathBuf>,
    pub timeout: Duration,
    /// Paced mode (codex-mock): each scripted subtask takes this many seconds.
    pub pace: Option<u64>,
}

/// The subtask keys `arm` runs: all of them, unless the candidate is sabotaged.
pub fn subtask_keys(task: &EvalTask, sabotaged: bool) -> Vec<String> {
    let keys: Vec<String> = task.plan.tasks.iter().map(|t| t.key.clone()).collect();
    if !sabotaged {
        return keys;
    }
    // Drop the last subtask that nothing depends on (the join, or a leaf).
    let depended: std::collections::BTreeSet<&String> =
        task.plan.tasks.iter().flat_map(|t| t.deps.iter()).collect();
    let drop = task
        .plan
        .tasks
        .iter()
        .rev()
        .find(|t| !depended.contains(&t.key))
        .map(|t| t.key.clone());
    keys.into_iter()
        .filter(|k| Some(k) != drop.as_ref())
        .collect()
}

/// Runs one arm on one task and checks the result.
pub fn run_task(cfg: &BenchConfig, arm: Arm, task: &EvalTask, repeat: u32) -> Result<TaskRun> {
    let sabotaged = arm == Arm::Adaptive && cfg.sabotage == Some(Sabotage::DropSubtask);
    if subtask_keys(task, sabotaged).is_empty() {
        // The broken policy dropped the only subtask: no team runs, the checker still judges.
        let scratch = Scratch::new("bench-empty")?;
        let ws = scratch.path().join("ws");
        task.prepare_workspace(&ws)?;
        let check = task.check(&ws)?;
        return Ok(TaskRun {
            task: task.name.clone(),
            class: class_name(task.size_class).to_string(),
            repeat,
            input_tokens: 0,
            cached_tokens: 0,
            output_tokens: 0,
            total_tokens: 0,
            wall_ms: 0,
            agents: 0,
            max_live: 0,
            messages: 0,
            artifacts: 0,
            quality_passed: check.passed,
            worker_request_tokens: None,
            lead_requests: None,
            lead_waits: None,
            tasks_done: None,
            pace_secs: None,
            error: Some("no subtask left to run".into()),
        });
    }
    match cfg.runner {
        Runner::Sim => run_sim(cfg, arm, task, repeat, sabotaged),
        Runner::CodexMock | Runner::Codex => {
            crate::bench::real::run_real(cfg, arm, task, repeat, sabotaged)
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
    let scratch = Scratch::new("bench-sim")?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(home.join("profiles"))?;
    std::fs::write(home.join("profiles/fixed-6.team.yaml"), FIXED6_PROFILE)?;
    let ws = scratch.path().join("ws");
    task.prepare_workspace(&ws)?;
    let engine = Engine::open(&home.join("teams.db"), &home)?;
    let keys = subtask_keys(task, sabotaged);
    let tasks: Vec<SimTask> = task
        .plan
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
        profile: match arm {
            Arm::Fixed6 => "fixed-6".into(),
            Arm::Adaptive => cfg.profile.clone(),
        },
        fixed_workers: (arm == Arm::Fixed6).then_some(6),
        broadcast_results: arm == Arm::Fixed6,
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
    Ok(TaskRun {
        task: task.name.clone(),
        class: class_name(task.size_class).to_string(),
        repeat,
        input_tokens: tokens.input.max(0) as u64,
        cached_tokens: tokens.cached.max(0) as u64,
        output_tokens: tokens.output.max(0) as u64,
        total_tokens: tokens.total.max(0) as u64,
        wall_ms,
        agents: report.agents_used,
        max_live: report.max_live,
        messages: report.messages.max(0) as u64,
        artifacts: report.artifacts.max(0) as u64,
        quality_passed: check.passed,
        worker_request_tokens: None,
        lead_requests: None,
        lead_waits: None,
        tasks_done: None,
        pace_secs: None,
        error: (!check.passed).then(|| tail(&check.output, 400)),
    })
}

/// The last `n` bytes of `text`, on a character boundary.
pub fn tail(text: &str, n: usize) -> String {
    let start = text.len().saturating_sub(n);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].trim().to_string()
}
