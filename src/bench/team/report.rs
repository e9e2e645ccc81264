//! The benchmark report: per-task results of every arm, the tokens each spent (uncached,
//! cached, output, and a cost index), wall time, quality and lead requests, team size per
//! task against the planner, the ablation line, and the verdict of the candidate against
//! the baseline. Pure: it formats what the runs measured and decides nothing else.
//!
//! Verdict: `pass` when the candidate's median total tokens is lower than the baseline's
//! AND its quality pass count is not lower, overall and in every size class; `fail`
//! otherwise, with the reason. The other arms inform; they do not gate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bench::team::eval::{EvalTask, class_name};

/// One run of one arm on one eval task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskRun {
    pub task: String,
    /// small | medium | high
    pub class: String,
    pub repeat: u32,
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub wall_ms: u64,
    pub agents: u32,
    pub max_live: u32,
    pub messages: u64,
    pub artifacts: u64,
    pub quality_passed: bool,
    /// The planner's class for the task in this run (its first recommendation with the
    /// board created); None for arms without a codex-teams team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planner_class: Option<String>,
    /// The workers that first recommendation asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<u32>,
    /// Model requests of the lead's session (None when the runner cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_requests: Option<u64>,
    /// o200k tokens of the smallest (first, bare) worker request Codex sent in this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_request_tokens: Option<u64>,
    /// What went wrong, when the run itself failed (the checker still decides quality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The lead's `team_pull_inbox` calls: its waits (codex runners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_waits: Option<u64>,
    /// Board tasks done: the worker results the lead had to take in (codex runners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_done: Option<u64>,
    /// Paced mode: seconds each subtask took (`bench --pace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace_secs: Option<u64>,
}

/// What a cached input token costs against an uncached one in [`TaskRun::cost_index`]
/// (providers bill cached input at about a tenth).
pub const CACHED_PRICE: f64 = 0.1;

impl TaskRun {
    /// An empty run of `task` (every figure zero, quality not passed).
    pub fn new(task: &EvalTask, repeat: u32) -> TaskRun {
        TaskRun {
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
            quality_passed: false,
            planner_class: None,
            recommended: None,
            lead_requests: None,
            worker_request_tokens: None,
            error: None,
            lead_waits: None,
            tasks_done: None,
            pace_secs: None,
        }
    }

    /// Input tokens no prompt cache served.
    pub fn uncached_tokens(&self) -> u64 {
        self.input_tokens.saturating_sub(self.cached_tokens)
    }

