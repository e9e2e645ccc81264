//! The stdio framing of `serve-mcp`, owned here rather than left to rmcp: one JSON-RPC
//! message per line, and every line that is not a message the server can take gets the
//! error reply JSON-RPC 2.0 requires instead of silence (rmcp drops unparsable input by
//! design, which leaves a caller waiting until its tool timeout).
//!
//! - A line that is not JSON (truncated, invalid UTF-8, a raw control character, a lone
//!   surrogate, nesting deeper than serde_json's limit) → `-32700` with `"id": null`.
//! - A line over [`MAX_LINE`] is skipped without being held in memory → `-32600` carrying
//!   the id when it can be read from the line's start, else `null`.
//! - JSON that is not a JSON-RPC 2.0 message (not an object, a batch, a wrong `jsonrpc`, a
//!   bad `id`, no `method` and no `result`/`error`) → `-32600` with the id when it is a valid
//!   one, else `null`.
//! - A request whose `params` do not fit its method (`tools/call` with no params, a missing
//!   `name`, non-object `arguments`, params that are not an object) → `-32602` with its id.
//! - Everything else goes to rmcp unchanged; rmcp's replies and ours are written whole
//!   lines, one writer, so they never interleave. Notifications never get a reply.
//!
//! Not here: what a method means (rmcp and `TeamServer`).

use std::sync::LazyLock;

use regex::bytes::Regex;
use rmcp::model::{ClientJsonRpcMessage, ClientRequest};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// The longest line taken, in bytes (without its newline): the same as rmcp's default.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
/// How much of an oversize line is kept to find its id.
const ID_WINDOW: usize = 4096;

/// Starts the framing between `input`/`output` (stdin and stdout for `serve-mcp`) and
/// returns the stream rmcp serves on. Ends when `input` closes (rmcp then sees EOF) or
/// `output` fails (a closed stdout: the session is over).
pub fn start<R, W>(input: R, output: W) -> DuplexStream
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (ours, rmcp_side) = tokio::io::duplex(256 * 1024);
    let (from_rmcp, mut to_rmcp) = tokio::io::split(ours);
    let (lines, mut outgoing) = mpsc::channel::<Vec<u8>>(64);

    // The one writer of `output`.
    tokio::spawn(async move {
        let mut output = output;
        while let Some(line) = outgoing.recv().await {
            if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    // rmcp's replies, whole lines, to the writer.
    let replies = lines.clone();
    tokio::spawn(async move {
        let mut from_rmcp = BufReader::new(from_rmcp);
        loop {
            let mut line = Vec::new();
            match from_rmcp.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if replies.send(line).await.is_err() {
                        break;
                    }
                }
            }
        }
    });

    // Input lines: checked, then forwarded to rmcp or answered here.
    tokio::spawn(async move {
        let mut input = BufReader::with_capacity(64 * 1024, input);
        loop {
            let line = match read_line(&mut input).await {
                Ok(Some(line)) => line,
                Ok(None) | Err(_) => break,
            };
            match check(&line) {
                Verdict::Forward => {
                    if to_rmcp.write_all(line.bytes()).await.is_err()
                        || to_rmcp.write_all(b"\n").await.is_err()
                    {
                        break;
                    }
                }
                Verdict::Skip => {}
                Verdict::Reply(reply) => {
                    let mut bytes = reply.to_string().into_bytes();
                    bytes.push(b'\n');
                    if lines.send(bytes).await.is_err() {
                        break;
                    }
                }
            }
        }
        // EOF on input: rmcp sees its input close and ends the session.
        let _ = to_rmcp.shutdown().await;
    });
    rmcp_side
}

/// One input line: whole, or only its start when it was over [`MAX_LINE`].
#[derive(Debug)]
pub enum Line {
    Whole(Vec<u8>),
    Oversize { start: Vec<u8>, len: usize },
}

impl Line {
    fn bytes(&self) -> &[u8] {
        match self {
            Line::Whole(b) => b,
            Line::Oversize { start, .. } => start,
        }
    }
}

/// Reads one line without ever holding more than [`MAX_LINE`] bytes of it. `None` at EOF
/// (a last line without a newline still counts as a line).
async fn read_line<R: AsyncRead + Unpin>(
    input: &mut BufReader<R>,
) -> std::io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut len = 0usize;
    let mut oversize = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            if len == 0 {
                return Ok(None);
            }
            break;
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        len += chunk.len();
        if !oversize && len > MAX_LINE {
            oversize = true;
            buf.truncate(ID_WINDOW);
        }
        let room = if oversize {
            ID_WINDOW.saturating_sub(buf.len())
        } else {
            chunk.len()
        };
        buf.extend_from_slice(&chunk[..room.min(chunk.len())]);
        let used = chunk.len() + usize::from(done);
        input.consume(used);
        if done {
            break;
        }
    }
    if buf.last() == Some(&b'\r') && !oversize {
        buf.pop();
    }
    Ok(Some(if oversize {
        Line::Oversize { start: buf, len }
    } else {
        Line::Whole(buf)
    }))
}

