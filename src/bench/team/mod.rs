//! The team benchmark (`codex-teams bench`): the baseline, the candidate and the arms asked
//! for, over the eval set, then the report and its verdict.
//!
//! - [`eval`]: the fixed eval set in `benchmarks/eval/`: loading, workspaces, checkers.
//! - [`arm`]: the arms (`fixed-6`, `lean-6`, `adaptive`, ...), the backends that run them,
//!   the configuration they share and the profiles they need.
//! - [`run`]: one arm on one task; the `sim` backend. [`real`]: the `codex-mock` and `codex`
//!   backends, through [`crate::bench::harness`].
//! - [`report`]: per-task results of every arm, deltas, verdict; Markdown, JSON and SVG.
//!
//! The command runs every arm over every task with [`run::run_task`] (showing progress),
//! then [`build_report`] makes the report.

pub mod arm;
pub mod eval;
pub mod real;
pub mod report;
pub mod run;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::bench::engine::{self, EngineConfig};
use crate::bench::harness::bare::{self, BareRequest, ProbeProfile};
use arm::{Arm, Backend, BenchConfig};
use eval::EvalTask;
use report::TaskRun;

/// One benchmark run: what the command line asked for, resolved.
pub struct TeamBench {
    pub cfg: BenchConfig,
    pub baseline: Arm,
    pub candidate: Arm,
    /// Every arm to run (baseline and candidate included), in report order.
    pub arms: Vec<Arm>,
    pub eval_dir: PathBuf,
    pub tasks: Vec<EvalTask>,
    pub repeat: u32,
    /// `--no-engine`: leave the engine figures out of the report.
    pub no_engine: bool,
    /// The engine benchmark's settings, for the engine figures.
    pub engine: EngineConfig,
}

/// The report of a finished run: `runs[i]` are the runs of `opts.arms[i]`; adds the engine
/// figures unless `--no-engine`.
pub fn build_report(opts: &TeamBench, runs: Vec<Vec<TaskRun>>) -> Result<report::Report> {
    let meta = report::ReportMeta {
        runner: opts.cfg.backend.name().to_string(),
        measurement: opts.cfg.backend.measurement().to_string(),
        date: today(),
        codex_version: (opts.cfg.backend != Backend::Sim)
            .then(|| codex_version(&opts.cfg))
            .flatten(),
        eval_dir: shown_path(&opts.eval_dir),
        profile: opts.cfg.profile.clone(),
    };
    let mut rep = report::build(
        meta,
        opts.baseline.name(),
        opts.candidate.name(),
        opts.arms
            .iter()
            .map(|a| a.name().to_string())
            .zip(runs)
            .collect(),
    );
    if !opts.no_engine {
        let mut engine = engine_figures(&opts.engine)?;
        engine.worker_request_tokens = worker_request_tokens(&rep);
        if opts.cfg.backend == Backend::CodexMock {
            engine.bare_worker_requests = bare_worker_requests(&opts.cfg)?;
        }
        rep.engine = Some(engine);
    }
    Ok(rep)
}

/// The engine figures for the team benchmark's report: a latency and throughput run of
/// the engine benchmark.
pub fn engine_figures(cfg: &EngineConfig) -> Result<report::EngineFigures> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let dir = crate::scratch::Scratch::new("bench")?;
    let r = engine::measure(cfg, &exe, dir.path())?;
    let get = |tool: &str| {
        r.latency_ms
            .get(tool)
            .map(|l| (l.p50, l.p99))
            .unwrap_or_default()
    };
    let (status_p50_ms, status_p99_ms) = get("team_status");
    let (send_p50_ms, send_p99_ms) = get("team_send");
    Ok(report::EngineFigures {
        status_p50_ms,
        status_p99_ms,
        send_p50_ms,
        send_p99_ms,
        sends_per_sec: r.throughput.sends_per_s,
        processes: r.throughput.processes,
        worker_request_tokens: None,
        bare_worker_requests: Vec::new(),
    })
}

/// The bare worker request of every shipped profile and of the `fixed-6` baseline.
fn bare_worker_requests(cfg: &BenchConfig) -> Result<Vec<BareRequest>> {
    let mut profiles: Vec<ProbeProfile> = crate::engine::policy::BUILTIN
        .iter()
        .map(|(name, _)| ProbeProfile {
            name: name.to_string(),
            yaml: None,
        })
        .collect();
    profiles.push(ProbeProfile {
        name: "fixed-6".into(),
        yaml: Some(arm::FIXED6_PROFILE.into()),
    });
    eprintln!("bench: measuring the bare worker request of each profile");
    let figures = bare::bare_worker_requests(cfg.codex.clone(), cfg.bin.clone(), &profiles)
        .context("measuring the bare worker request per profile")?;
    for line in bare::lines(&figures) {
        eprintln!("bench: {line}");
    }
    Ok(figures)
}

/// The fixed cost of one more agent: the median over runs of the smallest worker request
/// (a worker's first, bare request) Codex sent. None when no run measured it (sim).
fn worker_request_tokens(rep: &report::Report) -> Option<u64> {
    let mut v: Vec<f64> = rep
        .arms
        .values()
        .flat_map(|a| a.tasks.iter().filter_map(|t| t.worker_request_tokens))
        .map(|t| t as f64)
        .collect();
    (!v.is_empty()).then(|| report::median(&mut v) as u64)
}

fn codex_version(cfg: &BenchConfig) -> Option<String> {
    let codex = crate::bench::harness::find_codex(cfg.codex.as_deref()).ok()?;
    let out = std::process::Command::new(codex)
        .arg("--version")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Where an eval set is looked for without `--eval-dir`: `benchmarks/eval` of the checkout
/// the binary was built from, then of the current directory.
pub fn eval_candidates() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks/eval")];
    if let Ok(cwd) = std::env::current_dir() {
        v.push(cwd.join("benchmarks/eval"));
    }
    v
}

/// The first candidate that is a directory, else an error that names `--eval-dir`.
pub fn find_eval_dir(candidates: &[PathBuf]) -> Result<PathBuf> {
    if let Some(dir) = candidates.iter().find(|d| d.is_dir()) {
        return Ok(dir.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
    bail!(
        "no eval set found (looked in {}); hint: pass --eval-dir DIR, a folder with one \
         sub-folder per task (see docs/benchmarks.md)",
        looked.join(", ")
    )
}

/// A path as the report shows it: relative to this repository when inside it.
fn shown_path(p: &std::path::Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

pub fn today() -> String {
    // Days since the epoch to a civil date (UTC), without a date crate.
    let days = crate::engine::store::now_ms().div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_eval_set_names_the_flag_that_gives_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = [dir.path().join("benchmarks/eval")];
        let err = find_eval_dir(&missing)
            .expect_err("no eval set")
            .to_string();
        assert!(err.contains("--eval-dir"), "{err}");
        assert!(err.contains(&missing[0].display().to_string()), "{err}");
        std::fs::create_dir_all(&missing[0]).expect("mkdir");
        assert_eq!(find_eval_dir(&missing).expect("found"), missing[0]);
    }
}
