//! Structured logs. JSON lines go to stderr (never stdout: that is the MCP channel of
//! `serve-mcp`), without ANSI codes unless stderr is a terminal, at the level the user asks
//! for (`CODEX_TEAMS_LOG`, else `RUST_LOG`, else warnings only: no event payloads by
//! default). Every event that carries a `team_id` is also appended to that team's own log
//! file, `<home>/logs/<team_id>.jsonl`, at the caller's level (`info` for `serve-mcp`).
//! Both sinks redact secrets.

use std::collections::HashMap;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::engine::redact::redact;

/// The environment variable that sets the log filter (tracing `EnvFilter` syntax).
/// Defined by the engine, which passes it on to workers.
pub use crate::engine::runner::ENV_LOG as LOG_ENV;

/// The filter for stderr when neither [`LOG_ENV`] nor `RUST_LOG` is set: warnings only, so
/// no event payload reaches stderr unless the user asks for it.
pub const STDERR_DEFAULT: &str = "warn";

/// Installs the global subscriber. `team_level` is the filter of the per-team files in
/// `team_logs` (the team's event log); stderr gets what [`LOG_ENV`] (else `RUST_LOG`) asks
/// for, else [`STDERR_DEFAULT`]. [`LOG_ENV`], when set, applies to both.
pub fn init(team_level: &str, team_logs: Option<PathBuf>) {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| EnvFilter::try_new(v).ok())
    };
    let stderr_filter = from_env(LOG_ENV)
        .or_else(|| from_env("RUST_LOG"))
        .unwrap_or_else(|| EnvFilter::new(STDERR_DEFAULT));
    let team_filter = from_env(LOG_ENV).unwrap_or_else(|| EnvFilter::new(team_level));
    let stderr = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_ansi(false)
        .with_writer(RedactingStderr)
        .with_filter(stderr_filter);
    let team_layer = team_logs.map(|dir| TeamFiles::new(dir).with_filter(team_filter));
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(team_layer)
        .try_init();
}

/// A stderr writer that redacts each formatted line before writing it.
struct RedactingStderr;

struct RedactingLine(Vec<u8>);

impl Write for RedactingLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(redact(&text).as_bytes());
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingLine;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine(Vec::with_capacity(256))
    }
}

/// Whether stderr is a terminal (progress bars and colour only then).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// How many team log files one process keeps open at once. A long-lived lead server sees
/// many teams; each file is reopened (append) when its team logs again, so the bound costs
/// an `open` now and then and never a lost line or a leaked descriptor.
const MAX_OPEN_TEAM_FILES: usize = 16;

/// Appends every event that has a `team_id` field to that team's log file (0600, in a 0700
/// directory). A team's file is closed when the team is finalized, and at most
/// [`MAX_OPEN_TEAM_FILES`] are open at a time (the least recently written is closed first).
pub struct TeamFiles {
    dir: PathBuf,
    files: Mutex<HashMap<String, (File, u64)>>,
    clock: std::sync::atomic::AtomicU64,
}

impl TeamFiles {
    pub fn new(dir: PathBuf) -> Self {
        TeamFiles {
            dir,
            files: Mutex::new(HashMap::new()),
            clock: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn append(&self, team: &str, line: &str, last: bool) {
        // Team ids are validated `team_<hex>`; refuse anything else as a file name.
        if !team.starts_with("team_") || !team[5..].bytes().all(|b| b.is_ascii_hexdigit()) {
            return;
        }
        let Ok(mut files) = self.files.lock() else {
            return;
        };
        let tick = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !files.contains_key(team) {
            if crate::engine::private::create_dir_all(&self.dir).is_err() {
                return;
            }
            if files.len() >= MAX_OPEN_TEAM_FILES
                && let Some(oldest) = files
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
            {
                files.remove(&oldest);
            }
            let path = self.dir.join(format!("{team}.jsonl"));
            match crate::engine::private::options()
                .create(true)
                .append(true)
                .open(&path)
            {
                Ok(f) => {
                    files.insert(team.to_string(), (f, tick));
                }
                Err(_) => return,
            }
        }
        if let Some((f, used)) = files.get_mut(team) {
            let _ = f.write_all(line.as_bytes());
            *used = tick;
        }
        if last {
            files.remove(team);
        }
    }

    /// How many team files are open now.
    pub fn open_files(&self) -> usize {
        self.files.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// Collects an event's fields as JSON; `redacted` when the caller already redacted them
/// (the event log's lines: `events::record` redacts the data before it is stored and
/// logged, and the rest are our ids and event kinds), so no line is scanned twice.
struct JsonVisitor {
    fields: Map<String, Value>,
    redacted: bool,
}

impl JsonVisitor {
    fn clean(&self, text: String) -> String {
        if self.redacted { text } else { redact(&text) }
    }
}

impl Visit for JsonVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        let text = self.clean(value.to_string());
        self.fields
            .insert(field.name().to_string(), Value::String(text));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields
            .insert(field.name().to_string(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields
            .insert(field.name().to_string(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields
            .insert(field.name().to_string(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = self.clean(format!("{value:?}"));
        // `data = %json` arrives here; keep it as JSON when it parses.
        let v = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
        self.fields.insert(field.name().to_string(), v);
    }
}

impl<S: tracing::Subscriber> Layer<S> for TeamFiles {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = JsonVisitor {
            fields: Map::new(),
            redacted: event.metadata().target() == crate::engine::events::TARGET,
        };
        event.record(&mut visitor);
        let Some(Value::String(team)) = visitor.fields.get("team_id").cloned() else {
            return;
        };
        let mut line = Map::new();
        line.insert("ts".into(), Value::from(crate::engine::store::now_ms()));
        line.insert(
            "level".into(),
            Value::from(event.metadata().level().as_str()),
        );
        line.insert("target".into(), Value::from(event.metadata().target()));
        line.extend(visitor.fields);
        // The finalize event is the team's last line: close its file after writing it.
        let last = line.get("kind").and_then(Value::as_str) == Some("team.finalized");
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        self.append(&team, &text, last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_files_are_bounded_and_closed_on_finalize() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let files = TeamFiles::new(dir.path().join("logs"));
        let team = |i: usize| format!("team_{i:032x}");
        for i in 0..100 {
            files.append(&team(i), "{\"kind\":\"x\"}\n", false);
        }
        assert_eq!(files.open_files(), MAX_OPEN_TEAM_FILES);
        // An evicted team's file is reopened for append: nothing is lost.
        files.append(&team(0), "{\"kind\":\"team.finalized\"}\n", true);
        let first = std::fs::read_to_string(dir.path().join(format!("logs/{}.jsonl", team(0))))
            .unwrap_or_default();
        assert_eq!(first.lines().count(), 2, "{first}");
        assert_eq!(files.open_files(), MAX_OPEN_TEAM_FILES - 1);
    }
}