    /// Uncached input + output + cached input at [`CACHED_PRICE`]: what the run would cost
    /// in units of one uncached input token, output priced like input.
    pub fn cost_index(&self) -> f64 {
        self.uncached_tokens() as f64
            + self.output_tokens as f64
            + CACHED_PRICE * self.cached_tokens.min(self.input_tokens) as f64
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmSummary {
    pub median_tokens: f64,
    pub mean_tokens: f64,
    /// Medians over the arm's runs of uncached input, cached input and output tokens.
    pub median_uncached_tokens: f64,
    pub median_cached_tokens: f64,
    pub median_output_tokens: f64,
    /// Median of [`TaskRun::cost_index`].
    pub median_cost_index: f64,
    /// Median lead requests per task run (None when no run counted them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_lead_requests: Option<f64>,
    /// Sum over tasks of the task's median total tokens (over repeats): the figure the
    /// ablation line compares.
    pub sum_of_task_medians: f64,
    pub quality_passed: u32,
    pub runs: u32,
    pub median_wall_ms: f64,
    pub tasks: Vec<TaskRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassDelta {
    pub class: String,
    pub baseline_median_tokens: f64,
    pub candidate_median_tokens: f64,
    /// Positive = the candidate saves tokens, as a percentage of the baseline.
    pub token_saving_pct: f64,
    pub baseline_quality_passed: u32,
    pub candidate_quality_passed: u32,
}

/// Engine figures measured in the same run (`bench` core measurement).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EngineFigures {
    pub status_p50_ms: f64,
    pub status_p99_ms: f64,
    pub send_p50_ms: f64,
    pub send_p99_ms: f64,
    pub sends_per_sec: f64,
    pub processes: u32,
    /// o200k tokens of one bare worker request as Codex sent it (real traffic), if measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_request_tokens: Option<u64>,
    /// The bare worker request of every shipped profile (`harness::bare`), codex-mock only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bare_worker_requests: Vec<crate::bench::harness::bare::BareRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub runner: String,
    /// "real Codex CLI against a scripted mock model" / "simulated" / "real model".
    pub measurement: String,
    pub date: String,
    pub codex_version: Option<String>,
    pub eval_dir: String,
    pub profile: String,
    pub baseline: String,
    pub candidate: String,
    /// Every arm that ran, in report order.
    #[serde(default)]
    pub arm_order: Vec<String>,
    pub arms: BTreeMap<String, ArmSummary>,
    pub classes: Vec<ClassDelta>,
    pub token_saving_pct: f64,
    /// The candidate's median total tokens as a percentage of the baseline's.
    #[serde(default)]
    pub candidate_pct_of_baseline: f64,
    pub verdict: String,
    pub reason: String,
    /// Where the saving of the candidate over the baseline comes from (needs `lean-6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ablation: Option<Ablation>,
    /// Per task: declared class, the planner's class and recommendation, and the team each
    /// arm started.
    #[serde(default)]
    pub team_sizes: Vec<TeamSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineFigures>,
}

/// What the report is about, beside the runs.
#[derive(Debug, Clone)]
pub struct ReportMeta {
    pub runner: String,
    pub measurement: String,
    pub date: String,
    pub codex_version: Option<String>,
    pub eval_dir: String,
    pub profile: String,
}

/// The ablation line: the baseline-to-candidate saving split over the factors that make
/// the difference, from arms that differ in one factor each.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ablation {
    /// Baseline minus candidate, both as sums of per-task medians over the common tasks.
    pub saving_tokens: f64,
    pub shares: Vec<AblationShare>,
    /// How the shares were derived, in words.
    pub method: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AblationShare {
    /// `team size`, `briefs`, `broadcast`, `early stop`, `lean workers`, `coordination`
    /// (the last four together) or `interaction` (what the single-factor arms leave).
    pub factor: String,
    /// Tokens of the saving due to it; None when the arm that isolates it did not run.
    pub tokens: Option<f64>,
    pub share_pct: Option<f64>,
}

/// The team one arm started on one task: medians over its repeats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmTeam {
    pub arm: String,
    pub spawned: f64,
    pub max_live: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TeamSize {
    pub task: String,
    pub declared_class: String,
    /// The planner's class in the candidate's runs (its first recommendation).
    pub planner_class: Option<String>,
    pub recommended: Option<u32>,
    pub arms: Vec<ArmTeam>,
}

pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The median of `f` over `runs`.
fn median_of(runs: &[TaskRun], f: impl Fn(&TaskRun) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    median(&mut v)
}

/// Each task's median total tokens over its repeats.
pub fn task_medians(runs: &[TaskRun]) -> BTreeMap<String, f64> {
    let mut by_task: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for t in runs {
        by_task
            .entry(t.task.clone())
            .or_default()
            .push(t.total_tokens as f64);
    }
    by_task
        .into_iter()
        .map(|(k, mut v)| (k, median(&mut v)))
        .collect()
}

pub fn summarize(tasks: Vec<TaskRun>) -> ArmSummary {
    let tokens: Vec<f64> = tasks.iter().map(|t| t.total_tokens as f64).collect();
    let mean = if tokens.is_empty() {
        0.0
    } else {
        tokens.iter().sum::<f64>() / tokens.len() as f64
    };
    let mut leads: Vec<f64> = tasks
        .iter()
        .filter_map(|t| t.lead_requests)
        .map(|n| n as f64)
        .collect();
    ArmSummary {
        median_tokens: median_of(&tasks, |t| t.total_tokens as f64),
        mean_tokens: mean,
        median_uncached_tokens: median_of(&tasks, |t| t.uncached_tokens() as f64),
        median_cached_tokens: median_of(&tasks, |t| t.cached_tokens as f64),
        median_output_tokens: median_of(&tasks, |t| t.output_tokens as f64),
        median_cost_index: median_of(&tasks, TaskRun::cost_index),
        median_lead_requests: (!leads.is_empty()).then(|| median(&mut leads)),
        sum_of_task_medians: task_medians(&tasks).values().sum(),
        quality_passed: tasks.iter().filter(|t| t.quality_passed).count() as u32,
        runs: tasks.len() as u32,
        median_wall_ms: median_of(&tasks, |t| t.wall_ms as f64),
        tasks,
    }
}

fn saving(base: f64, cand: f64) -> f64 {
    if base <= 0.0 {
        0.0
    } else {
        (base - cand) / base * 100.0
    }
}

/// Builds the report and its verdict from every arm's runs (`arms` in report order; it
/// must hold `baseline` and `candidate`, which the verdict compares).
pub fn build(
    meta: ReportMeta,
    baseline: &str,
    candidate: &str,
    arms: Vec<(String, Vec<TaskRun>)>,
) -> Report {
    let empty = Vec::new();
    let runs_of = |name: &str| -> &Vec<TaskRun> {
        arms.iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
            .unwrap_or(&empty)
    };
    let (base_runs, cand_runs) = (runs_of(baseline), runs_of(candidate));
    let mut classes = Vec::new();
    let mut problems = Vec::new();
    if base_runs.is_empty() || cand_runs.is_empty() {
        problems.push(format!(
            "the verdict compares {candidate} with {baseline}, and one of them has no runs"
        ));
    }
    for class in ["small", "medium", "high"] {
        let pick = |runs: &[TaskRun]| -> (Vec<f64>, u32) {
            let r: Vec<&TaskRun> = runs.iter().filter(|t| t.class == class).collect();
            (
                r.iter().map(|t| t.total_tokens as f64).collect(),
                r.iter().filter(|t| t.quality_passed).count() as u32,
            )
        };
        let (mut bt, bq) = pick(base_runs);
        let (mut ct, cq) = pick(cand_runs);
        if bt.is_empty() && ct.is_empty() {
            continue;
        }
        let (bm, cm) = (median(&mut bt), median(&mut ct));
        if cq < bq {
            problems.push(format!(
                "{class}: {candidate} passed {cq} checks, {baseline} passed {bq}"
            ));
        }
        if cm >= bm {
            problems.push(format!(
                "{class}: median tokens {cm:.0} is not below {bm:.0}"
            ));
        }
        classes.push(ClassDelta {
            class: class.to_string(),
            baseline_median_tokens: bm,
            candidate_median_tokens: cm,
            token_saving_pct: saving(bm, cm),
            baseline_quality_passed: bq,
            candidate_quality_passed: cq,
        });
    }
    let team_sizes = team_sizes(&arms, candidate);
    let ablation = ablation(&arms, baseline, candidate);
    let arm_order: Vec<String> = arms.iter().map(|(n, _)| n.clone()).collect();
    let mut summaries = BTreeMap::new();
    for (name, runs) in arms {
        summaries.insert(name, summarize(runs));
    }
    let base = summaries
        .get(baseline)
        .cloned()
        .unwrap_or_else(|| summarize(Vec::new()));
    let cand = summaries
        .get(candidate)
        .cloned()
        .unwrap_or_else(|| summarize(Vec::new()));
    if cand.quality_passed < base.quality_passed {
        problems.insert(
            0,
            format!(
                "quality: {candidate} passed {} checks, {baseline} passed {}",
                cand.quality_passed, base.quality_passed
            ),
        );
    }
    if cand.median_tokens >= base.median_tokens {
        problems.insert(
            0,
            format!(
                "median tokens {:.0} is not below {:.0}",
                cand.median_tokens, base.median_tokens
            ),
        );
    }
    let token_saving_pct = saving(base.median_tokens, cand.median_tokens);
    let (verdict, reason) = if problems.is_empty() {
        (
            "pass",
            format!(
                "{candidate} used {token_saving_pct:.1}% fewer tokens (median) than {baseline} with {} of {} quality checks passed (baseline {} of {})",
                cand.quality_passed, cand.runs, base.quality_passed, base.runs
            ),
        )
    } else {
        ("fail", problems.join("; "))
    };
    Report {
        runner: meta.runner,
        measurement: meta.measurement,
        date: meta.date,
        codex_version: meta.codex_version,
        eval_dir: meta.eval_dir,
        profile: meta.profile,
        baseline: baseline.to_string(),
        candidate: candidate.to_string(),
        arm_order,
        arms: summaries,
        classes,
        token_saving_pct,
        candidate_pct_of_baseline: if base.median_tokens > 0.0 {
            cand.median_tokens / base.median_tokens * 100.0
        } else {
            0.0
        },
        verdict: verdict.to_string(),
        reason,
        ablation,
        team_sizes,
        engine: None,
    }
}

/// Declared class, planner class and recommendation (from the candidate's runs) and each
/// arm's team, per task, in class order.
fn team_sizes(arms: &[(String, Vec<TaskRun>)], candidate: &str) -> Vec<TeamSize> {
    let mut tasks: Vec<(String, String)> = arms
        .iter()
        .flat_map(|(_, runs)| runs.iter().map(|t| (t.class.clone(), t.task.clone())))
        .collect();
    tasks.sort_by(|a, b| (class_rank(&a.0), &a.1).cmp(&(class_rank(&b.0), &b.1)));
    tasks.dedup();
    tasks
        .into_iter()
        .map(|(class, task)| {
            let of = |arm: &str| -> Vec<&TaskRun> {
                arms.iter()
                    .filter(|(n, _)| n == arm)
                    .flat_map(|(_, r)| r.iter().filter(|t| t.task == task))
                    .collect()
            };
            let cand = of(candidate);
            TeamSize {
                planner_class: cand.iter().find_map(|t| t.planner_class.clone()),
                recommended: cand.iter().find_map(|t| t.recommended),
                arms: arms
                    .iter()
                    .filter_map(|(name, _)| {
                        let runs = of(name);
                        if runs.is_empty() {
                            return None;
                        }
                        let mut spawned: Vec<f64> = runs.iter().map(|t| t.agents as f64).collect();
                        let mut live: Vec<f64> = runs.iter().map(|t| t.max_live as f64).collect();
                        Some(ArmTeam {
                            arm: name.clone(),
                            spawned: median(&mut spawned),
                            max_live: median(&mut live),
                        })
                    })
                    .collect(),
                task,
                declared_class: class,
            }
        })
        .collect()
}

/// The ablation line. With `lean-6` (the candidate's coordination with six workers):
/// team size = lean-6 - candidate; coordination = baseline - lean-6. Each ablation arm
/// (`lean-6` plus one trait of the baseline) isolates one part of the coordination:
/// factor = that arm - lean-6; what the four leave of the coordination is their
/// interaction. Figures are sums of per-task medians over the tasks every arm used ran.
fn ablation(arms: &[(String, Vec<TaskRun>)], baseline: &str, candidate: &str) -> Option<Ablation> {
    use crate::bench::team::arm::{Arm, Naive};
    let medians: BTreeMap<&str, BTreeMap<String, f64>> = arms
        .iter()
        .map(|(n, r)| (n.as_str(), task_medians(r)))
        .collect();
    let lean = Arm::Lean6.name();
    let singles: Vec<(Naive, &str)> = Naive::ALL
        .iter()
        .map(|n| (*n, Arm::Ablate(*n).name()))
        .filter(|(_, name)| medians.contains_key(name))
        .collect();
    let mut used = vec![baseline, candidate, lean];
    used.extend(singles.iter().map(|(_, n)| *n));
    let sets: Vec<&BTreeMap<String, f64>> = used
        .iter()
        .map(|a| medians.get(a))
        .collect::<Option<Vec<_>>>()?;
    let common: Vec<&String> = sets[0]
        .keys()
        .filter(|k| sets.iter().all(|s| s.contains_key(*k)))
        .collect();
    if common.is_empty() {
        return None;
    }
    let total = |arm: &str| -> f64 {
        medians
            .get(arm)
            .map(|m| common.iter().filter_map(|k| m.get(*k)).sum())
            .unwrap_or(0.0)
    };
    let saving_tokens = total(baseline) - total(candidate);
    let share = |tokens: f64| (saving_tokens.abs() > 0.0).then(|| tokens / saving_tokens * 100.0);
    let team = total(lean) - total(candidate);
    let coordination = total(baseline) - total(lean);
    let mut shares = vec![AblationShare {
        factor: "team size".into(),
        tokens: Some(team),
        share_pct: share(team),
    }];
    let mut split = 0.0;
    for n in Naive::ALL {
        let tokens = singles
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, name)| total(name) - total(lean));
        split += tokens.unwrap_or(0.0);
        shares.push(AblationShare {
            factor: n.factor().into(),
            tokens,
            share_pct: tokens.and_then(share),
        });
    }
    let method = if singles.is_empty() {
        shares.push(AblationShare {
            factor: "coordination".into(),
            tokens: Some(coordination),
            share_pct: share(coordination),
        });
        format!(
            "team size = {lean} - {candidate}; coordination (briefs, broadcast, early stop and lean workers together) = {baseline} - {lean}; run `--arms ablation` as well to split the coordination"
        )
    } else {
        let rest = coordination - split;
        shares.push(AblationShare {
            factor: "interaction".into(),
            tokens: Some(rest),
            share_pct: share(rest),
        });
        format!(
            "team size = {lean} - {candidate}; each other factor = ({lean} + that trait of {baseline}) - {lean}; interaction = ({baseline} - {lean}) - the factors measured"
        )
    };
    Some(Ablation {
        saving_tokens,
        shares,
        method: format!(
            "{method}; sums of per-task median total tokens over the {} task(s) every arm used ran",
            common.len()
        ),
    })
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let (b, c) = (&r.baseline, &r.candidate);
    s.push_str(&format!("# Benchmark: {c} vs {b} ({})\n\n", r.runner));
    s.push_str(&format!(
        "- date: {}\n- measurement: {}\n",
        r.date, r.measurement
    ));
    if let Some(v) = &r.codex_version {
        s.push_str(&format!("- Codex CLI: {v}\n"));
    }
    s.push_str(&format!(
        "- eval set: `{}`\n- candidate profile: `{}`\n- arms: {}\n\n",
        r.eval_dir,
        r.profile,
        r.arm_order.join(", ")
    ));
    s.push_str(&format!(
        "**Verdict: {}** — {}\n\n{c}'s median total tokens are {:.1}% of {b}'s.\n\n",
        r.verdict.to_uppercase(),
        r.reason,
        r.candidate_pct_of_baseline
    ));
    s.push_str("## By size class\n\n| class | {b} median tokens | {c} median tokens | saving | {b} quality | {c} quality |\n|---|---:|---:|---:|---:|---:|\n".replace("{b}", b).replace("{c}", c).as_str());
    for d in &r.classes {
        s.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.1}% | {} | {} |\n",
            d.class,
            d.baseline_median_tokens,
            d.candidate_median_tokens,
            d.token_saving_pct,
            d.baseline_quality_passed,
            d.candidate_quality_passed
        ));
    }
    s.push_str(&format!(
        "\n## Arms\n\nMedians over every run of the arm. Input is split into uncached and cached (the prompt prefix shared with the previous request of the same `prompt_cache_key`); the cost index prices cached input at {CACHED_PRICE} of an uncached token (output at 1).\n\n| arm | total tokens | uncached input | cached input | output | cost index | wall time | quality passed | lead requests | total vs {b} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    ));
    let base_median = r.arms.get(b).map(|a| a.median_tokens).unwrap_or(0.0);
    for name in arm_names(r) {
        let Some(a) = r.arms.get(name) else { continue };
        s.push_str(&format!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} s | {}/{} | {} | {} |\n",
            a.median_tokens,
            a.median_uncached_tokens,
            a.median_cached_tokens,
            a.median_output_tokens,
            a.median_cost_index,
            a.median_wall_ms / 1000.0,
            a.quality_passed,
            a.runs,
            a.median_lead_requests
                .map(|n| format!("{n:.0}"))
                .unwrap_or_else(|| "-".into()),
            if base_median > 0.0 {
                format!("{:.1}%", a.median_tokens / base_median * 100.0)
            } else {
                "-".into()
            }
        ));
    }
    if let Some(ab) = &r.ablation {
        let parts: Vec<String> = ab
            .shares
            .iter()
            .map(|p| match p.share_pct {
                Some(pct) => format!("{} {pct:.1}%", p.factor),
                None => format!("{} (not measured)", p.factor),
            })
            .collect();
        s.push_str(&format!(
            "\n## Ablation\n\n**Saving {b} → {c}: {:.0} tokens = {}.**\n\nHow: {}.\n",
            ab.saving_tokens,
            parts.join(", "),
            ab.method
        ));
    }
    if !r.team_sizes.is_empty() {
        let arms: Vec<&String> = arm_names(r);
        s.push_str("\n## Team size per task\n\nDeclared class (task.yaml), the planner's class and recommended workers in the candidate's runs, and per arm the workers spawned / most live at once (medians over repeats).\n\n| task | declared | planner | recommended |");
        for a in &arms {
            s.push_str(&format!(" {a} |"));
        }
        s.push_str("\n|---|---|---|---:|");
        for _ in &arms {
            s.push_str("---:|");
        }
        s.push('\n');
        for t in &r.team_sizes {
            s.push_str(&format!(
                "| {} | {} | {} | {} |",
                t.task,
                t.declared_class,
                t.planner_class.as_deref().unwrap_or("-"),
                t.recommended
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into())
            ));
            for a in &arms {
                match t.arms.iter().find(|x| &&x.arm == a) {
                    Some(x) => s.push_str(&format!(" {:.0} / {:.0} |", x.spawned, x.max_live)),
                    None => s.push_str(" - |"),
                }
            }
            s.push('\n');
        }
    }
    s.push_str("\n## Per task\n\n| task | class | arm | input | uncached | cached | output | total | cost index | Δ tokens vs baseline | wall | agents | max live | lead requests | messages | artifacts | quality |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let base_tokens: BTreeMap<(String, u32), u64> = r
        .arms
        .get(b)
        .map(|a| {
            a.tasks
                .iter()
                .map(|t| ((t.task.clone(), t.repeat), t.total_tokens))
                .collect()
        })
        .unwrap_or_default();
    let order: BTreeMap<&str, usize> = arm_names(r)
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut rows: Vec<(&String, &TaskRun)> = r
        .arms
        .iter()
        .flat_map(|(n, a)| a.tasks.iter().map(move |t| (n, t)))
        .collect();
    rows.sort_by_key(|(n, t)| {
        (
            class_rank(&t.class),
            t.task.clone(),
            t.repeat,
            order.get(n.as_str()).copied().unwrap_or(usize::MAX),
        )
    });
    for (arm, t) in rows {
        let delta = base_tokens
            .get(&(t.task.clone(), t.repeat))
            .map(|bt| {
                format!(
                    "{:+.1}%",
                    (t.total_tokens as f64 - *bt as f64) / (*bt).max(1) as f64 * 100.0
                )
            })
            .unwrap_or_default();
        s.push_str(&format!(
            "| {} | {} | {arm} | {} | {} | {} | {} | {} | {:.0} | {} | {:.1} s | {} | {} | {} | {} | {} | {} |\n",
            t.task,
            t.class,
            t.input_tokens,
            t.uncached_tokens(),
            t.cached_tokens,
            t.output_tokens,
            t.total_tokens,
            t.cost_index(),
            delta,
            t.wall_ms as f64 / 1000.0,
            t.agents,
            t.max_live,
            t.lead_requests
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into()),
            t.messages,
            t.artifacts,
            if t.quality_passed { "pass" } else { "FAIL" }
        ));
    }
    s.push_str(&lead_requests_section(r));
    if let Some(e) = &r.engine {
        s.push_str("\n## Engine\n\n");
        s.push_str(&format!(
            "- per call over stdio: team_status p50 {:.3} ms / p99 {:.3} ms; team_send p50 {:.3} ms / p99 {:.3} ms\n- durable sends: {:.0}/s across {} processes\n",
            e.status_p50_ms, e.status_p99_ms, e.send_p50_ms, e.send_p99_ms, e.sends_per_sec, e.processes
        ));
        if let Some(t) = e.worker_request_tokens {
            s.push_str(&format!("- fixed cost of one more agent: {t} o200k tokens per bare worker request (measured from Codex's real request bodies)\n"));
        }
        for line in crate::bench::harness::bare::lines(&e.bare_worker_requests) {
            s.push_str(&format!("- {line}\n"));
        }
    }
    s
}

