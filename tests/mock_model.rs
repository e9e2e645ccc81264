//! End-to-end: the REAL Codex CLI against `codex-teams mock-model`, with the codex-teams
//! MCP server registered in a temporary CODEX_HOME. Proves that the lead path works through
//! Codex (team_start, one task_create batch, team_spawn, waiting, team_finalize), that a
//! prompt without the trigger phrase makes no tool call, that a worker-shaped session plays
//! the task loop (shell tool, artifacts, messages, task updates), and that the usage the mock
//! reports is the o200k_base count of the bodies Codex really sent.
//!
//! Codex is found by `tests/common/codex.rs` ($CODEX_TEAMS_CODEX, else the cache
//! `scripts/verify.sh` fills, else /work/.cache/codex, else `codex` on PATH); without one
//! these tests are skipped locally with a message, and FAIL when $CI is set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use codex_teams::engine::roles::Role;
use codex_teams::mcp::client::StdioClient;
use serde_json::{Value, json};

const EXE: &str = env!("CARGO_BIN_EXE_codex-teams");
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `codex-teams mock-model`; killed on drop.
struct Mock {
    child: Child,
    port: u16,
    log: PathBuf,
    bodies: PathBuf,
}

impl Mock {
    fn start(dir: &Path, plan: &str) -> Mock {
        let script_path = dir.join("plan.yaml");
        std::fs::write(&script_path, plan).unwrap();
        let log = dir.join("mock.log");
        let bodies = dir.join("bodies");
        let mut child = Command::new(EXE)
            .args(["mock-model", "--port", "0", "--log"])
            .arg(&log)
            .arg("--plan")
            .arg(&script_path)
            .arg("--capture-bodies")
            .arg(&bodies)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected first line from mock-model: {line:?}"))
            .parse()
            .unwrap();
        Mock {
            child,
            port,
            log,
            bodies,
        }
    }

