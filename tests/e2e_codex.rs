//! End-to-end: the REAL Codex CLI as the lead, real `codex exec` workers launched by
//! codex-teams, and the mock model answering every request from a plan. Each test runs in
//! its own temporary CODEX_HOME set up by `install` (through `codex_teams::bench::harness`), so
//! the server entry, tool approvals, skill and trusted hook are exactly what a user gets.
//! Outcomes are asserted from the codex-teams database, the team's log file, the mock's
//! request log and captured bodies, and the lead's JSONL.
//!
//! Codex is found by `tests/common/codex.rs`: $CODEX_TEAMS_CODEX, else the cache
//! `scripts/verify.sh` fills, else /work/.cache/codex, else `codex` on PATH. Without one
//! these tests are skipped locally, and FAIL when $CI is set.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use codex_teams::bench::harness::{RealOptions, RealReport, RealTeam};
use codex_teams::bench::mock::Script;
use codex_teams::engine::Engine;
use codex_teams::engine::ids::TeamId;
use codex_teams::engine::runner::procs;
use codex_teams::engine::store::{AgentState, TeamState};
use common::within;
use serde_json::Value;

const EXE: &str = env!("CARGO_BIN_EXE_codex-teams");

/// Common settings; `CODEX_TEAMS_E2E_KEEP=1` keeps each run's directory for a post-mortem.
fn setup(codex: &Path, mut o: RealOptions) -> RealOptions {
    o.codex = Some(codex.to_path_buf());
    o.bin = Some(PathBuf::from(EXE));
    o.timeout = Duration::from_secs(240);
    o.keep = std::env::var_os("CODEX_TEAMS_E2E_KEEP").is_some_and(|v| !v.is_empty());
    o
}

fn options(codex: &Path, plan: Script) -> RealOptions {
    setup(codex, RealOptions::new(plan))
}

fn scenario(codex: &Path, name: &str) -> RealOptions {
    setup(codex, RealOptions::scenario(name).unwrap())
}

fn plan(yaml: &str) -> Script {
    Script::parse(yaml, "test plan").unwrap()
}

/// Runs `options` and prints a one-line summary (visible with --nocapture).
fn run(label: &str, options: RealOptions) -> RealReport {
    let started = Instant::now();
    let report = RealTeam::run(options).unwrap();
    eprintln!(
        "{label}: {:.1} s, {} workers (max {} live), tasks {}/{}, {} requests, {} tokens{}",
        started.elapsed().as_secs_f64(),
        report.team.workers_spawned,
        report.team.max_live,
        report.team.tasks.done,
        report.team.tasks_total,
        report.tokens.total.requests,
        report.tokens.total.total,
        report
            .dir
            .as_ref()
            .map(|d| format!(", kept in {}", d.display()))
            .unwrap_or_default()
    );
    report
}

/// Describes a report for assertion messages.
fn show(r: &RealReport) -> String {
    let agents: Vec<String> = r
        .records
        .agents
        .iter()
        .map(|a| {
            format!(
                "{} {} {} ({})",
                a.agent_id,
                a.role,
                a.state,
                a.stop_reason.as_deref().unwrap_or("-")
            )
        })
        .collect();
    format!(
        "team {:?} {:?}; lead exit {:?} signal {:?} timed out {}; tools {:?}; final {:?}; \
         workers {} max live {}; tasks {:?} of {}; agents {agents:#?}; stops {:?}; leftover {:?}",
        r.team.team_id,
        r.team.team_state,
        r.lead.exit_code,
        r.lead.signal,
        r.lead.timed_out,
        r.lead.tools(),
        r.lead.final_message,
        r.team.workers_spawned,
        r.team.max_live,
        r.team.tasks,
        r.team.tasks_total,
        r.records.stop_events,
        r.leftover
    )
}

/// The checks every finished team run must pass.
fn assert_clean_finish(r: &RealReport) {
    assert_eq!(r.lead.exit_code, Some(0), "{}", show(r));
    assert!(!r.lead.timed_out, "{}", show(r));
    assert_eq!(r.team.teams_started, 1, "{}", show(r));
    assert_eq!(r.team.team_state, Some(TeamState::Finalized), "{}", show(r));
    assert_eq!(r.lead.tools().last(), Some(&"team_finalize"), "{}", show(r));
    assert!(r.team.max_live <= 6, "{}", show(r));
    assert!(r.leftover.is_empty(), "{}", show(r));
}

fn assert_all_done(r: &RealReport) {
    assert!(r.team.tasks_total > 0, "{}", show(r));
    assert_eq!(r.team.tasks.done, r.team.tasks_total, "{}", show(r));
}

/// How far `metered` may be from the mock model's own count of the same requests.
const METERING_TOLERANCE: f64 = 0.01;

fn assert_close(what: &str, metered: i64, counted: u64) {
    let gap = (metered as f64 - counted as f64).abs() / (counted.max(1) as f64);
    assert!(
        gap <= METERING_TOLERANCE,
        "{what}: codex-teams metered {metered} tokens, the mock model counted {counted} ({:.2}% apart)",
        gap * 100.0
    );
}

