//! The `codex-mock` and `codex` runners of the benchmark: each arm is a real team run (the
//! real Codex CLI as lead and workers, see [`crate::bench::harness`]) in a workspace prepared from
//! the eval task's repository; the task's checker then decides quality on what the team
//! left there. With `codex-mock` the model is the scripted mock and the token figures are
//! the o200k counts of the request bodies Codex sent; with `codex` it is your own provider
//! and login (your CODEX_HOME's config.toml and auth.json, copied), and the figures are the
//! usage Codex reported.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use crate::bench::harness::{RealOptions, RealTeam};
use crate::bench::mock::script::{Script, ScriptMode, ScriptSend};
use crate::bench::team::arm::{Arm, Backend, BenchConfig, arm_profiles, subtask_keys, tail};
use crate::bench::team::eval::{EvalTask, class_name};
use crate::bench::team::report::TaskRun;
use crate::scratch::Scratch;

/// The script the mock follows for `arm`: the task's own script, reshaped by the arm's
/// policy (and cut by the sabotage switch).
pub fn arm_script(task: &EvalTask, arm: Arm, profile: &str, sabotaged: bool) -> Script {
    let keys = subtask_keys(task, sabotaged);
    let mut plan = task.script.clone();
    plan.tasks.retain(|t| keys.contains(&t.key));
    for t in &mut plan.tasks {
        t.deps.retain(|d| keys.contains(d));
    }
    plan.goal = Some(task.statement.clone());
    plan.profile = arm.profile(profile);
    plan.mode = match arm {
        Arm::Solo => ScriptMode::Solo,
        Arm::CodexSubagents => ScriptMode::Subagents,
        _ => ScriptMode::Team,
    };
    plan.whole_task_briefs = arm.whole_task_briefs();
    if arm.broadcasts() {
        for t in &mut plan.tasks {
            // Naive coordination: every result is broadcast to every teammate.
            let body = t
                .publish
                .clone()
                .unwrap_or_else(|| format!("{} done", t.title));
            t.send.push(ScriptSend {
                to: "all".into(),
                body: Some(body),
            });
        }
    }
    plan
}

/// What the user types for `arm`: the team trigger for team arms, the bare task for
/// `solo`, and an explicit request for sub-agents (Codex spawns none unless asked).
pub fn arm_prompt(task: &EvalTask, arm: Arm) -> String {
    match arm {
        Arm::Solo => task.statement.clone(),
        Arm::CodexSubagents => format!(
            "Use sub-agents for this: split it into its independent parts and give each part to its own agent, in parallel where the parts allow. {}",
            task.statement
        ),
        _ => format!("use agents team: {}", task.statement),
    }
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
    let mut plan = arm_script(task, arm, &cfg.profile, sabotaged);
    plan.pace_secs = cfg.pace;
    let subtasks = plan.tasks.len() as u64;
    let mut options = RealOptions::new(plan);
    options.prompt = arm_prompt(task, arm);
    options.user_profiles = arm_profiles(&cfg.profile)?;
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
    // Without a team there is nothing of codex-teams to install: plain Codex.
    options.install = arm.is_team();
    if !arm.is_team() {
        // The lead (and Codex's sub-agents, which inherit it) writes the files itself.
        options.lead_sandbox = Some("workspace-write".into());
    }
    if cfg.backend == Backend::Codex {
        // A real model: your provider and login, the arm's profile through the environment,
        // and the naive arm's policy in words.
        options.user_codex_home = Some(user_codex_home()?);
        options.profile = arm.profile(&cfg.profile);
        if arm.whole_task_briefs() || arm.broadcasts() || arm == Arm::Lean6 {
            options.prompt.push_str(&format!(
                "\n(Benchmark arm {}: spawn 6 workers at once with justification \"fixed fan-out baseline\"{}{}.)",
                arm.name(),
                if arm.whole_task_briefs() { ", brief each with the whole task" } else { "" },
                if arm.broadcasts() { ", and share every result with team_broadcast" } else { "" },
            ));
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
    let mut run = TaskRun::new(task, repeat);
    let lead_requests = report.requests_of("lead");
    run.input_tokens = report.tokens.total.input;
    run.output_tokens = report.tokens.total.output;
    run.total_tokens = report.tokens.total.total;
    run.cached_tokens = if cfg.backend == Backend::Codex {
        // Only the lead's own usage says what was cached.
        report
            .lead
            .usage
            .as_ref()
            .and_then(|u| u.get("cached_input_tokens"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    } else {
        report.requests.iter().map(|r| r.cached_tokens).sum()
    };
    run.lead_requests = (cfg.backend == Backend::CodexMock).then_some(lead_requests.len() as u64);
    run.wall_ms = report.wall_ms;
    run.messages = report.records.messages.len() as u64;
    run.artifacts = report.records.artifacts.len() as u64;
    if arm.is_team() {
        run.agents = report.team.workers_spawned;
        run.max_live = report.team.max_live;
        // The planner's first recommendation once the board exists.
        let first = report
            .events_of("fanout.recommended")
            .into_iter()
            .filter_map(|e| e.data.get("plan"))
            .filter_map(|p| {
                serde_json::from_value::<crate::engine::fanout::Recommendation>(p.clone()).ok()
            })
            .find(|p| !p.reasons.iter().any(|r| r.contains("no tasks yet")));
        run.planner_class = first.as_ref().map(|p| class_name(p.class).to_string());
        run.recommended = first.map(|p| p.recommended);
    } else if arm == Arm::CodexSubagents {
        // Each sub-agent is its own Codex thread: count the distinct ones that reached the
        // model.
        let subagents: std::collections::BTreeSet<&str> = report
            .requests
            .iter()
            .filter(|r| r.role == "worker")
            .filter_map(|r| r.agent_id.as_deref())
            .collect();
        run.agents = subagents.len() as u32;
        // Open at once: the lead's spawns minus its closes, in request order.
        let (mut open, mut most) = (0i64, 0i64);
        let mut lead: Vec<_> = report.requests_of("lead");
        lead.sort_by_key(|r| r.n);
        for call in lead.iter().flat_map(|r| r.calls.iter()) {
            match call.name.as_str() {
                "spawn_agent" => open += 1,
                "close_agent" => open -= 1,
                _ => {}
            }
            most = most.max(open);
        }
        run.max_live = most.max(0) as u32;
    }
    run.quality_passed = check.passed;
    run.worker_request_tokens = report
        .requests
        .iter()
        .filter(|r| r.role == "worker" && arm.is_team())
        .map(|r| r.input_tokens)
        .min();
    run.error = (!problems.is_empty()).then(|| problems.join("; "));
    run.lead_waits = Some(
        report
            .lead
            .tools()
            .iter()
            .filter(|t| **t == "team_pull_inbox")
            .count() as u64,
    );
    run.tasks_done = Some(report.team.tasks.done.max(0) as u64);
    run.pace_secs = cfg.pace;
    Ok(run)
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
