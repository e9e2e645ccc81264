//! The adversarial pass of the hardening issue, kept as tests on real `serve-mcp`
//! processes sharing one database: `kill -9` at random moments during confirmed sends and
//! during artifact publishes (nothing confirmed is lost, nothing is stored twice, nothing is
//! corrupt), several lead processes spawning into one team at once (the 6-worker cap
//! holds), and a disk that fills up (errors, never a crash or a damaged store).
//!
//! The figures default to the (about 180 kills over 30,000 sends, 225 kills over
//! 2,000 publishes); `CODEX_TEAMS_CHAOS_SCALE` (a fraction, e.g. 0.1) shrinks them.

use std::collections::{BTreeMap, HashMap, HashSet};

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

mod common;

use codex_teams::mcp::client::StdioClient;
use common::exe;
use common::home::TempHome;
use rand::Rng;
use serde_json::json;

fn scaled(n: usize) -> usize {
    let scale = std::env::var("CODEX_TEAMS_CHAOS_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    ((n as f64 * scale).round() as usize).max(1)
}

/// Starts a team with `workers` external workers; returns the lead, the team id (with the
/// lead secret after a space) and the workers' credentials.
fn team(home: &TempHome, workers: usize) -> (StdioClient, String, Vec<BTreeMap<String, String>>) {
    let mut lead = home.lead();
    let started = lead
        .call_ok("team_start", json!({ "goal": "chaos" }))
        .expect("team_start");
    let team_id = format!(
        "{} {}",
        started["team_id"].as_str().expect("team id"),
        started["lead_secret"].as_str().expect("lead secret")
    );
    let creds = (0..workers)
        .map(|_| {
            let spawned = lead
                .call_ok(
                    "team_spawn",
                    json!({ "role": "implementer", "runner": "external", "justification": "chaos test" }),
                )
                .expect("team_spawn");
            serde_json::from_value(spawned["env"].clone()).expect("worker env")
        })
        .collect();
    (lead, team_id, creds)
}

/// Kills a random one of `pids` with SIGKILL every few milliseconds until `done`, at most
/// `kills` times; returns how many it killed.
fn killer(
    pids: Arc<Mutex<Vec<u32>>>,
    done: Arc<AtomicBool>,
    kills: usize,
    every: Duration,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut rng = rand::rng();
        let mut killed = 0;
        while killed < kills && !done.load(Ordering::Relaxed) {
            let jitter = rng.random_range(0..=every.as_millis() as u64 * 2);
            std::thread::sleep(Duration::from_millis(jitter));
            let pid = {
                let pids = pids.lock().expect("pids");
                if pids.is_empty() {
                    continue;
                }
                pids[rng.random_range(0..pids.len())]
            };
            // A child of this test; 0 (not started yet) is never signalled.
            if codex_teams::platform::signal(pid, libc::SIGKILL) {
                killed += 1;
            }
        }
        killed
    })
}

/// How many calls were confirmed, how many servers the killer ended, how many restarts.
struct UnderFire<T> {
    confirmed: Vec<T>,
    killed: usize,
    restarts: u32,
}

