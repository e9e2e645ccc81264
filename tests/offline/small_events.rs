//! Events stay small (issue 10.2): on a 10,000-task board no event row, no line of the
//! team's log file and no stderr line exceeds 16 KB, and stderr carries no event payloads
//! unless the user asks for them (`CODEX_TEAMS_LOG` / `RUST_LOG`).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use codex_teams::mcp::client::StdioClient;
use serde_json::json;

const LIMIT: usize = 16 * 1024;
const SIZES: [&str; 3] = ["s", "m", "l"];

#[test]
fn no_event_or_log_line_grows_with_a_10000_task_board() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("teams.db");
    let exe = assert_cmd::cargo::cargo_bin("codex-teams");
    let mut env = BTreeMap::new();
    env.insert(
        "CODEX_TEAMS_HOME".to_string(),
        home.path().display().to_string(),
    );
    let stderr_path = home.path().join("stderr.log");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut lead =
        StdioClient::spawn_with_stderr(&exe, &db, &env, None, stderr.into()).expect("serve-mcp");
    let started = lead
        .call_ok("team_start", json!({ "goal": "a very large board" }))
        .expect("team_start");
    let team = started["team_id"].as_str().expect("team id").to_string();
    let t = Instant::now();
    for batch in 0..200 {
        // Chains of five inside each batch, so the graph has depth as well as width.
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let deps = if i % 5 == 0 {
                    vec![]
                } else {
                    vec![format!("k{}", i - 1)]
                };
                json!({ "key": format!("k{i}"), "title": format!("task {batch}.{i}"),
                        "detail": "x".repeat(200), "deps": deps, "size": SIZES[i % 3] })
            })
            .collect();
        lead.call_ok("task_create", json!({ "tasks": tasks }))
            .expect("task_create");
    }
    eprintln!("10,000 tasks created in {:?}", t.elapsed());
    std::thread::sleep(Duration::from_millis(700)); // one housekeeping tick
    let status = lead.call_ok("team_status", json!({})).expect("status");
    assert_eq!(
        status["tasks"]["ready"].as_i64().unwrap_or(0)
            + status["tasks"]["blocked"].as_i64().unwrap_or(0),
        10_000,
        "{status}"
    );
    lead.call_ok("task_list", json!({})).expect("task_list");
    lead.call_ok("team_finalize", json!({ "summary": "done" }))
        .expect("finalize");
    lead.close().expect("close");

    let c = rusqlite::Connection::open(&db).expect("db");
    let (largest, kind): (i64, String) = c
        .query_row(
            "SELECT length(data), kind FROM events ORDER BY length(data) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("largest event");
    assert!(largest <= LIMIT as i64, "{kind} event of {largest} bytes");
    let recommendations: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'fanout.recommended'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert!(
        recommendations >= 1,
        "the planner's decisions are still recorded"
    );

    let log = home.path().join("logs").join(format!("{team}.jsonl"));
    let mut lines = 0;
    for line in std::io::BufReader::new(std::fs::File::open(&log).expect("team log")).lines() {
        let line = line.expect("line");
        assert!(line.len() <= LIMIT, "team log line of {} bytes", line.len());
        lines += 1;
    }
    assert!(
        lines > 10_000,
        "the team log has every event ({lines} lines)"
    );
    let stderr = std::fs::read_to_string(&stderr_path).expect("stderr");
    for line in stderr.lines() {
        assert!(line.len() <= LIMIT, "stderr line of {} bytes", line.len());
    }
    assert!(
        !stderr.contains("fanout.recommended") && !stderr.contains("task.created"),
        "stderr carries event payloads by default: {}",
        &stderr[..stderr.len().min(500)]
    );
}