/// The mock model's own count (input + output) of the requests `agent` made.
fn mock_count(
    r: &RealReport,
    agent: &codex_teams::bench::harness::report::AgentRecord,
) -> Vec<u64> {
    r.requests
        .iter()
        .filter(|q| match agent.role.as_str() {
            "lead" => q.role == "lead",
            _ => q.agent_id.as_deref() == Some(agent.agent_id.as_str()),
        })
        .map(|q| q.input_tokens + q.output_tokens)
        .collect()
}

/// Every agent, the lead included, was charged what the mock model counted for the
/// requests it made (the mock tokenizes every request body; workers are told apart by the
/// agent id in their brief), and so was the team.
fn assert_metered_like_the_mock(r: &RealReport) {
    for a in &r.records.agents {
        let counted: u64 = mock_count(r, a).iter().sum();
        assert!(counted > 0, "the mock saw no request of {}", a.agent_id);
        assert_close(&format!("{} ({})", a.agent_id, a.role), a.tokens, counted);
    }
    assert_close("the team", r.tokens.engine_metered, r.tokens.total.total);
    assert_close("the lead", r.tokens.engine_lead, r.tokens.lead.total);
    assert_close(
        "the workers",
        r.tokens.engine_workers,
        r.tokens.workers.total,
    );
}

/// What the lead's waits returned (structured content of its `team_pull_inbox` calls).
fn lead_waits(r: &RealReport) -> Vec<&Value> {
    r.lead
        .events
        .iter()
        .filter(|e| e["type"] == "item.completed")
        .map(|e| &e["item"])
        .filter(|i| i["type"] == "mcp_tool_call" && i["tool"] == "team_pull_inbox")
        .map(|i| &i["result"]["structured_content"])
        .collect()
}

/// Message bodies the lead pulled from its inbox.
fn lead_inbox(r: &RealReport) -> Vec<(String, String)> {
    r.lead
        .events
        .iter()
        .filter(|e| e["type"] == "item.completed")
        .map(|e| &e["item"])
        .filter(|i| i["type"] == "mcp_tool_call" && i["tool"] == "team_pull_inbox")
        .filter_map(|i| i["result"]["structured_content"]["messages"].as_array())
        .flatten()
        .map(|m| {
            (
                m["from"].as_str().unwrap_or("").to_string(),
                m["body"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const ONE_TASK: &str = "
goal: rename the helper
tasks:
  - {key: rename, title: Rename the helper, size: s}
";

// ---------------------------------------------------------------------------------------
// The trigger phrase and the hook

fn assert_team_started_by_the_phrase(r: &RealReport) {
    assert_eq!(r.lead.tools().first(), Some(&"team_start"), "{}", show(r));
    assert_clean_finish(r);
    assert_all_done(r);
    assert!(r.hook.checked);
    let lead_requests = r.requests_of("lead").len();
    assert!(lead_requests > 0);
    assert_eq!(
        r.hook.lead_requests_with_context, lead_requests,
        "the hook's context is in every lead request: {:?}",
        r.hook
    );
    assert_eq!(
        r.hook.worker_requests_with_context, 0,
        "the hook stays silent inside workers"
    );
}

#[test]
fn trigger_phrase_starts_a_team_and_the_hook_context_reaches_the_lead() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(&codex, plan(ONE_TASK));
    o.prompt = "use agents team: rename the helper".into();
    let r = run("trigger phrase", o);
    assert_team_started_by_the_phrase(&r);
}

#[test]
fn legacy_alias_starts_a_team_and_the_hook_context_reaches_the_lead() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(&codex, plan(ONE_TASK));
    o.prompt = "Please use agent teams to rename the helper".into();
    let r = run("legacy alias", o);
    assert_team_started_by_the_phrase(&r);
}

#[test]
fn prompt_without_the_phrase_starts_no_team_and_gets_no_hook_context() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(&codex, plan(ONE_TASK));
    o.prompt = "rename the helper, and use an agent if you like".into();
    let r = run("no phrase", o);
    assert_eq!(r.lead.exit_code, Some(0), "{}", show(&r));
    assert!(r.lead.tool_calls.is_empty(), "{}", show(&r));
    assert_eq!(r.team.teams_started, 0, "{}", show(&r));
    assert_eq!(r.team.workers_spawned, 0);
    let lead = r.requests_of("lead");
    assert_eq!(lead.len(), 1, "one answer, no tool call");
    assert!(lead[0].calls.is_empty());
    assert!(r.hook.checked);
    assert_eq!(r.hook.lead_requests_with_context, 0, "{:?}", r.hook);
    assert!(r.leftover.is_empty(), "{}", show(&r));
}

// ---------------------------------------------------------------------------------------
// Team size per class

fn assert_team_size(r: &RealReport, min: u32, max: u32) {
    assert_clean_finish(r);
    assert_all_done(r);
    assert_eq!(r.team.profile.as_deref(), Some("default"));
    assert!(
        (min..=max).contains(&r.team.workers_spawned),
        "expected {min}-{max} workers: {}",
        show(r)
    );
    assert!(
        r.team.max_live >= 1 && r.team.max_live <= max,
        "{}",
        show(r)
    );
    // Every worker ended as planned: stopped (by the engine or on its own), none dead.
    assert!(
        r.records
            .agents
            .iter()
            .filter(|a| a.role != "lead")
            .all(|a| a.state == AgentState::Stopped),
        "{}",
        show(r)
    );
    // Every worker really ran: the mock answered requests for each of them.
    for a in r.records.agents.iter().filter(|a| a.role != "lead") {
        assert!(
            r.requests
                .iter()
                .any(|q| q.agent_id.as_deref() == Some(a.agent_id.as_str())),
            "worker {} never reached the model: {}",
            a.agent_id,
            show(r)
        );
        assert!(
            a.pid.is_some_and(|p| !procs::alive(p as u32)),
            "{}",
            show(r)
        );
    }
}

#[test]
fn small_task_ends_with_one_or_two_workers() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let r = run("small", scenario(&codex, "small"));
    assert_team_size(&r, 1, 2);
}

#[test]
fn medium_task_ends_with_three_or_four_workers() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let r = run("medium", scenario(&codex, "medium"));
    assert_team_size(&r, 3, 4);
}

