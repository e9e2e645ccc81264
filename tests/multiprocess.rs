//! Multi-process tests against the real binary: several `codex-teams` processes share one
//! SQLite file, exactly as one `serve-mcp` per Codex process does. Each test talks to the
//! servers through `StdioClient`, the same line-delimited JSON-RPC Codex sends.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

mod common;

use codex_teams::mcp::client::StdioClient;
use common::home::TempHome;
use common::{exe, str_of};
use serde_json::{Value, json};

/// A started team: its lead and the credentials of its workers.
struct Team {
    lead: StdioClient,
    workers: Vec<Worker>,
}

struct Worker {
    agent_id: String,
    credentials: BTreeMap<String, String>,
}

fn start_team(home: &TempHome, profile: Option<&str>, workers: usize) -> Team {
    let mut lead = home.lead();
    let mut args = json!({ "goal": "multi-process test" });
    if let Some(p) = profile {
        args["profile"] = json!(p);
    }
    let started = lead.call_ok("team_start", args).expect("team_start");
    assert_eq!(started["resumed"], json!(false));
    let workers = (0..workers)
        .map(|_| {
            let spawned = lead
                .call_ok(
                    "team_spawn",
                    json!({ "role": "implementer", "justification": "multi-process test", "runner": "external" }),
                )
                .expect("team_spawn");
            Worker {
                agent_id: str_of(&spawned, "agent_id"),
                credentials: serde_json::from_value(spawned["env"].clone())
                    .expect("team_spawn returns an env for the external runner"),
            }
        })
        .collect();
    Team { lead, workers }
}

/// Pulls (acknowledging `ack`) with a long-poll.
fn pull(client: &mut StdioClient, ack: &[String], wait_ms: u64) -> Value {
    client
        .call_ok("team_pull_inbox", json!({ "ack": ack, "wait_ms": wait_ms }))
        .expect("team_pull_inbox")
}

fn messages(inbox: &Value) -> Vec<Value> {
    inbox["messages"].as_array().cloned().unwrap_or_default()
}

#[test]
fn fresh_database_opened_by_8_processes_at_once() {
    let home = TempHome::flat("state/teams.db");
    assert!(!home.db.exists());
    let barrier = Arc::new(Barrier::new(8));
    let home = Arc::new(home);
    // Half open the fresh file through `init`, half as MCP servers that then start a team.
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let barrier = barrier.clone();
            let home = home.clone();
            std::thread::spawn(move || -> String {
                barrier.wait();
                if i % 2 == 0 {
                    let out = std::process::Command::new(exe())
                        .args(["--db"])
                        .arg(&home.db)
                        .args(["init", "--json"])
                        .envs(home.env())
                        .output()
                        .expect("run init");
                    assert!(
                        out.status.success(),
                        "init {i} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let v: Value = serde_json::from_slice(&out.stdout).expect("init --json");
                    assert_eq!(v["db"], json!(home.db));
                    String::new()
                } else {
                    let mut lead = home.lead();
                    let started = lead
                        .call_ok("team_start", json!({ "goal": format!("opener {i}") }))
                        .expect("team_start");
                    let status = lead.call_ok("team_status", json!({})).expect("status");
                    assert_eq!(status["team_id"], started["team_id"]);
                    lead.close().expect("close");
                    str_of(&started, "team_id")
                }
            })
        })
        .collect();
    let teams: HashSet<String> = threads
        .into_iter()
        .map(|t| t.join().expect("opener thread"))
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(teams.len(), 4);

    let conn = rusqlite::Connection::open(&home.db).expect("open db");
    let migrations: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
            .expect("migrations dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with('V') && n.ends_with(".sql"))
            .collect();
    let history: Vec<(i64, String)> = conn
        .prepare("SELECT version, name FROM refinery_schema_history ORDER BY version")
        .expect("history table")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query history")
        .collect::<Result<_, _>>()
        .expect("history rows");
    assert_eq!(
        history.len(),
        migrations.len(),
        "one history row per migration, applied once: {history:?}"
    );
    let versions: HashSet<i64> = history.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions.len(), history.len(), "no migration recorded twice");
    for table in [
        "teams",
        "agents",
        "messages",
        "deliveries",
        "tasks",
        "task_deps",
        "artifacts",
        "events",
    ] {
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .expect("sqlite_master");
        assert_eq!(n, 1, "table {table} exists");
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode.to_ascii_lowercase(), "wal");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM teams", [], |r| r.get(0))
        .expect("teams");
    assert_eq!(stored, 4);
}

