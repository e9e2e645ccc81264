//! `replay` re-checks a finished team's decisions from its event log, and reports a
//! tampered log as divergent.

use assert_cmd::Command;
use codex_teams::bench::{scenarios, smoke};
use codex_teams::engine::Engine;
use codex_teams::engine::ids::TeamId;

fn finished_team(home: &std::path::Path) -> (Engine, TeamId) {
    let engine = Engine::open(&home.join("teams.db"), home).expect("engine");
    let report = smoke::run_sim(
        &engine,
        scenarios::scenario("medium").expect("scenario"),
        "default",
    )
    .expect("run");
    let team = TeamId::parse("team", &report.report.team_id).expect("team id");
    (engine, team)
}

fn replay_cli(home: &std::path::Path, team: &TeamId) -> std::process::Output {
    Command::cargo_bin("codex-teams")
        .expect("binary")
        .env("CODEX_TEAMS_HOME", home)
        .env_remove("CODEX_TEAMS_DB")
        .args(["replay", team.as_str()])
        .output()
        .expect("run replay")
}

fn sql(home: &std::path::Path, statements: &str) {
    let conn = rusqlite::Connection::open(home.join("teams.db")).expect("open db");
    conn.execute_batch(statements).expect("tamper");
}

#[test]
fn replay_of_a_finished_team_reproduces_its_decisions() {
    let home = tempfile::tempdir().expect("tempdir");
    let (engine, team) = finished_team(home.path());
    let report = engine.replay(&team).expect("replay");
    assert!(report.divergences.is_empty(), "{:?}", report.divergences);
    assert!(report.checked.recommendations >= 2);
    assert_eq!(report.checked.claims, 4, "one claim per task");
    let out = replay_cli(home.path(), &team);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("task.claimed") && text.contains("team.finalized"),
        "{text}"
    );
    assert!(text.contains("replay: consistent"), "{text}");
}

#[test]
fn an_edited_recommendation_is_reported_as_divergent() {
    let home = tempfile::tempdir().expect("tempdir");
    let (engine, team) = finished_team(home.path());
    drop(engine);
    // Someone bypasses the append-only triggers and rewrites history: 3 workers become 6.
    sql(
        home.path(),
        "DROP TRIGGER events_no_update;
         UPDATE events SET data = replace(data, '\"recommended\":3', '\"recommended\":6')
         WHERE kind = 'fanout.recommended' AND data LIKE '%\"recommended\":3%';",
    );
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let report = engine.replay(&team).expect("replay");
    let kinds: Vec<&str> = report
        .divergences
        .iter()
        .map(|d| d.detail.as_str())
        .collect();
    assert!(
        kinds.iter().any(|d| d.contains("hash chain broken")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|d| d.contains("recorded 6 worker")),
        "{kinds:?}"
    );
    let out = replay_cli(home.path(), &team);
    assert!(
        !out.status.success(),
        "a divergent replay must exit non-zero"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("DIVERGENCE"));
}

#[test]
fn a_forged_double_claim_is_reported_as_divergent() {
    let home = tempfile::tempdir().expect("tempdir");
    let (engine, team) = finished_team(home.path());
    drop(engine);
    // Duplicate the first claim under another agent, as if two agents had won the same task.
    sql(
        home.path(),
        "INSERT INTO events (ts, team_id, agent_id, task_id, kind, data, chain)
         SELECT ts, team_id, 'agent_ffffffffffffffffffffffffffffffff', task_id, kind, data, chain
         FROM events WHERE kind = 'task.claimed' ORDER BY seq LIMIT 1;",
    );
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let report = engine.replay(&team).expect("replay");
    assert!(
        report
            .divergences
            .iter()
            .any(|d| d.kind == "task.claimed" && d.detail.contains("while")),
        "{:?}",
        report.divergences
    );
}

#[test]
fn replay_of_an_unknown_team_is_a_clear_error() {
    let home = tempfile::tempdir().expect("tempdir");
    // The database exists (a missing one is its own error: tests/cli_ux.rs).
    Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let out = replay_cli(home.path(), &TeamId::generate());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}
