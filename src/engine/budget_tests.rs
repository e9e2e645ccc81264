//! Metering against rollout files written by the test, on a real store.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::Engine;
use crate::ids::{AgentId, TeamId};
use crate::runner::Usage;
use crate::store;
use crate::team::SpawnRequest;

struct Setup {
    _dir: tempfile::TempDir,
    engine: Engine,
    codex_home: PathBuf,
    team: TeamId,
    lead: AgentId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&dir.path().join("teams.db"), dir.path()).unwrap();
    let started = engine.team_start("metering", None, None, None).unwrap();
    let team = TeamId::from_db(started.team_id);
    let lead = AgentId::from_db(started.agent_id);
    let codex_home = dir.path().join("codex-home");
    Setup {
        _dir: dir,
        engine,
        codex_home,
        team,
        lead,
    }
}

fn rollout_path(codex_home: &Path, thread: &str) -> PathBuf {
    let day = codex_home.join("sessions/2026/12/02");
    std::fs::create_dir_all(&day).unwrap();
    day.join(format!("rollout-2026-12-02T07-13-58-{thread}.jsonl"))
}

fn append_record(path: &Path, id: &str, input: i64, output: i64) {
    let line = json!({"type": "token_usage_record", "payload": {"response_id": id,
        "usage": {"input_tokens": input, "cached_input_tokens": 0, "output_tokens": output}}});
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

fn tokens_of(engine: &Engine, agent: &AgentId) -> i64 {
    let a = engine
        .store()
        .read(|c| store::teams::agent(c, agent.as_str()))
        .unwrap();
    a.tokens_input + a.tokens_output
}

const THREAD: &str = "01a2359a-5c61-7ee1-a9ee-ef6d5e228c6a";
const OTHER: &str = "01a2359a-0000-7ee1-a9ee-ef6d5e228c6a";

#[test]
fn a_thread_without_a_rollout_file_is_charged_from_the_stream_and_never_from_both() {
    let s = setup();
    let e = &s.engine;
    e.watch_thread(&s.team, &s.lead, THREAD, Some(&s.codex_home), None)
        .unwrap();
    assert!(e.meter_thread(THREAD).unwrap().is_none(), "no file yet");
    let cumulative = |input, output| Usage {
        input,
        cached: 0,
        output,
    };
    e.meter_stream(THREAD, cumulative(100, 10)).unwrap();
    e.meter_stream(THREAD, cumulative(150, 20)).unwrap();
    assert_eq!(
        tokens_of(e, &s.lead),
        170,
        "the growth of the cumulative usage"
    );
    // The file turning up later changes nothing: the thread stays on the stream.
    append_record(&rollout_path(&s.codex_home, THREAD), "r1", 150, 20);
    assert!(e.meter_thread(THREAD).unwrap().is_none());
    assert_eq!(tokens_of(e, &s.lead), 170);

    // A thread with its file is charged from the file, and turn.completed adds nothing.
    append_record(&rollout_path(&s.codex_home, OTHER), "r1", 1000, 1);
    e.watch_thread(&s.team, &s.lead, OTHER, Some(&s.codex_home), None)
        .unwrap();
    e.meter_thread(OTHER).unwrap();
    assert!(
        e.meter_stream(OTHER, cumulative(1000, 1))
            .unwrap()
            .is_none()
    );
    assert_eq!(tokens_of(e, &s.lead), 170 + 1001);
}

#[test]
fn a_charge_after_finalize_updates_the_stored_summary() {
    let s = setup();
    let e = &s.engine;
    let path = rollout_path(&s.codex_home, THREAD);
    append_record(&path, "r1", 1000, 10);
    e.watch_thread(&s.team, &s.lead, THREAD, Some(&s.codex_home), None)
        .unwrap();
    let caller = e.lead_caller(&s.team).unwrap();
    let summary = e.team_finalize(&caller, None).unwrap();
    assert_eq!(summary.tokens.total, 1010, "finalize catches up first");
    let left = summary.budget_left;
    // The lead's closing answer comes after team_finalize.
    append_record(&path, "r2", 2000, 20);
    e.meter_thread(THREAD).unwrap();
    let stored: Value = serde_json::from_str(
        &e.store()
            .read(|c| store::teams::team(c, s.team.as_str()))
            .unwrap()
            .summary
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stored["tokens"]["total"], json!(3030));
    assert_eq!(stored["budget_left"], json!(left - 2020));
    let lead = stored["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "lead")
        .unwrap();
    assert_eq!(lead["tokens"], json!(3030));
}

#[test]
fn the_leads_usage_counts_toward_the_team_budget() {
    let s = setup();
    let e = &s.engine;
    let caller = e.lead_caller(&s.team).unwrap();
    let worker = e
        .team_spawn(
            &caller,
            &SpawnRequest {
                role: "implementer",
                runner: Some("external"),
                justification: Some("test"),
                ..Default::default()
            },
        )
        .unwrap();
    let budget = e.team_profile(&s.team).unwrap().budget.team_tokens;
    append_record(&rollout_path(&s.codex_home, THREAD), "r1", budget, 1);
    e.watch_thread(&s.team, &s.lead, THREAD, Some(&s.codex_home), None)
        .unwrap();
    let verdict = e.meter_thread(THREAD).unwrap().unwrap();
    assert_eq!(verdict.team_total, budget + 1);
    assert_eq!(verdict.team_stopped, std::slice::from_ref(&worker.agent_id));
    let w = e
        .store()
        .read(|c| store::teams::agent(c, &worker.agent_id))
        .unwrap();
    assert_eq!(w.state, store::AgentState::Stopped);
    assert!(w.stop_reason.unwrap().contains("team budget exhausted"));
    // Reading the file again charges nothing more.
    assert!(e.meter_thread(THREAD).unwrap().is_none());
    assert_eq!(tokens_of(e, &s.lead), budget + 1);
}

#[test]
fn a_lead_starting_a_team_mid_session_is_charged_from_that_turn_on() {
    let s = setup();
    let e = &s.engine;
    let path = rollout_path(&s.codex_home, THREAD);
    let turn = |id: &str| {
        format!(
            "{}\n",
            json!({"type": "turn_context", "payload": {"turn_id": id}})
        )
    };
    std::fs::write(&path, turn("t0")).unwrap();
    append_record(&path, "r0", 40_000, 4);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(turn("t1").as_bytes())
        .unwrap();
    append_record(&path, "r1", 1000, 10);
    e.watch_thread(&s.team, &s.lead, THREAD, Some(&s.codex_home), Some("t1"))
        .unwrap();
    e.meter_thread(THREAD).unwrap();
    assert_eq!(tokens_of(e, &s.lead), 1010);
    assert!(
        e.watch_thread(&s.team, &s.lead, "../../etc", Some(&s.codex_home), None)
            .is_err()
    );
}
