//! The SQLite store of codex-teams (the `codex-teams-store` crate): where the database
//! lives, how a connection is opened, how every write runs, the SQL of every table (one
//! module per table group), the row types and the typed states stored in them. Nothing here
//! knows the engine, the MCP server or the CLI; the engine turns a [`StoreError`] into its
//! own error without rewording it.
//!
//! Many `codex-teams` processes (one `serve-mcp` per Codex process, plus the CLI) share one
//! database file, so three rules hold here and nowhere else:
//! - opening is serialised by an OS file lock beside the database, because two processes
//!   migrating a fresh file at once race each other ("table already exists");
//! - every write is a `BEGIN IMMEDIATE` transaction, because in WAL mode a deferred
//!   read-then-write transaction fails with `SQLITE_BUSY` at once, ignoring the busy timeout;
//! - a write that still meets `SQLITE_BUSY`/`SQLITE_LOCKED` is retried a bounded number of
//!   times with jittered exponential backoff;
//! - checkpoints run on a background thread, not in the commit of a tool call (see
//!   `Checkpointer`), and work that must follow a commit (log lines) waits for it
//!   ([`after_commit`]), so the write lock is held only for the SQL.
//!
//! The numbers and the durability they give are in `docs/storage.md`.

use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use rand::Rng;
use rusqlite::config::DbConfig;
use rusqlite::{ErrorCode, OpenFlags, TransactionBehavior};

mod error;
pub mod private;
mod states;

pub use error::{Busy, Result, StoreError};
/// The connection types the closures of [`Store::read`] and [`Store::write`] receive.
pub use rusqlite::{Connection, Transaction};
pub use states::{AgentState, DecisionState, StoredTaskStatus, TaskStatus, TeamState};

/// The SQL files stay in the repository's top-level `migrations/`.
mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// SQLite's `synchronous` setting for every connection to the store (the home's
/// `store.synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// No fsync per commit in WAL mode: a power cut may drop the last commits; a process
    /// crash never does.
    #[default]
    Normal,
    /// fsync the WAL at every commit: a confirmed send survives a power cut too.
    Full,
}

impl Synchronous {
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Normal => "normal",
            Synchronous::Full => "full",
        }
    }
}

/// How long SQLite's own busy handler keeps retrying a lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a whole write transaction is retried after `SQLITE_BUSY`/`SQLITE_LOCKED`.
pub const WRITE_RETRIES: u32 = 8;
/// First backoff between whole-transaction retries; doubles each time, with jitter.
const RETRY_BASE: Duration = Duration::from_millis(2);
/// Connections kept open per process for reuse.
const POOL_SIZE: usize = 8;
/// Page cache per connection, in KiB (SQLite's default is 2,000). In WAL mode a
/// connection's cache is emptied whenever another connection or process commits, so a
/// larger one mostly holds pages of the last board scan: at 10,000 tasks the default cost
/// a server about 5 MB of resident memory with no measurable latency gain.
const PAGE_CACHE_KIB: i64 = 512;
/// Prepared statements cached per connection. rusqlite's default (16) is fewer than one
/// busy tool call uses, and a least-recently-used cache that small re-prepares every
/// statement of a cyclic workload.
const STATEMENT_CACHE: usize = 128;
/// WAL pages after which a commit checkpoints by itself. Only a safety net: the
/// `Checkpointer` keeps the WAL far below it. SQLite's default (1000) made every commit
/// of a busy team try a checkpoint (copy pages, two fsyncs) while its caller waited.
const AUTOCHECKPOINT_PAGES: u32 = 20_000;
/// How often the checkpointer runs while the WAL is growing, and at most while idle.
const CHECKPOINT_BUSY: Duration = Duration::from_millis(100);
const CHECKPOINT_IDLE: Duration = Duration::from_secs(2);
/// WAL length (frames, about 4 KiB each) at which the checkpointer restarts the WAL.
const RESTART_FRAMES: i64 = 2048;
/// Longest a RESTART checkpoint holds up writers while it waits for readers.
const RESTART_WAIT: Duration = Duration::from_millis(5);
/// Size the WAL file is cut back to when it restarts.
const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// The environment variable naming the codex-teams home directory.
pub const HOME_ENV: &str = "CODEX_TEAMS_HOME";

