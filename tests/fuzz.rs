//! Fuzz targets, run by proptest on stable Rust for a bounded time each:
//! - the stdio framing (`mcp::framing::check`): any bytes get a JSON-RPC answer or pass to
//!   rmcp, never a panic, and every answer is a well-formed error;
//! - every tool's argument decoding and validation, through a real lead server on a
//!   temporary store: any JSON arguments get a result or a coded tool error, never a panic.
//!
//! `CODEX_TEAMS_FUZZ_SECONDS` sets each target's time budget (default 2; scripts/verify.sh
//! gives more). The corpus in tests/fuzz_corpus/ (seed inputs that once broke something or
//! sit on an edge) runs first, every time; a failure proptest finds is shrunk and saved to
//! tests/fuzz_corpus/*.regressions, which is replayed first on the next run: commit it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_teams::engine::Engine;
use codex_teams::mcp::framing::{Line, MAX_LINE, Verdict, check};
use codex_teams::mcp::tools::TOOLS;
use codex_teams::mcp::{Identity, TeamServer};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde_json::{Map, Value, json};

fn budget() -> Duration {
    let secs = std::env::var("CODEX_TEAMS_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(2);
    Duration::from_secs(secs)
}

fn corpus(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(dir)
}

/// Runs `strategy` against `test` in batches until the time budget is spent.
fn run_for<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let regressions: &'static str = Box::leak(
        corpus(&format!("{name}.regressions"))
            .display()
            .to_string()
            .into_boxed_str(),
    );
    let deadline = Instant::now() + budget();
    let mut batches = 0u32;
    loop {
        // A runner counts its successes for life: a fresh one (a fresh random seed) per
        // batch of 64 cases.
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz target {name} failed: {e}");
        }
        batches += 1;
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!(
        "fuzz target {name}: {} cases in {:?}",
        batches * 64,
        budget()
    );
}