/// What to do with one input line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A message rmcp can take.
    Forward,
    /// Nothing to do (a blank line, or a bad notification: notifications get no reply).
    Skip,
    /// The error reply to write.
    Reply(Value),
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;

fn error(id: Value, code: i64, message: String) -> Verdict {
    Verdict::Reply(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    }))
}

/// A JSON-RPC id as it may be echoed: a string or an integer; anything else is `null`.
fn valid_id(id: Option<&Value>) -> Value {
    match id {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        _ => Value::Null,
    }
}

/// The id of a line too long to parse, read from its start: `"id": 12` or `"id": "x"`
/// before any nested object (so an id inside `params` is not taken for the request's).
fn id_from_start(start: &[u8]) -> Value {
    static ID: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r#"^\s*\{(?:[^{}\[\]]*?,)?\s*"id"\s*:\s*(-?\d{1,18}|"(?:[^"\\]|\\.){0,200}")"#)
            .ok()
    });
    let Some(re) = ID.as_ref() else {
        return Value::Null;
    };
    re.captures(start)
        .and_then(|c| c.get(1))
        .and_then(|m| serde_json::from_slice::<Value>(m.as_bytes()).ok())
        .map(|v| valid_id(Some(&v)))
        .unwrap_or(Value::Null)
}

/// Decides what happens to one input line.
pub fn check(line: &Line) -> Verdict {
    let bytes = match line {
        Line::Oversize { start, len } => {
            return error(
                id_from_start(start),
                INVALID_REQUEST,
                format!(
                    "Invalid Request: the line is {len} bytes, over the {MAX_LINE}-byte limit; hint: put large content in an artifact (artifact_publish takes at most 4 MiB)"
                ),
            );
        }
        Line::Whole(bytes) => bytes,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Skip;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return error(Value::Null, PARSE_ERROR, format!("Parse error: {e}")),
    };
    let Value::Object(message) = &value else {
        let what = if value.is_array() {
            "a batch (an array); MCP takes one message per line"
        } else {
            "not an object"
        };
        return error(
            Value::Null,
            INVALID_REQUEST,
            format!("Invalid Request: {what}"),
        );
    };
    let raw_id = message.get("id");
    let id = valid_id(raw_id);
    let invalid = |what: &str| {
        error(
            id.clone(),
            INVALID_REQUEST,
            format!("Invalid Request: {what}"),
        )
    };
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("`jsonrpc` must be \"2.0\"");
    }
    if raw_id.is_some() && id.is_null() {
        return invalid("`id` must be a string or an integer");
    }
    let method = match message.get("method") {
        Some(Value::String(m)) => Some(m.as_str()),
        Some(_) => return invalid("`method` must be a string"),
        None => None,
    };
    let Some(method) = method else {
        // A response to one of our requests.
        let results = usize::from(message.contains_key("result"))
            + usize::from(message.contains_key("error"));
        if raw_id.is_none() || results != 1 {
            return invalid(
                "no `method`, and not a response (`id` with one of `result` or `error`)",
            );
        }
        return Verdict::Forward;
    };
    let notification = raw_id.is_none();
    let params_error = |what: String| {
        if notification {
            Verdict::Skip
        } else {
            error(
                id.clone(),
                INVALID_PARAMS,
                format!("Invalid params: {what}"),
            )
        }
    };
    match message.get("params") {
        None | Some(Value::Object(_)) => {}
        Some(_) => return params_error("`params` must be an object".into()),
    }
    if method == "tools/call" {
        let params = message.get("params").and_then(Value::as_object);
        let Some(params) = params else {
            return params_error("`tools/call` needs `params` with the tool's `name`".into());
        };
        if !params.get("name").is_some_and(Value::is_string) {
            return params_error("`params.name` must be the tool's name (a string)".into());
        }
        if params
            .get("arguments")
            .is_some_and(|a| !a.is_object() && !a.is_null())
        {
            return params_error("`params.arguments` must be an object".into());
        }
    }
    let known = is_mcp_method(method);
    let method = method.to_string();
    match serde_json::from_value::<ClientJsonRpcMessage>(value) {
        // rmcp takes a request whose params do not fit its method as a custom request and
        // answers -32601 ("no such method"); for a method it serves, the params are wrong.
        Ok(ClientJsonRpcMessage::Request(request))
            if known && matches!(request.request, ClientRequest::CustomRequest(_)) =>
        {
            params_error(format!(
                "they do not fit `{method}` (see the MCP schema for it)"
            ))
        }
        Ok(_) => Verdict::Forward,
        Err(e) if known => params_error(format!("for `{method}`: {e}")),
        // rmcp ignores notifications it does not know and answers unknown methods itself.
        Err(_) => Verdict::Forward,
    }
}

/// Methods a client may send an MCP server (2025-06-18).
fn is_mcp_method(method: &str) -> bool {
    matches!(
        method,
        "initialize"
            | "ping"
            | "tools/list"
            | "tools/call"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "resources/subscribe"
            | "resources/unsubscribe"
            | "prompts/list"
            | "prompts/get"
            | "completion/complete"
            | "logging/setLevel"
    )
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
