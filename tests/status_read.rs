//! Status is a read (issue 10.1, 11.4): `team_status` changes nothing but the caller's own
//! heartbeat, and answers quickly while housekeeping is stopping a worker; housekeeping (the
//! server's ticker) sweeps a dead `external` worker out of its slot.

use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use codex_teams::engine::Engine;
use codex_teams::engine::board::NewTask;
use codex_teams::engine::ids::TeamId;
use codex_teams::engine::team::SpawnRequest;
use rusqlite::Connection;

fn open(home: &std::path::Path) -> (Engine, TeamId) {
    let engine = Engine::open(&home.join("teams.db"), home).expect("engine");
    let started = engine
        .team_start("status is a read", Some("default"), None, None)
        .expect("start");
    let team = TeamId::parse("team", &started.team_id).expect("team id");
    (engine, team)
}

fn task(title: &str) -> NewTask {
    serde_json::from_value(serde_json::json!({ "title": title })).expect("task")
}

/// Everything a status call must not change: tasks, agents (except heartbeats), events,
/// messages.
fn snapshot(db: &std::path::Path) -> (String, String, i64, i64) {
    let c = Connection::open(db).expect("db");
    let tasks: String = c
        .query_row(
            "SELECT COALESCE(group_concat(task_id || status || COALESCE(owner, '') || version || COALESCE(leased_until, 0), ','), '') FROM tasks",
            [],
            |r| r.get(0),
        )
        .expect("tasks");
    let agents: String = c
        .query_row(
            "SELECT group_concat(agent_id || state || COALESCE(stop_reason, '') || tokens_input, ',') FROM agents",
            [],
            |r| r.get(0),
        )
        .expect("agents");
    let events: i64 = c
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .expect("events");
    let messages: i64 = c
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .expect("messages");
    (tasks, agents, events, messages)
}

