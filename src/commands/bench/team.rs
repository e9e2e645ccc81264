//! `codex-teams bench` (the team benchmark): the baseline, the candidate and the `--arms`
//! asked for, over the eval set, then the report (`benchmarks/results/<date>-<runner>.md`,
//! `.json`, `.svg`) and its verdict. Exits non-zero on a `fail` verdict, so CI can gate on
//! it.

//!
//! Thin: parses the flags, runs the arms through [`crate::bench::team`] with a progress
//! bar, writes the report files and prints the summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::team::arm::{Arm, Backend, BenchConfig, Sabotage};
use crate::bench::team::report::{self, TaskRun};
use crate::bench::team::run::run_task;
use crate::bench::team::{self, TeamBench, eval};
use crate::cli::BenchArgs;
use crate::commands::Paths;

pub fn run(args: &BenchArgs, paths: &Paths) -> Result<()> {
    let backend = match args.runner.as_str() {
        "sim" => Backend::Sim,
        "codex-mock" => Backend::CodexMock,
        "codex" => Backend::Codex,
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
    if backend == Backend::Sim
        && let Some(a) = arms.iter().find(|a| !a.is_team())
    {
        bail!(
            "--arms: `{}` runs no codex-teams team, so the sim runner cannot play it; use --runner codex-mock (or codex)",
            a.name()
        );
    }
    let eval_dir = match &args.eval_dir {
        Some(d) => d.clone(),
        None => team::find_eval_dir(&team::eval_candidates())?,
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
        backend,
        profile: args.profile.clone(),
        sabotage: args.sabotage.as_deref().map(|_| Sabotage::DropSubtask),
        codex: args.codex.clone(),
        bin: std::env::current_exe().ok(),
        timeout: Duration::from_secs(args.timeout),
        pace: args.pace.map(u64::from),
    };
    let opts = TeamBench {
        cfg,
        baseline,
        candidate,
        arms,
        eval_dir,
        tasks,
        repeat: args.repeat,
        no_engine: args.no_engine,
        engine: super::engine_config(args),
    };
    let total = opts.tasks.len() as u64 * opts.arms.len() as u64 * u64::from(opts.repeat);
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
    let mut runs: Vec<Vec<TaskRun>> = vec![Vec::new(); opts.arms.len()];
    for repeat in 0..opts.repeat {
        for task in &opts.tasks {
            for (i, &arm) in opts.arms.iter().enumerate() {
                let label = format!("{} {} #{}", task.name, arm.name(), repeat + 1);
                match &bar {
                    Some(b) => b.set_message(label.clone()),
                    None => eprintln!("bench: {label}"),
                }
                let run = run_task(&opts.cfg, arm, task, repeat)
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
    let rep = team::build_report(&opts, runs)?;
    let backend = opts.cfg.backend;
    let date = rep.date.clone();
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
    let stem = out_dir.join(format!("{date}-{}", backend.name()));
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

/// Where the report goes without `--out`: `<CODEX_TEAMS_HOME>/bench/`.
fn default_out_dir(home: &Path) -> PathBuf {
    home.join("bench")
}