#[test]
fn claim_is_exclusive_across_processes() {
    const WORKERS: usize = 6;
    const ROUNDS: usize = 10;
    let home = TempHome::flat("state/teams.db");
    let mut team = start_team(&home, None, WORKERS);
    let tasks: Vec<Value> = (0..ROUNDS)
        .map(|i| json!({ "title": format!("contested task {i}") }))
        .collect();
    let created = team
        .lead
        .call_ok("task_create", json!({ "tasks": tasks }))
        .expect("task_create");
    let task_ids: Arc<Vec<String>> = Arc::new(
        created["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| str_of(t, "task_id"))
            .collect(),
    );
    assert_eq!(task_ids.len(), ROUNDS);

    let barrier = Arc::new(Barrier::new(WORKERS));
    let threads: Vec<_> = team
        .workers
        .iter()
        .map(|w| {
            let mut client = home.serve(&w.credentials);
            let agent = w.agent_id.clone();
            let barrier = barrier.clone();
            let task_ids = task_ids.clone();
            std::thread::spawn(move || {
                let outcomes: Vec<(String, Result<Value, Value>)> = task_ids
                    .iter()
                    .map(|task| {
                        barrier.wait();
                        let outcome = client
                            .call("task_claim", json!({ "task_id": task }))
                            .expect("task_claim round trip");
                        (agent.clone(), outcome)
                    })
                    .collect();
                client.close().expect("close worker");
                outcomes
            })
        })
        .collect();
    let per_worker: Vec<Vec<(String, Result<Value, Value>)>> = threads
        .into_iter()
        .map(|t| t.join().expect("claimer thread"))
        .collect();

    for (round, task) in task_ids.iter().enumerate() {
        let outcomes: Vec<&(String, Result<Value, Value>)> =
            per_worker.iter().map(|w| &w[round]).collect();
        let winners: Vec<&(String, Result<Value, Value>)> = outcomes
            .iter()
            .copied()
            .filter(|(_, o)| o.as_ref().is_ok_and(|v| v["claimed"] == json!(true)))
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one winner: {outcomes:?}"
        );
        let (winner, won) = winners[0];
        let won = won.as_ref().expect("winner is Ok");
        assert_eq!(won["task_id"], json!(task));
        for (agent, outcome) in outcomes.iter().copied() {
            if agent == winner {
                continue;
            }
            let err = outcome
                .as_ref()
                .expect_err("every loser gets an error, not a second claim");
            assert_eq!(err["error"], json!("conflict"), "round {round}: {err}");
            assert_eq!(
                err["details"]["holder"],
                json!(winner),
                "round {round}: the loser is told who holds the task: {err}"
            );
        }
    }

    let listed = team
        .lead
        .call_ok("task_list", json!({}))
        .expect("task_list");
    for t in listed["tasks"].as_array().expect("tasks") {
        assert_eq!(t["status"], json!("claimed"), "{t}");
    }
    team.lead.close().expect("close lead");
}

#[test]
fn killed_worker_gets_unacked_messages_back_after_restart() {
    let home = TempHome::flat("state/teams.db");
    let profiles = home.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("profiles dir");
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/default.team.yaml"),
    )
    .expect("default profile");
    let quick = default
        .replace("name: default", "name: quick")
        .replace("inbox_lease_ms: 30000", "inbox_lease_ms: 500");
    assert!(quick.contains("name: quick") && quick.contains("inbox_lease_ms: 500"));
    std::fs::write(profiles.join("quick.team.yaml"), quick).expect("write profile");

    let mut team = start_team(&home, Some("quick"), 1);
    let worker = team.workers.remove(0);
    let mut client = home.serve(&worker.credentials);
    let mut sent = HashSet::new();
    for i in 0..5 {
        let s = team
            .lead
            .call_ok(
                "team_send",
                json!({ "to": worker.agent_id, "body": format!("message {i}") }),
            )
            .expect("team_send");
        sent.insert(str_of(&s, "message_id"));
    }

    // First delivery, never acknowledged.
    let mut first = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.len() < 5 && Instant::now() < deadline {
        for m in messages(&pull(&mut client, &[], 1000)) {
            assert_eq!(m["delivery_count"], json!(1), "{m}");
            first.insert(str_of(&m, "message_id"));
        }
    }
    assert_eq!(first, sent);
    client.kill().expect("SIGKILL the worker");

    // A new server for the same agent gets all five back once the lease runs out.
    let mut client = home.serve(&worker.credentials);
    let mut again = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while again.len() < 5 && Instant::now() < deadline {
        for m in messages(&pull(&mut client, &[], 2000)) {
            again.insert(str_of(&m, "message_id"), m);
        }
    }
    assert_eq!(again.keys().cloned().collect::<HashSet<_>>(), sent);
    for m in again.values() {
        assert_eq!(m["delivery_count"], json!(2), "redelivered once: {m}");
    }

    let ids: Vec<String> = again.keys().cloned().collect();
    let acked = client
        .call_ok("team_pull_inbox", json!({ "ack": ids }))
        .expect("ack");
    assert_eq!(acked["acked"], json!(5));
    // Wait past the 500 ms lease: nothing acknowledged comes back.
    let after = pull(&mut client, &[], 1500);
    assert_eq!(messages(&after), Vec::<Value>::new(), "{after}");
    client.close().expect("close worker");
    team.lead.close().expect("close lead");
}