/// The arms in report order (older reports without `arm_order`: baseline, candidate).
fn arm_names(r: &Report) -> Vec<&String> {
    if r.arm_order.is_empty() {
        return [&r.baseline, &r.candidate]
            .into_iter()
            .filter(|n| r.arms.contains_key(*n))
            .collect();
    }
    r.arm_order.iter().collect()
}

const COLOURS: [&str; 9] = [
    "#c0504d", "#9bbb59", "#4f81bd", "#8064a2", "#f79646", "#4bacc6", "#7f7f7f", "#c09000",
    "#2c4d75",
];

/// The lead's requests per run (codex runners): per task, per minute of team run, and in
/// paced mode the target of issue 8 — at most one wait per worker result plus one per ten
/// minutes of quiet (the lead's other requests are start, board, finalize and the report).
fn lead_requests_section(r: &Report) -> String {
    let rows: Vec<(&String, &TaskRun)> = r
        .arms
        .iter()
        .flat_map(|(arm, a)| a.tasks.iter().map(move |t| (arm, t)))
        .filter(|(_, t)| t.lead_requests.is_some())
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Lead requests\n\n");
    s.push_str("| task | class | arm | pace | lead requests | waits | results | team run | lead requests/min | waits ≤ results + 1 per 10 min |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (arm, t) in rows {
        let minutes = t.wall_ms as f64 / 60_000.0;
        let requests = t.lead_requests.unwrap_or(0);
        let waits = t.lead_waits.unwrap_or(0);
        let results = t.tasks_done.unwrap_or(0);
        let allowed = results + (minutes / 10.0).ceil() as u64;
        s.push_str(&format!(
            "| {} | {} | {arm} | {} | {requests} | {waits} | {results} | {:.1} min | {:.2} | {} |\n",
            t.task,
            t.class,
            t.pace_secs.map_or("-".to_string(), |p| format!("{p} s")),
            minutes,
            requests as f64 / minutes.max(1.0 / 60.0),
            if waits <= allowed { "yes" } else { "NO" },
        ));
    }
    s
}

