//! A minimal HTTP/1.1 server on 127.0.0.1 that speaks just enough of the OpenAI Responses
//! API for Codex: `GET /v1/models` (an empty list) and `POST /v1/responses` (a
//! Server-Sent-Events reply made by [`brain::next`]). One thread per connection, several
//! requests per connection (keep-alive), `Content-Length` or chunked request bodies.
//!
//! Usage is real: `input_tokens` is the o200k_base token count of the raw request body and
//! `output_tokens` the count of what the mock emits (call arguments, message text).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use tiktoken_rs::CoreBPE;

use crate::mock::brain::{self, Item};
use crate::mock::plan::Plan;

/// Largest request body accepted (Codex sends ~40-200 KB; long histories grow).
const BODY_MAX: usize = 64 * 1024 * 1024;
/// Largest request head (request line + headers).
const HEAD_MAX: usize = 64 * 1024;
/// An idle keep-alive connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the server needs: the brain's plan, where to log, where to keep bodies.
pub struct MockConfig {
    pub plan: Plan,
    pub log: Option<PathBuf>,
    pub capture_dir: Option<PathBuf>,
}

/// Counts o200k_base tokens.
pub struct Tokenizer {
    bpe: CoreBPE,
}

impl Tokenizer {
    pub fn new() -> Result<Tokenizer> {
        let bpe = tiktoken_rs::o200k_base().map_err(|e| anyhow!("loading o200k_base: {e}"))?;
        Ok(Tokenizer { bpe })
    }

    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }
}

struct Shared {
    config: MockConfig,
    tokenizer: Tokenizer,
    log: Option<Mutex<File>>,
    requests: AtomicU64,
}

/// A running mock: its address, and the accept loop on a background thread.
pub struct MockServer {
    addr: SocketAddr,
}

impl MockServer {
    /// Binds 127.0.0.1:`port` (0 = any free port) and starts serving on a thread.
    pub fn start(port: u16, config: MockConfig) -> Result<MockServer> {
        let tokenizer = Tokenizer::new()?;
        let log = match &config.log {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                Some(Mutex::new(
                    OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .with_context(|| format!("opening the log {}", path.display()))?,
                ))
            }
            None => None,
        };
        if let Some(dir) = &config.capture_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the capture directory {}", dir.display()))?;
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("binding 127.0.0.1:{port}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let shared = Arc::new(Shared {
            config,
            tokenizer,
            log,
            requests: AtomicU64::new(0),
        });
        std::thread::Builder::new()
            .name("mock-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    match stream {
                        Ok(stream) => {
                            let shared = shared.clone();
                            let spawned = std::thread::Builder::new()
                                .name("mock-conn".into())
                                .spawn(move || {
                                    if let Err(err) = serve_connection(stream, &shared) {
                                        eprintln!("mock-model: connection ended: {err:#}");
                                    }
                                });
                            if let Err(err) = spawned {
                                eprintln!("mock-model: cannot start a connection thread: {err}");
                            }
                        }
                        Err(err) => eprintln!("mock-model: accept failed: {err}"),
                    }
                }
            })
            .context("starting the accept thread")?;
        Ok(MockServer { addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one line (CRLF or LF), refusing heads larger than `HEAD_MAX`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Option<String>> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(anyhow!("request head over {HEAD_MAX} bytes"));
    }
    *budget -= n;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Reads the next request, or None when the client closed the connection between requests.
fn read_request(reader: &mut impl BufRead) -> Result<Option<Request>> {
    let mut budget = HEAD_MAX;
    let start = loop {
        match read_line(reader, &mut budget)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue, // stray CRLF between requests
            Some(l) => break l,
        }
    };
    let mut parts = start.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?
            .ok_or_else(|| anyhow!("connection closed inside the request head"))?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut b = HEAD_MAX;
            let size_line = read_line(reader, &mut b)?
                .ok_or_else(|| anyhow!("connection closed inside a chunked body"))?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| anyhow!("bad chunk size `{size_line}`"))?;
            if size == 0 {
                // Trailers until the empty line.
                while read_line(reader, &mut b)?.is_some_and(|l| !l.is_empty()) {}
                break;
            }
            if req.body.len() + size > BODY_MAX {
                return Err(anyhow!("request body over {BODY_MAX} bytes"));
            }
            let at = req.body.len();
            req.body.resize(at + size, 0);
            reader.read_exact(&mut req.body[at..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| anyhow!("bad Content-Length `{len}`"))?;
        if len > BODY_MAX {
            return Err(anyhow!("request body of {len} bytes is over {BODY_MAX}"));
        }
        req.body.resize(len, 0);
        reader.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

fn write_response(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &[u8],
    close: bool,
) -> Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: {}\r\n\r\n",
        body.len(),
        if close { "close" } else { "keep-alive" }
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()?;
    Ok(())
}