/// The codex-teams home: `$CODEX_TEAMS_HOME`, else `~/.codex-teams`.
pub fn default_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".codex-teams")),
        None => Err(StoreError::Config(
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
    synchronous: Synchronous,
    pool: Mutex<Vec<Connection>>,
    _checkpointer: Option<Checkpointer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date,
    /// with `synchronous = NORMAL`.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, Synchronous::Normal)
    }

    /// [`Store::open`] with the home's `store.synchronous` for every connection.
    pub fn open_with(path: &Path, synchronous: Synchronous) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let conn = {
            let _guard = OpenLock::acquire(path)?;
            // Created 0600 before SQLite sees it, so the database and the WAL and SHM files
            // SQLite derives from it are private whatever the umask.
            crate::private::touch(path).map_err(|e| StoreError::io(path, e))?;
            let mut conn = open_connection(path, synchronous)?;
            // WAL is a property of the file: switch once, under the lock.
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(|e| StoreError::sql("setting journal_mode=WAL", e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Config(format!(
                    "database {} refused WAL mode (got {mode}); hint: put it on a local disk",
                    path.display()
                )));
            }
            embedded::migrations::runner()
                .run(&mut conn)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            conn
        };
        Ok(Store {
            path: path.to_path_buf(),
            synchronous,
            pool: Mutex::new(vec![conn]),
            _checkpointer: Checkpointer::start(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => open_connection(&self.path, self.synchronous),
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
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self.take()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }

    /// Runs read-only work inside one read transaction, so every statement of `f` sees the
    /// same snapshot and the connection takes the WAL read lock once (`team_status`,
    /// `task_list`). Not for long-polls: a snapshot never sees later commits.
    pub fn read_snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self.take()?;
        let out = match conn.unchecked_transaction() {
            Ok(tx) => {
                let out = f(&tx);
                // A read transaction has nothing to commit; ending it releases the snapshot.
                let _ = tx.finish();
                out
            }
            Err(e) => Err(StoreError::sql("beginning a read transaction", e).into()),
        };
        self.give_back(conn);
        out
    }

    /// Runs `f` inside a `BEGIN IMMEDIATE` transaction and commits it. On `SQLITE_BUSY` or
    /// `SQLITE_LOCKED` the whole transaction is retried (up to [`WRITE_RETRIES`] times, with
    /// jittered exponential backoff), so `f` must have no effects outside the transaction.
    /// Any other error rolls back and is returned: nothing half-written survives.
    pub fn write<T, E: From<StoreError> + Busy>(
        &self,
        mut f: impl FnMut(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
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

fn run_immediate<T, E: From<StoreError>>(
    conn: &mut Connection,
    f: &mut impl FnMut(&Transaction<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| StoreError::sql("beginning a write transaction", e))?;
    let deferred = Deferred::begin();
    let value = f(&tx)?; // dropping `tx` on error rolls back, dropping `deferred` forgets
    tx.commit()
        .map_err(|e| StoreError::sql("committing a write transaction", e))?;
    deferred.committed();
    Ok(value)
}

type Hook = Box<dyn FnOnce()>;

thread_local! {
    /// Work waiting for the write transaction running on this thread to commit.
    static AFTER_COMMIT: RefCell<Option<Vec<Hook>>> = const { RefCell::new(None) };
}

/// Runs `hook` once the write transaction running on this thread commits, and never if it
/// rolls back (or is retried: the retry registers its own). Outside a transaction of
/// [`Store::write`] it runs at once. For side effects that must not happen for a change that
/// never happened, and need not hold the write lock: log lines.
pub fn after_commit(hook: impl FnOnce() + 'static) {
    let now = AFTER_COMMIT.with(|queue| match queue.borrow_mut().as_mut() {
        Some(queue) => {
            queue.push(Box::new(hook));
            None
        }
        None => Some(hook),
    });
    if let Some(hook) = now {
        hook();
    }
}

/// The after-commit queue of one transaction attempt; dropping it without
/// [`Deferred::committed`] (an error, a panic) forgets the queued work.
struct Deferred;

impl Deferred {
    fn begin() -> Deferred {
        AFTER_COMMIT.with(|queue| *queue.borrow_mut() = Some(Vec::new()));
        Deferred
    }

    fn committed(self) {
        let hooks = AFTER_COMMIT.with(|queue| queue.borrow_mut().take());
        for hook in hooks.into_iter().flatten() {
            hook();
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        let _ = AFTER_COMMIT.try_with(|queue| queue.borrow_mut().take());
    }
}

/// A background thread that keeps the WAL short, so commits stay cheap. Every process
/// starts one, but only the process holding `<db>.checkpoint.lock` (an OS lock, released
/// when its holder exits) checkpoints; the others check now and then whether the holder
/// is gone. One checkpointer per database is enough, and seven of them would each pay the
/// copying and the fsyncs.
/// - every [`CHECKPOINT_BUSY`] while the WAL grows (backing off to [`CHECKPOINT_IDLE`]), a
///   PASSIVE checkpoint copies committed pages into the database file without blocking
///   anyone;
/// - once the WAL holds [`RESTART_FRAMES`], a RESTART checkpoint waits (at most
///   [`RESTART_WAIT`]) for the current readers and writer to finish so the next writer
///   starts the WAL from the beginning again. Without it a team that never pauses keeps
///   some reader on the WAL at every moment and the WAL grows without bound (650 MB after
///   ten seconds of `codex-teams bench` with seven processes), and every lookup in it
///   slows down.
///
/// Checkpointing moves committed data from the WAL into the database file; it changes
/// nothing about what a commit guarantees. Stops when its [`Store`] is dropped.
struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    fn start(path: &Path) -> Option<Checkpointer> {
        let (stop, stopped) = mpsc::channel::<()>();
        let path = path.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("codex-teams-checkpoint".into())
            .spawn(move || {
                // Wait to become the database's checkpointer (or to be stopped).
                let Some(_lock) = elect(&path, &stopped) else {
                    return;
                };
                let conn = match open_connection(&path, Synchronous::Normal).and_then(|mut conn| {
                    conn.busy_handler(Some(restart_wait))
                        .map_err(|e| StoreError::sql("setting the checkpoint busy handler", e))?;
                    Ok(conn)
                }) {
                    Ok(conn) => conn,
                    Err(err) => {
                        tracing::warn!(error = %err, "checkpointer could not open the database; commits will checkpoint");
                        return;
                    }
                };
                let mut wait = CHECKPOINT_BUSY;
                let mut last_log = 0;
                loop {
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    wait = match checkpoint(&conn, "PASSIVE") {
                        Ok(log) => {
                            if log >= RESTART_FRAMES
                                && let Err(err) = checkpoint(&conn, "RESTART")
                            {
                                tracing::debug!(error = %err, "WAL restart checkpoint failed");
                            }
                            if log != last_log {
                                // The WAL changed since the last look: a team is busy.
                                last_log = log;
                                CHECKPOINT_BUSY
                            } else {
                                (wait * 2).min(CHECKPOINT_IDLE)
                            }
                        }
                        Err(err) => {
                            tracing::debug!(error = %err, "background checkpoint failed");
                            CHECKPOINT_IDLE
                        }
                    };
                }
            });
        match spawned {
            Ok(_) => Some(Checkpointer { _stop: stop }),
            Err(err) => {
                tracing::warn!(error = %err, "could not start the checkpointer; commits will checkpoint");
                None
            }
        }
    }
}

/// Blocks until this process holds the database's checkpoint lock (trying every
/// [`CHECKPOINT_IDLE`]) and returns it, or returns None when `stopped` fires first or the
/// lock file cannot be opened (then the commits' own auto-checkpoint keeps the WAL in
/// bounds).
fn elect(db: &Path, stopped: &mpsc::Receiver<()>) -> Option<File> {
    let mut name = db.as_os_str().to_owned();
    name.push(".checkpoint.lock");
    let lock_path = PathBuf::from(name);
    let file = match crate::private::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    {
        Ok(file) => file,
        Err(err) => {
            tracing::debug!(path = %lock_path.display(), error = %err, "no checkpoint lock file");
            return None;
        }
    };
    loop {
        if file.try_lock().is_ok() {
            return Some(file);
        }
        match stopped.recv_timeout(CHECKPOINT_IDLE) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// One checkpoint in `mode` (PASSIVE or RESTART); returns the WAL's length in frames. A
/// RESTART that meets a busy reader or writer gives up after [`RESTART_WAIT`]; the next
/// round tries again.
fn checkpoint(conn: &Connection, mode: &str) -> Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get(1))
        .map_err(|e| StoreError::sql("checkpointing the WAL", e))
}

fn backoff(attempt: u32) -> Duration {
    let base = RETRY_BASE * 2u32.saturating_pow(attempt.min(8));
    let jitter = rand::rng().random_range(0..=base.as_micros() as u64 / 2);
    base + Duration::from_micros(jitter)
}

fn open_connection(path: &Path, synchronous: Synchronous) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::sql(&format!("opening {}", path.display()), e))?;
    // A short-sleeping busy handler: SQLite's default sleeps 1, 2, 5, 10... ms, which
    // wastes most of a write slot when seven processes contend for a lock held ~50 µs.
    conn.busy_handler(Some(busy_wait))
        .map_err(|e| StoreError::sql("installing the busy handler", e))?;
    conn.execute_batch(match synchronous {
        Synchronous::Normal => {
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
        }
        Synchronous::Full => {
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
        }
    })
    .map_err(|e| StoreError::sql("setting pragmas", e))?;
    // The query planner stability guarantee: without it SQLite marks `col = ?` terms as
    // "re-plan when rebound", and rusqlite clears bindings whenever a cached statement goes
    // back to its cache, so those statements were re-parsed and re-planned on every use
    // (over a third of a `team_status` call). We keep no planner statistics, so the plan
    // cannot depend on the bound values anyway.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(|e| StoreError::sql("enabling the query planner stability guarantee", e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
        .map_err(|e| StoreError::sql("setting wal_autocheckpoint", e))?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
        .map_err(|e| StoreError::sql("setting journal_size_limit", e))?;
    conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
        .map_err(|e| StoreError::sql("setting cache_size", e))?;
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

/// The checkpointer's busy callback: polls as finely as writers do (so a stream of writers
/// cannot starve a RESTART), but gives up after about [`RESTART_WAIT`], because writers
/// queue behind a pending RESTART.
fn restart_wait(n: i32) -> bool {
    let n = n.max(0) as u32;
    let step = Duration::from_micros(50 * 2u64.pow(n.min(3)));
    if step * n >= RESTART_WAIT {
        return false;
    }
    std::thread::sleep(step);
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
        let file = crate::private::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        let started = Instant::now();
        file.lock().map_err(|e| StoreError::io(&lock_path, e))?;
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
pub mod usage;

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn open_with_sets_synchronous_on_every_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let level = |store: &Store| -> i64 {
            store
                .read(|c| Ok::<_, StoreError>(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
                .expect("pragma")
        };
        let full = Store::open_with(&dir.path().join("t.db"), Synchronous::Full).expect("open");
        assert_eq!(level(&full), 2, "FULL");
        let default = Store::open(&dir.path().join("u.db")).expect("open");
        assert_eq!(level(&default), 1, "NORMAL");
    }

    #[test]
    fn after_commit_work_runs_once_for_a_commit_and_never_for_a_rollback() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("open");
        let ran = Rc::new(Cell::new(0));

        let hook = ran.clone();
        store
            .write(|_tx| -> Result<_> {
                let hook = hook.clone();
                after_commit(move || hook.set(hook.get() + 1));
                Ok(())
            })
            .expect("commit");
        assert_eq!(ran.get(), 1);

        let hook = ran.clone();
        let failed = store.write(|_tx| -> Result<()> {
            let hook = hook.clone();
            after_commit(move || hook.set(hook.get() + 100));
            Err(StoreError::Integrity("rolled back".into()))
        });
        assert!(failed.is_err());
        assert_eq!(
            ran.get(),
            1,
            "a rolled-back write runs none of its after-commit work"
        );

        // Outside a write there is nothing to wait for.
        let hook = ran.clone();
        after_commit(move || hook.set(hook.get() + 10));
        assert_eq!(ran.get(), 11);
    }

    /// Every row of a table as text, in a stable order, for before/after comparisons.
    fn dump(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).expect("prepare dump");
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|cols| cols.join("|"))
        })
        .expect("query dump")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
    }

    #[test]
    fn v9_migrates_a_v8_database_in_place_without_losing_a_row() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let team = "team_0190a0b0c0d07e8f9a0b1c2d3e4f5a6b";
        let (lead, worker) = (
            "agent_0190a0b0c0d07e8f9a0b1c2d3e4f5a61",
            "agent_0190a0b0c0d07e8f9a0b1c2d3e4f5a62",
        );
        {
            // A database as version 8 left it, with messages, deliveries and chained events.
            let mut conn = Connection::open(&path).expect("open raw");
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
                .expect("pragmas");
            embedded::migrations::runner()
                .set_target(refinery::Target::Version(8))
                .run(&mut conn)
                .expect("migrate to V8");
            let tx = conn.transaction().expect("tx");
            tx.execute(
                "INSERT INTO teams (team_id, goal, profile, settings, state, lead_agent_id, created_at)
                 VALUES (?1, 'g', 'p', '{}', 'active', ?2, 1)",
                [team, lead],
            )
            .expect("team");
            for a in [lead, worker] {
                tx.execute(
                    "INSERT INTO agents (agent_id, team_id, role, runner, state, last_activity_at, created_at)
                     VALUES (?1, ?2, 'r', 'external', 'active', 1, 1)",
                    [a, team],
                )
                .expect("agent");
            }
            for i in 0..25 {
                let id = format!("msg_0190a0b0c0d07e8f9a0b1c2d3e4f{i:04}");
                tx.execute(
                    "INSERT INTO messages (message_id, team_id, from_agent_id, to_agent_id, body, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![id, team, lead, worker, format!("body {i}"), i],
                )
                .expect("message");
                let seq = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO deliveries (message_id, agent_id, team_id, seq, delivery_count, leased_until, acked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    rusqlite::params![id, worker, team, seq, i % 3, i * 10, (i % 2 == 0).then_some(i)],
                )
                .expect("delivery");
                events::insert(
                    &tx,
                    i,
                    &events::EventIds::team(team).agent(lead).message(&id),
                    "message.sent",
                    &serde_json::json!({ "n": i }),
                )
                .expect("event");
            }
            tx.commit().expect("commit");
        }
        let events_sql = "SELECT * FROM events ORDER BY seq";
        let deliveries_sql = "SELECT * FROM deliveries ORDER BY message_id, agent_id";
        let before = {
            let conn = Connection::open(&path).expect("reopen");
            (dump(&conn, events_sql), dump(&conn, deliveries_sql))
        };
        assert_eq!((before.0.len(), before.1.len()), (25, 25));

        let store = Store::open(&path).expect("migrate to V9");
        store
            .read(|c| -> Result<_> {
                assert_eq!(
                    dump(c, events_sql),
                    before.0,
                    "every event kept, seq included"
                );
                assert_eq!(dump(c, deliveries_sql), before.1, "every delivery kept");
                assert!(
                    c.prepare("SELECT rowid FROM deliveries").is_err(),
                    "deliveries is a WITHOUT ROWID table"
                );
                let sequences: i64 = c.query_row(
                    "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'events'",
                    [],
                    |r| r.get(0),
                )?;
                assert_eq!(
                    sequences, 0,
                    "events no longer keeps an AUTOINCREMENT counter"
                );
                let indexes = dump(
                    c,
                    "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')
                     AND tbl_name IN ('events', 'deliveries') AND sql IS NOT NULL ORDER BY name",
                );
                assert_eq!(
                    indexes,
                    [
                        "Text(\"deliveries_inbox\")",
                        "Text(\"events_fanout\")",
                        "Text(\"events_no_delete\")",
                        "Text(\"events_no_update\")",
                        "Text(\"events_team\")"
                    ]
                );
                // The chain still verifies over the migrated rows.
                let mut prev = String::new();
                for r in events::list_raw(c, team)? {
                    assert_eq!(
                        r.chain,
                        r.expected_chain(&prev),
                        "chain of event {}",
                        r.event.seq
                    );
                    prev = r.chain;
                }
                Ok(())
            })
            .expect("read");
        // New events continue the numbering; the table stays append-only.
        store
            .write(|tx| -> Result<_> {
                events::insert(
                    tx,
                    99,
                    &events::EventIds::team(team),
                    "probe",
                    &serde_json::json!({}),
                )?;
                let seq: i64 = tx.query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))?;
                assert_eq!(seq, 26);
                assert!(tx.execute("DELETE FROM events WHERE seq = 1", []).is_err());
                assert!(
                    tx.execute("UPDATE events SET kind = 'x' WHERE seq = 1", [])
                        .is_err()
                );
                Ok(())
            })
            .expect("write");
    }

    #[test]
    fn connections_keep_the_planner_stable_and_checkpoints_off_the_commit_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("open");
        store
            .read(|c| -> Result<_> {
                let qpsg = c
                    .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
                    .map_err(|e| StoreError::sql("db_config", e))?;
                let pages: i64 = c.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))?;
                assert!(qpsg, "statements must not be re-planned on every rebind");
                assert_eq!(pages, i64::from(AUTOCHECKPOINT_PAGES));
                Ok(())
            })
            .expect("read");
    }
}
