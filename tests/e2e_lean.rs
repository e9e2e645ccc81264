//! End-to-end, real Codex CLI: what a worker's Codex loads is what its profile's
//! `worker.codex` says, proved by the request bodies the mock model captured — every part a
//! profile removes is absent from the workers' requests and present in the lead's (the
//! lead is the user's Codex, untouched) — and workers launch from the lead's own Codex when
//! nothing in the environment names one.
//!
//! Codex is found by `tests/common/codex.rs`: $CODEX_TEAMS_CODEX, else the cache
//! `scripts/verify.sh` fills, else /work/.cache/codex, else `codex` on PATH; without one
//! these tests are skipped locally and FAIL when $CI is set.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use codex_teams::bench::harness::{RealOptions, RealReport, RealTeam};
use codex_teams::bench::mock::Script;
use serde_json::Value;

const EXE: &str = env!("CARGO_BIN_EXE_codex-teams");

/// A run kept on disk (the captured bodies are read after it ends), removed by `Kept::drop`.
struct Kept {
    report: RealReport,
    dir: PathBuf,
}

impl Drop for Kept {
    fn drop(&mut self) {
        if std::env::var_os("CODEX_TEAMS_E2E_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn run(codex: &Path, plan_yaml: &str, profile: &str, edit: impl FnOnce(&mut RealOptions)) -> Kept {
    let plan = Script::parse(plan_yaml, "test plan").unwrap();
    let mut o = RealOptions::new(plan);
    o.codex = Some(codex.to_path_buf());
    o.bin = Some(PathBuf::from(EXE));
    o.timeout = Duration::from_secs(240);
    o.keep = true;
    o.capture_bodies = true;
    o.profile = Some(profile.to_string());
    edit(&mut o);
    let report = RealTeam::run(o).unwrap();
    let dir = report.dir.clone().unwrap();
    eprintln!(
        "{profile}: {} workers, tasks {}/{}, kept in {}",
        report.team.workers_spawned,
        report.team.tasks.done,
        report.team.tasks_total,
        dir.display()
    );
    Kept { report, dir }
}

/// One captured request: its role (`lead` or the worker's role) and its body.
struct Body {
    role: String,
    input_tokens: u64,
    json: Value,
    text: String,
}

fn bodies(k: &Kept) -> Vec<Body> {
    let mut out = Vec::new();
    for r in &k.report.requests {
        let role = match r.role.as_str() {
            "lead" => "lead".to_string(),
            "worker" => k
                .report
                .records
                .agents
                .iter()
                .find(|a| Some(&a.agent_id) == r.agent_id.as_ref())
                .map(|a| a.role.clone())
                .unwrap_or_else(|| "worker".into()),
            _ => continue,
        };
        let path = codex_teams::bench::mock::server::captured_body_path(&k.dir.join("bodies"), r.n);
        let text = std::fs::read_to_string(&path).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        out.push(Body {
            role,
            input_tokens: r.input_tokens,
            json,
            text,
        });
    }
    out
}

/// Every top-level tool name of a request, namespaces included.
fn tools(b: &Body) -> Vec<String> {
    b.json["tools"]
        .as_array()
        .map(|ts| {
            ts.iter()
                // Hosted tools (`web_search`) have a type and no name.
                .filter_map(|t| {
                    t.get("name")
                        .or_else(|| t.get("type"))
                        .and_then(Value::as_str)
                })
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn has_tool(b: &Body, name: &str) -> bool {
    tools(b).iter().any(|t| t == name)
}

fn of<'a>(all: &'a [Body], role: &str) -> Vec<&'a Body> {
    let v: Vec<&Body> = all.iter().filter(|b| b.role == role).collect();
    assert!(!v.is_empty(), "no {role} request captured");
    v
}

/// `part` is in every lead request and in no request of the worker `role`.
fn removed_for(all: &[Body], role: &str, part: &str, present: impl Fn(&Body) -> bool) {
    for b in of(all, "lead") {
        assert!(
            present(b),
            "{part}: missing from a lead request: {:?}",
            tools(b)
        );
    }
    for b in of(all, role) {
        assert!(
            !present(b),
            "{part}: still in a {role} request: {:?}",
            tools(b)
        );
    }
}

const CODEX_BASE: &str = "You are a coding agent running in the Codex CLI";
const COMPACT_BASE: &str = "You are a worker in a codex-teams agent team";

const TWO_ROLES: &str = "
goal: fix the parser and look up the spec
tasks:
  - {key: fix, title: Fix the parser, role: implementer, size: m}
  - {key: spec, title: Look up the spec, role: researcher, size: m}
";

#[test]
fn deep_profile_workers_lose_exactly_what_they_cannot_use() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let k = run(&codex, TWO_ROLES, "deep", |_| {});
    assert_eq!(k.report.team.tasks.done, 2, "{:?}", k.report.records.agents);
    let all = bodies(&k);
    for role in ["implementer", "researcher"] {
        for goal_tool in ["get_goal", "create_goal", "update_goal"] {
            removed_for(&all, role, goal_tool, |b| has_tool(b, goal_tool));
        }
        removed_for(&all, role, "request_user_input", |b| {
            has_tool(b, "request_user_input")
        });
        removed_for(&all, role, "multi_agent_v1", |b| {
            has_tool(b, "multi_agent_v1")
        });
        // deep lets only testers and reviewers look at images.
        removed_for(&all, role, "view_image", |b| has_tool(b, "view_image"));
        removed_for(&all, role, "skills list", |b| {
            b.text.contains("<skills_instructions>")
        });
        // deep keeps Codex's own instructions and environment.
        for b in of(&all, role) {
            assert!(
                b.text.contains(CODEX_BASE),
                "{role}: Codex's instructions gone"
            );
            assert!(b.text.contains("<environment_context>"), "{role}");
        }
    }
    // Web search only for the role that needs it.
    removed_for(&all, "implementer", "web_search", |b| {
        has_tool(b, "web_search")
    });
    for b in of(&all, "researcher") {
        assert!(has_tool(b, "web_search"), "researcher: {:?}", tools(b));
    }
}

#[test]
fn default_profile_workers_keep_codexs_instructions_and_sandbox_rules_and_start_on_a_claimed_task()
{
    let Some(codex) = common::codex::require() else {
        return;
    };
    let k = run(
        &codex,
        "goal: fix the parser\ntasks:\n  - {key: fix, title: Fix the parser, size: s}\n",
        "default",
        |_| {},
    );
    assert_eq!(k.report.team.tasks.done, 1, "{:?}", k.report.records.agents);
    let all = bodies(&k);
    for goal_tool in ["get_goal", "create_goal", "update_goal"] {
        removed_for(&all, "implementer", goal_tool, |b| has_tool(b, goal_tool));
    }
    removed_for(&all, "implementer", "request_user_input", |b| {
        has_tool(b, "request_user_input")
    });
    removed_for(&all, "implementer", "skills list", |b| {
        b.text.contains("<skills_instructions>")
    });
    // The cwd/date/filesystem preamble goes; Codex's instructions and sandbox rules stay.
    removed_for(&all, "implementer", "environment context", |b| {
        b.text.contains("<environment_context>")
    });
    for b in of(&all, "implementer") {
        assert!(b.text.contains(CODEX_BASE), "Codex's instructions gone");
        assert!(
            b.text.contains("<permissions instructions>"),
            "the sandbox rules are gone"
        );
    }
    // The worker starts with its task claimed for it, named in its brief: its first request
    // is already the work, and it never needs task_claim.
    let workers = of(&all, "implementer");
    assert!(
        workers[0]
            .text
            .contains("Your task (claimed for you): task_"),
        "the first worker request does not name a claimed task"
    );
    let claims = k
        .report
        .requests_of("worker")
        .iter()
        .flat_map(|r| r.calls.iter())
        .filter(|c| c.name == "task_claim")
        .count();
    assert_eq!(claims, 0, "a worker claimed a task its brief already held");
    let bare = workers.iter().map(|b| b.input_tokens).min().unwrap_or(0);
    eprintln!("bare worker request (default, codex instructions): {bare} o200k tokens");
}

#[test]
fn fast_profile_workers_run_the_compact_instructions_and_honour_agents_md() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let agents_rule = "Team rule from AGENTS.md: name test files *_check.rs.";
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&work)
        .status()
        .unwrap();
    std::fs::write(work.join("AGENTS.md"), format!("{agents_rule}\n")).unwrap();
    let k = run(
        &codex,
        "goal: fix the parser\ntasks:\n  - {key: fix, title: Fix the parser, size: s}\n",
        "fast",
        |o| o.workspace = Some(work.clone()),
    );
    assert_eq!(k.report.team.tasks.done, 1, "{:?}", k.report.records.agents);
    let all = bodies(&k);
    removed_for(&all, "implementer", "Codex's base instructions", |b| {
        b.text.contains(CODEX_BASE)
    });
    removed_for(&all, "implementer", "environment context", |b| {
        b.text.contains("<environment_context>")
    });
    removed_for(&all, "implementer", "permissions preamble", |b| {
        b.text.contains("<permissions instructions>")
    });
    for b in of(&all, "implementer") {
        assert!(
            b.text.contains(COMPACT_BASE),
            "compact instructions missing"
        );
        assert!(b.text.contains(agents_rule), "AGENTS.md not honoured");
    }
    for b in of(&all, "lead") {
        assert!(!b.text.contains(COMPACT_BASE));
    }
    // The target of issue 8: a bare worker request of at most 3,000 o200k tokens. The count
    // moves by run (sd ~18, range ~120): Codex puts ~20 fresh UUIDs in every body (ids,
    // `client_metadata`), and random hex tokenizes to a varying number of tokens. About
    // 2,900 here, so the assertion holds with a margin of ~5 sd, not by luck.
    let bare = of(&all, "implementer")
        .iter()
        .map(|b| b.input_tokens)
        .min()
        .unwrap_or(u64::MAX);
    eprintln!("bare worker request (fast, compact): {bare} o200k tokens");
    assert!(bare <= 3_000, "bare worker request {bare} > 3,000 tokens");
}

