//! The smoke checks, written once: what a smoke run must show to pass, for the simulated
//! run ([`run_sim`]) and the `--real` run ([`check_real`]) alike. Both check the number of
//! workers against the profile's bounds for the scenario's size class, that no moment had
//! more than [`HARD_CAP`] live, and that every task was done ([`check_team`]); a real run
//! also checks the lead's exit, the team's end state, the engine's metering against the
//! mock model's count and that no process of the team is left running.

use anyhow::Result;
use serde::Serialize;

use crate::bench::harness::RealReport;
use crate::bench::scenarios::Scenario;
use crate::engine::Engine;
use crate::engine::fanout::SizeClass;
use crate::engine::policy::{Bounds, Fanout, HARD_CAP};
use crate::engine::scripted_team::{self, SimReport};
use crate::engine::store::TeamState;

/// How far the engine's metering may be from the mock model's own count.
pub const METERING_TOLERANCE: f64 = 0.01;

/// What every smoke run is judged on.
#[derive(Debug, Clone, Copy)]
pub struct TeamFacts {
    /// Workers started over the run.
    pub workers: u32,
    /// Most workers live at any moment.
    pub max_live: u32,
    pub tasks_done: i64,
    pub tasks_total: i64,
    /// The profile's bounds for the scenario's size class (None: they could not be read).
    pub bounds: Option<Bounds>,
}

/// The checks every smoke run must pass; empty when it passed.
pub fn check_team(f: &TeamFacts) -> Vec<String> {
    let mut problems = Vec::new();
    match f.bounds {
        Some(b) if f.workers < b.min || f.workers > b.max => problems.push(format!(
            "{} worker{} started; the profile's bounds for this size are {}-{}",
            f.workers,
            if f.workers == 1 { "" } else { "s" },
            b.min,
            b.max
        )),
        Some(_) => {}
        None => problems.push("the team's profile bounds could not be read".to_string()),
    }
    if f.max_live > HARD_CAP {
        problems.push(format!(
            "{} workers live at once; the hard cap is {HARD_CAP}",
            f.max_live
        ));
    }
    if f.tasks_total == 0 || f.tasks_done != f.tasks_total {
        problems.push(format!("{} of {} tasks done", f.tasks_done, f.tasks_total));
    }
    problems
}

/// The bounds of `fanout` for a task of size `class`.
pub fn bounds_for(fanout: &Fanout, class: SizeClass) -> Bounds {
    match class {
        SizeClass::Small => fanout.small,
        SizeClass::Medium => fanout.medium,
        SizeClass::High => fanout.high,
    }
}

/// A simulated smoke run: the engine's report and the checks' verdict (`smoke --json`
/// prints this, the report's keys first).
#[derive(Debug, Clone, Serialize)]
pub struct SimSmoke {
    #[serde(flatten)]
    pub report: SimReport,
    pub ok: bool,
    pub problems: Vec<String>,
}

/// Runs `scenario` under `profile` on simulated workers (a scripted lead that follows the
/// planner) and checks the run.
pub fn run_sim(engine: &Engine, scenario: &Scenario, profile: &str) -> Result<SimSmoke> {
    let report = scripted_team::run_spec(engine, scenario.spec(profile))?;
    let problems = check_team(&TeamFacts {
        workers: report.agents_used,
        max_live: report.max_live,
        tasks_done: report.tasks_done,
        tasks_total: scenario.tasks.len() as i64,
        bounds: Some(Bounds {
            min: report.expected_min,
            max: report.expected_max,
        }),
    });
    Ok(SimSmoke {
        report,
        ok: problems.is_empty(),
        problems,
    })
}

/// Everything a real smoke run must show; empty when it passed. `bounds` are the profile's
/// bounds for the scenario's size class, when the run's profile could be read.
pub fn check_real(r: &RealReport, bounds: Option<Bounds>) -> Vec<String> {
    let mut problems = Vec::new();
    if r.lead.timed_out {
        problems.push("the lead's Codex did not finish before the timeout".to_string());
    } else if r.lead.exit_code != Some(0) {
        problems.push(format!(
            "the lead's Codex exited with {:?} (signal {:?})",
            r.lead.exit_code, r.lead.signal
        ));
    }
    if r.team.teams_started != 1 {
        // Never 1 here, so the plural is always right.
        problems.push(format!(
            "{} teams started, expected 1",
            r.team.teams_started
        ));
    }
    if r.team.team_state != Some(TeamState::Finalized) {
        problems.push(format!(
            "the team is {}, expected finalized",
            r.team.team_state.map_or("missing", TeamState::as_str)
        ));
    }
    problems.extend(check_team(&TeamFacts {
        workers: r.team.workers_spawned,
        max_live: r.team.max_live,
        tasks_done: r.team.tasks.done,
        tasks_total: r.team.tasks_total,
        bounds,
    }));
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
