//! The benchmark report: per-task results of two arms (a baseline such as `fixed-6` and a
//! candidate such as `adaptive`), their deltas, and the verdict. Pure: it formats what the
//! runs measured and decides nothing else.
//!
//! Verdict: `pass` when the candidate's median total tokens is lower than the baseline's
//! AND its quality pass count is not lower, overall and in every size class; `fail`
//! otherwise, with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// o200k tokens of the smallest (first, bare) worker request Codex sent in this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_request_tokens: Option<u64>,
    /// What went wrong, when the run itself failed (the checker still decides quality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Model requests the lead sent (codex runners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_requests: Option<u64>,
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmSummary {
    pub median_tokens: f64,
    pub mean_tokens: f64,
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
    pub arms: BTreeMap<String, ArmSummary>,
    pub classes: Vec<ClassDelta>,
    pub token_saving_pct: f64,
    pub verdict: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineFigures>,
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

pub fn summarize(tasks: Vec<TaskRun>) -> ArmSummary {
    let mut tokens: Vec<f64> = tasks.iter().map(|t| t.total_tokens as f64).collect();
    let mut walls: Vec<f64> = tasks.iter().map(|t| t.wall_ms as f64).collect();
    let mean = if tokens.is_empty() {
        0.0
    } else {
        tokens.iter().sum::<f64>() / tokens.len() as f64
    };
    ArmSummary {
        median_tokens: median(&mut tokens),
        mean_tokens: mean,
        quality_passed: tasks.iter().filter(|t| t.quality_passed).count() as u32,
        runs: tasks.len() as u32,
        median_wall_ms: median(&mut walls),
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

/// Builds the report and its verdict from both arms' runs.
#[allow(clippy::too_many_arguments)]
pub fn build(
    runner: &str,
    measurement: &str,
    date: &str,
    codex_version: Option<String>,
    eval_dir: &str,
    profile: &str,
    baseline: (&str, Vec<TaskRun>),
    candidate: (&str, Vec<TaskRun>),
) -> Report {
    let mut classes = Vec::new();
    let mut problems = Vec::new();
    for class in ["small", "medium", "high"] {
        let pick = |runs: &[TaskRun]| -> (Vec<f64>, u32) {
            let r: Vec<&TaskRun> = runs.iter().filter(|t| t.class == class).collect();
            (
                r.iter().map(|t| t.total_tokens as f64).collect(),
                r.iter().filter(|t| t.quality_passed).count() as u32,
            )
        };
        let (mut bt, bq) = pick(&baseline.1);
        let (mut ct, cq) = pick(&candidate.1);
        if bt.is_empty() && ct.is_empty() {
            continue;
        }
        let (bm, cm) = (median(&mut bt), median(&mut ct));
        if cq < bq {
            problems.push(format!(
                "{class}: {} passed {cq} checks, {} passed {bq}",
                candidate.0, baseline.0
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
    let base = summarize(baseline.1);
    let cand = summarize(candidate.1);
    if cand.quality_passed < base.quality_passed {
        problems.insert(
            0,
            format!(
                "quality: {} passed {} checks, {} passed {}",
                candidate.0, cand.quality_passed, baseline.0, base.quality_passed
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
                "{} used {token_saving_pct:.1}% fewer tokens (median) than {} with {} of {} quality checks passed (baseline {} of {})",
                candidate.0,
                baseline.0,
                cand.quality_passed,
                cand.runs,
                base.quality_passed,
                base.runs
            ),
        )
    } else {
        ("fail", problems.join("; "))
    };
    let mut arms = BTreeMap::new();
    arms.insert(baseline.0.to_string(), base);
    arms.insert(candidate.0.to_string(), cand);
    Report {
        runner: runner.to_string(),
        measurement: measurement.to_string(),
        date: date.to_string(),
        codex_version,
        eval_dir: eval_dir.to_string(),
        profile: profile.to_string(),
        baseline: baseline.0.to_string(),
        candidate: candidate.0.to_string(),
        arms,
        classes,
        token_saving_pct,
        verdict: verdict.to_string(),
        reason,
        engine: None,
    }
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
        "- eval set: `{}`\n- candidate profile: `{}`\n\n",
        r.eval_dir, r.profile
    ));
    s.push_str(&format!(
        "**Verdict: {}** — {}\n\n",
        r.verdict.to_uppercase(),
        r.reason
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
    s.push_str("\n## Overall\n\n| arm | median tokens | mean tokens | quality passed | median wall time |\n|---|---:|---:|---:|---:|\n");
    for (name, a) in &r.arms {
        s.push_str(&format!(
            "| {name} | {:.0} | {:.0} | {}/{} | {:.1} s |\n",
            a.median_tokens,
            a.mean_tokens,
            a.quality_passed,
            a.runs,
            a.median_wall_ms / 1000.0
        ));
    }
    s.push_str("\n## Per task\n\n| task | class | arm | input | cached | output | total | Δ tokens vs baseline | wall | agents | max live | messages | artifacts | quality |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
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
    let mut rows: Vec<(&String, &TaskRun)> = r
        .arms
        .iter()
        .flat_map(|(n, a)| a.tasks.iter().map(move |t| (n, t)))
        .collect();
    rows.sort_by(|x, y| {
        (&x.1.class, &x.1.task, x.1.repeat, x.0).cmp(&(&y.1.class, &y.1.task, y.1.repeat, y.0))
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
            "| {} | {} | {arm} | {} | {} | {} | {} | {} | {:.1} s | {} | {} | {} | {} | {} |\n",
            t.task,
            t.class,
            t.input_tokens,
            t.cached_tokens,
            t.output_tokens,
            t.total_tokens,
            delta,
            t.wall_ms as f64 / 1000.0,
            t.agents,
            t.max_live,
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
    }
    s
}

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

/// A bar chart of total tokens per task, both arms side by side, as SVG.
pub fn svg(r: &Report) -> String {
    let (b, c) = (&r.baseline, &r.candidate);
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
    let (base, cand) = (get(b), get(c));
    let keys: Vec<&String> = base
        .keys()
        .chain(cand.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let max = base
        .values()
        .chain(cand.values())
        .cloned()
        .fold(1.0, f64::max);
    let (bar, gap, left, top, height) = (14.0, 10.0, 60.0, 60.0, 260.0);
    let width = left + keys.len() as f64 * (2.0 * bar + gap) + 20.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{:.0}\" font-family=\"sans-serif\" font-size=\"10\">\n",
        top + height + 110.0
    );
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"16\" font-size=\"13\">Total tokens per task: {b} vs {c} (runner {})</text>\n<text x=\"{left}\" y=\"52\" font-size=\"9\">{}</text>\n",
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
        let x = left + i as f64 * (2.0 * bar + gap);
        for (j, (vals, colour)) in [(&base, "#c0504d"), (&cand, "#4f81bd")].iter().enumerate() {
            if let Some(v) = vals.get(*k) {
                let h = height * v / max;
                s.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{}: {v:.0}</title></rect>\n",
                    x + j as f64 * bar,
                    top + height - h,
                    if j == 0 { b } else { c }
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
    s.push_str(&format!("<rect x=\"{:.0}\" y=\"28\" width=\"10\" height=\"10\" fill=\"#c0504d\"/><text x=\"{:.0}\" y=\"37\">{b}</text>\n", width - 160.0, width - 146.0));
    s.push_str(&format!("<rect x=\"{:.0}\" y=\"28\" width=\"10\" height=\"10\" fill=\"#4f81bd\"/><text x=\"{:.0}\" y=\"37\">{c}</text>\n", width - 90.0, width - 76.0));
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
            worker_request_tokens: None,
            lead_requests: None,
            lead_waits: None,
            tasks_done: None,
            pace_secs: None,
            error: None,
        }
    }

    #[test]
    fn cheaper_and_as_good_passes() {
        let r = build(
            "sim",
            "simulated",
            "d",
            None,
            "e",
            "default",
            (
                "fixed-6",
                vec![run("a", "small", 100, true), run("b", "high", 300, true)],
            ),
            (
                "adaptive",
                vec![run("a", "small", 40, true), run("b", "high", 250, true)],
            ),
        );
        assert_eq!(r.verdict, "pass", "{}", r.reason);
        assert!(r.token_saving_pct > 0.0);
        assert_eq!(r.classes.len(), 2);
    }

    #[test]
    fn a_lost_quality_check_fails_even_when_cheaper() {
        let r = build(
            "sim",
            "simulated",
            "d",
            None,
            "e",
            "default",
            ("fixed-6", vec![run("a", "small", 100, true)]),
            ("adaptive", vec![run("a", "small", 40, false)]),
        );
        assert_eq!(r.verdict, "fail");
        assert!(r.reason.contains("quality"), "{}", r.reason);
    }

    #[test]
    fn not_cheaper_fails() {
        let r = build(
            "sim",
            "simulated",
            "d",
            None,
            "e",
            "default",
            ("fixed-6", vec![run("a", "small", 100, true)]),
            ("adaptive", vec![run("a", "small", 100, true)]),
        );
        assert_eq!(r.verdict, "fail");
        assert!(r.reason.contains("not below"), "{}", r.reason);
    }

    #[test]
    fn json_has_the_contract_fields_and_markdown_and_svg_render() {
        let r = build(
            "codex-mock",
            "real Codex CLI against a scripted mock model",
            "d",
            Some("0.169.0".into()),
            "e",
            "default",
            ("fixed-6", vec![run("a", "small", 100, true)]),
            ("adaptive", vec![run("a", "small", 40, true)]),
        );
        let v = serde_json::to_value(&r).unwrap_or_default();
        for arm in ["fixed-6", "adaptive"] {
            for k in ["median_tokens", "quality_passed", "tasks"] {
                assert!(v["arms"][arm].get(k).is_some(), "{arm}.{k}");
            }
        }
        assert_eq!(v["runner"], "codex-mock");
        assert_eq!(v["verdict"], "pass");
        assert!(markdown(&r).contains("**Verdict: PASS**"));
        assert!(svg(&r).starts_with("<svg"));
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}
