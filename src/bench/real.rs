//! The `codex-mock` and `codex` runners of the benchmark: each arm is a real team run (the
//! real Codex CLI as lead and workers, see [`crate::harness`]) in a workspace prepared from
//! the eval task's repository; the task's checker then decides quality on what the team
//! left there. With `codex-mock` the model is the scripted mock and the token figures are
//! the o200k counts of the request bodies Codex sent; with `codex` it is your own provider
//! and login (your CODEX_HOME's config.toml and auth.json, copied), and the figures are the
//! usage Codex reported.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use crate::bench::eval::{EvalTask, class_name};
use crate::bench::report::TaskRun;
use crate::bench::run::{Arm, BenchConfig, FIXED6_PROFILE, Runner, subtask_keys, tail};
use crate::harness::{RealOptions, RealTeam};
use crate::mock::plan::{Plan, PlanSend};
use crate::scratch::Scratch;

/// The plan the mock follows for `arm`: the task's own plan, reshaped by the arm's
/// policy (and cut by the sabotage switch).
pub fn arm_plan(task: &EvalTask, arm: Arm, profile: &str, sabotaged: bool) -> Plan {
    let keys = subtask_keys(task, sabotaged);
    let mut plan = task.plan.clone();
    plan.tasks.retain(|t| keys.contains(&t.key));
    for t in &mut plan.tasks {
        t.deps.retain(|d| keys.contains(d));
    }
    plan.goal = Some(task.statement.clone());
    match arm {
        Arm::Fixed6 => {
            plan.profile = Some("fixed-6".into());
            plan.whole_task_briefs = true;
            for t in &mut plan.tasks {
                // Naive coordination: every result is broadcast to every teammate.
                let body = t
                    .publish
                    .clone()
                    .unwrap_or_else(|| format!("{} done", t.title));
                t.send.push(PlanSend {
                    to: "all".into(),
                    body: Some(body),
                });
            }
        }
        Arm::Adaptive => plan.profile = Some(profile.to_string()),
    }
    plan
}

pub fn run_real(
    cfg: &BenchConfig,
    arm: Arm,
    task: &EvalTask,
    repeat: u32,
    sabotaged: bool,
) -> Result<TaskRun> {
    let scratch = Scratch::new("bench-ws")?;
    let ws = scratch.path().join("ws");
    task.prepare_workspace(&ws)?;
    let mut plan = arm_plan(task, arm, &cfg.profile, sabotaged);
    plan.pace_secs = cfg.pace;
    let subtasks = plan.tasks.len() as u64;
    let mut options = RealOptions::new(plan);
    options.prompt = format!("use agents team: {}", task.statement);
    options.user_profiles = vec![("fixed-6".into(), FIXED6_PROFILE.into())];
    options.codex = cfg.codex.clone();
    options.bin = cfg.bin.clone();
    options.timeout = cfg.timeout;
    if let Some(pace) = cfg.pace {
        // Paced: even one worker doing every subtask in turn must fit, with room to spare.
        options.timeout = options
            .timeout
            .max(std::time::Duration::from_secs(pace * subtasks * 2 + 300));
    }
    options.capture_bodies = false;
    options.workspace = Some(ws.clone());
    if cfg.runner == Runner::Codex {
        // A real model: your provider and login, the arm's profile through the environment,
        // and the naive arm's policy in words.
        options.user_codex_home = Some(user_codex_home()?);
        options.profile = Some(match arm {
            Arm::Fixed6 => "fixed-6".to_string(),
            Arm::Adaptive => cfg.profile.clone(),
        });
        if arm == Arm::Fixed6 {
            options.prompt.push_str(
                "\n(Baseline run: spawn 6 workers at once with justification \"fixed fan-out baseline\", \
                 brief each with the whole task, and share every result with team_broadcast.)",
            );
        }
    }
    let report = RealTeam::run(options)?;
    let check = task.check(&ws)?;
    let mut problems = Vec::new();
    if !report.leftover.is_empty() {
        problems.push(format!(
            "{} process(es) outlived the team",
            report.leftover.len()
        ));
    }
    if !check.passed {
        problems.push(tail(&check.output, 400));
    }
    Ok(TaskRun {
        task: task.name.clone(),
        class: class_name(task.size_class).to_string(),
        repeat,
        input_tokens: report.tokens.total.input,
        cached_tokens: 0,
        output_tokens: report.tokens.total.output,
        total_tokens: report.tokens.total.total,
        wall_ms: report.wall_ms,
        agents: report.workers_spawned,
        max_live: report.max_live,
        messages: report.messages.len() as u64,
        artifacts: report.artifacts.len() as u64,
        quality_passed: check.passed,
        worker_request_tokens: report
            .requests
            .iter()
            .filter(|r| r.role == "worker")
            .map(|r| r.input_tokens)
            .min(),
        error: (!problems.is_empty()).then(|| problems.join("; ")),
        lead_requests: Some(report.requests.iter().filter(|r| r.role == "lead").count() as u64),
        lead_waits: Some(
            report
                .lead
                .tools()
                .iter()
                .filter(|t| **t == "team_pull_inbox")
                .count() as u64,
        ),
        tasks_done: Some(report.tasks.done.max(0) as u64),
        pace_secs: cfg.pace,
    })
}

/// The Codex home whose provider and login a real-model run uses: `$CODEX_HOME`, else
/// `~/.codex`.
fn user_codex_home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".codex"))
        .ok_or_else(|| anyhow!("neither CODEX_HOME nor HOME is set: cannot find your Codex setup"))
}