#[test]
fn high_parallel_task_ends_with_five_or_six_workers_never_more_than_six_live() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let r = run("high", scenario(&codex, "high"));
    assert_team_size(&r, 5, 6);
    assert!(r.team.max_live >= 5, "{}", show(&r));
}

/// On a loaded machine a worker's `codex-teams serve-mcp` can take seconds to answer
/// Codex's handshake. Codex must wait for it: a worker whose first request went out without
/// the team's tools answered its brief in prose and exited, and the lead replaced it (seen
/// as 7 to 13 workers for this 7-task board with four runs side by side). The server is
/// made slow here by a wrapper that sleeps before a worker's server starts.
#[test]
fn a_worker_whose_team_server_starts_slowly_still_gets_the_team_tools() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&codex, plan(ONE_TASK));
    o.bin = Some(worker_server_wrapper(dir.path(), "sleep 6"));
    let r = run("slow worker server", o);
    assert_clean_finish(&r);
    assert_all_done(&r);
    assert_eq!(r.team.workers_spawned, 1, "no replacement: {}", show(&r));
    assert!(
        r.requests_of("plain").is_empty(),
        "a request went out without the team's tools: {}",
        show(&r)
    );
    let first = r.requests_of("worker");
    assert!(
        first.first().is_some_and(|q| !q.calls.is_empty()),
        "{}",
        show(&r)
    );
}

/// A `codex-teams` in `dir` that runs `before` (shell) when it is about to serve a worker's
/// MCP server, then the real binary.
fn worker_server_wrapper(dir: &Path, before: &str) -> PathBuf {
    let wrapper = dir.join("codex-teams");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = serve-mcp ] && [ -n \"$CODEX_TEAMS_AGENT_ID\" ]; then {before}; fi\n\
             exec '{EXE}' \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    wrapper
}

/// A worker whose team server cannot start: its Codex (the server is `required`) ends
/// without calling a team tool. The worker is dead with that reason, and after two such
/// workers in a row the lead's `team_spawn` is refused instead of replacing them forever
/// (13 workers, 0 tasks done, before the guard, with a server that started too late).
#[test]
fn workers_that_end_without_a_tool_call_are_not_replaced_forever() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&codex, plan(ONE_TASK));
    o.bin = Some(worker_server_wrapper(
        dir.path(),
        "echo 'broken on purpose' >&2; exit 1",
    ));
    o.timeout = Duration::from_secs(120);
    let r = run("broken worker server", o);
    assert!(
        (1..=2).contains(&r.team.workers_spawned),
        "spawning went on: {}",
        show(&r)
    );
    let workers: Vec<_> = r
        .records
        .agents
        .iter()
        .filter(|a| a.role != "lead")
        .collect();
    assert!(!workers.is_empty(), "{}", show(&r));
    for w in workers {
        assert_eq!(w.state, AgentState::Dead, "{}", show(&r));
        assert!(
            w.stop_reason
                .as_deref()
                .is_some_and(|x| x.starts_with("ended without calling a team tool")),
            "{}",
            show(&r)
        );
    }
    assert!(r.leftover.is_empty(), "{}", show(&r));
}

// ---------------------------------------------------------------------------------------
// Profiles

#[test]
fn fast_and_deep_profiles_shape_the_same_task_differently() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut fast = scenario(&codex, "high");
    fast.profile = Some("fast".into());
    let fast = run("high under fast", fast);
    let mut deep = scenario(&codex, "high");
    deep.profile = Some("deep".into());
    let deep = run("high under deep", deep);
    for r in [&fast, &deep] {
        assert_clean_finish(r);
        assert_all_done(r);
    }
    assert_eq!(fast.team.profile.as_deref(), Some("fast"));
    assert_eq!(deep.team.profile.as_deref(), Some("deep"));
    // docs/profiles.md: fast high-parallel bounds 3-4 (max_threads 4), deep 5-6.
    assert!(
        (3..=4).contains(&fast.team.workers_spawned) && fast.team.max_live <= 4,
        "{}",
        show(&fast)
    );
    assert!(
        (5..=6).contains(&deep.team.workers_spawned),
        "{}",
        show(&deep)
    );
    assert!(deep.team.workers_spawned > fast.team.workers_spawned);
}