fn assert_well_formed_error(reply: &Value) -> Result<(), TestCaseError> {
    prop_assert_eq!(&reply["jsonrpc"], "2.0");
    prop_assert!(reply.get("id").is_some(), "no id member: {}", reply);
    let id = &reply["id"];
    prop_assert!(
        id.is_null() || id.is_string() || id.is_i64() || id.is_u64(),
        "{}",
        reply
    );
    let code = reply["error"]["code"].as_i64().unwrap_or_default();
    prop_assert!([-32700, -32600, -32602].contains(&code), "{}", reply);
    prop_assert!(
        reply["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    Ok(())
}

fn check_line(bytes: &[u8]) -> Result<(), TestCaseError> {
    match check(&Line::Whole(bytes.to_vec())) {
        Verdict::Reply(reply) => assert_well_formed_error(&reply),
        Verdict::Forward => {
            // What passes must be JSON an rmcp server can read.
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            prop_assert!(serde_json::from_slice::<Value>(text).is_ok());
            Ok(())
        }
        Verdict::Skip => Ok(()),
    }
}

/// Lines near the protocol: JSON-RPC envelopes with random parts, and random bytes.
fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    let id = prop_oneof![
        Just(json!(null)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,8}".prop_map(|s| json!(s)),
        Just(json!({"a": 1})),
    ];
    let method = prop_oneof![
        Just("ping".to_string()),
        Just("initialize".to_string()),
        Just("tools/list".to_string()),
        Just("tools/call".to_string()),
        Just("notifications/cancelled".to_string()),
        "[a-z/]{0,12}",
    ];
    let envelope = (
        proptest::option::of(id),
        proptest::option::of(method),
        json_value(),
        any::<bool>(),
    )
        .prop_map(|(id, method, params, jsonrpc)| {
            let mut m = Map::new();
            if jsonrpc {
                m.insert("jsonrpc".into(), json!("2.0"));
            }
            if let Some(id) = id {
                m.insert("id".into(), id);
            }
            if let Some(method) = method {
                m.insert("method".into(), json!(method));
            }
            m.insert("params".into(), params);
            Value::Object(m).to_string().into_bytes()
        });
    let envelope = envelope.boxed();
    let cut = (envelope.clone(), any::<prop::sample::Index>()).prop_map(|(line, at)| {
        let at = at.index(line.len().max(1));
        line[..at].to_vec()
    });
    prop_oneof![
        4 => envelope,
        2 => cut,
        2 => proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// Arbitrary JSON whose object keys are mostly the tools' real argument names, so decoding
/// gets past the first field.
fn json_value() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "team_id",
        "task_id",
        "title",
        "tasks",
        "deps",
        "size",
        "role",
        "body",
        "to",
        "ack",
        "max",
        "wait_ms",
        "name",
        "content",
        "parent",
        "ref",
        "goal",
        "profile",
        "brief",
        "runner",
        "status",
        "artifact",
        "decision_id",
        "choice",
        "candidates",
        "mode",
        "summary",
        "idempotency_key",
        "priority",
        "detail",
        "resume",
        "rationale",
        "note",
        "question",
        "justification",
        "model",
        "version",
        "key",
        "spawn",
        "cursor",
        "limit",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
        prop::sample::select(vec![
            "s",
            "m",
            "l",
            "lead",
            "implementer",
            "done",
            "ready",
            "art:a@1",
            "consensus",
            "external",
            ""
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => "[a-z_]{1,8}"], inner),
                0..5
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

#[test]
fn fuzz_stdio_framing() {
    // The corpus first: every seed must get a well-formed answer.
    let mut seeds = 0;
    for entry in std::fs::read_dir(corpus("framing")).expect("framing corpus") {
        let path = entry.expect("corpus entry").path();
        let bytes = std::fs::read(&path).expect("read seed");
        if let Err(e) = check_line(&bytes) {
            panic!("corpus seed {} failed: {e}", path.display());
        }
        seeds += 1;
    }
    assert!(seeds >= 10, "the framing corpus has {seeds} seeds");
    // An oversize line, whatever its start.
    let start = br#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"#.to_vec();
    match check(&Line::Oversize {
        start,
        len: MAX_LINE + 1,
    }) {
        Verdict::Reply(r) => {
            assert_eq!(r["id"], 9);
            assert_eq!(r["error"]["code"], -32600);
        }
        other => panic!("oversize line not answered: {other:?}"),
    }
    run_for("framing", line_strategy(), |line| check_line(&line));
}

#[test]
fn fuzz_tool_arguments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Arc::new(Engine::open(&dir.path().join("teams.db"), dir.path()).expect("engine"));
    let server = TeamServer::new(
        engine,
        Identity::Lead(Default::default()),
        Some(dir.path().to_path_buf()),
    )
    .expect("lead server");
    let codes = [
        "invalid_argument",
        "not_found",
        "forbidden",
        "conflict",
        "limit",
        "config",
        "store",
        "io",
        "integrity",
    ];
    let mut names: Vec<String> = TOOLS.iter().map(|t| t.name.to_string()).collect();
    names.push("no_such_tool".into());
    let strategy = (prop::sample::select(names), json_value());
    run_for("tool-arguments", strategy, |(tool, mut args)| {
        // A live team to call into (a fuzzed team_finalize may have ended the last one).
        if server.call_blocking("team_status", json!({})).is_err() {
            server
                .call_blocking("team_start", json!({ "goal": "fuzz" }))
                .map_err(|e| TestCaseError::fail(format!("team_start: {e}")))?;
        }
        if let Value::Object(map) = &mut args {
            // No real Codex processes and no long waits from a fuzzer.
            if tool == "team_spawn" {
                map.insert("runner".into(), json!("external"));
            }
            if map.contains_key("wait_ms") {
                map.insert("wait_ms".into(), json!(0));
            }
            if tool == "task_create" {
                map.remove("spawn");
            }
        }
        match server.call_blocking(&tool, args) {
            Ok(v) => prop_assert!(v.is_object(), "{tool}: {v}"),
            Err(e) => {
                let code = e["error"].as_str().unwrap_or_default();
                prop_assert!(codes.contains(&code), "{tool}: uncoded error {e}");
                prop_assert!(
                    e["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{tool}: {e}"
                );
            }
        }
        Ok(())
    });
}
