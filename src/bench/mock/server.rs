//! A minimal HTTP/1.1 server on 127.0.0.1 that speaks just enough of the OpenAI Responses
//! API for Codex: `GET /v1/models` (an empty list) and `POST /v1/responses` (a
//! Server-Sent-Events reply made by [`brain::next`]). One thread per connection, several
//! requests per connection (keep-alive), `Content-Length` or chunked request bodies.
//!
//! Usage is real: `input_tokens` is the o200k_base token count of the raw request body and
//! `output_tokens` the count of what the mock emits (call arguments, message text).
//! `cached_tokens` is what a provider's prompt cache would serve: the o200k tokens of the
//! prompt prefix this request shares with the previous request of the same
//! `prompt_cache_key` — of its own thread, when threads share a key (see [`PromptCache`]).

use std::collections::{HashMap, VecDeque};
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

use crate::bench::mock::brain::{self, Item};
use crate::bench::mock::script::Script;

/// Largest request body accepted (Codex sends ~40-200 KB; long histories grow).
const BODY_MAX: usize = 64 * 1024 * 1024;
/// Largest request head (request line + headers).
const HEAD_MAX: usize = 64 * 1024;
/// An idle keep-alive connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the server needs: the brain's script, where to log, where to keep bodies.
pub struct MockConfig {
    pub script: Script,
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

    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.bpe.encode_ordinary(text)
    }
}

/// Cached input the way providers report it: a request's prompt is rendered in the order a
/// provider feeds it to the model (tools, then the conversation items in order), and the
/// tokens it shares as a prefix with the previous request of the same `prompt_cache_key`
/// are cached. A request without a key, or the first of its key, has nothing cached.
///
/// Codex's own sub-agents send their parent's key (the session id), so one key can carry
/// several threads whose requests interleave. A provider's cache holds several prefixes
/// per key, so each thread still finds its own previous prompt there: the cached part is
/// the longest prefix shared with any of the key's last [`PromptCache::RECENT`] prompts.
/// With one thread per key (the lead, each codex-teams worker) that is exactly the
/// previous request.
#[derive(Default)]
pub struct PromptCache {
    last: Mutex<HashMap<String, VecDeque<Vec<u32>>>>,
}

impl PromptCache {
    /// Prompts remembered per key.
    pub const RECENT: usize = 8;

    /// The prompt as the cache sees it: tools first, then each input item, in order.
    pub fn render(request: &Value) -> String {
        let mut out = request
            .get("tools")
            .map(Value::to_string)
            .unwrap_or_default();
        if let Some(items) = request.get("input").and_then(Value::as_array) {
            for item in items {
                out.push('\n');
                out.push_str(&item.to_string());
            }
        }
        out
    }

    /// The cached tokens of `request` (at most `input_tokens`), remembering its prompt as
    /// the latest of its key.
    pub fn cached(&self, tokenizer: &Tokenizer, request: &Value, input_tokens: usize) -> usize {
        let Some(key) = request
            .get("prompt_cache_key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        else {
            return 0;
        };
        let tokens = tokenizer.encode(&Self::render(request));
        let Ok(mut last) = self.last.lock() else {
            return 0;
        };
        let recent = last.entry(key.to_string()).or_default();
        let shared = recent
            .iter()
            .map(|prev| {
                prev.iter()
                    .zip(tokens.iter())
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if recent.len() >= Self::RECENT {
            recent.pop_front();
        }
        recent.push_back(tokens);
        shared.min(input_tokens)
    }
}

struct Shared {
    config: MockConfig,
    tokenizer: Tokenizer,
    log: Option<Mutex<File>>,
    requests: AtomicU64,
    cache: PromptCache,
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
            cache: PromptCache::default(),
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
    let cached_tokens = shared
        .cache
        .cached(&shared.tokenizer, &request, input_tokens);
    let reply = brain::next(&request, &shared.config.script);
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
            "input_tokens_details": {"cached_tokens": cached_tokens},
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
        "cached_tokens": cached_tokens,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: Option<&str>, items: &[&str]) -> Value {
        let input: Vec<Value> = items
            .iter()
            .map(|t| json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]}))
            .collect();
        let mut r = json!({
            "model": "m",
            "input": input,
            "tools": [{"type": "function", "name": "exec_command", "parameters": {"type": "object"}}],
        });
        if let Some(k) = key {
            r["prompt_cache_key"] = json!(k);
        }
        r
    }

    #[test]
    fn cached_input_is_the_prefix_shared_with_the_previous_request_of_the_same_key() {
        let tok = Tokenizer::new().unwrap_or_else(|e| panic!("{e:#}"));
        let cache = PromptCache::default();
        let first = request(Some("a"), &["hello there, do the work"]);
        assert_eq!(cache.cached(&tok, &first, 10_000), 0, "first of its key");
        let first_len = tok.count(&PromptCache::render(&first));
        let second = request(Some("a"), &["hello there, do the work", "tool output"]);
        let cached = cache.cached(&tok, &second, 10_000);
        assert!(
            cached > first_len - 3 && cached <= first_len,
            "{cached} of {first_len}"
        );
        // The same prompt again: all of it is cached.
        let whole = tok.count(&PromptCache::render(&second));
        assert_eq!(cache.cached(&tok, &second, 10_000), whole);
        // Another key has its own history; no key caches nothing.
        assert_eq!(
            cache.cached(&tok, &request(Some("b"), &["hello"]), 10_000),
            0
        );
        assert_eq!(cache.cached(&tok, &request(None, &["hello"]), 10_000), 0);
        // An edit early in the prompt ends the shared prefix there.
        let edited = request(Some("a"), &["goodbye there, do the work", "tool output"]);
        let after_edit = cache.cached(&tok, &edited, 10_000);
        assert!(after_edit < cached, "{after_edit} vs {cached}");
        // Two threads on one key (Codex's sub-agents share their parent's): each finds its
        // own previous prompt.
        let lead = request(
            Some("s"),
            &["lead prompt, a long one with many words in it"],
        );
        let sub = request(Some("s"), &["a sub-agent's very different task text"]);
        cache.cached(&tok, &lead, 10_000);
        cache.cached(&tok, &sub, 10_000);
        let lead_next = request(
            Some("s"),
            &["lead prompt, a long one with many words in it", "result"],
        );
        let lead_len = tok.count(&PromptCache::render(&lead));
        assert!(cache.cached(&tok, &lead_next, 10_000) > lead_len - 3);
        // Never more than the request's own input count.
        assert_eq!(cache.cached(&tok, &edited, 5), 5);
    }
}
