//! `codex-teams smoke small|medium|high [--real]`: a fixed scenario end to end; checks the
//! number of workers against the profile's bounds for the scenario's size class, that no
//! moment had more than six live, and that every task was done. Exits non-zero on a failed
//! check.
//!
//! Without `--real` the workers are simulated (`engine::sim`). With `--real` the same
//! scenario runs through the real Codex CLI, lead and `codex exec` workers, against the
//! local mock model ([`crate::harness`]); it also checks that no process of the team is
//! left running.

use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::{SmokeArgs, SmokeScenario};
use crate::commands::Paths;
use crate::engine::fanout::SizeClass;
use crate::engine::policy::HARD_CAP;
use crate::engine::sim;
use crate::harness::{RealOptions, RealReport, RealTeam};

/// How far the engine's metering may be from the mock model's own count.
const METERING_TOLERANCE: f64 = 0.01;

pub fn run(args: &SmokeArgs, paths: &Paths) -> Result<()> {
    let name = match args.scenario {
        SmokeScenario::Small => "small",
        SmokeScenario::Medium => "medium",
        SmokeScenario::High => "high",
    };
    let env_profile = std::env::var("CODEX_TEAMS_PROFILE").ok();
    let profile = args
        .profile
        .as_deref()
        .or(env_profile.as_deref())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or("default");
    if args.real {
        return run_real(args, name, profile);
    }
    let engine = paths.open()?;
    let scenario = sim::scenario(name)?;
    let report = sim::run(&engine, scenario, profile)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("smoke {name} (runner: sim; token figures are SIMULATED, not measured)");
        println!("  team      {}", report.team_id);
        println!("  profile   {}", report.profile);
        println!(
            "  workers   {} used (expected {}-{}), at most {} live at once (cap 6)",
            report.agents_used, report.expected_min, report.expected_max, report.max_live
        );
        println!(
            "  tasks     {} done in {} rounds",
            report.tasks_done, report.rounds
        );
        println!(
            "  tokens    {} simulated of a {} budget",
            report.simulated_tokens, report.budget_team_tokens
        );
        for r in &report.stop_reasons {
            println!("  stop      {r}");
        }
        println!("  result    {}", if report.ok { "ok" } else { "FAILED" });
        for p in &report.problems {
            println!("  problem   {p}");
        }
        println!("  next      codex-teams replay {}", report.team_id);
    }
    if !report.ok {
        bail!("smoke {name} failed: {}", report.problems.join("; "));
    }
    Ok(())
}

/// What `smoke --real` prints with `--json`: the checks and the harness report.
#[derive(serde::Serialize)]
struct RealSmoke<'a> {
    scenario: &'a str,
    expected_min: Option<u32>,
    expected_max: Option<u32>,
    ok: bool,
    problems: &'a [String],
    report: &'a RealReport,
}

