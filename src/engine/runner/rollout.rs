//! Codex's rollout files: the per-request usage every Codex session writes to disk, which
//! is what the budget charges (lead and workers alike).
//!
//! A session's history is `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`,
//! one JSON object per line. Codex 0.169.0 writes, as soon as each model response
//! completes, `{"type":"token_usage_record","payload":{"response_id","turn_id","usage":
//! {"input_tokens","cached_input_tokens","output_tokens",...},...}}`, then an
//! `event_msg`/`token_count` line with `info.last_token_usage` and the thread's
//! `info.total_token_usage`. The record comes first and survives a process stopped
//! before the `token_count` line, so it is the source; `token_count` lines are used only
//! for a file that has no records (older Codex), deduplicated on the thread total because
//! Codex may repeat one. `codex exec --json` prints usage only at `turn.completed`, so a
//! worker stopped mid-turn would otherwise never be charged.
//!
//! This module reads files and parses lines; it keeps no state. Where each file has been
//! charged up to lives in the store (`usage_marks`), see `engine::budget`.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{EngineError, Result};
use crate::runner::Usage;

/// How a rollout file reports usage (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    UsageRecord,
    TokenCount,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::UsageRecord => "usage_record",
            Format::TokenCount => "token_count",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "usage_record" => Some(Format::UsageRecord),
            "token_count" => Some(Format::TokenCount),
            _ => None,
        }
    }
}

/// One model request's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The provider's response id, when the line carries one.
    pub response_id: Option<String>,
    pub usage: Usage,
}

/// What a read of a rollout file's tail found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub requests: Vec<Request>,
    /// Bytes of complete lines read: the next read starts after them. A line still being
    /// written (no newline yet) is left for the next read.
    pub consumed: u64,
    pub format: Option<Format>,
    /// The thread total at the last `token_count` line seen.
    pub last_total: i64,
}

/// Parses the complete lines of `bytes`, a rollout file's content from some offset on,
/// given the parse state left by the bytes before it.
pub fn parse(bytes: &[u8], format: Option<Format>, last_total: i64) -> Tail {
    let mut tail = Tail {
        requests: Vec::new(),
        consumed: 0,
        format,
        last_total,
    };
    let mut start = 0;
    while let Some(len) = bytes[start..].iter().position(|b| *b == b'\n') {
        let line = &bytes[start..start + len];
        start += len + 1;
        tail.consumed = start as u64;
        // Most lines (instructions, tool output) are large and irrelevant: skip them
        // without parsing.
        let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
        if !has(b"token_usage_record") && !has(b"token_count") {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let payload = v.get("payload").unwrap_or(&Value::Null);
        match (
            v.get("type").and_then(Value::as_str),
            payload.get("type").and_then(Value::as_str),
        ) {
            (Some("token_usage_record"), _) => {
                tail.format = Some(Format::UsageRecord);
                if let Some(usage) = payload.get("usage").map(usage_of) {
                    tail.requests.push(Request {
                        response_id: payload
                            .get("response_id")
                            .and_then(Value::as_str)
                            .map(String::from),
                        usage,
                    });
                }
            }
            (Some("event_msg"), Some("token_count")) => {
                let info = payload.get("info").unwrap_or(&Value::Null);
                let Some(total) = info
                    .get("total_token_usage")
                    .and_then(|t| t.get("total_tokens"))
                    .and_then(Value::as_i64)
                else {
                    continue; // rate-limit only update
                };
                let repeated = total == tail.last_total;
                tail.last_total = total;
                if tail.format == Some(Format::UsageRecord) || repeated {
                    continue;
                }
                tail.format = Some(Format::TokenCount);
                if let Some(usage) = info.get("last_token_usage").map(usage_of) {
                    tail.requests.push(Request {
                        response_id: None,
                        usage,
                    });
                }
            }
            _ => {}
        }
    }
    tail
}

fn usage_of(u: &Value) -> Usage {
    let get = |k: &str| u.get(k).and_then(Value::as_i64).unwrap_or(0).max(0);
    // `output_tokens` already includes reasoning tokens (as in the Responses API).
    Usage {
        input: get("input_tokens"),
        cached: get("cached_input_tokens"),
        output: get("output_tokens"),
    }
}

/// What the end of a rollout file says the session has not recorded yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Nothing: every request's usage is written and no tool call is open.
    Nothing,
    /// A request sent, or answered, whose usage line is not written yet: the last input
    /// item (a tool's output, a user message) comes after the last usage line.
    Usage,
    /// A tool call the model asked for has no output yet: it is still running, or it was
    /// answered a moment ago and its output (then the next request) is about to follow.
    ToolCall,
}