#[test]
fn seven_processes_send_500_messages_each_without_loss_or_duplicates() {
    const PER_SENDER: usize = 500;
    let home = TempHome::flat("state/teams.db");
    let team = start_team(&home, None, 6);
    let Team { lead, workers } = team;
    let first_worker = workers[0].agent_id.clone();

    // Every worker sends to the lead; the lead sends to the first worker. Each receiver
    // drains its inbox as soon as its own sends are done, while others are still sending.
    let mut expected: HashMap<String, HashSet<String>> = HashMap::new();
    let mut senders: Vec<(String, String, StdioClient)> = Vec::new();
    let lead_name = "lead".to_string();
    expected.insert(first_worker.clone(), HashSet::new());
    expected.insert(lead_name.clone(), HashSet::new());
    for i in 0..PER_SENDER {
        expected
            .get_mut(&first_worker)
            .expect("first worker")
            .insert(format!("lead/{i}"));
    }
    senders.push((lead_name.clone(), first_worker.clone(), lead));
    for w in &workers {
        for i in 0..PER_SENDER {
            expected
                .get_mut(&lead_name)
                .expect("lead")
                .insert(format!("{}/{i}", w.agent_id));
        }
        senders.push((
            w.agent_id.clone(),
            "lead".into(),
            home.serve(&w.credentials),
        ));
    }
    let expected = Arc::new(expected);

    let barrier = Arc::new(Barrier::new(senders.len()));
    let started = Instant::now();
    let threads: Vec<_> = senders
        .into_iter()
        .map(|(me, to, mut client)| {
            let barrier = barrier.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..PER_SENDER {
                    let body = format!("{}/{i}", if me == "lead" { "lead" } else { &me });
                    client
                        .call_ok("team_send", json!({ "to": to, "body": body }))
                        .expect("team_send");
                }
                if let Some(want) = expected.get(&me) {
                    drain(&mut client, &me, want);
                }
                client.close().expect("close");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("sender thread");
    }
    eprintln!(
        "7 x {PER_SENDER} sends and drains took {:?}",
        started.elapsed()
    );
}

/// Pulls with acknowledgement until every body in `want` arrived. Asserts no body arrives
/// under two message ids, nothing arrives that was not sent to `me`, and no acknowledged
/// id is ever delivered again.
fn drain(client: &mut StdioClient, me: &str, want: &HashSet<String>) {
    let mut bodies: HashMap<String, String> = HashMap::new(); // body -> message id
    let mut acked: HashSet<String> = HashSet::new();
    let mut to_ack: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while bodies.len() < want.len() {
        assert!(
            Instant::now() < deadline,
            "{me}: only {} of {} messages arrived",
            bodies.len(),
            want.len()
        );
        let inbox = pull(client, &to_ack, 1000);
        assert_eq!(inbox["acked"], json!(to_ack.len()), "{me}: {inbox}");
        acked.extend(to_ack.drain(..));
        for m in messages(&inbox) {
            let id = str_of(&m, "message_id");
            let body = str_of(&m, "body");
            assert!(!acked.contains(&id), "{me}: acked {id} delivered again");
            assert!(want.contains(&body), "{me}: unexpected body {body}");
            assert_eq!(m["delivery_count"], json!(1), "{me}: {m}");
            if let Some(previous) = bodies.insert(body.clone(), id.clone()) {
                panic!("{me}: body {body} arrived as {previous} and as {id}");
            }
            to_ack.push(id);
        }
    }
    let last = pull(client, &to_ack, 0);
    assert_eq!(last["acked"], json!(to_ack.len()));
    acked.extend(to_ack.drain(..));
    assert_eq!(messages(&last), Vec::<Value>::new(), "{me}: {last}");
    assert_eq!(acked.len(), want.len());
}

/// One `token_usage_record` line of a Codex rollout file, as 0.169.0 writes it.
fn usage_record(turn: &str, n: usize, input: u64, output: u64) -> String {
    let line = json!({"timestamp": "2026-12-02T07:13:58.702Z", "type": "token_usage_record",
        "payload": {"turn_id": turn, "response_id": format!("resp_{n}"),
            "usage": {"input_tokens": input, "cached_input_tokens": 0, "output_tokens": output,
                      "reasoning_output_tokens": 0, "total_tokens": input + output}}});
    format!("{line}\n")
}

fn turn_context(turn: &str) -> String {
    format!(
        "{}\n",
        json!({"type": "turn_context", "payload": {"turn_id": turn}})
    )
}

#[test]
fn a_leads_requests_are_charged_once_however_many_servers_read_its_rollout_file() {
    use std::io::Write;
    let home = TempHome::flat("state/teams.db");
    let codex_home = home.path().join("codex-home");
    let thread = "01a2359a-5c61-7ee1-a9ee-ef6d5e228c6a";
    let day = codex_home.join("sessions/2026/12/02");
    std::fs::create_dir_all(&day).unwrap();
    let rollout = day.join(format!("rollout-2026-12-02T07-13-58-{thread}.jsonl"));
    // An earlier turn of the same session (not team work), then the turn that starts the team.
    std::fs::write(
        &rollout,
        [
            turn_context("turn-0"),
            usage_record("turn-0", 0, 50_000, 5),
            turn_context("turn-1"),
            usage_record("turn-1", 1, 1_000, 10),
        ]
        .concat(),
    )
    .unwrap();
    let meta = json!({"x-codex-turn-metadata": {"thread_id": thread, "turn_id": "turn-1"}});
    let mut env = home.env();
    env.insert("CODEX_HOME".into(), codex_home.display().to_string());
    let spawn = || StdioClient::spawn(exe(), &home.db, &env, Some(home.path())).unwrap();

    let mut first = spawn();
    let started = first
        .call_with_meta("team_start", json!({"goal": "metering"}), Some(&meta))
        .unwrap()
        .unwrap();
    let team = str_of(&started, "team_id");
    let secret = str_of(&started, "lead_secret");
    // Four more lead servers pick the same team up (restarted leads), all reading the same
    // session's file while Codex keeps appending to it, a line at a time in two writes.
    let readers: Vec<StdioClient> = (0..4)
        .map(|_| {
            let mut lead = spawn();
            lead.call_with_meta(
                "team_start",
                json!({"goal": "metering", "team_id": team, "lead_secret": secret}),
                Some(&meta),
            )
            .unwrap()
            .unwrap();
            lead
        })
        .collect();
    const MORE: usize = 200;
    let writer = {
        let rollout = rollout.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&rollout)
                .unwrap();
            for n in 2..MORE + 2 {
                let line = usage_record("turn-1", n, 1_000 + n as u64, 10);
                let (a, b) = line.split_at(line.len() / 2);
                file.write_all(a.as_bytes()).unwrap();
                file.flush().unwrap();
                std::thread::sleep(Duration::from_millis(1));
                file.write_all(b.as_bytes()).unwrap();
                file.flush().unwrap();
            }
        })
    };
    let handles: Vec<_> = readers
        .into_iter()
        .map(|mut lead| {
            let meta = meta.clone();
            std::thread::spawn(move || {
                for _ in 0..40 {
                    lead.call_with_meta("team_status", json!({}), Some(&meta))
                        .unwrap()
                        .unwrap();
                }
                lead.close().unwrap();
            })
        })
        .collect();
    writer.join().unwrap();
    for h in handles {
        h.join().unwrap();
    }
    let status = first
        .call_with_meta("team_status", json!({}), Some(&meta))
        .unwrap()
        .unwrap();
    let expected: i64 = (1..MORE + 2)
        .map(|n| if n == 1 { 1_010 } else { 1_010 + n as i64 })
        .sum();
    assert_eq!(status["tokens"]["total"], json!(expected), "{status}");
    let lead = status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "lead")
        .unwrap();
    assert_eq!(lead["tokens"], json!(expected));
    first.close().unwrap();
    // One charge per request, each once: replay re-adds them and finds the same total.
    let out = std::process::Command::new(exe())
        .arg("--db")
        .arg(&home.db)
        .args(["replay", &team, "--json"])
        .output()
        .unwrap();
    let replay = common::json_output("replay", &out);
    assert_eq!(replay["tokens"]["requests"], json!(MORE + 1));
    assert_eq!(replay["tokens"]["lead"], json!(expected));
    let ids: HashSet<&str> = replay["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "tokens.used")
        .filter_map(|e| e["data"]["response_id"].as_str())
        .collect();
    assert_eq!(ids.len(), MORE + 1, "every response charged once");
    assert!(
        !ids.contains("resp_0"),
        "the turn before the team is not charged"
    );
}