// ---------------------------------------------------------------------------------------
// Model inheritance

#[test]
fn workers_run_the_model_the_lead_was_started_with() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(
        &codex,
        plan(
            "tasks:\n  - {key: a, title: Task A, size: m}\n  - {key: b, title: Task B, size: m}\n",
        ),
    );
    o.lead_model = Some("mock-lead".into());
    let r = run("model inheritance", o);
    assert_clean_finish(&r);
    assert_all_done(&r);
    let lead = r.requests_of("lead");
    let workers = r.requests_of("worker");
    assert!(!lead.is_empty() && !workers.is_empty(), "{}", show(&r));
    assert!(lead.iter().all(|q| q.model.as_deref() == Some("mock-lead")));
    let models: Vec<_> = workers.iter().map(|q| q.model.as_deref()).collect();
    assert!(
        models.iter().all(|m| *m == Some("mock-lead")),
        "every worker request carries the lead's model, not the config default mock-model: {models:?}"
    );
    for a in r.records.agents.iter().filter(|a| a.role != "lead") {
        assert_eq!(a.model.as_deref(), Some("mock-lead"), "{}", show(&r));
    }
    let spawned = r.events_of("agent.spawned");
    assert!(!spawned.is_empty());
    for e in spawned {
        assert_eq!(e.data["model"], "mock-lead", "{:?}", e);
        assert_eq!(e.data["model_source"], "request_meta", "{:?}", e);
    }
}

// ---------------------------------------------------------------------------------------
// Messages and artifacts between workers

const EXCHANGE: &str = "
goal: parse, test, then document the config loader
role: implementer
tasks:
  - key: parse
    title: Parse the config file
    role: implementer
    publish: 'parser: src/config.rs, entry point load()'
  - key: check
    title: Test the parser
    role: tester
    deps: [parse]
    read: [parse]
    send:
      - {to: parse, body: 'tests for load() pass; see art:check'}
      - {to: lead, body: 'parser checked'}
  - key: docs
    title: Document the parser
    role: implementer
    deps: [check]
    read: [check]
";

#[test]
fn two_workers_exchange_a_message_and_an_artifact_by_reference_with_trace_ids() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(&codex, plan(EXCHANGE));
    // deep: a pair for small work, so the implementer and the tester are separate agents.
    o.profile = Some("deep".into());
    let r = run("exchange", o);
    assert_clean_finish(&r);
    assert_all_done(&r);
    let team = r.team.team_id.clone().unwrap();
    let agent_of = |role: &str| {
        r.records
            .agents
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.agent_id.clone())
            .unwrap_or_else(|| panic!("no {role}: {}", show(&r)))
    };
    let implementer = agent_of("implementer");
    let tester = agent_of("tester");
    assert_ne!(implementer, tester);

    // The artifact: published by the implementer, read by reference by the tester.
    let parse = r
        .records
        .artifacts
        .iter()
        .find(|a| a.reference == "art:parse@1")
        .unwrap_or_else(|| panic!("{:?}", r.records.artifacts));
    assert_eq!(parse.agent_id.as_deref(), Some(implementer.as_str()));
    let reads: Vec<_> = r
        .requests
        .iter()
        .filter(|q| q.agent_id.as_deref() == Some(tester.as_str()))
        .flat_map(|q| &q.calls)
        .filter(|c| c.name == "artifact_read")
        .collect();
    assert!(
        reads.iter().any(|c| c.arguments["ref"] == "art:parse@1"),
        "{reads:?}"
    );
    let check = r
        .records
        .artifacts
        .iter()
        .find(|a| a.reference == "art:check@1")
        .unwrap_or_else(|| panic!("{:?}", r.records.artifacts));
    assert_eq!(check.agent_id.as_deref(), Some(tester.as_str()));

    // The message: the tester addressed the worker of `parse`; it had finished that task,
    // so the mock sent it to the team (a broadcast). The implementer pulled it.
    let sent: Vec<_> = r
        .records
        .messages
        .iter()
        .filter(|m| m.from.as_deref() == Some(tester.as_str()))
        .filter(|m| m.to.is_none() || m.to.as_deref() == Some(implementer.as_str()))
        .collect();
    let got = |kind: &str, id: &str| {
        r.records.events.iter().any(|e| {
            e.kind == kind
                && e.refs.message_id.as_deref() == Some(id)
                && e.refs.agent_id.as_deref() == Some(implementer.as_str())
        })
    };
    let message_id = sent
        .iter()
        .filter_map(|m| m.message_id.clone())
        .find(|id| got("message.delivered", id))
        .unwrap_or_else(|| {
            panic!(
                "no tester message was delivered to the implementer: {:?}",
                r.records.messages
            )
        });
    assert!(
        lead_inbox(&r)
            .iter()
            .any(|(from, body)| from == &tester && body == "parser checked"),
        "{:?}",
        lead_inbox(&r)
    );

    // Trace ids in the event log and in the team's structured log file.
    let in_log = |key: &str, id: &str, agent: &str| {
        r.records
            .team_log
            .iter()
            .any(|l| l["team_id"] == team.as_str() && l[key] == id && l["agent_id"] == agent)
    };
    assert!(
        !r.records.team_log.is_empty(),
        "the team log file has lines"
    );
    assert!(
        in_log("message_id", &message_id, &tester),
        "message {message_id} sent, in the team log"
    );
    assert!(
        in_log("message_id", &message_id, &implementer),
        "message {message_id} delivered, in the team log"
    );
    let art_id = parse.artifact_id.clone().unwrap();
    assert!(
        in_log("artifact_id", &art_id, &implementer),
        "artifact {art_id} in the team log"
    );
    assert!(r.records.events.iter().any(|e| (e.kind == "message.sent"
        || e.kind == "message.broadcast")
        && e.refs.message_id.as_deref() == Some(message_id.as_str())
        && e.team_id == team
        && e.refs.agent_id.as_deref() == Some(tester.as_str())));
    assert!(
        r.records
            .events
            .iter()
            .any(|e| e.kind == "artifact.published"
                && e.refs.artifact_id.as_deref() == Some(art_id.as_str())
                && e.refs.agent_id.as_deref() == Some(implementer.as_str()))
    );
}