/// Reads [`Pending`] off `tail`, the end of a rollout file. A session stopped while
/// `Usage` is pending loses that request's record.
pub fn pending(tail: &[u8]) -> Pending {
    // Where Codex writes a `token_usage_record` with each response (0.169.0), that line is
    // the request's record: the `token_count` event comes later, after the tool's output,
    // and repeats the totals, so it says nothing about the request that output starts.
    // Older files have only `token_count` lines.
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let usage_line: &[u8] = if contains(tail, b"\"token_usage_record\"") {
        b"\"token_usage_record\""
    } else {
        b"\"token_count\""
    };
    let mut awaiting = false;
    let mut open_call = false;
    for line in tail.split(|b| *b == b'\n') {
        let has = |needle: &[u8]| contains(line, needle);
        if has(usage_line) {
            awaiting = false;
        } else if has(b"\"response_item\"") {
            if has(b"\"function_call_output\"") || has(b"\"custom_tool_call_output\"") {
                awaiting = true;
                open_call = false;
            } else if has(b"\"role\":\"user\"") {
                awaiting = true;
            } else if has(b"\"function_call\"") || has(b"\"custom_tool_call\"") {
                open_call = true;
            }
        }
    }
    match (awaiting, open_call) {
        (true, _) => Pending::Usage,
        (false, true) => Pending::ToolCall,
        (false, false) => Pending::Nothing,
    }
}

/// Whether the session is waiting for a model response, or has one whose usage it has not
/// written yet (see [`Pending::Usage`]).
pub fn awaiting_usage(tail: &[u8]) -> bool {
    pending(tail) == Pending::Usage
}

/// How much of a rollout file's end [`wait_for_usage`] looks at.
const TAIL_BYTES: u64 = 256 * 1024;

/// How long an open tool call is watched for its output before it is taken to be still
/// running: Codex writes a tool's output to the rollout file a few milliseconds after the
/// answer (tens under load), and sends the next request right after.
const ANSWER_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