#[test]
fn workers_launch_from_the_leads_codex_when_nothing_names_one() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let k = run(
        &codex,
        "goal: fix the parser\ntasks:\n  - {key: fix, title: Fix the parser, size: s}\n",
        "default",
        |o| o.hide_codex_location = true,
    );
    let r = &k.report;
    let stops: Vec<_> = r
        .records
        .agents
        .iter()
        .filter_map(|a| a.stop_reason.clone())
        .collect();
    assert!(
        !stops.iter().any(|s| s.contains("launch failed")),
        "{stops:?}"
    );
    assert!(r.team.workers_spawned >= 1, "{stops:?}");
    assert_eq!(r.team.tasks.done, 1, "{stops:?}");
    assert!(!r.requests_of("worker").is_empty());
    // The worker's Codex is the lead's: the same binary, found as our MCP server's parent.
    let log: String = walk(&k.dir.join("teams"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        log.contains("the Codex that started this process"),
        "no worker start with codex_source=parent in the logs"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "log" || x == "jsonl") {
                out.push(p);
            }
        }
    }
    out
}

/// A task whose shell step records what a worker's own commands can see.
const PEEK: &str = r#"
goal: fix the parser
tasks:
  - key: fix
    title: Fix the parser
    size: s
    run: "env > peek-env.txt"
"#;

#[test]
fn a_workers_secret_is_not_in_its_shell_and_its_brief_arrives_on_stdin() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let k = run(&codex, PEEK, "default", |_| {});
    assert_eq!(k.report.team.tasks.done, 1, "{:?}", k.report.records.agents);
    let env = std::fs::read_to_string(k.dir.join("work").join("peek-env.txt"))
        .expect("the worker's env dump");
    assert!(
        env.contains("CODEX_TEAMS_LAUNCH_ID="),
        "the dump is not the worker's shell environment:\n{env}"
    );
    assert!(
        !env.contains("CODEX_TEAMS_AGENT_TOKEN") && !env.contains("ctt_"),
        "a worker's shell can read its token:\n{env}"
    );
    // The brief (which names the worker's agent id) reached the model although it is no
    // longer on the command line: Codex read it from stdin.
    let all = bodies(&k);
    let worker = of(&all, "implementer");
    let agent = k
        .report
        .records
        .agents
        .iter()
        .find(|a| a.role != "lead")
        .map(|a| a.agent_id.clone())
        .expect("a worker");
    assert!(
        worker.iter().any(|b| b.text.contains(&agent)),
        "no worker request carries its brief"
    );
}
