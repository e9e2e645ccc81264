//! The SQLite store: where the database lives, how a connection is opened, and how every
//! write runs.
//!
//! Many `codex-teams` processes (one `serve-mcp` per Codex process, plus the CLI) share one
//! database file, so three rules hold here and nowhere else:
//! - opening is serialised by an OS file lock beside the database, because two processes
//!   migrating a fresh file at once race each other ("table already exists");
//! - every write is a `BEGIN IMMEDIATE` transaction, because in WAL mode a deferred
//!   read-then-write transaction fails with `SQLITE_BUSY` at once, ignoring the busy timeout;
//! - a write that still meets `SQLITE_BUSY`/`SQLITE_LOCKED` is retried a bounded number of
//!   times with jittered exponential backoff.
//!
//! The numbers and the durability they give are in `docs/storage.md`.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use crate::engine::error::{EngineError, Result};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// How long SQLite's own busy handler keeps retrying a lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a whole write transaction is retried after `SQLITE_BUSY`/`SQLITE_LOCKED`.
pub const WRITE_RETRIES: u32 = 8;
/// First backoff between whole-transaction retries; doubles each time, with jitter.
const RETRY_BASE: Duration = Duration::from_millis(2);
/// Connections kept open per process for reuse.
const POOL_SIZE: usize = 8;

/// The environment variable naming the codex-teams home directory.
pub const HOME_ENV: &str = "CODEX_TEAMS_HOME";

/// The codex-teams home: `$CODEX_TEAMS_HOME`, else `~/.codex-teams`.
pub fn default_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".codex-teams")),
        None => Err(EngineError::Config(
            "cannot find the codex-teams home: neither CODEX_TEAMS_HOME nor HOME is set; \
             hint: set CODEX_TEAMS_HOME or pass --db"
                .into(),
        )),
    }
}

/// The database path: `explicit` if given, else `<home>/teams.db`.
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(path) => Ok(path.to_path_buf()),
        None => Ok(default_home()?.join("teams.db")),
    }
}

/// A handle on the shared database. Cheap to share between threads; each operation borrows a
/// pooled connection for its duration.
pub struct Store {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
        }
        let conn = {
            let _guard = OpenLock::acquire(path)?;
            let mut conn = open_connection(path)?;
            // WAL is a property of the file: switch once, under the lock.
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(|e| EngineError::store("setting journal_mode=WAL", e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(EngineError::Config(format!(
                    "database {} refused WAL mode (got {mode}); hint: put it on a local disk",
                    path.display()
                )));
            }
            embedded::migrations::runner()
                .run(&mut conn)
                .map_err(|e| EngineError::Migration(e.to_string()))?;
            conn
        };
        Ok(Store {
            path: path.to_path_buf(),
            pool: Mutex::new(vec![conn]),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => open_connection(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.pool.lock()
            && pool.len() < POOL_SIZE
        {
            pool.push(conn);
        }
    }

    /// Runs read-only work on a pooled connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.take()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }

    /// Runs `f` inside a `BEGIN IMMEDIATE` transaction and commits it. On `SQLITE_BUSY` or
    /// `SQLITE_LOCKED` the whole transaction is retried (up to [`WRITE_RETRIES`] times, with
    /// jittered exponential backoff), so `f` must have no effects outside the transaction.
    /// Any other error rolls back and is returned: nothing half-written survives.
    pub fn write<T>(&self, mut f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.take()?;
        let mut attempt = 0;
        let out = loop {
            match run_immediate(&mut conn, &mut f) {
                Err(err) if err.is_busy() && attempt < WRITE_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(backoff(attempt));
                }
                other => break other,
            }
        };
        self.give_back(conn);
        out
    }
}

fn run_immediate<T>(
    conn: &mut Connection,
    f: &mut impl FnMut(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| EngineError::store("beginning a write transaction", e))?;
    let value = f(&tx)?; // dropping `tx` on error rolls back
    tx.commit()
        .map_err(|e| EngineError::store("committing a write transaction", e))?;
    Ok(value)
}

fn backoff(attempt: u32) -> Duration {
    let base = RETRY_BASE * 2u32.saturating_pow(attempt.min(8));
    let jitter = rand::rng().random_range(0..=base.as_micros() as u64 / 2);
    base + Duration::from_micros(jitter)
}

fn open_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags)
        .map_err(|e| EngineError::store(&format!("opening {}", path.display()), e))?;
    // A short-sleeping busy handler: SQLite's default sleeps 1, 2, 5, 10... ms, which
    // wastes most of a write slot when seven processes contend for a lock held ~50 µs.
    conn.busy_handler(Some(busy_wait))
        .map_err(|e| EngineError::store("installing the busy handler", e))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| EngineError::store("setting pragmas", e))?;
    Ok(conn)
}

/// SQLite's busy callback: `n` is how many times it has been called for this lock. Sleeps
/// 50 µs, doubling to at most 2 ms, and gives up after about [`BUSY_TIMEOUT`].
fn busy_wait(n: i32) -> bool {
    let n = n.max(0) as u32;
    let step = Duration::from_micros(50 * 2u64.pow(n.min(5))).min(Duration::from_millis(2));
    // Upper bound on time waited so far: every step is at most 2 ms.
    if Duration::from_millis(2) * n >= BUSY_TIMEOUT {
        return false;
    }
    let jitter = rand::rng().random_range(0..=step.as_micros() as u64 / 2);
    std::thread::sleep(step + Duration::from_micros(jitter));
    true
}

/// Holds an exclusive OS lock on `<db>.lock` while a process opens and migrates.
struct OpenLock {
    file: File,
}

impl OpenLock {
    fn acquire(db: &Path) -> Result<OpenLock> {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| EngineError::io(&lock_path, e))?;
        let started = Instant::now();
        file.lock().map_err(|e| EngineError::io(&lock_path, e))?;
        tracing::debug!(
            waited_ms = started.elapsed().as_millis() as u64,
            "open lock held"
        );
        Ok(OpenLock { file })
    }
}

impl Drop for OpenLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// True when a rusqlite error means "another writer holds the lock; try again".
pub fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
    )
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub mod arbitration;
pub mod artifacts;
pub mod board;
pub mod bus;
pub mod events;
pub mod teams;