/// Waits (up to `limit`) until the session writing `path` has nothing unrecorded (see
/// [`Pending`]). Returns whether it got there. Used before a worker is stopped, so that a
/// request already sent is recorded, and charged, rather than lost. An open tool call is
/// watched for [`ANSWER_SETTLE`]: answered just before the stop, its output and the next
/// request follow at once; a call still running (a long command, a call the server holds
/// because the worker is being stopped) leaves the file as it is.
pub fn wait_for_usage(path: &Path, limit: std::time::Duration) -> bool {
    let started = std::time::Instant::now();
    let deadline = started + limit;
    let mut seen_len = None;
    let mut grew_at = started;
    let mut state = Pending::Nothing;
    loop {
        let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
            return true; // no file: nothing to lose
        };
        if seen_len != Some(len) {
            seen_len = Some(len);
            grew_at = std::time::Instant::now();
            let Ok(tail) = read_from(path, len.saturating_sub(TAIL_BYTES)) else {
                return true;
            };
            state = pending(&tail);
        }
        let now = std::time::Instant::now();
        match state {
            Pending::Nothing => return true,
            Pending::ToolCall if now >= grew_at + ANSWER_SETTLE || now >= deadline => {
                return true;
            }
            Pending::Usage if now >= deadline => return false,
            Pending::ToolCall | Pending::Usage => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Reads `path` from byte `offset` to its end.
pub fn read_from(path: &Path, offset: u64) -> Result<Vec<u8>> {
    let mut file = std::fs::File::open(path).map_err(|e| EngineError::io(path, e))?;
    let len = file.metadata().map_err(|e| EngineError::io(path, e))?.len();
    if len < offset {
        return Err(EngineError::Integrity(format!(
            "rollout file {} is {len} bytes, shorter than the {offset} already charged; it was replaced or truncated",
            path.display()
        )));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| EngineError::io(path, e))?;
    let mut bytes = Vec::with_capacity((len - offset) as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| EngineError::io(path, e))?;
    Ok(bytes)
}

/// The byte offset of the first line of `path` that mentions turn `turn_id`: where a lead
/// starts being charged when it starts a team in the middle of a longer session (earlier
/// turns were not team work). 0 when the turn is not in the file.
pub fn turn_offset(path: &Path, turn_id: &str) -> u64 {
    let Ok(bytes) = std::fs::read(path) else {
        return 0;
    };
    let needle = format!("\"{turn_id}\"");
    let mut start = 0;
    while let Some(len) = bytes[start..].iter().position(|b| *b == b'\n') {
        let line = &bytes[start..start + len];
        if line.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            return start as u64;
        }
        start += len + 1;
    }
    0
}

/// The rollout file of `thread_id` under `codex_home`, newest day first.
pub fn find(codex_home: &Path, thread_id: &str) -> Option<PathBuf> {
    if !valid_thread_id(thread_id) {
        return None;
    }
    let suffix = format!("-{thread_id}.jsonl");
    let sessions = codex_home.join("sessions");
    for year in dirs_newest_first(&sessions) {
        for month in dirs_newest_first(&year) {
            for day in dirs_newest_first(&month) {
                let Ok(entries) = std::fs::read_dir(&day) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with("rollout-") && name.ends_with(&suffix) {
                        return Some(entry.path());
                    }
                }
            }
        }
    }
    None
}

fn dirs_newest_first(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.reverse();
    out
}

/// A thread id as Codex makes them (a UUID); anything else is not looked up.
pub fn valid_thread_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The Codex home a process with `CODEX_HOME` = `value` uses: the value, else `~/.codex`.
pub fn codex_home_from(value: Option<&str>) -> Option<PathBuf> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".codex")),
    }
}

/// The Codex home of the Codex process that started this MCP server (the lead): our own
/// `CODEX_HOME` (install passes it through), else the parent process's, else `~/.codex`.
pub fn parent_codex_home() -> Option<PathBuf> {
    if let Some(own) = std::env::var("CODEX_HOME").ok().filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(own));
    }
    // SAFETY: getppid has no preconditions.
    let ppid = unsafe { libc::getppid() };
    let parent = u32::try_from(ppid)
        .ok()
        .and_then(crate::platform::environ_of)
        .and_then(|env| {
            env.iter()
                .find_map(|var| var.strip_prefix(b"CODEX_HOME=".as_slice()))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        });
    codex_home_from(parent.as_deref())
}