// ---------------------------------------------------------------------------------------
// Crashes, budgets and cleanup

/// Workers of the run's team that are active and hold a claim: (agent id, pid).
fn claim_holders(engine: &Engine) -> Vec<(String, u32)> {
    let teams = engine.teams(true).unwrap_or_default();
    let mut out = Vec::new();
    for t in teams {
        let agents = engine
            .agents(&TeamId::from_db(t.team_id.clone()))
            .unwrap_or_default();
        for a in agents {
            if a.role != "lead"
                && a.state == AgentState::Active
                && a.current_task.is_some()
                && let Some(pid) = a.pid
            {
                out.push((a.agent_id.clone(), pid as u32));
            }
        }
    }
    out
}

/// Live processes that belong to one worker (its Codex, MCP server, shell commands).
fn processes_of(agent: &str) -> Vec<procs::Leftover> {
    procs::find(&[format!("CODEX_TEAMS_AGENT_ID={agent}")], &[])
}

/// Whether `agent` is running its plan's `sleep` right now.
fn sleeping(agent: &str) -> bool {
    processes_of(agent)
        .iter()
        .any(|p| p.cmd.starts_with("sleep "))
}

fn team_state(engine: &Engine) -> Option<String> {
    engine
        .teams(true)
        .ok()
        .and_then(|t| t.into_iter().next())
        .map(|t| t.state.to_string())
}

const SLOW_PAIR: &str = "
goal: port two modules
tasks:
  - {key: one, title: Port module one, size: m, run: 'sleep 8'}
  - {key: two, title: Port module two, size: m, run: 'sleep 8'}
";

