//! The store's error type. Its messages are the ones users see (the engine wraps a
//! `StoreError` without rewording it), so they stay stable.

use std::path::Path;

use serde_json::Value;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused a statement, a transaction or a connection.
    #[error("database error while {context}: {source}")]
    Sql {
        context: String,
        #[source]
        source: rusqlite::Error,
    },

    #[error("database migration failed: {0}")]
    Migration(String),

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The database cannot be used as configured (no home, no WAL).
    #[error("configuration: {0}")]
    Config(String),

    /// A row the caller named does not exist.
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },

    /// A row is not in the state the change needs; `details` says how it stands.
    #[error("conflict: {message}")]
    Conflict { message: String, details: Value },

    /// A stored value is outside the set the schema allows (a state column, for one).
    #[error("integrity: {0}")]
    Integrity(String),
}

impl StoreError {
    pub fn sql(context: &str, source: rusqlite::Error) -> Self {
        StoreError::Sql {
            context: context.to_string(),
            source,
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }

    pub fn conflict(message: impl Into<String>, details: Value) -> Self {
        StoreError::Conflict {
            message: message.into(),
            details,
        }
    }
}

/// Lets SQL helpers use `?` on rusqlite errors with a generic context.
impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> Self {
        StoreError::Sql {
            context: "running a query".into(),
            source,
        }
    }
}

/// An error that may mean "another writer held the lock; the same write may succeed if
/// retried". [`crate::Store::write`] retries a transaction whose error says so; callers whose
/// closures return their own error type implement this for it.
pub trait Busy {
    fn is_busy(&self) -> bool;
}

impl Busy for StoreError {
    fn is_busy(&self) -> bool {
        matches!(self, StoreError::Sql { source, .. } if crate::is_busy(source))
    }
}
