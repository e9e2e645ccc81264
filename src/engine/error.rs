//! The engine's one error type. Every variant carries enough for the user to act on it:
//! the field at fault and what would be valid, who holds a contested task, and so on.
//! `code()` gives a stable machine-readable name used in MCP error results.

use std::path::Path;

use codex_teams_store::{Busy, StoreError};
use serde_json::{Value, json};

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A caller-supplied value is wrong.
    #[error("invalid `{field}`: {message}")]
    Invalid { field: String, message: String },

    /// A referenced object does not exist (or is not visible to the caller's team).
    #[error("{what} `{id}` not found{hint}")]
    NotFound {
        what: &'static str,
        id: String,
        hint: String,
    },

    /// The caller may not do this (wrong team, wrong role, finalized team).
    #[error("forbidden: {0}")]
    Forbidden(String),

    /// Someone else changed the object first; `details` says how it stands now.
    #[error("conflict: {message}")]
    Conflict { message: String, details: Value },

    /// A configured limit was reached (team size, budget, body cap).
    #[error("limit: {0}")]
    Limit(String),

    #[error("configuration: {0}")]
    Config(String),

    /// The database failed (SQL or migration); worded by the store.
    #[error(transparent)]
    Store(StoreError),

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// Stored data failed an integrity check (checksum mismatch, unreadable JSON).
    #[error("integrity: {0}")]
    Integrity(String),
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        EngineError::NotFound {
            what,
            id: id.into(),
            hint: String::new(),
        }
    }

    pub fn not_found_hint(what: &'static str, id: impl Into<String>, hint: &str) -> Self {
        EngineError::NotFound {
            what,
            id: id.into(),
            hint: format!("; hint: {hint}"),
        }
    }

    pub fn conflict(message: impl Into<String>, details: Value) -> Self {
        EngineError::Conflict {
            message: message.into(),
            details,
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        EngineError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A stable name for the kind of error, for scripts and models.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Invalid { .. } => "invalid_argument",
            EngineError::NotFound { .. } => "not_found",
            EngineError::Forbidden(_) => "forbidden",
            EngineError::Conflict { .. } => "conflict",
            EngineError::Limit(_) => "limit",
            EngineError::Config(_) => "config",
            EngineError::Store(_) => "store",
            EngineError::Io { .. } => "io",
            EngineError::Integrity(_) => "integrity",
        }
    }

    /// True when retrying the same write may succeed (another writer held the lock).
    pub fn is_busy(&self) -> bool {
        matches!(self, EngineError::Store(e) if e.is_busy())
    }

    /// The compact JSON shape of this error for tool results.
    pub fn to_json(&self) -> Value {
        let mut out = json!({ "error": self.code(), "message": self.to_string() });
        match self {
            EngineError::Invalid { field, .. } => out["field"] = json!(field),
            EngineError::Conflict { details, .. } => out["details"] = details.clone(),
            _ => {}
        }
        out
    }
}

/// A store error keeps its wording and its code: a missing row is `not_found`, a row in the
/// wrong state `conflict`, a file `io`, a database failure `store`.
impl From<StoreError> for EngineError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Io { path, source } => EngineError::Io { path, source },
            StoreError::Config(message) => EngineError::Config(message),
            StoreError::NotFound { what, id } => EngineError::not_found(what, id),
            StoreError::Conflict { message, details } => EngineError::Conflict { message, details },
            StoreError::Integrity(message) => EngineError::Integrity(message),
            err @ (StoreError::Sql { .. } | StoreError::Migration(_)) => EngineError::Store(err),
        }
    }
}

/// Lets [`codex_teams_store::Store::write`] retry an engine closure that met a busy lock.
impl Busy for EngineError {
    fn is_busy(&self) -> bool {
        EngineError::is_busy(self)
    }
}