    fn log_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn body(&self, n: u64) -> String {
        std::fs::read_to_string(codex_teams::bench::mock::server::captured_body_path(
            &self.bodies,
            n,
        ))
        .unwrap()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `$CODEX_HOME/config.toml`: the mock provider and the codex-teams server.
fn codex_home(dir: &Path, port: u16, server_env: &BTreeMap<String, String>) -> PathBuf {
    let home = dir.join("codex-home");
    std::fs::create_dir_all(&home).unwrap();
    let env = server_env
        .iter()
        .map(|(k, v)| format!("{k} = {}", toml_str(v)))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        r#"model = "mock-model"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:{port}/v1"
wire_api = "responses"
env_key = "MOCK_KEY"
supports_websockets = false

[mcp_servers.codex-teams]
command = {exe}
args = ["serve-mcp"]
default_tools_approval_mode = "approve"
env = {{ {env} }}
"#,
        exe = toml_str(EXE),
    );
    std::fs::write(home.join("config.toml"), config).unwrap();
    home
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

struct Run {
    events: Vec<Value>,
}

impl Run {
    fn items(&self, ty: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == ty)
            .map(|e| &e["item"])
            .collect()
    }

    fn tools(&self) -> Vec<(String, String)> {
        self.items("mcp_tool_call")
            .iter()
            .map(|i| {
                (
                    i["tool"].as_str().unwrap_or("").to_string(),
                    i["status"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    fn usage(&self) -> &Value {
        &self
            .events
            .iter()
            .rfind(|e| e["type"] == "turn.completed")
            .unwrap_or_else(|| panic!("no turn.completed: {:#?}", self.events))["usage"]
    }
}

/// Runs `codex exec --json` with a timeout; panics with its output on failure.
fn codex_exec(codex: &Path, home: &Path, cwd: &Path, extra: &[&str], prompt: &str) -> Run {
    let out_path = cwd.join("../codex.jsonl");
    let err_path = cwd.join("../codex.err");
    let mut cmd = Command::new(codex);
    cmd.arg("exec")
        .args(["--json", "--skip-git-repo-check"])
        .args(extra)
        .arg(prompt)
        .current_dir(cwd)
        .env("CODEX_HOME", home)
        .env("MOCK_KEY", "mock")
        .env_remove("CODEX_TEAMS_TEAM_ID")
        .env_remove("CODEX_TEAMS_AGENT_ID")
        .env_remove("CODEX_TEAMS_AGENT_TOKEN")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "codex exec timed out; stdout:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default(),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(
        status.success(),
        "codex exec failed ({status}); stdout:\n{stdout}\nstderr:\n{}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    Run {
        events: stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

/// The mock's usage must be the o200k count of the bodies it received, and Codex's turn
/// usage the sum over the turn's requests.
fn assert_real_usage(mock: &Mock, run: &Run) {
    let bpe = tiktoken_rs::o200k_base().unwrap();
    let lines = mock.log_lines();
    assert!(!lines.is_empty());
    let mut input = 0;
    let mut output = 0;
    let mut cached = 0;
    for line in &lines {
        let n = line["n"].as_u64().unwrap();
        let body = mock.body(n);
        let counted = bpe.encode_ordinary(&body).len() as u64;
        assert_eq!(line["input_tokens"].as_u64(), Some(counted), "request {n}");
        assert_eq!(line["bytes"].as_u64(), Some(body.len() as u64));
        input += counted;
        output += line["output_tokens"].as_u64().unwrap();
        // Cached input is part of the input: the prompt prefix shared with the session's
        // previous request (its first request has none).
        let c = line["cached_tokens"].as_u64().unwrap();
        assert!(c <= counted, "request {n}: {c} cached of {counted}");
        cached += c;
    }
    assert_eq!(lines[0]["cached_tokens"].as_u64(), Some(0));
    if lines.len() > 1 {
        assert!(cached > 0, "a session's later requests repeat its prefix");
    }
    let usage = run.usage();
    assert_eq!(usage["input_tokens"].as_u64(), Some(input), "{usage}");
    assert_eq!(usage["output_tokens"].as_u64(), Some(output), "{usage}");
    assert_eq!(
        usage["cached_input_tokens"].as_u64(),
        Some(cached),
        "{usage}"
    );
}

const LEAD_PLAN: &str = "\
runner: external
wait_ms: 100
max_wait_rounds: 2
tasks:
  - {key: fix, title: Fix off-by-one in paginate(), size: m}
  - {key: test, title: Regression test for the last page, size: s, deps: [fix]}
";

#[test]
fn lead_starts_a_team_creates_the_board_spawns_and_finalizes_through_real_codex() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let teams_home = tmp.path().join("teams");
    let db = teams_home.join("teams.db");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mock = Mock::start(tmp.path(), LEAD_PLAN);
    let env = BTreeMap::from([
        (
            "CODEX_TEAMS_HOME".to_string(),
            teams_home.display().to_string(),
        ),
        ("CODEX_TEAMS_DB".to_string(), db.display().to_string()),
    ]);
    let home = codex_home(tmp.path(), mock.port, &env);
    let run = codex_exec(
        &codex,
        &home,
        &work,
        &["-m", "mock-lead"],
        "use agents team: fix the pagination bug",
    );
    let tools = run.tools();
    let names: Vec<&str> = tools.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names.first(), Some(&"team_start"), "{tools:?}");
    // The board came with team_start (its tasks); the external runner's workers follow.
    assert!(!names.contains(&"task_create"), "{tools:?}");
    assert_eq!(names.get(1), Some(&"team_spawn"), "{tools:?}");
    assert!(names.contains(&"team_spawn"), "{tools:?}");
    // The lead waits (with the board's state in each wait), never polls the status.
    assert!(names.contains(&"team_pull_inbox"), "{tools:?}");
    assert!(!names.contains(&"team_status"), "{tools:?}");
    assert_eq!(names.last(), Some(&"team_finalize"), "{tools:?}");
    assert!(
        tools.iter().all(|(_, s)| s == "completed"),
        "every call succeeds: {tools:?}"
    );
    // The whole board went in with team_start.
    let started = run
        .items("mcp_tool_call")
        .into_iter()
        .find(|i| i["tool"] == "team_start")
        .unwrap()
        .clone();
    assert_eq!(
        started["arguments"]["tasks"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        started["result"]["structured_content"]["board"]["tasks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let messages = run.items("agent_message");
    assert!(
        messages.last().unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("finalized"),
        "{messages:?}"
    );

    // The store agrees: one finalized team with the two tasks and one worker.
    let out = Command::new(EXE)
        .args(["status", "--all", "--json"])
        .env("CODEX_TEAMS_HOME", &teams_home)
        .env("CODEX_TEAMS_DB", &db)
        .output()
        .unwrap();
    let teams = common::json_output("status", &out);
    let team = &teams[0];
    assert_eq!(teams.as_array().map(Vec::len), Some(1), "{teams}");
    assert_eq!(team["state"], "finalized");
    assert_eq!(team["goal"], "fix the pagination bug");
    assert_eq!(team["tasks"].as_array().map(Vec::len), Some(2));
    let workers: Vec<&Value> = team["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["role"] != "lead")
        .collect();
    assert_eq!(workers.len(), 1, "the planner recommends 1 for this board");

    // The requests: the model name, the namespace Codex derived from the server name.
    let first = mock.body(1);
    assert!(first.contains(r#""model":"mock-lead""#));
    let req: Value = serde_json::from_str(&first).unwrap();
    let ns = req["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["type"] == "namespace"
                && t["tools"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["name"] == "team_start"))
        })
        .unwrap();
    assert_eq!(ns["name"], "mcp__codex_teams");
    let lines = mock.log_lines();
    assert!(
        lines
            .iter()
            .all(|l| l["role"] == "lead" && l["model"] == "mock-lead")
    );
    assert_eq!(lines[0]["calls"][0]["namespace"], "mcp__codex_teams");
    eprintln!(
        "bare lead request: {} bytes, {} o200k tokens; lead run: {} requests, {} input tokens",
        lines[0]["bytes"],
        lines[0]["input_tokens"],
        lines.len(),
        run.usage()["input_tokens"]
    );
    assert_real_usage(&mock, &run);
}

#[test]
fn prompt_without_the_phrase_makes_no_tool_call() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let teams_home = tmp.path().join("teams");
    let db = teams_home.join("teams.db");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mock = Mock::start(tmp.path(), LEAD_PLAN);
    let env = BTreeMap::from([
        (
            "CODEX_TEAMS_HOME".to_string(),
            teams_home.display().to_string(),
        ),
        ("CODEX_TEAMS_DB".to_string(), db.display().to_string()),
    ]);
    let home = codex_home(tmp.path(), mock.port, &env);
    let run = codex_exec(
        &codex,
        &home,
        &work,
        &["-m", "mock-lead"],
        "explain what the pagination code does",
    );
    assert!(run.tools().is_empty(), "{:?}", run.tools());
    assert!(run.items("command_execution").is_empty());
    assert_eq!(run.items("agent_message").len(), 1);
    let lines = mock.log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["calls"], json!([]));
    assert_real_usage(&mock, &run);
    if db.exists() {
        let out = Command::new(EXE)
            .args(["status", "--all", "--json"])
            .env("CODEX_TEAMS_HOME", &teams_home)
            .env("CODEX_TEAMS_DB", &db)
            .output()
            .unwrap();
        let teams: Value = serde_json::from_slice(&out.stdout).unwrap_or(json!([]));
        assert_eq!(teams, json!([]), "no team was started");
    }
}

const WORKER_PLAN: &str = r#"
tasks:
  - key: fix
    title: Fix off-by-one in paginate()
    files:
      src/paginate.rs: "pub fn last_page(n: usize, per: usize) -> usize { n.div_ceil(per) }\n"
    publish: "paginate fixed: uses div_ceil (src/paginate.rs)"
    send: [{to: lead, body: "fix is in src/paginate.rs"}]
  - key: test
    title: Regression test for the last page
    size: s
    deps: [fix]
    files:
      tests/last_page.rs: "// it's the regression test\n"
"#;

#[test]
fn worker_plays_the_task_loop_through_real_codex() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let teams_home = tmp.path().join("teams");
    std::fs::create_dir_all(&teams_home).unwrap();
    let db = teams_home.join("teams.db");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();

    // The test is the lead (over the same stdio protocol Codex uses).
    let lead_env = BTreeMap::from([(
        "CODEX_TEAMS_HOME".to_string(),
        teams_home.display().to_string(),
    )]);
    let mut lead = StdioClient::spawn(Path::new(EXE), &db, &lead_env, Some(&work)).unwrap();
    let started = lead
        .call_ok("team_start", json!({"goal": "fix the pager"}))
        .unwrap();
    let team_id = started["team_id"].as_str().unwrap().to_string();
    lead.call_ok(
        "task_create",
        json!({"tasks": [
            {"key": "fix", "title": "Fix off-by-one in paginate()", "size": "m"},
            {"key": "test", "title": "Regression test for the last page", "size": "s", "deps": ["fix"]}
        ]}),
    )
    .unwrap();
    let spawned = lead
        .call_ok(
            "team_spawn",
            json!({"role": "implementer", "runner": "external", "brief": "Work the board."}),
        )
        .unwrap();
    let agent_id = spawned["agent_id"].as_str().unwrap().to_string();
    let mut env: BTreeMap<String, String> = serde_json::from_value(spawned["env"].clone()).unwrap();
    env.insert(
        "CODEX_TEAMS_HOME".to_string(),
        teams_home.display().to_string(),
    );

    let mock = Mock::start(tmp.path(), WORKER_PLAN);
    let home = codex_home(tmp.path(), mock.port, &env);
    let brief = Role::Implementer.brief(&team_id, &agent_id, "Work the board.", false);
    let run = codex_exec(
        &codex,
        &home,
        &work,
        &[
            "-m",
            "mock-worker",
            "-s",
            "workspace-write",
            "--disable",
            "multi_agent",
        ],
        &brief,
    );

    // Files were written by Codex's own shell tool, in the workspace.
    let shell = run.items("command_execution");
    assert_eq!(shell.len(), 2, "{shell:?}");
    assert!(shell.iter().all(|c| c["exit_code"] == 0), "{shell:?}");
    assert_eq!(
        std::fs::read_to_string(work.join("src/paginate.rs")).unwrap(),
        "pub fn last_page(n: usize, per: usize) -> usize { n.div_ceil(per) }\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("tests/last_page.rs")).unwrap(),
        "// it's the regression test\n"
    );
    // Every call succeeds, except that the engine may stop the worker as soon as the
    // board is done (idle shutdown): then the worker's next call is refused and it ends.
    let calls = run.items("mcp_tool_call");
    let tools = run.tools();
    let names: Vec<&str> = tools.iter().map(|(t, _)| t.as_str()).collect();
    let expected = [
        "task_claim",
        "artifact_publish",
        "team_send",
        "task_update",
        "team_pull_inbox",
        "task_claim",
        "artifact_read",
        // With nothing to send, the publish also closes the task (`task_id`).
        "artifact_publish",
    ];
    assert_eq!(
        &names[..expected.len().min(names.len())],
        &expected[..],
        "{tools:?}"
    );
    assert!(
        calls[..expected.len()]
            .iter()
            .all(|i| i["status"] == "completed"),
        "{calls:#?}"
    );
    match &calls[expected.len()..] {
        // The last publish closed the last task and found no next one: nothing more.
        [] => {
            let last = &calls[expected.len() - 1]["result"]["structured_content"];
            assert_eq!(last["done"]["status"], "done", "{last}");
            assert_eq!(last["next"]["claimed"], false, "{last}");
        }
        // Still live: pull, then a claim that finds no open task.
        [pull, claim] if pull["status"] == "completed" => {
            assert_eq!(
                (pull["tool"].as_str(), claim["tool"].as_str()),
                (Some("team_pull_inbox"), Some("task_claim"))
            );
            assert_eq!(
                claim["result"]["structured_content"]["claimed"], false,
                "{claim}"
            );
        }
        // Stopped by the engine once the board was done: one refused call, then the end.
        [refused] => {
            let msg = refused["result"]["structured_content"]["message"]
                .as_str()
                .unwrap_or("");
            assert!(msg.contains("stopped"), "{refused:#}");
        }
        other => panic!("unexpected tail: {other:#?}"),
    }
    assert!(
        run.items("agent_message").last().unwrap()["text"]
            .as_str()
            .unwrap()
            .starts_with("done: 2 task(s)")
    );

    // The board, the artifacts and the lead's inbox agree.
    let tasks = lead.call_ok("task_list", json!({})).unwrap();
    let tasks = tasks["tasks"].as_array().unwrap();
    assert!(tasks.iter().all(|t| t["status"] == "done"), "{tasks:?}");
    assert_eq!(tasks[0]["artifact"], "art:fix@1");
    assert_eq!(tasks[1]["artifact"], "art:test@1");
    let fix = lead
        .call_ok("artifact_read", json!({"ref": "art:fix@1"}))
        .unwrap();
    assert_eq!(
        fix["content"],
        "paginate fixed: uses div_ceil (src/paginate.rs)"
    );
    let test = lead
        .call_ok("artifact_read", json!({"ref": "art:test@1"}))
        .unwrap();
    assert!(
        test["content"]
            .as_str()
            .unwrap()
            .contains("Built on: art:fix@1"),
        "{test}"
    );
    let inbox = lead.call_ok("team_pull_inbox", json!({})).unwrap();
    assert_eq!(inbox["messages"][0]["body"], "fix is in src/paginate.rs");
    assert_eq!(inbox["messages"][0]["from"], agent_id.as_str());
    lead.call_ok("team_finalize", json!({"summary": "worker e2e"}))
        .unwrap();
    lead.close().unwrap();

    let lines = mock.log_lines();
    assert!(
        lines
            .iter()
            .all(|l| l["role"] == "worker" && l["agent_id"] == agent_id.as_str())
    );
    let first = mock.body(1);
    assert!(first.contains(r#""model":"mock-worker""#));
    assert!(
        !first.contains(r#""name":"team_start""#),
        "workers see the worker tool set"
    );
    eprintln!(
        "first worker request: {} bytes, {} o200k tokens; worker run: {} requests, {} input tokens",
        lines[0]["bytes"],
        lines[0]["input_tokens"],
        lines.len(),
        run.usage()["input_tokens"]
    );
    assert_real_usage(&mock, &run);
}