/// Each worker (one thread and one `serve-mcp` of its own per credential) makes `per_worker`
/// calls `call(client, worker, i)` while a killer SIGKILLs a random server about every
/// `every`, at most `kills` times. `call` returns the confirmed result, or None when its
/// server died mid-call: the same call is then made again on a restarted server (what a
/// real caller's retry does).
fn under_fire<T: Send + 'static>(
    home: &TempHome,
    creds: Vec<BTreeMap<String, String>>,
    per_worker: usize,
    kills: usize,
    every: Duration,
    call: fn(&mut StdioClient, usize, usize) -> Option<T>,
) -> UnderFire<T> {
    let pids = Arc::new(Mutex::new(vec![0u32; creds.len()]));
    let done = Arc::new(AtomicBool::new(false));
    let restarts = Arc::new(AtomicU32::new(0));
    let killer = killer(pids.clone(), done.clone(), kills, every);
    let workers: Vec<_> = creds
        .into_iter()
        .enumerate()
        .map(|(n, cred)| {
            let (pids, restarts) = (pids.clone(), restarts.clone());
            let (db, cwd) = (home.db.clone(), home.path().to_path_buf());
            let mut env = home.env();
            env.extend(cred);
            std::thread::spawn(move || {
                let start = || StdioClient::spawn(exe(), &db, &env, Some(&cwd)).expect("restart");
                let mut client = start();
                pids.lock().expect("pids")[n] = client.pid();
                let mut confirmed = Vec::new();
                let mut i = 0;
                while i < per_worker {
                    match call(&mut client, n, i) {
                        Some(result) => {
                            confirmed.push(result);
                            i += 1;
                        }
                        None => {
                            let _ = client.kill();
                            client = start();
                            pids.lock().expect("pids")[n] = client.pid();
                            restarts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                pids.lock().expect("pids")[n] = 0;
                let _ = client.close();
                confirmed
            })
        })
        .collect();
    let mut confirmed = Vec::new();
    for w in workers {
        confirmed.extend(w.join().expect("worker thread"));
    }
    done.store(true, Ordering::Relaxed);
    UnderFire {
        confirmed,
        killed: killer.join().expect("killer"),
        restarts: restarts.load(Ordering::Relaxed),
    }
}

#[test]
fn kill_9_during_confirmed_sends_loses_nothing_and_stores_nothing_twice() {
    let kills = scaled(180);
    let home = TempHome::flat("teams.db");
    let (mut lead, _team, creds) = team(&home, 4);
    let run = under_fire(
        &home,
        creds,
        scaled(7_700),
        kills,
        Duration::from_millis(60),
        |client, n, i| {
            let body = format!("s{n}/{i}");
            let sent = json!({ "to": "lead", "body": body, "idempotency_key": body });
            match client.call("team_send", sent) {
                Ok(Ok(_)) => Some(body),
                Ok(Err(e)) => panic!("team_send refused {body}: {e}"),
                // Killed mid-call: the same key is sent again after the restart.
                Err(_) => None,
            }
        },
    );
    let confirmed: HashSet<String> = run.confirmed.into_iter().collect();
    // Drain: every confirmed body exactly once.
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut ack: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(Instant::now() < deadline, "drain stalled at {}", seen.len());
        let inbox = lead
            .call_ok("team_pull_inbox", json!({ "ack": ack, "wait_ms": 0 }))
            .expect("pull");
        ack.clear();
        let msgs = inbox["messages"].as_array().cloned().unwrap_or_default();
        if msgs.is_empty() {
            break;
        }
        for m in msgs {
            let id = m["message_id"].as_str().unwrap_or_default().to_string();
            let body = m["body"].as_str().unwrap_or_default().to_string();
            if let Some(first) = seen.insert(body.clone(), id.clone()) {
                assert_eq!(first, id, "{body} stored twice");
            }
            ack.push(id);
        }
    }
    lead.call_ok("team_pull_inbox", json!({ "ack": ack, "wait_ms": 0 }))
        .expect("last ack");
    let missing: Vec<_> = confirmed
        .iter()
        .filter(|b| !seen.contains_key(*b))
        .collect();
    assert!(
        missing.is_empty(),
        "{} confirmed sends lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    eprintln!(
        "{} confirmed sends, {} kill -9, {} restarts: none lost, none twice",
        confirmed.len(),
        run.killed,
        run.restarts
    );
    assert!(
        run.killed >= kills / 2,
        "only {} kills happened",
        run.killed
    );
}

#[test]
fn kill_9_during_artifact_publishes_keeps_every_confirmed_version_intact() {
    let kills = scaled(225);
    let home = TempHome::flat("teams.db");
    let (mut lead, _team, creds) = team(&home, 3);
    let run = under_fire(
        &home,
        creds,
        scaled(700),
        kills,
        Duration::from_millis(20),
        |client, n, i| {
            let name = format!("p{n}-{i}");
            let content = format!("{name}\n{}", "payload ".repeat(i % 50 + 1));
            match client.call(
                "artifact_publish",
                json!({ "name": name, "content": content }),
            ) {
                Ok(Ok(v)) => Some((v["ref"].as_str().unwrap_or_default().to_string(), content)),
                // Stored before the kill: the retry is told it exists; that version must
                // read back whole.
                Ok(Err(e)) if e["error"] == "conflict" => Some((format!("art:{name}@1"), content)),
                Ok(Err(e)) => panic!("artifact_publish refused {name}: {e}"),
                Err(_) => None,
            }
        },
    );
    for (reference, content) in &run.confirmed {
        let read = lead
            .call_ok("artifact_read", json!({ "ref": reference }))
            .unwrap_or_else(|e| panic!("{reference} unreadable: {e}"));
        assert_eq!(
            read["content"].as_str(),
            Some(content.as_str()),
            "{reference}"
        );
    }
    eprintln!(
        "{} confirmed publishes, {} kill -9: every one intact",
        run.confirmed.len(),
        run.killed
    );
    assert!(
        run.killed >= kills / 2,
        "only {} kills happened",
        run.killed
    );
}

#[test]
fn leads_spawning_into_one_team_at_once_never_pass_six_live_workers() {
    for leads in 2..=4 {
        let home = TempHome::flat("teams.db");
        let (mut first, team_id, _) = team(&home, 0);
        let barrier = Arc::new(Barrier::new(leads));
        let spawned: Vec<_> = (0..leads)
            .map(|_| {
                let barrier = barrier.clone();
                let (db, env, cwd) = (home.db.clone(), home.env(), home.path().to_path_buf());
                let (team_id, secret) = team_id.split_once(' ').map(|(t, s)| (t.to_string(), s.to_string())).expect("id and secret");
                std::thread::spawn(move || {
                    let mut lead = StdioClient::spawn(exe(), &db, &env, Some(&cwd)).expect("lead");
                    lead.call_ok(
                        "team_start",
                        json!({ "goal": "chaos", "team_id": team_id, "lead_secret": secret }),
                    )
                    .expect("resume");
                    barrier.wait();
                    let mut ok = 0;
                    for _ in 0..4 {
                        match lead.call(
                            "team_spawn",
                            json!({ "role": "implementer", "runner": "external", "justification": "race" }),
                        ) {
                            Ok(Ok(_)) => ok += 1,
                            Ok(Err(e)) => assert_eq!(e["error"], "limit", "{e}"),
                            Err(e) => panic!("lead died: {e}"),
                        }
                    }
                    let _ = lead.close();
                    ok
                })
            })
            .collect();
        let total: usize = spawned
            .into_iter()
            .map(|t| t.join().expect("lead thread"))
            .sum();
        assert_eq!(
            total, 6,
            "{leads} leads spawned {total} workers into one team"
        );
        let status = first.call_ok("team_status", json!({})).expect("status");
        let live = status["agents"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x["role"] != "lead" && x["state"] == "active")
                    .count()
            })
            .unwrap_or(0);
        assert!(live <= 6, "{status}");
    }
}