#[test]
fn team_status_changes_nothing_and_answers_while_a_stop_is_in_progress() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("teams.db");
    let (engine, team) = open(home.path());
    let lead = engine.lead_caller(&team).expect("lead");
    engine
        .task_create(&lead, &[task("a"), task("b")])
        .expect("tasks");
    let spawned = engine
        .team_spawn(
            &lead,
            &SpawnRequest {
                role: "implementer",
                runner: Some("external"),
                ..Default::default()
            },
        )
        .expect("spawn");
    // The worker's process ignores SIGTERM, so stopping it waits out the whole grace period;
    // and it has been silent for longer than the idle timeout, so housekeeping stops it.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "trap '' TERM; sleep 30"])
        .process_group(0)
        .spawn()
        .expect("sh");
    Connection::open(&db)
        .expect("db")
        .execute(
            "UPDATE agents SET runner = 'codex-exec', pid = ?1, state = 'active', last_activity_at = 0
             WHERE agent_id = ?2",
            rusqlite::params![child.id(), spawned.agent_id],
        )
        .expect("idle worker");
    engine.refresh_board(&team).expect("settle the board cache");

    let before = snapshot(&db);
    for _ in 0..20 {
        let status = engine.team_status(&lead).expect("status");
        assert_eq!(status.tasks.ready, 2);
        assert_eq!(
            status
                .agents
                .iter()
                .filter(|a| a.state.as_str() == "active")
                .count(),
            2
        );
    }
    assert_eq!(before, snapshot(&db), "team_status wrote something");

    // Housekeeping (the server's ticker) stops the idle worker; the stop is in progress for
    // about 3 s, and status keeps answering.
    let hk_engine = Engine::open(&db, home.path()).expect("engine");
    let hk_team = team.clone();
    let housekeeping = std::thread::spawn(move || {
        let t = Instant::now();
        let done = hk_engine.housekeeping(&hk_team).expect("housekeeping");
        (done, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut slowest = Duration::ZERO;
    let mut calls = 0;
    while !housekeeping.is_finished() {
        let t = Instant::now();
        engine.team_status(&lead).expect("status during a stop");
        slowest = slowest.max(t.elapsed());
        calls += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let (done, took) = housekeeping.join().expect("join");
    assert_eq!(done.idle_stopped, vec![spawned.agent_id.clone()]);
    assert!(took >= Duration::from_secs(2), "the stop waited {took:?}");
    // Status never waited for the stop: it answered again and again while the stop waited
    // out its grace period (a status that blocked on it would answer once or twice, each
    // call taking about as long as the stop). How fast it answers is the engine
    // benchmark's figure (docs/performance.md), not a timed assertion here.
    assert!(calls >= 20, "{calls} status calls during the stop");
    assert!(
        slowest * 4 < took,
        "slowest status {slowest:?} against a stop of {took:?}"
    );
    let status = engine.team_status(&lead).expect("status");
    let worker = status
        .agents
        .iter()
        .find(|a| a.agent_id == spawned.agent_id)
        .expect("worker listed");
    assert_eq!(worker.state.as_str(), "stopped");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_dead_external_worker_loses_its_slot_and_its_claim() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("teams.db");
    let (engine, team) = open(home.path());
    let lead = engine.lead_caller(&team).expect("lead");
    engine.task_create(&lead, &[task("a")]).expect("tasks");
    let mut workers = Vec::new();
    for _ in 0..6 {
        let spawned = engine
            .team_spawn(
                &lead,
                &SpawnRequest {
                    role: "implementer",
                    runner: Some("external"),
                    justification: Some("test: fill the cap"),
                    ..Default::default()
                },
            )
            .expect("spawn");
        workers.push(spawned.agent_id);
    }
    // The first worker claimed the task and was killed: no call since, lease long expired.
    let c = Connection::open(&db).expect("db");
    c.execute(
        "UPDATE tasks SET status = 'claimed', owner = ?1, leased_until = 1, version = version + 1",
        [&workers[0]],
    )
    .expect("claim");
    c.execute(
        "UPDATE agents SET state = 'active', last_activity_at = 0 WHERE agent_id = ?1",
        [&workers[0]],
    )
    .expect("silent");
    let seventh = SpawnRequest {
        role: "implementer",
        runner: Some("external"),
        justification: Some("test: replace the dead one"),
        ..Default::default()
    };
    assert!(
        engine.team_spawn(&lead, &seventh).is_err(),
        "the cap holds while the dead worker counts"
    );
    let done = engine.housekeeping(&team).expect("housekeeping");
    assert_eq!(done.dead, vec![workers[0].clone()]);
    let status = engine.team_status(&lead).expect("status");
    let dead = status
        .agents
        .iter()
        .find(|a| a.agent_id == workers[0])
        .expect("listed");
    assert_eq!(dead.state.as_str(), "dead");
    assert_eq!(status.tasks.ready, 1, "its claim went back to the board");
    engine
        .team_spawn(&lead, &seventh)
        .expect("a new spawn is not refused by the cap");
}

#[test]
fn task_list_pages_with_cursor_and_limit_and_says_how_many_more() {
    let home = tempfile::tempdir().expect("tempdir");
    let (engine, team) = open(home.path());
    let lead = engine.lead_caller(&team).expect("lead");
    for b in 0..3 {
        let batch: Vec<NewTask> = (0..40).map(|i| task(&format!("t{}", b * 40 + i))).collect();
        engine.task_create(&lead, &batch).expect("tasks");
    }

    let first = engine.task_list(&lead, None, None, None).expect("page 1");
    assert_eq!(first.tasks.len(), 50, "default page");
    assert_eq!(first.more, 70);
    assert_eq!(first.tasks[0].title, "t0");
    let second = engine
        .task_list(&lead, None, first.next_cursor.as_deref(), Some(60))
        .expect("page 2");
    assert_eq!(second.tasks.len(), 60);
    assert_eq!(second.tasks[0].title, "t50");
    assert_eq!(second.more, 10);
    let last = engine
        .task_list(&lead, None, second.next_cursor.as_deref(), Some(60))
        .expect("page 3");
    assert_eq!(last.tasks.len(), 10);
    assert_eq!((last.more, last.next_cursor.as_deref()), (0, None));

    // A filter pages too, and counts only what matches.
    let ready = engine
        .task_list(&lead, Some("ready"), None, Some(100))
        .expect("ready");
    assert_eq!((ready.tasks.len(), ready.more), (100, 20));
    assert!(
        engine
            .task_list(&lead, Some("done"), None, None)
            .expect("done")
            .tasks
            .is_empty()
    );

    // Bad input names the field and what is valid.
    let err = engine
        .task_list(&lead, None, Some("abc"), None)
        .expect_err("bad cursor")
        .to_string();
    assert!(
        err.contains("cursor") && err.contains("next_cursor"),
        "{err}"
    );
    let err = engine
        .task_list(&lead, None, None, Some(0))
        .expect_err("bad limit")
        .to_string();
    assert!(err.contains("limit") && err.contains("1 to 500"), "{err}");
    assert_eq!(engine.task_list_all(&lead).expect("all").len(), 120);
}

#[test]
fn activity_the_supervisor_sees_extends_the_lease_of_a_live_worker_only() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("teams.db");
    let (engine, team) = open(home.path());
    let lead = engine.lead_caller(&team).expect("lead");
    engine
        .task_create(&lead, &[task("slow build"), task("abandoned")])
        .expect("tasks");
    let mut agents = Vec::new();
    for _ in 0..2 {
        let spawned = engine
            .team_spawn(
                &lead,
                &SpawnRequest {
                    role: "implementer",
                    runner: Some("external"),
                    justification: Some("test: two workers"),
                    ..Default::default()
                },
            )
            .expect("spawn");
        agents.push(spawned.agent_id);
    }
    let now = codex_teams::engine::store::now_ms();
    let c = Connection::open(&db).expect("db");
    // Worker 0 holds "slow build" with 2 s of lease left; worker 1 held "abandoned", whose
    // lease ran out a second ago.
    for (title, agent, lease) in [
        ("slow build", &agents[0], now + 2_000),
        ("abandoned", &agents[1], now - 1_000),
    ] {
        c.execute(
            "UPDATE tasks SET status = 'claimed', owner = ?1, leased_until = ?2,
                              version = version + 1 WHERE title = ?3",
            rusqlite::params![agent, lease, title],
        )
        .expect("claim");
    }
    // The codex-exec supervisor sees JSONL events from both processes.
    for agent in &agents {
        let id = codex_teams::engine::ids::AgentId::parse("agent", agent).expect("agent id");
        engine.record_activity(&id).expect("activity");
    }
    let lease = |title: &str| -> i64 {
        c.query_row(
            "SELECT COALESCE(leased_until, 0) FROM tasks WHERE title = ?1",
            [title],
            |r| r.get(0),
        )
        .expect("lease")
    };
    let lease_ms = 600_000; // the default profile's leases.task_lease_ms
    assert!(
        lease("slow build") >= now + lease_ms - 5_000,
        "the alive worker's lease was extended"
    );
    assert!(lease("abandoned") < now, "an expired lease is not revived");
    engine.housekeeping(&team).expect("housekeeping");
    let page = engine.task_list(&lead, None, None, None).expect("list");
    let status = |title: &str| {
        page.tasks
            .iter()
            .find(|t| t.title == title)
            .map(|t| t.status.to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("slow build"), "claimed");
    assert_eq!(
        status("abandoned"),
        "ready",
        "the silent worker lost its task"
    );
}
