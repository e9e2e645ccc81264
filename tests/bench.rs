//! The team benchmark's gate: it passes on the shipped eval set, fails when the adaptive
//! policy is deliberately broken, and runs an eval set kept outside the repository. Uses the
//! fast `sim` runner (every figure labelled simulated); the codex-mock runner is exercised
//! by scripts/verify.sh on a reduced set and by the committed report.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn bench(args: &[&str], out: &std::path::Path) -> (bool, Value) {
    let output = Command::cargo_bin("codex-teams")
        .expect("binary")
        .args(["bench", "--runner", "sim", "--no-engine", "--json", "--out"])
        .arg(out)
        .args(args)
        .output()
        .expect("run bench");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.success(), json)
}

#[test]
fn adaptive_beats_fixed_six_on_the_eval_set_without_losing_quality() {
    let out = tempfile::tempdir().expect("tempdir");
    let (ok, report) = bench(&[], out.path());
    assert!(ok, "{report}");
    assert_eq!(report["verdict"], "pass", "{}", report["reason"]);
    assert_eq!(report["runner"], "sim");
    assert!(
        report["measurement"]
            .as_str()
            .unwrap_or("")
            .contains("SIMULATED")
    );
    let arms = &report["arms"];
    assert_eq!(arms["adaptive"]["runs"], 12);
    assert_eq!(
        arms["adaptive"]["quality_passed"],
        arms["fixed-6"]["quality_passed"]
    );
    assert!(arms["adaptive"]["median_tokens"].as_f64() < arms["fixed-6"]["median_tokens"].as_f64());
    for class in report["classes"].as_array().expect("classes") {
        assert!(
            class["token_saving_pct"].as_f64().unwrap_or(0.0) > 0.0,
            "{class}"
        );
    }
    // The report files are written.
    let names: Vec<String> = std::fs::read_dir(out.path())
        .expect("out dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    for ext in [".md", ".json", ".svg"] {
        assert!(
            names.iter().any(|n| n.ends_with(&format!("-sim{ext}"))),
            "{names:?}"
        );
    }
}

#[test]
fn a_deliberately_broken_adaptive_policy_fails_the_gate() {
    let out = tempfile::tempdir().expect("tempdir");
    let (ok, report) = bench(
        &[
            "--sabotage",
            "drop-subtask",
            "--tasks",
            "fix-paginate-last-page,report-exporters,unit-converters",
        ],
        out.path(),
    );
    assert!(!ok, "a fail verdict must exit non-zero");
    assert_eq!(report["verdict"], "fail");
    assert!(
        report["reason"].as_str().unwrap_or("").contains("quality"),
        "{}",
        report["reason"]
    );
}

#[test]
fn an_eval_set_outside_the_repository_runs() {
    let eval = tempfile::tempdir().expect("tempdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/eval");
    for task in ["fix-slugify-separators", "stats-summary"] {
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(src.join(task))
            .arg(eval.path())
            .status()
            .expect("cp");
        assert!(status.success());
    }
    let out = tempfile::tempdir().expect("tempdir");
    let (ok, report) = bench(
        &["--eval-dir", &eval.path().display().to_string()],
        out.path(),
    );
    assert!(ok, "{report}");
    assert_eq!(report["arms"]["adaptive"]["runs"], 2);
    assert_eq!(report["eval_dir"], eval.path().display().to_string());
}

#[test]
fn an_unknown_task_name_is_a_clear_error() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = Command::cargo_bin("codex-teams")
        .expect("binary")
        .args([
            "bench",
            "--runner",
            "sim",
            "--no-engine",
            "--tasks",
            "no-such-task",
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("run bench");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("--tasks") && err.contains("no-such-task"),
        "{err}"
    );
}

#[test]
fn the_sim_runner_refuses_arms_without_a_team() {
    let out = tempfile::tempdir().expect("tempdir");
    let (ok, _) = bench(&["--arms", "solo"], out.path());
    assert!(!ok);
    let output = Command::cargo_bin("codex-teams")
        .expect("binary")
        .args([
            "bench",
            "--runner",
            "sim",
            "--no-engine",
            "--arms",
            "codex-subagents",
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("run bench");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("--arms") && err.contains("codex-subagents") && err.contains("codex-mock"),
        "{err}"
    );
}

#[test]
fn solo_and_codex_subagents_arms_do_the_whole_task_on_real_codex() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    // A medium task: three parallel subtasks and a join that must wait for them.
    let output = Command::cargo_bin("codex-teams")
        .expect("binary")
        .args(["bench", "--runner", "codex-mock", "--no-engine", "--json"])
        .args([
            "--tasks",
            "cart-money-refactor",
            "--arms",
            "solo,codex-subagents",
        ])
        .arg("--codex")
        .arg(&codex)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("run bench");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        report["arm_order"],
        serde_json::json!(["fixed-6", "adaptive", "solo", "codex-subagents"])
    );
    let run = |arm: &str| report["arms"][arm]["tasks"][0].clone();
    for arm in ["fixed-6", "adaptive", "solo", "codex-subagents"] {
        let r = run(arm);
        assert_eq!(r["quality_passed"], true, "{arm}: {r}");
        let (input, cached) = (r["input_tokens"].as_u64(), r["cached_tokens"].as_u64());
        assert!(
            cached.unwrap_or(0) > 0 && cached < input,
            "{arm}: the mock reports part of the input as cached: {r}"
        );
        assert!(r["lead_requests"].as_u64().unwrap_or(0) > 0, "{arm}: {r}");
    }
    // Solo: the lead alone, one shell call per subtask and the answer.
    assert_eq!(run("solo")["agents"], 0);
    assert_eq!(run("solo")["lead_requests"], 5);
    // Codex's own sub-agents: one per subtask, each a thread that reached the model.
    assert_eq!(run("codex-subagents")["agents"], 4);
    // The team arms record the planner's view: cart-money-refactor is medium, 3 workers.
    assert_eq!(run("adaptive")["planner_class"], "medium");
    assert_eq!(run("adaptive")["recommended"], 3);
    let sizes = report["team_sizes"].as_array().expect("team_sizes");
    assert_eq!(sizes[0]["declared_class"], "medium");
    assert_eq!(sizes[0]["planner_class"], "medium");
}