#[test]
fn a_worker_killed_mid_task_returns_its_task_and_the_team_still_finishes() {
    // (The killed worker never reached turn.completed: see the metering check at the end.)
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut team = RealTeam::start(options(&codex, plan(SLOW_PAIR))).unwrap();
    let mut victim = None;
    assert!(
        team.wait_until(Duration::from_secs(120), |e| {
            victim = claim_holders(e).into_iter().find(|(a, _)| sleeping(a));
            victim.is_some()
        }),
        "no worker was ever busy on a claimed task"
    );
    let (victim, pid) = victim.unwrap();
    // SIGKILL to a worker process of this test's own team.
    codex_teams::platform::signal(pid, libc::SIGKILL);
    // Its MCP server and its running shell command do not outlive it (the command alone
    // would run for several more seconds).
    assert!(
        within(Duration::from_secs(3), || processes_of(&victim).is_empty()),
        "processes of the killed worker still run: {:?}",
        processes_of(&victim)
    );
    let r = team.finish().unwrap();
    assert_clean_finish(&r);
    assert_all_done(&r);
    let dead = r
        .records
        .agents
        .iter()
        .find(|a| a.agent_id == victim)
        .unwrap_or_else(|| panic!("{}", show(&r)));
    assert_eq!(dead.state, AgentState::Dead, "{}", show(&r));
    assert!(
        dead.stop_reason
            .as_deref()
            .is_some_and(|s| s.contains("SIGKILL") || s.contains("signal: 9")),
        "{}",
        show(&r)
    );
    // Its claim went back to the board, and another worker finished that task.
    let released: Vec<_> = r
        .records
        .events
        .iter()
        .filter(|e| {
            e.kind == "task.released" && e.refs.agent_id.as_deref() == Some(victim.as_str())
        })
        .collect();
    assert_eq!(released.len(), 1, "{}", show(&r));
    let task = released[0].refs.task_id.clone().unwrap();
    let finished_by = r
        .records
        .events
        .iter()
        .filter(|e| e.kind == "task.updated" && e.refs.task_id.as_deref() == Some(task.as_str()))
        .filter(|e| e.data["to"] == "done")
        .find_map(|e| e.refs.agent_id.clone());
    assert!(
        finished_by.as_deref().is_some_and(|a| a != victim),
        "the released task was finished by another worker: {finished_by:?}"
    );
    // The lead was told, and its wait brought the dead worker as news.
    assert!(
        lead_inbox(&r).iter().any(|(from, body)| from == "system"
            && body.contains(&victim)
            && body.contains("dead")),
        "{:?}",
        lead_inbox(&r)
    );
    assert!(
        lead_waits(&r)
            .iter()
            .any(|s| s["news"].as_array().is_some_and(|n| n
                .iter()
                .any(|x| x["agent_id"] == victim.as_str() && x["kind"] == "agent.dead"))),
        "a wait brought the dead worker: {:?}",
        lead_waits(&r)
    );
    // Killed in the middle of a turn, it is still charged for the requests Codex wrote
    // down: all of them but, at most, the last one, when the kill came within milliseconds
    // of its response (the shell command starts before Codex records the usage). Everyone
    // else is charged exactly what the mock counted.
    let victim_requests = mock_count(&r, dead);
    let counted: u64 = victim_requests.iter().sum();
    let last = victim_requests.last().copied().unwrap_or(0);
    // A worker now starts with its task claimed, so the victim may be killed before its
    // first model request (it then holds a claim and was charged nothing, as the mock saw
    // nothing).
    let charged_right = match victim_requests.is_empty() {
        true => dead.tokens == 0,
        false => {
            dead.tokens > 0
                && (counted - last) as i64 <= dead.tokens
                && dead.tokens <= counted as i64
        }
    };
    assert!(
        charged_right,
        "the killed worker was charged {} of the {counted} tokens the mock counted ({victim_requests:?}); requests: {:?}",
        dead.tokens,
        r.requests
            .iter()
            .map(|q| (
                q.n,
                q.role.clone(),
                q.agent_id.clone(),
                q.calls.iter().map(|c| c.name.clone()).collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
    );
    for a in r.records.agents.iter().filter(|a| a.agent_id != victim) {
        assert_close(&a.agent_id, a.tokens, mock_count(&r, a).iter().sum());
    }
}

const TINY_PROFILE: &str = "
name: tiny
description: A budget far too small for any real work (end-to-end test).
max_threads: 6
fanout:
  small: { min: 1, max: 2 }
  medium: { min: 3, max: 4 }
  high: { min: 5, max: 6 }
budget:
  # Estimated from codex-cli 0.169.0 runs with Codex-default workers (~8.5k a request): the
  # team has spent ~49k when the quick task is done and ~57k when its worker has wound
  # down (lead: start + wait; quick: work, publish, stop; slow: work), while the slow
  # task's worker sleeps in its shell: the budget runs out in between.
  team_tokens: 53000
  agent_tokens: 53000
  agent_fixed_cost_tokens: 1000
messages:
  body_cap_bytes: 4096
  inbox_lease_ms: 30000
  max_pull: 20
  max_wait_ms: 25000
leases:
  task_lease_ms: 600000
  idle_timeout_ms: 300000
arbitration:
  mode: consensus
  quorum: 0.5
  on_tie: lead
  on_no_quorum: lead
  on_consensus_failure: lead
  timeout_ms: 600000
early_stop:
  all_tasks_done: true
  decision_reached: false
worker:
  model: inherit
  sandbox: workspace-write
  isolation: shared
  brief_max_bytes: 2048
";

const UNEVEN_PAIR: &str = "
goal: port two modules
tasks:
  - {key: quick, title: Port the quick module, size: m, run: 'sleep 1'}
  - {key: slow, title: Port the slow module, size: m, run: 'sleep 25'}
";

#[test]
fn a_budget_too_small_stops_the_workers_and_tells_the_lead() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut o = options(&codex, plan(UNEVEN_PAIR));
    o.profile = Some("tiny".into());
    o.user_profiles = vec![("tiny".into(), TINY_PROFILE.into())];
    let r = run("tiny budget", o);
    assert_eq!(r.lead.exit_code, Some(0), "{}", show(&r));
    assert_eq!(r.team.profile.as_deref(), Some("tiny"));
    assert_eq!(
        r.team.team_state,
        Some(TeamState::Finalized),
        "{}",
        show(&r)
    );
    assert!(r.leftover.is_empty(), "{}", show(&r));
    // The team's metered requests (lead included) put it over its budget ...
    assert!(
        r.tokens.engine_metered > 53_000,
        "{}",
        r.tokens.engine_metered
    );
    // ... and the worker stopped in the middle of its slow task's turn (it never reached
    // turn.completed) was charged for every request it made, as was everyone else.
    assert_metered_like_the_mock(&r);
    assert!(
        !r.events_of("budget.team_exceeded").is_empty(),
        "{:?}",
        r.records.stop_events
    );
    // ... which stopped every worker still running, the one busy on the slow task included
    // (the quick one may have finished its task and exited first).
    let stopped = r.workers_stopped_for("budget");
    assert!(!stopped.is_empty(), "{}", show(&r));
    assert!(stopped.iter().all(|a| a.state == AgentState::Stopped));
    assert!(
        r.records
            .agents
            .iter()
            .filter(|a| a.role != "lead")
            .all(|a| a
                .stop_reason
                .as_deref()
                .is_some_and(|why| why.contains("budget") || why.contains("worker finished"))),
        "{}",
        show(&r)
    );
    assert!(
        r.records.events.iter().any(|e| e.kind == "task.released"
            && e.data["reason"]
                .as_str()
                .is_some_and(|s| s.contains("budget"))),
        "the slow task's claim was released by the budget stop"
    );
    assert_eq!(r.team.tasks.done, 1, "{}", show(&r));
    assert_eq!(r.team.tasks.cancelled, 1, "{}", show(&r));
    // The lead was told: each budget stop sent it a message from `system` (in the same
    // transaction, so it is the next event), which woke its wait; the wait showed no worker
    // left and none to spawn.
    let lead = r
        .records
        .agents
        .iter()
        .find(|a| a.role == "lead")
        .map(|a| a.agent_id.clone())
        .unwrap();
    for (i, e) in r.records.events.iter().enumerate() {
        if e.kind == "budget.team_exceeded" {
            let next = r
                .records
                .events
                .get(i + 1)
                .unwrap_or_else(|| panic!("{e:?}"));
            assert_eq!(next.kind, "message.sent", "{next:?}");
            assert_eq!(next.data["from"], "system", "{next:?}");
            assert_eq!(next.data["to"], lead.as_str(), "{next:?}");
        }
    }
    let told = lead_inbox(&r)
        .iter()
        .any(|(from, body)| from == "system" && body.contains("budget"));
    let shown = lead_waits(&r)
        .iter()
        .any(|s| s["workers"] == 0 && s.get("spawn").is_none() && s["tasks"]["claimed"] == 0);
    assert!(
        shown,
        "a wait showed no worker left and none to spawn: {:?}",
        lead_waits(&r)
    );
    assert!(
        told,
        "the wait brought the budget message: {:?}",
        lead_inbox(&r)
    );
    // The planner would start nobody: the lead finalized without waiting for the slow task.
    assert!(
        r.wall_ms < 30_000,
        "the lead did not wait for the slow task: {} ms",
        r.wall_ms
    );
}

// The lead waits one 10 s round (nothing wakes it earlier), then finalizes with the task
// still open: long enough for the worker to be busy even on a loaded machine.
const FINALIZE_EARLY: &str = "
goal: long running work
wait_ms: 10000
max_wait_rounds: 1
tasks:
  - {key: long, title: A long task, size: m, run: 'sleep 25'}
";

#[test]
fn no_team_process_is_alive_after_team_finalize() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut team = RealTeam::start(options(&codex, plan(FINALIZE_EARLY))).unwrap();
    let mut holders = Vec::new();
    assert!(
        team.wait_until(Duration::from_secs(120), |e| {
            holders = claim_holders(e);
            holders.iter().any(|(a, _)| sleeping(a))
        }),
        "no worker was busy on the long task"
    );
    // The lead gives up after one wait round and finalizes while the worker is mid-task.
    assert!(
        team.wait_until(Duration::from_secs(120), |e| team_state(e).as_deref()
            == Some("finalized")),
        "the team was never finalized"
    );
    assert!(
        within(Duration::from_secs(2), || holders
            .iter()
            .all(|(a, _)| processes_of(a).is_empty())),
        "worker processes alive after team_finalize: {:?}",
        holders
            .iter()
            .map(|(a, _)| processes_of(a))
            .collect::<Vec<_>>()
    );
    let r = team.finish().unwrap();
    assert_eq!(r.lead.exit_code, Some(0), "{}", show(&r));
    assert!(r.leftover.is_empty(), "{}", show(&r));
    assert_stopped_with(&r, &holders, "team finalized");
}