/// A server whose files may not grow past `bytes` (RLIMIT_FSIZE, SIGXFSZ ignored): the
/// store meets a full disk.
fn limited_server(home: &TempHome, bytes: u64, extra: &BTreeMap<String, String>) -> StdioClient {
    let script = home.path().join("limited.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntrap '' XFSZ\nulimit -f {}\nexec '{}' \"$@\"\n",
            bytes / 512,
            exe().display()
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    home.spawn(&script, extra)
}

#[test]
fn a_full_disk_answers_errors_and_leaves_the_store_whole() {
    let home = TempHome::flat("teams.db");
    let (mut lead, _team, creds) = team(&home, 1);
    lead.call_ok("task_create", json!({ "title": "survive a full disk" }))
        .expect("task");
    let current = std::fs::metadata(&home.db).map(|m| m.len()).unwrap_or(0);
    let mut worker = limited_server(&home, current + 2 * 1024 * 1024, &creds[0]);
    let mut confirmed = Vec::new();
    let mut refused = None;
    for i in 0..400 {
        let name = format!("big-{i}");
        let content = format!("{name}{}", "x".repeat(64 * 1024));
        match worker.call(
            "artifact_publish",
            json!({ "name": name, "content": content }),
        ) {
            Ok(Ok(v)) => {
                confirmed.push((v["ref"].as_str().unwrap_or_default().to_string(), content))
            }
            Ok(Err(e)) => {
                refused = Some(e);
                break;
            }
            Err(e) => panic!("the server died on a full disk after {i} publishes: {e}"),
        }
    }
    let refused = refused.expect("the disk never filled");
    assert!(
        ["store", "io"].contains(&refused["error"].as_str().unwrap_or_default()),
        "{refused}"
    );
    // Still answering, and everything confirmed is intact.
    worker
        .call_ok("team_status", json!({}))
        .expect("status after a full disk");
    let _ = worker.close();
    for (reference, content) in &confirmed {
        let read = lead
            .call_ok("artifact_read", json!({ "ref": reference }))
            .expect("read");
        assert_eq!(
            read["content"].as_str(),
            Some(content.as_str()),
            "{reference}"
        );
    }
    let _ = lead.close();
    let conn = rusqlite::Connection::open(&home.db).expect("open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    eprintln!(
        "{} publishes confirmed before the disk filled; then: {}",
        confirmed.len(),
        refused["error"]
    );
}
