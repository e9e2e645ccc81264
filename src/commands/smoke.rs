//! `codex-teams smoke small|medium|high [--real]`: a fixed scenario
//! ([`crate::bench::scenarios`]) end to end, judged by the smoke checks
//! ([`crate::bench::smoke`]): the number of workers against the profile's bounds for the
//! scenario's size class, no moment with more than six live, every task done. Exits
//! non-zero on a failed check.
//!
//! Without `--real` the workers are simulated (`engine::scripted_team`). With `--real` the same
//! scenario runs through the real Codex CLI, lead and `codex exec` workers, against the
//! local mock model ([`crate::bench::harness`]); it also checks that no process of the team
//! is left running. This module parses the flags, shows progress and prints.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::bench::harness::{RealOptions, RealReport, RealTeam};
use crate::bench::{scenarios, smoke};
use crate::cli::{SmokeArgs, SmokeScenario};
use crate::commands::Paths;
use crate::commands::display::{ShortIds, count};
use crate::engine::Engine;
use crate::engine::policy::HARD_CAP;

pub fn run(args: &SmokeArgs, paths: &Paths) -> Result<()> {
    let name = match args.scenario {
        SmokeScenario::Small => "small",
        SmokeScenario::Medium => "medium",
        SmokeScenario::High => "high",
    };
    let env_profile = std::env::var(crate::engine::policy::PROFILE_ENV).ok();
    let profile = args
        .profile
        .as_deref()
        .or(env_profile.as_deref())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or("default");
    if args.real {
        return run_real(args, name, profile, paths);
    }
    let engine = paths.open()?;
    let scenario = scenarios::scenario(name)?;
    let smoke = smoke::run_sim(&engine, scenario, profile)?;
    let report = &smoke.report;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&smoke)?);
    } else {
        println!("smoke {name} (runner: sim; token figures are SIMULATED, not measured)");
        println!("  team      {}", report.team_id);
        println!("  profile   {}", report.profile);
        println!(
            "  workers   {} used (expected {}-{}), at most {} live at once (cap 6)",
            count(i64::from(report.agents_used), "worker"),
            report.expected_min,
            report.expected_max,
            report.max_live
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
        println!("  result    {}", if smoke.ok { "ok" } else { "FAILED" });
        for p in &smoke.problems {
            println!("  problem   {p}");
        }
        println!("  next      codex-teams replay {}", report.team_id);
    }
    if !smoke.ok {
        bail!("smoke {name} failed: {}", smoke.problems.join("; "));
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
    /// A copy of the run's database: `codex-teams --db <this> replay <team>`.
    saved_db: &'a Path,
}

/// The signal that interrupted a `--real` run (0: none yet).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_stop_signal(signal: libc::c_int) {
    INTERRUPTED.store(signal, Ordering::SeqCst);
}