/// A bar chart of each task's median total tokens, every arm side by side, as SVG.
pub fn svg(r: &Report) -> String {
    let arms = arm_names(r);
    let get = |arm: &str| -> BTreeMap<String, f64> {
        let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        if let Some(a) = r.arms.get(arm) {
            for t in &a.tasks {
                m.entry(format!("{}|{}", class_rank(&t.class), t.task))
                    .or_default()
                    .push(t.total_tokens as f64);
            }
        }
        m.into_iter()
            .map(|(k, mut v)| (k, median(&mut v)))
            .collect()
    };
    let series: Vec<BTreeMap<String, f64>> = arms.iter().map(|a| get(a)).collect();
    let keys: Vec<&String> = series
        .iter()
        .flat_map(|m| m.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let max = series
        .iter()
        .flat_map(|m| m.values())
        .cloned()
        .fold(1.0, f64::max);
    let n = arms.len().max(1) as f64;
    let (bar, gap, left, top, height) = (if n > 2.0 { 7.0 } else { 14.0 }, 10.0, 60.0, 60.0, 260.0);
    let width = (left + keys.len() as f64 * (n * bar + gap) + 20.0).max(120.0 * n + left);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{:.0}\" font-family=\"sans-serif\" font-size=\"10\">\n",
        top + height + 110.0
    );
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"16\" font-size=\"13\">Median total tokens per task by arm (runner {})</text>\n<text x=\"{left}\" y=\"52\" font-size=\"9\">{}</text>\n",
        r.runner,
        xml_escape(&r.measurement)
    ));
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{:.0}\" stroke=\"#333\"/>\n",
        top + height,
        width - 10.0,
        top + height
    ));
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = top + height - height * i as f64 / 4.0;
        s.push_str(&format!(
            "<text x=\"5\" y=\"{y:.0}\">{:.0}k</text>\n",
            v / 1000.0
        ));
    }
    for (i, k) in keys.iter().enumerate() {
        let x = left + i as f64 * (n * bar + gap);
        for (j, vals) in series.iter().enumerate() {
            if let Some(v) = vals.get(*k) {
                let h = height * v / max;
                s.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {v:.0}</title></rect>\n",
                    x + j as f64 * bar,
                    top + height - h,
                    COLOURS[j % COLOURS.len()],
                    xml_escape(arms[j])
                ));
            }
        }
        let name = k.split_once('|').map(|(_, n)| n).unwrap_or(k);
        s.push_str(&format!(
            "<text transform=\"translate({:.1},{:.0}) rotate(60)\">{}</text>\n",
            x + 4.0,
            top + height + 10.0,
            xml_escape(name)
        ));
    }
    for (j, a) in arms.iter().enumerate() {
        let x = left + j as f64 * 120.0;
        s.push_str(&format!(
            "<rect x=\"{x:.0}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"37\">{}</text>\n",
            COLOURS[j % COLOURS.len()],
            x + 14.0,
            xml_escape(a)
        ));
    }
    s.push_str("</svg>\n");
    s
}

