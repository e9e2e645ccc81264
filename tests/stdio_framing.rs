//! The real `serve-mcp` binary answers every line on stdin that it cannot take, as JSON-RPC
//! 2.0 requires, instead of leaving the caller waiting: parse errors with `"id": null`,
//! invalid requests with their id, bad params as -32602, and a line over 16 MiB with the id
//! read from its start. After each bad line the session still works.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codex-teams");

struct Server {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<Value>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(BIN)
            .arg("serve-mcp")
            .env("CODEX_TEAMS_HOME", dir.path())
            .env_remove("CODEX_TEAMS_DB")
            .env_remove("CODEX_TEAMS_TEAM_ID")
            .env_remove("CODEX_TEAMS_AGENT_ID")
            .env_remove("CODEX_TEAMS_AGENT_TOKEN")
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("server wrote a non-JSON line ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            replies,
            _dir: dir,
        };
        server.send(
            json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion":"2025-06-18","capabilities":{},
                "clientInfo":{"name":"framing-test","version":"1"}}})
            .to_string()
            .as_bytes(),
        );
        assert_eq!(server.reply()["id"], 0);
        server.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        server
    }

    fn send(&mut self, line: &[u8]) {
        self.stdin.write_all(line).expect("write line");
        self.stdin.write_all(b"\n").expect("write newline");
        self.stdin.flush().expect("flush");
    }

    fn reply(&self) -> Value {
        self.replies
            .recv_timeout(Duration::from_secs(20))
            .expect("the server did not answer within 20 s")
    }

    /// The session still answers a ping with `id`.
    fn still_alive(&mut self, id: i64) {
        self.send(
            json!({"jsonrpc":"2.0","id":id,"method":"ping"})
                .to_string()
                .as_bytes(),
        );
        let r = self.reply();
        assert_eq!(r["id"], id, "{r}");
        assert!(r.get("result").is_some(), "{r}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn error_of(r: &Value) -> (i64, Value) {
    assert_eq!(r["jsonrpc"], "2.0", "{r}");
    (
        r["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("not an error: {r}")),
        r.get("id")
            .cloned()
            .unwrap_or_else(|| panic!("error reply without `id`: {r}")),
    )
}

#[test]
fn every_bad_line_gets_an_answer_and_the_session_goes_on() {
    let mut server = Server::start();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let cases: Vec<(Vec<u8>, i64, Value)> = vec![
        (br#"{"jsonrpc":"2.0","id":920,"method":"ping""#.to_vec(), -32700, Value::Null),
        (b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":\"\xff\"}}".to_vec(), -32700, Value::Null),
        (b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":\"\x00\"}}".to_vec(), -32700, Value::Null),
        (br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":"\ud800"}}"#.to_vec(), -32700, Value::Null),
        (format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"a":{deep}}}}}"#).into_bytes(), -32700, Value::Null),
        (br#"{"jsonrpc":"2.0","id":3}"#.to_vec(), -32600, json!(3)),
        (br#"{"id":4,"method":"ping"}"#.to_vec(), -32600, json!(4)),
        (br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.to_vec(), -32600, Value::Null),
        (br#"{"jsonrpc":"2.0","id":5,"method":"tools/call"}"#.to_vec(), -32602, json!(5)),
        (br#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"team_status","arguments":[1]}}"#.to_vec(), -32602, json!(6)),
        (br#"{"jsonrpc":"2.0","id":8,"method":"no/such"}"#.to_vec(), -32601, json!(8)),
    ];
    for (i, (line, code, id)) in cases.into_iter().enumerate() {
        server.send(&line);
        let r = server.reply();
        assert_eq!(error_of(&r), (code, id), "case {i}: {r}");
        server.still_alive(1000 + i as i64);
    }
}

#[test]
fn a_line_over_16_mib_is_refused_with_its_id_without_ending_the_session() {
    let mut server = Server::start();
    let body = "x".repeat(20 * 1024 * 1024);
    let line = json!({"jsonrpc":"2.0","id":77,"method":"tools/call",
        "params":{"name":"team_send","arguments":{"to":"lead","body":body}}});
    server.send(line.to_string().as_bytes());
    let r = server.reply();
    assert_eq!(error_of(&r), (-32600, json!(77)), "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("16777216")),
        "{r}"
    );
    server.still_alive(78);
}