/// The calling session's thread and turn from a tool call's `_meta`
/// (`x-codex-turn-metadata.thread_id` / `turn_id`, else `threadId`).
pub fn thread_from_meta(meta: &Value) -> Option<(String, Option<String>)> {
    let turn_meta = meta.get("x-codex-turn-metadata").and_then(|m| match m {
        Value::String(s) => serde_json::from_str::<Value>(s).ok(),
        other => Some(other.clone()),
    });
    let field = |k: &str| {
        turn_meta
            .as_ref()
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let thread = field("thread_id")
        .or_else(|| {
            meta.get("threadId")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .filter(|t| valid_thread_id(t))?;
    Some((thread, field("turn_id")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(v: Value) -> String {
        format!("{v}\n")
    }

    fn record(id: &str, input: i64, output: i64) -> String {
        line(
            json!({"type": "token_usage_record", "payload": {"response_id": id, "turn_id": "t1",
            "usage": {"input_tokens": input, "cached_input_tokens": 0, "output_tokens": output,
                      "reasoning_output_tokens": 0, "total_tokens": input + output}}}),
        )
    }

    fn token_count(last: (i64, i64), total: i64) -> String {
        line(
            json!({"type": "event_msg", "payload": {"type": "token_count", "info": {
            "total_token_usage": {"total_tokens": total},
            "last_token_usage": {"input_tokens": last.0, "cached_input_tokens": 0, "output_tokens": last.1}}}}),
        )
    }

    #[test]
    fn usage_records_are_charged_and_token_counts_beside_them_are_not() {
        let text = [
            line(json!({"type": "session_meta", "payload": {"id": "x"}})),
            record("r1", 100, 5),
            token_count((100, 5), 105),
            record("r2", 200, 7),
            token_count((200, 7), 312),
        ]
        .concat();
        let tail = parse(text.as_bytes(), None, 0);
        assert_eq!(tail.format, Some(Format::UsageRecord));
        assert_eq!(tail.consumed, text.len() as u64);
        let ids: Vec<_> = tail
            .requests
            .iter()
            .map(|r| r.response_id.clone())
            .collect();
        assert_eq!(ids, [Some("r1".into()), Some("r2".into())]);
        assert_eq!(tail.requests[1].usage.input, 200);
        assert_eq!(tail.requests[1].usage.output, 7);
        assert_eq!(tail.last_total, 312);
    }

    #[test]
    fn a_partial_last_line_waits_for_the_next_read() {
        let whole = record("r1", 100, 5);
        let text = format!("{whole}{}", &record("r2", 1, 1)[..20]);
        let tail = parse(text.as_bytes(), None, 0);
        assert_eq!(tail.requests.len(), 1);
        assert_eq!(tail.consumed, whole.len() as u64);
    }

    #[test]
    fn without_records_token_counts_are_charged_once_each() {
        let text = [
            token_count((100, 5), 105),
            token_count((100, 5), 105), // repeated: not a new request
            line(json!({"type": "event_msg", "payload": {"type": "token_count", "info": null}})),
            token_count((200, 7), 312),
        ]
        .concat();
        let tail = parse(text.as_bytes(), None, 0);
        assert_eq!(tail.format, Some(Format::TokenCount));
        let totals: Vec<i64> = tail
            .requests
            .iter()
            .map(|r| r.usage.input + r.usage.output)
            .collect();
        assert_eq!(totals, [105, 207]);
        // Continuing from the saved state: the repeat across reads is caught too.
        let again = parse(token_count((200, 7), 312).as_bytes(), tail.format, 312);
        assert!(again.requests.is_empty());
    }

    #[test]
    fn the_file_is_found_by_thread_id_and_read_from_an_offset() {
        let home = tempfile::tempdir().unwrap();
        let thread = "01a2359a-5c61-7ee1-a9ee-ef6d5e228c6a";
        let day = home.path().join("sessions/2026/12/02");
        std::fs::create_dir_all(&day).unwrap();
        let path = day.join(format!("rollout-2026-12-02T07-13-58-{thread}.jsonl"));
        let first = line(json!({"type": "turn_context", "payload": {"turn_id": "turn-a"}}));
        let second = line(json!({"type": "turn_context", "payload": {"turn_id": "turn-b"}}));
        std::fs::write(&path, format!("{first}{second}{}", record("r1", 3, 4))).unwrap();
        assert_eq!(find(home.path(), thread), Some(path.clone()));
        assert_eq!(
            find(home.path(), "01a2359a-0000-0000-0000-000000000000"),
            None
        );
        assert_eq!(find(home.path(), "../x"), None);
        assert_eq!(turn_offset(&path, "turn-b"), first.len() as u64);
        assert_eq!(turn_offset(&path, "turn-z"), 0);
        let tail = read_from(&path, (first.len() + second.len()) as u64).unwrap();
        assert_eq!(parse(&tail, None, 0).requests.len(), 1);
        assert!(read_from(&path, 1 << 20).is_err());
    }

    #[test]
    fn a_request_sent_and_not_yet_recorded_is_awaited() {
        let input = line(
            json!({"type": "response_item", "payload": {"type": "function_call_output", "output": "x"}}),
        );
        let call = line(
            json!({"type": "response_item", "payload": {"type": "function_call", "name": "t"}}),
        );
        let user =
            line(json!({"type": "response_item", "payload": {"type": "message", "role": "user"}}));
        assert!(awaiting_usage(user.as_bytes()));
        assert!(awaiting_usage(input.as_bytes()));
        // The response's items arrived, its usage line not yet.
        assert!(awaiting_usage(format!("{input}{call}").as_bytes()));
        assert!(!awaiting_usage(
            format!("{input}{call}{}", record("r", 1, 1)).as_bytes()
        ));
        assert!(!awaiting_usage(b""));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        std::fs::write(&path, format!("{input}{call}")).unwrap();
        assert!(!wait_for_usage(&path, std::time::Duration::from_millis(30)));
        std::fs::write(&path, format!("{input}{call}{}", record("r", 1, 1))).unwrap();
        assert!(wait_for_usage(&path, std::time::Duration::from_millis(30)));
    }

    #[test]
    fn an_open_tool_call_is_watched_for_its_answer_and_its_request() {
        let input = line(
            json!({"type": "response_item", "payload": {"type": "function_call_output", "output": "x"}}),
        );
        let call = line(
            json!({"type": "response_item", "payload": {"type": "function_call", "name": "t"}}),
        );
        let open = format!("{input}{call}{}", record("r1", 1, 1));
        assert_eq!(pending(open.as_bytes()), Pending::ToolCall);
        assert_eq!(pending(format!("{open}{input}").as_bytes()), Pending::Usage);
        // Codex 0.169.0 writes the previous response's `token_count` right after the tool's
        // output: the request that output starts is still unrecorded.
        let counted = format!("{open}{input}{}", token_count((1, 1), 2));
        assert_eq!(pending(counted.as_bytes()), Pending::Usage);
        // A file without records: `token_count` is the record.
        let old = format!("{input}{call}{}", token_count((1, 1), 2));
        assert_eq!(pending(old.as_bytes()), Pending::ToolCall);
        assert_eq!(
            pending(format!("{old}{input}{}", token_count((1, 1), 4)).as_bytes()),
            Pending::Nothing
        );
        assert_eq!(
            pending(format!("{open}{input}{}", record("r2", 1, 1)).as_bytes()),
            Pending::Nothing
        );
        let dir = tempfile::tempdir().unwrap();
        // A call still running: nothing follows, the wait ends without a request to wait for.
        let path = dir.path().join("running.jsonl");
        std::fs::write(&path, &open).unwrap();
        assert!(wait_for_usage(&path, std::time::Duration::from_secs(30)));
        // A call answered as the stop began: its output, then the next request's usage, land
        // in the file, and the wait ends only once that usage is there.
        let path = dir.path().join("answered.jsonl");
        std::fs::write(&path, &open).unwrap();
        let writer = {
            let (path, input, usage) = (path.clone(), input.clone(), record("r2", 5, 5));
            std::thread::spawn(move || {
                let append = |text: &str| {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap();
                    f.write_all(text.as_bytes()).unwrap();
                };
                std::thread::sleep(std::time::Duration::from_millis(20));
                append(&input);
                std::thread::sleep(std::time::Duration::from_millis(200));
                append(&usage);
            })
        };
        assert!(wait_for_usage(&path, std::time::Duration::from_secs(30)));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"r2\""),
            "returned before the request was recorded"
        );
        writer.join().unwrap();
    }

    #[test]
    fn the_thread_comes_from_the_turn_metadata() {
        let meta = json!({"x-codex-turn-metadata": {"thread_id": "0a-1b", "turn_id": "t"}});
        assert_eq!(
            thread_from_meta(&meta),
            Some(("0a-1b".to_string(), Some("t".to_string())))
        );
        let fallback = json!({"threadId": "abc"});
        assert_eq!(thread_from_meta(&fallback), Some(("abc".to_string(), None)));
        assert_eq!(thread_from_meta(&json!({"threadId": "../etc"})), None);
        assert_eq!(thread_from_meta(&json!({})), None);
    }
}