/// Every agent of `holders` ended `stopped` with `reason`.
fn assert_stopped_with(r: &RealReport, holders: &[(String, u32)], reason: &str) {
    for (agent, _) in holders {
        let a = r
            .records
            .agents
            .iter()
            .find(|a| &a.agent_id == agent)
            .unwrap();
        assert_eq!(a.state, AgentState::Stopped, "{}", show(r));
        assert_eq!(a.stop_reason.as_deref(), Some(reason), "{}", show(r));
    }
}

const LONG_PAIR: &str = "
goal: port two modules
wait_ms: 20000
tasks:
  - {key: one, title: Port module one, size: m, run: 'sleep 25'}
  - {key: two, title: Port module two, size: m, run: 'sleep 25'}
";

/// Kills the lead's Codex with `signal` while both workers are busy and the lead is in a
/// 20 s long-poll; every process of the team must be gone within a few seconds.
fn lead_dies_and_takes_the_team_along(signal: i32) {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let mut team = RealTeam::start(options(&codex, plan(LONG_PAIR))).unwrap();
    let mut holders = Vec::new();
    assert!(
        team.wait_until(Duration::from_secs(120), |e| {
            holders = claim_holders(e);
            holders.len() == 2 && holders.iter().all(|(a, _)| sleeping(a))
        }),
        "the two workers were never busy at once"
    );
    assert!(team.processes().len() > 4, "{:#?}", team.processes());
    team.signal_lead(signal);
    assert!(
        within(Duration::from_secs(5), || team.processes().is_empty()),
        "processes alive 5 s after the lead got signal {signal}: {:#?}",
        team.processes()
    );
    let r = team.finish().unwrap();
    assert_eq!(r.lead.signal, Some(signal), "{}", show(&r));
    assert!(r.leftover.is_empty(), "{}", show(&r));
    assert_eq!(
        r.team.team_state,
        Some(TeamState::Active),
        "the store keeps the team for a resume"
    );
    assert_stopped_with(&r, &holders, "the lead's Codex session ended");
}

