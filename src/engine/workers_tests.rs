use super::*;
use crate::error::EngineError;
use crate::runner::ENV_AGENT_TOKEN;
use crate::team::{SpawnRequest, Spawned};

struct Setup {
    _dir: tempfile::TempDir,
    engine: Engine,
    team: TeamId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&dir.path().join("teams.db"), dir.path()).unwrap();
    let started = engine
        .team_start("silent workers", None, None, None)
        .unwrap();
    Setup {
        team: TeamId::from_db(started.team_id),
        engine,
        _dir: dir,
    }
}

fn spawn(s: &Setup) -> Result<Spawned> {
    let lead = s.engine.lead_caller(&s.team)?;
    s.engine.team_spawn(
        &lead,
        &SpawnRequest {
            role: "implementer",
            runner: Some("external"),
            justification: Some("test"),
            ..Default::default()
        },
    )
}

fn exit_clean(s: &Setup, w: &Spawned) {
    let agent = AgentId::from_db(w.agent_id.clone());
    assert!(
        s.engine
            .worker_exited(
                &s.team,
                &agent,
                AgentState::Stopped,
                "worker finished (codex exec exited 0)"
            )
            .unwrap()
    );
}

fn row(s: &Setup, w: &Spawned) -> store::teams::AgentRow {
    s.engine
        .store()
        .read(|c| store::teams::agent(c, &w.agent_id))
        .unwrap()
}

/// The worker calls a team tool, as its Codex does through its server.
fn call_a_tool(s: &Setup, w: &Spawned) {
    let token = w.env.as_ref().unwrap()[ENV_AGENT_TOKEN].clone();
    let agent = AgentId::from_db(w.agent_id.clone());
    s.engine.worker_caller(&s.team, &agent, &token).unwrap();
}

#[test]
fn a_servers_start_makes_a_worker_active_but_only_a_tool_call_counts_as_a_call() {
    let s = setup();
    let w = spawn(&s).unwrap();
    let token = w.env.as_ref().unwrap()[ENV_AGENT_TOKEN].clone();
    let agent = AgentId::from_db(w.agent_id.clone());
    assert_eq!(row(&s, &w).state, AgentState::Starting);
    s.engine
        .worker_server_started(&s.team, &agent, &token)
        .unwrap();
    let r = row(&s, &w);
    assert_eq!(r.state, AgentState::Active);
    assert_eq!(r.first_call_at, None);
    call_a_tool(&s, &w);
    assert!(row(&s, &w).first_call_at.is_some());
    assert!(s.engine.check_worker(&s.team, &agent, "wrong").is_err());
    assert!(
        s.engine
            .worker_server_started(&s.team, &agent, "wrong")
            .is_err()
    );
}

#[test]
fn a_worker_whose_server_started_but_that_never_called_is_still_silent() {
    let s = setup();
    let w = spawn(&s).unwrap();
    let token = w.env.as_ref().unwrap()[ENV_AGENT_TOKEN].clone();
    let agent = AgentId::from_db(w.agent_id.clone());
    s.engine
        .worker_server_started(&s.team, &agent, &token)
        .unwrap();
    exit_clean(&s, &w);
    let r = row(&s, &w);
    assert_eq!(r.state, AgentState::Dead);
    assert!(r.stop_reason.unwrap().starts_with(ENDED_WITHOUT_A_CALL));
}

#[test]
fn a_worker_that_ends_without_a_call_is_dead_and_the_lead_is_told_why() {
    let s = setup();
    let w = spawn(&s).unwrap();
    exit_clean(&s, &w);
    let r = row(&s, &w);
    assert_eq!(r.state, AgentState::Dead);
    let reason = r.stop_reason.unwrap();
    assert!(reason.starts_with(ENDED_WITHOUT_A_CALL), "{reason}");
    assert!(reason.contains("codex exec exited 0"), "{reason}");
    // A worker that did call a tool and then exited 0 finished normally.
    let w2 = spawn(&s).unwrap();
    call_a_tool(&s, &w2);
    exit_clean(&s, &w2);
    assert_eq!(row(&s, &w2).state, AgentState::Stopped);
}

#[test]
fn spawning_stops_after_two_workers_in_a_row_end_without_a_call() {
    let s = setup();
    for _ in 0..SILENT_EXITS_BEFORE_REFUSAL {
        let w = spawn(&s).unwrap();
        exit_clean(&s, &w);
    }
    let refused = spawn(&s).err().unwrap();
    assert!(
        matches!(refused, EngineError::Conflict { .. }),
        "{refused:?}"
    );
    let text = refused.to_string();
    assert!(text.contains(ENDED_WITHOUT_A_CALL), "{text}");
    assert!(text.contains("check-config"), "{text}");
}

#[test]
fn one_silent_exit_between_working_workers_does_not_stop_spawning() {
    let s = setup();
    let silent = spawn(&s).unwrap();
    exit_clean(&s, &silent);
    let worked = spawn(&s).unwrap();
    call_a_tool(&s, &worked);
    exit_clean(&s, &worked);
    let silent_again = spawn(&s).unwrap();
    exit_clean(&s, &silent_again);
    // The last two ended workers are one silent and one that worked: go on.
    spawn(&s).unwrap();
}

#[test]
fn team_spawn_without_a_runner_uses_the_profiles_worker_runner() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = crate::policy::BUILTIN[0]
        .1
        .replacen("name: default", "name: by-hand", 1)
        .replacen("worker:\n", "worker:\n  runner: external\n", 1);
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    std::fs::write(dir.path().join("profiles/by-hand.team.yaml"), yaml).unwrap();
    let engine = Engine::open(&dir.path().join("teams.db"), dir.path()).unwrap();
    let started = engine
        .team_start("workers started by hand", Some("by-hand"), None, None)
        .unwrap();
    let team = TeamId::from_db(started.team_id);
    let lead = engine.lead_caller(&team).unwrap();
    let s = Setup {
        _dir: dir,
        engine,
        team,
    };
    let spawned = |runner| {
        s.engine.team_spawn(
            &lead,
            &SpawnRequest {
                role: "implementer",
                runner,
                justification: Some("test"),
                ..Default::default()
            },
        )
    };
    let by_profile = spawned(None).unwrap();
    assert_eq!(row(&s, &by_profile).runner, "external");
    assert!(by_profile.env.is_some(), "the external runner's env");
    // A call that names a runner still gets it.
    let named = spawned(Some("sim")).unwrap();
    assert_eq!(row(&s, &named).runner, "sim");
}
