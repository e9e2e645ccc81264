//! `codex-teams bench` (the team benchmark): the baseline, the candidate and the `--arms`
//! asked for, over the eval set, then the report (`benchmarks/results/<date>-<runner>.md`,
//! `.json`, `.svg`) and its verdict. Exits non-zero on a `fail` verdict, so CI can gate on
//! it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::eval;
use crate::bench::report::{self, TaskRun};
use crate::bench::run::{Arm, BenchConfig, Runner, Sabotage, run_task};
use crate::cli::BenchArgs;
use crate::commands::Paths;

pub fn run(args: &BenchArgs, paths: &Paths) -> Result<()> {
    let runner = match args.runner.as_str() {
        "sim" => Runner::Sim,
        "codex-mock" => Runner::CodexMock,
        "codex" => Runner::Codex,
        other => bail!("--runner: `{other}` is not a runner; valid: sim, codex-mock, codex"),
    };
    let baseline = Arm::parse(&args.baseline)?;
    let candidate = Arm::parse(&args.candidate)?;
    if baseline == candidate {
        bail!(
            "--baseline and --candidate are both `{}`; compare two different arms",
            args.baseline
        );
    }
    let mut arms = Arm::parse_list(&args.arms)?;
    arms.extend([baseline, candidate]);
    arms.sort();
    arms.dedup();
    if runner == Runner::Sim
        && let Some(a) = arms.iter().find(|a| !a.is_team())
    {
        bail!(
            "--arms: `{}` runs no codex-teams team, so the sim runner cannot play it; use --runner codex-mock (or codex)",
            a.name()
        );
    }
    let eval_dir = match &args.eval_dir {
        Some(d) => d.clone(),
        None => find_eval_dir(&eval_candidates())?,
    };
    let mut tasks = eval::load(&eval_dir)
        .with_context(|| format!("loading the eval set {}", eval_dir.display()))?;
    if !args.tasks.is_empty() {
        for name in &args.tasks {
            if !tasks.iter().any(|t| &t.name == name) {
                bail!(
                    "--tasks: no task `{name}` in {}; valid: {}",
                    eval_dir.display(),
                    tasks
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        tasks.retain(|t| args.tasks.contains(&t.name));
    }
    let cfg = BenchConfig {
        runner,
        profile: args.profile.clone(),
        sabotage: args.sabotage.as_deref().map(|_| Sabotage::DropSubtask),
        codex: args.codex.clone(),
        bin: std::env::current_exe().ok(),
        timeout: Duration::from_secs(args.timeout),
        pace: args.pace.map(u64::from),
    };
    let total = tasks.len() as u64 * arms.len() as u64 * u64::from(args.repeat);
    let bar = if crate::logging::stderr_is_terminal() {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut runs: Vec<Vec<TaskRun>> = vec![Vec::new(); arms.len()];
    for repeat in 0..args.repeat {
        for task in &tasks {
            for (i, &arm) in arms.iter().enumerate() {
                let label = format!("{} {} #{}", task.name, arm.name(), repeat + 1);
                match &bar {
                    Some(b) => b.set_message(label.clone()),
                    None => eprintln!("bench: {label}"),
                }
                let run = run_task(&cfg, arm, task, repeat)
                    .with_context(|| format!("bench run {label}"))?;
                if bar.is_none() {
                    eprintln!(
                        "bench: {label}: {} tokens, {}, quality {}",
                        run.total_tokens,
                        crate::commands::display::count(i64::from(run.agents), "worker"),
                        if run.quality_passed { "pass" } else { "FAIL" }
                    );
                }
                runs[i].push(run);
                if let Some(b) = &bar {
                    b.inc(1);
                }
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let date = today();
    let meta = report::ReportMeta {
        runner: runner.name().to_string(),
        measurement: runner.measurement().to_string(),
        date: date.clone(),
        codex_version: (runner != Runner::Sim)
            .then(|| codex_version(&cfg))
            .flatten(),
        eval_dir: shown_path(&eval_dir),
        profile: args.profile.clone(),
    };
    let mut rep = report::build(
        meta,
        baseline.name(),
        candidate.name(),
        arms.iter()
            .map(|a| a.name().to_string())
            .zip(runs)
            .collect(),
    );
    if !args.no_engine {
        let mut engine = crate::commands::bench::engine_figures(args, paths)?;
        engine.worker_request_tokens = worker_request_tokens(&rep);
        if runner == Runner::CodexMock {
            engine.bare_worker_requests = bare_worker_requests(&cfg)?;
        }
        rep.engine = Some(engine);
    }
    let out_dir = match &args.out {
        Some(d) => d.clone(),
        // Under the data home, never into a source checkout: a run's report is the user's
        // output, not a change to the repository (`--out benchmarks/results` refreshes the
        // committed reports on purpose).
        None => default_out_dir(&paths.home),
    };
    // Under the codex-teams home by default, so private like everything there.
    crate::engine::private::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}", out_dir.display()))?;
    let stem = out_dir.join(format!("{date}-{}", runner.name()));
    let md = stem.with_extension("md");
    let json = stem.with_extension("json");
    let svg = stem.with_extension("svg");
    let write = |path: &std::path::Path, text: String| -> Result<()> {
        let mut file = crate::engine::private::create(path)
            .with_context(|| format!("writing {}", path.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))
    };
    write(&md, report::markdown(&rep))?;
    write(&json, serde_json::to_string_pretty(&rep)? + "\n")?;
    write(&svg, report::svg(&rep))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        println!("runner {} ({})", rep.runner, rep.measurement);
        for d in &rep.classes {
            println!(
                "  {:<7} {} {:.0} vs {} {:.0} median tokens: {:.1}% saved; quality {}/{}",
                d.class,
                rep.baseline,
                d.baseline_median_tokens,
                rep.candidate,
                d.candidate_median_tokens,
                d.token_saving_pct,
                d.candidate_quality_passed,
                d.baseline_quality_passed
            );
        }
        for name in &rep.arm_order {
            if let Some(a) = rep.arms.get(name) {
                println!(
                    "  arm {name:<22} median {:>8.0} tokens (uncached {:.0}, cached {:.0}, output {:.0}; cost index {:.0}); quality {}/{}",
                    a.median_tokens,
                    a.median_uncached_tokens,
                    a.median_cached_tokens,
                    a.median_output_tokens,
                    a.median_cost_index,
                    a.quality_passed,
                    a.runs
                );
            }
        }
        if let Some(ab) = &rep.ablation {
            let parts: Vec<String> = ab
                .shares
                .iter()
                .filter_map(|s| s.share_pct.map(|p| format!("{} {p:.1}%", s.factor)))
                .collect();
            println!("  ablation: {}", parts.join(", "));
        }
        println!(
            "verdict: {} — {} ({} median is {:.1}% of {}'s)",
            rep.verdict, rep.reason, rep.candidate, rep.candidate_pct_of_baseline, rep.baseline
        );
        println!("report: {} (.json, .svg)", md.display());
    }
    if rep.verdict != "pass" {
        bail!("benchmark verdict: fail — {}", rep.reason);
    }
    Ok(())
}

/// The bare worker request of every shipped profile and of the `fixed-6` baseline.
fn bare_worker_requests(cfg: &BenchConfig) -> Result<Vec<crate::harness::bare::BareRequest>> {
    use crate::harness::bare::{self, ProbeProfile};
    let mut profiles: Vec<ProbeProfile> = crate::engine::policy::BUILTIN
        .iter()
        .map(|(name, _)| ProbeProfile {
            name: name.to_string(),
            yaml: None,
        })
        .collect();
    profiles.push(ProbeProfile {
        name: "fixed-6".into(),
        yaml: Some(crate::bench::run::FIXED6_PROFILE.into()),
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
    let codex = crate::harness::find_codex(cfg.codex.as_deref()).ok()?;
    let out = std::process::Command::new(codex)
        .arg("--version")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Where the report goes without `--out`: `<CODEX_TEAMS_HOME>/bench/`.
fn default_out_dir(home: &Path) -> PathBuf {
    home.join("bench")
}

/// Where an eval set is looked for without `--eval-dir`: `benchmarks/eval` of the checkout
/// the binary was built from, then of the current directory.
fn eval_candidates() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks/eval")];
    if let Ok(cwd) = std::env::current_dir() {
        v.push(cwd.join("benchmarks/eval"));
    }
    v
}

/// The first candidate that is a directory, else an error that names `--eval-dir`.
fn find_eval_dir(candidates: &[PathBuf]) -> Result<PathBuf> {
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

fn today() -> String {
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