#[test]
fn no_team_process_is_alive_after_the_lead_codex_is_killed() {
    lead_dies_and_takes_the_team_along(libc::SIGKILL);
}

#[test]
fn no_team_process_is_alive_after_the_lead_codex_is_terminated() {
    lead_dies_and_takes_the_team_along(libc::SIGTERM);
}

/// Removes a kept run's directory when the test ends, passed or failed (unless
/// `CODEX_TEAMS_E2E_KEEP` is set).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if std::env::var_os("CODEX_TEAMS_E2E_KEEP").is_none_or(|v| v.is_empty()) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs a `codex-teams` subcommand against the kept run's database; its stdout as JSON.
fn cli_json(db: &Path, args: &[&str]) -> Value {
    let out = std::process::Command::new(EXE)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    common::json_output(&format!("codex-teams {args:?}"), &out)
}

#[test]
fn status_summary_replay_and_smoke_agree_with_the_mock_models_count() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    // `smoke --real` exactly as a user runs it, keeping its directory for the other views.
    let out = std::process::Command::new(EXE)
        .args(["smoke", "small", "--real", "--keep", "--json"])
        .env("CODEX_TEAMS_CODEX", &codex)
        .env_remove(codex_teams::engine::policy::PROFILE_ENV)
        .output()
        .unwrap();
    let smoke: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "smoke printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let dir = PathBuf::from(smoke["report"]["dir"].as_str().unwrap());
    let _cleanup = RemoveOnDrop(dir.clone());
    assert!(
        out.status.success(),
        "{}",
        serde_json::to_string_pretty(&smoke["problems"]).unwrap()
    );
    let tokens = &smoke["report"]["tokens"];
    let counted = tokens["total"]["total"].as_u64().unwrap();
    let lead_counted = tokens["lead"]["total"].as_u64().unwrap();
    assert!(counted > 50_000, "{tokens}");
    assert_close("smoke", tokens["engine_metered"].as_i64().unwrap(), counted);
    assert_close(
        "smoke (lead)",
        tokens["engine_lead"].as_i64().unwrap(),
        lead_counted,
    );

    let db = dir.join("teams").join("teams.db");
    let team = smoke["report"]["team_id"].as_str().unwrap().to_string();
    let status = cli_json(&db, &["status", &team, "--json"]);
    let status = status.as_array().and_then(|a| a.first()).unwrap_or(&status);
    assert_close(
        "status --json",
        status["tokens"]["total"].as_i64().unwrap(),
        counted,
    );
    let lead_status = status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "lead")
        .unwrap();
    assert_close(
        "status --json (lead)",
        lead_status["tokens"].as_i64().unwrap(),
        lead_counted,
    );

    // The summary team_finalize stored, brought up to date with the lead's closing answer.
    let engine = Engine::open(&db, &dir.join("teams")).unwrap();
    let stored = engine
        .team_snapshot(&TeamId::parse("team_id", &team).unwrap())
        .unwrap()
        .team
        .summary
        .unwrap();
    let summary: Value = serde_json::from_str(&stored).unwrap();
    assert_close(
        "finalize summary",
        summary["tokens"]["total"].as_i64().unwrap(),
        counted,
    );

    let replay = cli_json(&db, &["replay", &team, "--json"]);
    assert_close(
        "replay",
        replay["tokens"]["total"].as_i64().unwrap(),
        counted,
    );
    assert_close(
        "replay (lead)",
        replay["tokens"]["lead"].as_i64().unwrap(),
        lead_counted,
    );
    assert_eq!(
        replay["divergences"],
        serde_json::json!([]),
        "{}",
        replay["divergences"]
    );
    // One charge per model request the mock answered.
    assert_eq!(
        replay["tokens"]["requests"].as_u64(),
        tokens["total"]["requests"].as_u64(),
        "{}",
        replay["tokens"]
    );
}