/// SIGINT and SIGTERM set [`INTERRUPTED`] instead of killing the process, so a stopped run
/// still stops its team and removes its directory.
fn catch_stop_signals() {
    let handler = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Where a `--real` run's database is kept after the run: `<home>/smoke/<scenario>.db`
/// (the last run of each scenario), so `status` and `replay` can show its team.
pub fn saved_db(home: &Path, scenario: &str) -> PathBuf {
    home.join("smoke").join(format!("{scenario}.db"))
}

fn run_real(args: &SmokeArgs, name: &str, profile: &str, paths: &Paths) -> Result<()> {
    let class = scenarios::scenario(name)?.class;
    let mut options = RealOptions::scenario(name)?;
    options.profile = Some(profile.to_string());
    options.codex = args.codex.clone();
    options.keep = args.keep;
    if let Some(secs) = args.timeout {
        options.timeout = Duration::from_secs(secs);
    }
    let saved = saved_db(&paths.home, name);
    options.save_db = Some(saved.clone());
    let deadline = options.timeout;
    let tty = crate::logging::stderr_is_terminal();
    if tty {
        eprintln!(
            "smoke {name} --real: running the real Codex CLI (lead and workers) against the mock model; this takes 10-60 s"
        );
    }
    catch_stop_signals();
    let mut team = RealTeam::start(options)?;
    eprintln!(
        "smoke {name} --real: watch it with: codex-teams --db {} status --watch",
        team.db_path().display()
    );
    let dir = team.dir().to_path_buf();
    let progress = tty.then(Progress::new);
    let started = Instant::now();
    let mut engine: Option<Engine> = None;
    while team.lead_running() && started.elapsed() < deadline && interrupted().is_none() {
        if let Some(p) = &progress {
            if engine.is_none() {
                engine = team.engine();
            }
            if let Some(e) = &engine {
                p.update(e);
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if let Some(p) = progress {
        p.clear();
    }
    if let Some(signal) = interrupted() {
        // Dropping an unfinished run kills every process it started.
        drop(team);
        return stopped_by(signal, &dir, args.keep);
    }
    let report = team.finish()?;
    if let Some(signal) = interrupted() {
        return stopped_by(signal, &dir, args.keep);
    }
    let bounds = report
        .team
        .fanout
        .as_ref()
        .map(|f| smoke::bounds_for(f, class));
    let problems = smoke::check_real(&report, bounds);
    if args.json {
        let out = RealSmoke {
            scenario: name,
            expected_min: bounds.map(|b| b.min),
            expected_max: bounds.map(|b| b.max),
            ok: problems.is_empty(),
            problems: &problems,
            report: &report,
            saved_db: &saved,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_real(
            name,
            &report,
            bounds.map(|b| (b.min, b.max)),
            &problems,
            &saved,
        );
    }
    if !problems.is_empty() {
        bail!("smoke {name} --real failed: {}", problems.join("; "));
    }
    Ok(())
}

fn interrupted() -> Option<i32> {
    Some(INTERRUPTED.load(Ordering::SeqCst)).filter(|s| *s != 0)
}

/// After SIGINT or SIGTERM: the team is stopped (the run was dropped), its directory gone
/// unless `--keep`; say which, and exit as the signal would have (130, 143).
fn stopped_by(signal: i32, dir: &Path, keep: bool) -> Result<()> {
    let name = if signal == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    if keep {
        eprintln!(
            "smoke: stopped by {name}; the team's processes are stopped. Kept {} \
             (codex-home/, teams/teams.db, lead.jsonl, lead.err, mock.log)",
            dir.display()
        );
    } else {
        if dir.exists() {
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!(
            "smoke: stopped by {name}; the team's processes are stopped and {} is removed",
            dir.display()
        );
    }
    std::process::exit(128 + signal)
}

/// What a `--real` run shows on a terminal while it runs: a bar of the board's tasks and a
/// line per agent (its state and the task it holds).
struct Progress {
    multi: MultiProgress,
    tasks: ProgressBar,
    agents: std::cell::RefCell<Vec<(String, ProgressBar)>>,
}

impl Progress {
    fn new() -> Progress {
        let multi = MultiProgress::new();
        let tasks = multi.add(ProgressBar::new(0));
        tasks.set_style(
            ProgressStyle::with_template("  tasks  [{bar:30.cyan/blue}] {pos}/{len}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        tasks.set_message("waiting for the lead to start the team");
        tasks.enable_steady_tick(Duration::from_millis(200));
        Progress {
            multi,
            tasks,
            agents: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn update(&self, engine: &Engine) {
        let Ok(teams) = engine.overview(None, true) else {
            return;
        };
        let Some(t) = teams.first() else {
            return;
        };
        let c = &t.task_counts;
        let total = (c.ready + c.blocked + c.claimed + c.done + c.failed + c.cancelled).max(0);
        self.tasks.set_length(total as u64);
        self.tasks
            .set_position((c.done + c.failed + c.cancelled).max(0) as u64);
        self.tasks.set_message(format!(
            "{} ready, {} claimed, {} blocked, {} tokens",
            c.ready, c.claimed, c.blocked, t.tokens.total
        ));
        let ids = ShortIds::new(
            t.agents
                .iter()
                .map(|a| a.agent_id.as_str())
                .chain(t.tasks.iter().map(|task| task.task_id.as_str())),
        );
        let mut agents = self.agents.borrow_mut();
        for a in &t.agents {
            let line = match agents.iter().find(|(id, _)| id == &a.agent_id) {
                Some((_, bar)) => bar.clone(),
                None => {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(200));
                    agents.push((a.agent_id.clone(), bar.clone()));
                    bar
                }
            };
            let task = a
                .task_id
                .as_deref()
                .map(|id| {
                    let title = t
                        .tasks
                        .iter()
                        .find(|task| task.task_id == id)
                        .map(|task| task.title.as_str())
                        .unwrap_or("");
                    format!("  {} {title}", ids.short(id))
                })
                .unwrap_or_default();
            line.set_message(format!(
                "{:<16} {:<6} {:<8} {} tokens{task}",
                ids.short(&a.agent_id),
                a.role,
                a.state,
                a.tokens
            ));
            if a.state.has_ended() && !line.is_finished() {
                line.finish();
            }
        }
    }

    fn clear(self) {
        for (_, bar) in self.agents.borrow().iter() {
            bar.finish_and_clear();
        }
        self.tasks.finish_and_clear();
        let _ = self.multi.clear();
    }
}

fn print_real(
    name: &str,
    r: &RealReport,
    bounds: Option<(u32, u32)>,
    problems: &[String],
    saved: &Path,
) {
    println!(
        "smoke {name} --real (runner: codex-exec; {} against the scripted mock model)",
        r.codex_version.as_deref().unwrap_or("Codex CLI")
    );
    println!(
        "  team      {}",
        r.team.team_id.as_deref().unwrap_or("(none)")
    );
    println!(
        "  profile   {}",
        r.team.profile.as_deref().unwrap_or("(none)")
    );
    let expected = bounds
        .map(|(a, b)| format!("{a}-{b}"))
        .unwrap_or_else(|| "?".into());
    println!(
        "  workers   {} spawned (expected {expected}), at most {} live at once (cap {HARD_CAP})",
        count(i64::from(r.team.workers_spawned), "worker"),
        r.team.max_live
    );
    println!(
        "  tasks     {} of {} done",
        r.team.tasks.done, r.team.tasks_total
    );
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
        r.records.messages.len(),
        r.records.artifacts.len()
    );
    for a in r.records.agents.iter().filter(|a| a.role != "lead") {
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
    if let Some(team) = &r.team.team_id {
        println!(
            "  next      codex-teams --db {} replay {team}",
            shell_word(&saved.display().to_string())
        );
    }
}

/// `s` as one shell word: bare when it has nothing a shell would split or expand.
fn shell_word(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:@,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