fn class_rank(c: &str) -> u8 {
    match c {
        "small" => 0,
        "medium" => 1,
        _ => 2,
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(task: &str, class: &str, tokens: u64, pass: bool) -> TaskRun {
        TaskRun {
            task: task.into(),
            class: class.into(),
            repeat: 0,
            input_tokens: tokens,
            cached_tokens: 0,
            output_tokens: 0,
            total_tokens: tokens,
            wall_ms: 1000,
            agents: 1,
            max_live: 1,
            messages: 0,
            artifacts: 1,
            quality_passed: pass,
            planner_class: None,
            recommended: None,
            lead_requests: None,
            worker_request_tokens: None,
            lead_waits: None,
            tasks_done: None,
            pace_secs: None,
            error: None,
        }
    }

    fn meta(runner: &str) -> ReportMeta {
        ReportMeta {
            runner: runner.into(),
            measurement: "simulated".into(),
            date: "d".into(),
            codex_version: None,
            eval_dir: "e".into(),
            profile: "default".into(),
        }
    }

    fn two(base: Vec<TaskRun>, cand: Vec<TaskRun>) -> Report {
        build(
            meta("sim"),
            "fixed-6",
            "adaptive",
            vec![("fixed-6".into(), base), ("adaptive".into(), cand)],
        )
    }

    #[test]
    fn cheaper_and_as_good_passes() {
        let r = two(
            vec![run("a", "small", 100, true), run("b", "high", 300, true)],
            vec![run("a", "small", 40, true), run("b", "high", 250, true)],
        );
        assert_eq!(r.verdict, "pass", "{}", r.reason);
        assert!(r.token_saving_pct > 0.0);
        assert_eq!(r.classes.len(), 2);
        assert!(r.ablation.is_none(), "no lean-6 arm, no ablation");
    }

    #[test]
    fn a_lost_quality_check_fails_even_when_cheaper() {
        let r = two(
            vec![run("a", "small", 100, true)],
            vec![run("a", "small", 40, false)],
        );
        assert_eq!(r.verdict, "fail");
        assert!(r.reason.contains("quality"), "{}", r.reason);
    }

    #[test]
    fn not_cheaper_fails() {
        let r = two(
            vec![run("a", "small", 100, true)],
            vec![run("a", "small", 100, true)],
        );
        assert_eq!(r.verdict, "fail");
        assert!(r.reason.contains("not below"), "{}", r.reason);
    }

    #[test]
    fn a_missing_verdict_arm_fails() {
        let r = build(
            meta("sim"),
            "fixed-6",
            "adaptive",
            vec![("fixed-6".into(), vec![run("a", "small", 100, true)])],
        );
        assert_eq!(r.verdict, "fail");
        assert!(r.reason.contains("no runs"), "{}", r.reason);
    }

    #[test]
    fn cost_index_prices_cached_input_at_a_tenth() {
        let mut t = run("a", "small", 0, true);
        t.input_tokens = 10_000;
        t.cached_tokens = 8_000;
        t.output_tokens = 500;
        t.total_tokens = 10_500;
        assert_eq!(t.uncached_tokens(), 2_000);
        assert!((t.cost_index() - (2_000.0 + 500.0 + 800.0)).abs() < 1e-9);
        let s = summarize(vec![t]);
        assert_eq!(s.median_cached_tokens, 8_000.0);
        assert_eq!(s.median_uncached_tokens, 2_000.0);
    }

    fn arms(with_ablation: bool) -> Vec<(String, Vec<TaskRun>)> {
        // Two tasks, two repeats; per-task medians: fixed-6 1000+2000, lean-6 600+1200,
        // adaptive 400+800 -> saving 1800: team size 600, coordination 1200.
        let pair = |a: u64, b: u64| {
            let mut v = Vec::new();
            for rep in 0..2 {
                let mut x = run("a", "small", a + rep, true);
                x.repeat = rep as u32;
                let mut y = run("b", "high", b - rep, true);
                y.repeat = rep as u32;
                v.extend([x, y]);
            }
            v
        };
        let mut v = vec![
            ("fixed-6".to_string(), pair(1000, 2000)),
            ("lean-6".to_string(), pair(600, 1200)),
            ("adaptive".to_string(), pair(400, 800)),
        ];
        if with_ablation {
            // briefs 360, broadcast 540, early stop 180, lean workers 0 -> interaction 120.
            v.push(("lean-6+whole-briefs".into(), pair(720, 1440)));
            v.push(("lean-6+broadcast".into(), pair(780, 1560)));
            v.push(("lean-6+no-early-stop".into(), pair(660, 1320)));
            v.push(("lean-6+full-workers".into(), pair(600, 1200)));
        }
        v
    }

    fn share(r: &Report, factor: &str) -> Option<f64> {
        r.ablation
            .as_ref()
            .and_then(|a| a.shares.iter().find(|s| s.factor == factor))
            .and_then(|s| s.share_pct)
    }

    #[test]
    fn ablation_splits_the_saving_into_team_size_and_coordination() {
        let r = build(meta("codex-mock"), "fixed-6", "adaptive", arms(false));
        let ab = r.ablation.clone().unwrap_or_else(|| panic!("no ablation"));
        assert!((ab.saving_tokens - 1800.0).abs() < 1.0, "{ab:?}");
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 0.1);
        assert!(close(share(&r, "team size"), 100.0 / 3.0), "{ab:?}");
        assert!(close(share(&r, "coordination"), 200.0 / 3.0), "{ab:?}");
        assert_eq!(share(&r, "briefs"), None, "not measured without the arm");
        assert!(markdown(&r).contains("briefs (not measured)"));
        assert!(ab.method.contains("--arms ablation"));
    }

    #[test]
    fn ablation_arms_split_the_coordination_and_leave_the_interaction() {
        let r = build(meta("codex-mock"), "fixed-6", "adaptive", arms(true));
        let close = |f: &str, b: f64| {
            let got = share(&r, f);
            assert!(got.is_some_and(|a| (a - b).abs() < 0.1), "{f}: {got:?}");
        };
        close("team size", 100.0 / 3.0);
        close("briefs", 20.0);
        close("broadcast", 30.0);
        close("early stop", 10.0);
        close("lean workers", 0.0);
        close("interaction", 200.0 / 3.0 - 60.0);
        let md = markdown(&r);
        assert!(
            md.contains("## Ablation") && md.contains("broadcast 30.0%"),
            "{md}"
        );
    }

    #[test]
    fn team_sizes_show_declared_and_planner_class_and_every_arms_team() {
        let mut v = arms(false);
        for (name, runs) in &mut v {
            for t in runs.iter_mut() {
                t.agents = if name == "adaptive" { 2 } else { 6 };
                t.max_live = t.agents;
                if name == "adaptive" {
                    t.planner_class = Some(t.class.clone());
                    t.recommended = Some(2);
                }
            }
        }
        let r = build(meta("codex-mock"), "fixed-6", "adaptive", v);
        assert_eq!(r.team_sizes.len(), 2);
        let a = &r.team_sizes[0];
        assert_eq!((a.task.as_str(), a.declared_class.as_str()), ("a", "small"));
        assert_eq!(a.planner_class.as_deref(), Some("small"));
        assert_eq!(a.recommended, Some(2));
        assert_eq!(a.arms.len(), 3);
        let md = markdown(&r);
        assert!(
            md.contains("| a | small | small | 2 | 6 / 6 | 6 / 6 | 2 / 2 |"),
            "{md}"
        );
    }

    #[test]
    fn json_has_the_contract_fields_and_markdown_and_svg_render() {
        let mut m = meta("codex-mock");
        m.codex_version = Some("0.169.0".into());
        let r = build(m, "fixed-6", "adaptive", arms(false));
        let v = serde_json::to_value(&r).unwrap_or_default();
        for arm in ["fixed-6", "lean-6", "adaptive"] {
            for k in [
                "median_tokens",
                "median_uncached_tokens",
                "median_cached_tokens",
                "median_output_tokens",
                "median_cost_index",
                "quality_passed",
                "tasks",
            ] {
                assert!(v["arms"][arm].get(k).is_some(), "{arm}.{k}");
            }
        }
        assert_eq!(v["runner"], "codex-mock");
        assert_eq!(v["verdict"], "pass");
        assert_eq!(v["arm_order"][1], "lean-6");
        let md = markdown(&r);
        assert!(md.contains("**Verdict: PASS**"));
        assert!(md.contains("| lean-6 |"), "{md}");
        let svg = svg(&r);
        assert!(svg.starts_with("<svg") && svg.contains(">lean-6</text>"));
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}