fn serve_connection(stream: TcpStream, shared: &Shared) -> Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let req = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(err) => {
                let _ = write_response(
                    &mut writer,
                    "400 Bad Request",
                    "text/plain",
                    format!("{err}\n").as_bytes(),
                    true,
                );
                return Err(err);
            }
        };
        let close = req.wants_close();
        let path = req.path.split('?').next().unwrap_or("");
        match (req.method.as_str(), path) {
            ("GET", p) if p.ends_with("/models") => {
                write_response(
                    &mut writer,
                    "200 OK",
                    "application/json",
                    br#"{"object":"list","data":[],"models":[]}"#,
                    close,
                )?;
            }
            ("POST", p) if p.ends_with("/responses") => {
                let (status, ctype, body) = respond(&req, shared);
                write_response(&mut writer, status, ctype, body.as_bytes(), close)?;
            }
            (method, p) => {
                eprintln!("mock-model: {method} {p}: not found");
                write_response(
                    &mut writer,
                    "404 Not Found",
                    "application/json",
                    br#"{"error":{"message":"the mock serves GET /v1/models and POST /v1/responses"}}"#,
                    close,
                )?;
            }
        }
        if close {
            return Ok(());
        }
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn sse(out: &mut String, event: &str, data: &Value) {
    out.push_str("event: ");
    out.push_str(event);
    out.push_str("\ndata: ");
    out.push_str(&data.to_string());
    out.push_str("\n\n");
}

/// Answers one `POST /v1/responses`: runs the brain, counts tokens, logs, builds the SSE.
fn respond(req: &Request, shared: &Shared) -> (&'static str, &'static str, String) {
    let n = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(enc) = req
        .header("content-encoding")
        .filter(|e| !e.eq_ignore_ascii_case("identity"))
    {
        eprintln!(
            "mock-model: request {n} uses Content-Encoding {enc}, which the mock does not decode"
        );
        return (
            "415 Unsupported Media Type",
            "application/json",
            json!({"error": {"message": format!("content-encoding {enc} is not supported by the mock")}})
                .to_string(),
        );
    }
    let raw = String::from_utf8_lossy(&req.body);
    if let Some(dir) = &shared.config.capture_dir {
        let path = captured_body_path(dir, n);
        if let Err(err) = std::fs::write(&path, &req.body) {
            eprintln!("mock-model: cannot store {}: {err}", path.display());
        }
    }
    let request: Value = match serde_json::from_str(&raw) {
        Ok(v) => v,
        Err(err) => {
            eprintln!("mock-model: request {n} is not JSON: {err}");
            return (
                "400 Bad Request",
                "application/json",
                json!({"error": {"message": format!("request body is not JSON: {err}")}})
                    .to_string(),
            );
        }
    };
    let input_tokens = shared.tokenizer.count(&raw);
    let reply = brain::next(&request, &shared.config.plan);
    if let Some(delay) = reply.delay {
        // Paced mode: one connection per thread, so only this worker waits.
        std::thread::sleep(delay);
    }
    let output_tokens: usize = reply
        .items
        .iter()
        .map(|i| shared.tokenizer.count(&i.emitted_text()))
        .sum();
    let rid = format!("resp_{n}");
    let mut out = String::new();
    sse(
        &mut out,
        "response.created",
        &json!({"type": "response.created", "response": {"id": rid}}),
    );
    for (i, item) in reply.items.iter().enumerate() {
        sse(
            &mut out,
            "response.output_item.done",
            &json!({"type": "response.output_item.done", "output_index": i, "item": item.to_json(n as usize * 100 + i)}),
        );
    }
    sse(
        &mut out,
        "response.completed",
        &json!({"type": "response.completed", "response": {"id": rid, "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens
        }}}),
    );
    let calls: Vec<Value> = reply
        .items
        .iter()
        .filter_map(|i| match i {
            Item::FunctionCall {
                name,
                namespace,
                arguments,
                ..
            } => Some(json!({"name": name, "namespace": namespace, "arguments": arguments})),
            Item::Message { .. } => None,
        })
        .collect();
    let message = reply.items.iter().find_map(|i| match i {
        Item::Message { text } => Some(text.clone()),
        _ => None,
    });
    let line = json!({
        "time_ms": now_ms(),
        "n": n,
        "model": request.get("model").and_then(Value::as_str),
        "role": reply.who.label(),
        "agent_id": reply.who.agent_id(),
        "bytes": req.body.len(),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "calls": calls,
        "message": message,
    });
    if let Some(log) = &shared.log
        && let Ok(mut f) = log.lock()
        && let Err(err) = writeln!(f, "{line}")
    {
        eprintln!("mock-model: cannot write the request log: {err}");
    }
    ("200 OK", "text/event-stream", out)
}

/// Where bodies of request `n` are stored by `--capture-bodies DIR`.
pub fn captured_body_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("req-{n:06}.json"))
}