fn run_real(args: &SmokeArgs, name: &str, profile: &str) -> Result<()> {
    let class = sim::scenario(name)?.class;
    let mut options = RealOptions::scenario(name)?;
    options.profile = Some(profile.to_string());
    options.codex = args.codex.clone();
    options.keep = args.keep;
    if let Some(secs) = args.timeout {
        options.timeout = Duration::from_secs(secs);
    }
    if crate::logging::stderr_is_terminal() {
        eprintln!(
            "smoke {name} --real: running the real Codex CLI (lead and workers) against the mock model; this takes 10-60 s"
        );
    }
    let report = RealTeam::run(options)?;
    let bounds = report.fanout.as_ref().map(|f| match class {
        SizeClass::Small => f.small,
        SizeClass::Medium => f.medium,
        SizeClass::High => f.high,
    });
    let problems = check_real(&report, bounds.map(|b| (b.min, b.max)));
    if args.json {
        let out = RealSmoke {
            scenario: name,
            expected_min: bounds.map(|b| b.min),
            expected_max: bounds.map(|b| b.max),
            ok: problems.is_empty(),
            problems: &problems,
            report: &report,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_real(name, &report, bounds.map(|b| (b.min, b.max)), &problems);
    }
    if !problems.is_empty() {
        bail!("smoke {name} --real failed: {}", problems.join("; "));
    }
    Ok(())
}

/// Everything a real smoke run must show; empty when it passed.
fn check_real(r: &RealReport, bounds: Option<(u32, u32)>) -> Vec<String> {
    let mut problems = Vec::new();
    if r.lead.timed_out {
        problems.push("the lead's Codex did not finish before the timeout".to_string());
    } else if r.lead.exit_code != Some(0) {
        problems.push(format!(
            "the lead's Codex exited with {:?} (signal {:?})",
            r.lead.exit_code, r.lead.signal
        ));
    }
    if r.teams_started != 1 {
        problems.push(format!(
            "{} teams were started, expected 1",
            r.teams_started
        ));
    }
    if r.team_state.as_deref() != Some("finalized") {
        problems.push(format!(
            "the team is {}, expected finalized",
            r.team_state.as_deref().unwrap_or("missing")
        ));
    }
    match bounds {
        Some((min, max)) if r.workers_spawned < min || r.workers_spawned > max => {
            problems.push(format!(
                "{} workers were spawned; the profile's bounds for this size are {min}-{max}",
                r.workers_spawned
            ))
        }
        Some(_) => {}
        None => problems.push("the team's profile bounds could not be read".to_string()),
    }
    if r.max_live > HARD_CAP {
        problems.push(format!(
            "{} workers were live at once; the hard cap is {HARD_CAP}",
            r.max_live
        ));
    }
    if r.tasks_total == 0 || r.tasks.done != r.tasks_total {
        problems.push(format!("{} of {} tasks done", r.tasks.done, r.tasks_total));
    }
    if r.tokens.metering_gap() > METERING_TOLERANCE {
        problems.push(format!(
            "codex-teams metered {} tokens but the mock model counted {} ({:.2}% apart, more than {}%)",
            r.tokens.engine_metered,
            r.tokens.total.total,
            r.tokens.metering_gap() * 100.0,
            METERING_TOLERANCE * 100.0
        ));
    }
    if !r.leftover.is_empty() {
        let list: Vec<String> = r
            .leftover
            .iter()
            .map(|l| format!("{} ({})", l.pid, l.cmd))
            .collect();
        problems.push(format!(
            "processes of the team were still running after the lead exited: {}",
            list.join(", ")
        ));
    }
    problems
}

fn print_real(name: &str, r: &RealReport, bounds: Option<(u32, u32)>, problems: &[String]) {
    println!(
        "smoke {name} --real (runner: codex-exec; {} against the scripted mock model)",
        r.codex_version.as_deref().unwrap_or("Codex CLI")
    );
    println!("  team      {}", r.team_id.as_deref().unwrap_or("(none)"));
    println!("  profile   {}", r.profile.as_deref().unwrap_or("(none)"));
    let expected = bounds
        .map(|(a, b)| format!("{a}-{b}"))
        .unwrap_or_else(|| "?".into());
    println!(
        "  workers   {} spawned (expected {expected}), at most {} live at once (cap {HARD_CAP})",
        r.workers_spawned, r.max_live
    );
    println!("  tasks     {} of {} done", r.tasks.done, r.tasks_total);
    let t = &r.tokens;
    println!(
        "  tokens    {} (lead {} in {} requests, workers {} in {} requests)",
        t.total.total, t.lead.total, t.lead.requests, t.workers.total, t.workers.requests
    );
    println!("            real Codex request bodies counted with o200k_base, scripted mock model");
    println!(
        "  metered   {} (lead {}, workers {}) in {} requests, from Codex's rollout files; {:.2}% off the mock's count",
        t.engine_metered,
        t.engine_lead,
        t.engine_workers,
        t.engine_requests,
        t.metering_gap() * 100.0
    );
    println!(
        "  bus       {} message(s), {} artifact(s)",
        r.messages.len(),
        r.artifacts.len()
    );
    for a in r.agents.iter().filter(|a| a.role != "lead") {
        println!(
            "  stop      {} {}: {}",
            a.agent_id,
            a.state,
            a.stop_reason.as_deref().unwrap_or("-")
        );
    }
    println!(
        "  processes {}",
        if r.leftover.is_empty() {
            "none left running".to_string()
        } else {
            format!("{} LEFT RUNNING", r.leftover.len())
        }
    );
    println!("  wall      {:.1} s", r.wall_ms as f64 / 1000.0);
    if let Some(dir) = &r.dir {
        println!("  kept      {}", dir.display());
    }
    println!(
        "  result    {}",
        if problems.is_empty() { "ok" } else { "FAILED" }
    );
    for p in problems {
        println!("  problem   {p}");
    }
}
