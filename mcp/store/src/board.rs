//! SQL for the task board. A task's stored status is `open`, `claimed`, `done`, `failed`
//! or `cancelled`; callers see `open` split into `ready` (every dependency done) and
//! `blocked`, and a claim whose lease has run out as `ready` again until a write sweeps it.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{Result, StoredTaskStatus, TaskStatus};

// How many of a team's tasks are in each status (`ready` and `blocked` split the stored
// `open` by whether every dependency is done). A plain comment: a doc comment would enter
// the JSON schemas of the tool results that carry it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TaskCounts {
    pub ready: i64,
    pub blocked: i64,
    pub claimed: i64,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
}

pub struct TaskRow {
    pub task_id: String,
    pub team_id: String,
    pub title: String,
    pub detail: Option<String>,
    pub size: String,
    pub role: Option<String>,
    pub priority: i64,
    /// The stored status: open | claimed | done | failed | cancelled.
    pub status: StoredTaskStatus,
    /// The status callers see: ready | blocked | claimed | done | failed | cancelled.
    pub shown: TaskStatus,
    pub owner: Option<String>,
    pub leased_until: Option<i64>,
    pub version: i64,
    pub note: Option<String>,
    pub artifact: Option<String>,
    pub seq: i64,
}

/// `shown` status as SQL; `?now` must be bound as parameter 1 of the query.
const SHOWN: &str = "CASE
    WHEN t.status = 'open' OR (t.status = 'claimed' AND t.leased_until < ?1) THEN
        CASE WHEN EXISTS (SELECT 1 FROM task_deps d JOIN tasks p ON p.task_id = d.dep_id
                          WHERE d.task_id = t.task_id AND p.status != 'done')
             THEN 'blocked' ELSE 'ready' END
    ELSE t.status END";

fn cols() -> String {
    format!(
        "t.task_id, t.team_id, t.title, t.detail, t.size, t.role, t.priority, t.status, {SHOWN}, \
         t.owner, t.leased_until, t.version, t.note, t.artifact, t.seq"
    )
}

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        task_id: row.get(0)?,
        team_id: row.get(1)?,
        title: row.get(2)?,
        detail: row.get(3)?,
        size: row.get(4)?,
        role: row.get(5)?,
        priority: row.get(6)?,
        status: row.get(7)?,
        shown: row.get(8)?,
        owner: row.get(9)?,
        leased_until: row.get(10)?,
        version: row.get(11)?,
        note: row.get(12)?,
        artifact: row.get(13)?,
        seq: row.get(14)?,
    })
}

pub fn task(conn: &Connection, task_id: &str, now: i64) -> Result<Option<TaskRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM tasks t WHERE t.task_id = ?2",
            cols()
        ))?
        .query_row(params![now, task_id], from_row)
        .optional()?)
}

pub fn tasks(conn: &Connection, team_id: &str, now: i64) -> Result<Vec<TaskRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM tasks t WHERE t.team_id = ?2 ORDER BY t.seq",
        cols()
    ))?;
    let rows = stmt.query_map(params![now, team_id], from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Ready tasks of a team, best first: priority, then larger sizes (they bound the
/// makespan), then creation order.
pub fn ready(conn: &Connection, team_id: &str, now: i64) -> Result<Vec<TaskRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {} FROM tasks t WHERE t.team_id = ?2 AND t.status IN ('open', 'claimed'))
         WHERE shown = 'ready'
         ORDER BY priority DESC, CASE size WHEN 'l' THEN 0 WHEN 'm' THEN 1 ELSE 2 END, seq",
        cols().replace(&format!("{SHOWN}, "), &format!("{SHOWN} AS shown, "))
    ))?;
    let rows = stmt.query_map(params![now, team_id], from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The first ready task, best first (as [`ready`]), for which `wanted` holds, and how many
/// ready tasks were looked at. Stops at the first match: with the `tasks_claim_order` index
/// (V8) a claim reads a few rows, not the whole board.
pub fn first_ready(
    conn: &Connection,
    team_id: &str,
    now: i64,
    mut wanted: impl FnMut(&TaskRow) -> bool,
) -> Result<(Option<TaskRow>, usize)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {} FROM tasks t WHERE t.team_id = ?2 AND t.status IN ('open', 'claimed')
                        ORDER BY t.priority DESC, CASE t.size WHEN 'l' THEN 0 WHEN 'm' THEN 1 ELSE 2 END, t.seq)
         WHERE shown = 'ready'",
        cols().replace(&format!("{SHOWN}, "), &format!("{SHOWN} AS shown, "))
    ))?;
    let mut rows = stmt.query_map(params![now, team_id], from_row)?;
    let mut seen = 0;
    for row in rows.by_ref() {
        let row = row?;
        seen += 1;
        if wanted(&row) {
            return Ok((Some(row), seen));
        }
    }
    Ok((None, seen))
}

pub fn deps(conn: &Connection, task_id: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT dep_id FROM task_deps WHERE task_id = ?1 ORDER BY dep_id")?;
    let rows = stmt.query_map([task_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Artifacts published by a task's dependencies: the inputs a claimant needs.
pub fn dep_artifacts(conn: &Connection, task_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.artifact FROM task_deps d JOIN tasks p ON p.task_id = d.dep_id
         WHERE d.task_id = ?1 AND p.artifact IS NOT NULL ORDER BY p.seq",
    )?;
    let rows = stmt.query_map([task_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn counts(conn: &Connection, team_id: &str, now: i64) -> Result<TaskCounts> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT shown, COUNT(*) FROM (SELECT {SHOWN} AS shown FROM tasks t WHERE t.team_id = ?2)
         GROUP BY shown"
    ))?;
    let mut counts = TaskCounts::default();
    let rows = stmt.query_map(params![now, team_id], |r| {
        Ok((r.get::<_, TaskStatus>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (status, n) = row?;
        match status {
            TaskStatus::Ready => counts.ready = n,
            TaskStatus::Blocked => counts.blocked = n,
            TaskStatus::Claimed => counts.claimed = n,
            TaskStatus::Done => counts.done = n,
            TaskStatus::Failed => counts.failed = n,
            TaskStatus::Cancelled => counts.cancelled = n,
        }
    }
    Ok(counts)
}

pub fn next_seq(tx: &Transaction<'_>, team_id: &str) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))?)
}

pub struct NewTask<'a> {
    pub task_id: &'a str,
    pub team_id: &'a str,
    pub title: &'a str,
    pub detail: Option<&'a str>,
    pub size: &'a str,
    pub role: Option<&'a str>,
    pub priority: i64,
    pub seq: i64,
    pub now: i64,
}

pub fn insert(tx: &Transaction<'_>, t: &NewTask<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO tasks (task_id, team_id, title, detail, size, role, priority, status, seq,
                            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?9, ?9)",
    )?
    .execute(params![
        t.task_id, t.team_id, t.title, t.detail, t.size, t.role, t.priority, t.seq, t.now
    ])?;
    Ok(())
}

pub fn insert_dep(tx: &Transaction<'_>, task_id: &str, dep_id: &str) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO task_deps (task_id, dep_id) VALUES (?1, ?2)")?
        .execute(params![task_id, dep_id])?;
    Ok(())
}

/// Puts claims whose lease ran out back to `open`; returns (task, former owner) pairs.
pub fn sweep_expired(
    tx: &Transaction<'_>,
    team_id: &str,
    now: i64,
) -> Result<Vec<(String, String)>> {
    let expired: Vec<(String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT task_id, COALESCE(owner, '') FROM tasks
             WHERE team_id = ?1 AND status = 'claimed' AND leased_until < ?2",
        )?;
        let rows = stmt.query_map(params![team_id, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for (task_id, _) in &expired {
        tx.prepare_cached(
            "UPDATE tasks SET status = 'open', owner = NULL, leased_until = NULL,
                              version = version + 1, updated_at = ?2
             WHERE task_id = ?1",
        )?
        .execute(params![task_id, now])?;
    }
    Ok(expired)
}

/// Claims `task_id` for `owner` if it is still `open` at `version`; true on success.
pub fn claim(
    tx: &Transaction<'_>,
    task_id: &str,
    owner: &str,
    version: i64,
    lease_until: i64,
    now: i64,
) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "UPDATE tasks SET status = 'claimed', owner = ?2, leased_until = ?3,
                              version = version + 1, updated_at = ?4
             WHERE task_id = ?1 AND status = 'open' AND version = ?5",
        )?
        .execute(params![task_id, owner, lease_until, now, version])?;
    Ok(n == 1)
}

pub struct Change<'a> {
    pub task_id: &'a str,
    pub status: StoredTaskStatus,
    pub owner: Option<&'a str>,
    pub leased_until: Option<i64>,
    pub note: Option<&'a str>,
    pub artifact: Option<&'a str>,
    pub expected_version: i64,
    pub now: i64,
}

/// Compare-and-set update; true when the version matched and the row changed.
pub fn update(tx: &Transaction<'_>, c: &Change<'_>) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "UPDATE tasks SET status = ?2, owner = ?3, leased_until = ?4,
                              note = COALESCE(?5, note), artifact = COALESCE(?6, artifact),
                              version = version + 1, updated_at = ?7
             WHERE task_id = ?1 AND version = ?8",
        )?
        .execute(params![
            c.task_id,
            c.status,
            c.owner,
            c.leased_until,
            c.note,
            c.artifact,
            c.now,
            c.expected_version
        ])?;
    Ok(n == 1)
}

/// Releases every claim an agent holds (it stopped or died); returns the task ids.
pub fn release_claims_of(tx: &Transaction<'_>, agent_id: &str, now: i64) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE tasks SET status = 'open', owner = NULL, leased_until = NULL,
                          version = version + 1, updated_at = ?2
         WHERE owner = ?1 AND status = 'claimed' RETURNING task_id",
    )?;
    let rows = stmt.query_map(params![agent_id, now], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Cancels every unfinished task of a team (at finalize); returns how many.
pub fn cancel_open(tx: &Transaction<'_>, team_id: &str, now: i64) -> Result<i64> {
    let n = tx.execute(
        "UPDATE tasks SET status = 'cancelled', owner = NULL, leased_until = NULL,
                          version = version + 1, updated_at = ?2
         WHERE team_id = ?1 AND status IN ('open', 'claimed')",
        params![team_id, now],
    )?;
    Ok(n as i64)
}

/// Every dependency edge of a team's tasks, as task id -> its dependency ids, in one query
/// (listing and planning read the whole board; one query per task would not scale).
pub fn team_deps(
    conn: &Connection,
    team_id: &str,
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.task_id, d.dep_id FROM task_deps d JOIN tasks t ON t.task_id = d.task_id
         WHERE t.team_id = ?1 ORDER BY d.task_id, d.dep_id",
    )?;
    let rows = stmt.query_map([team_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for row in rows {
        let (task, dep) = row?;
        out.entry(task).or_default().push(dep);
    }
    Ok(out)
}

/// A team's board revision and the counts and plan cached for it (`board_state`, V8).
#[derive(Debug, Clone, Default)]
pub struct BoardState {
    /// Bumped by triggers on every write that changes counts or plan inputs.
    pub rev: i64,
    /// The revision the cached values were computed at.
    pub cached_rev: Option<i64>,
    /// The earliest lease of a claimed task when they were computed: past it, a claim shows
    /// as ready again without any write, so the cache is stale.
    pub valid_until: Option<i64>,
    pub counts: Option<String>,
    pub plan: Option<String>,
    pub digest: Option<String>,
    /// The team's token total when computed (the plan's budget input).
    pub tokens: Option<i64>,
}

impl BoardState {
    /// True when the cached counts and plan still describe the board at `now`.
    pub fn fresh(&self, now: i64) -> bool {
        self.cached_rev == Some(self.rev) && self.valid_until.is_none_or(|v| now <= v)
    }
}

pub fn board_state(conn: &Connection, team_id: &str) -> Result<BoardState> {
    Ok(conn
        .prepare_cached(
            "SELECT rev, cached_rev, valid_until, counts, plan, digest, tokens FROM board_state
             WHERE team_id = ?1",
        )?
        .query_row([team_id], |r| {
            Ok(BoardState {
                rev: r.get(0)?,
                cached_rev: r.get(1)?,
                valid_until: r.get(2)?,
                counts: r.get(3)?,
                plan: r.get(4)?,
                digest: r.get(5)?,
                tokens: r.get(6)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Stores counts and plan computed at revision `rev`, unless the board moved on since.
pub fn store_board_state(tx: &Transaction<'_>, team_id: &str, s: &BoardState) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO board_state (team_id, rev, cached_rev, valid_until, counts, plan, digest,
                                  tokens)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (team_id) DO UPDATE SET cached_rev = ?2, valid_until = ?3, counts = ?4,
             plan = ?5, digest = ?6, tokens = ?7
         WHERE board_state.rev = ?2",
    )?
    .execute(params![
        team_id,
        s.rev,
        s.valid_until,
        s.counts,
        s.plan,
        s.digest,
        s.tokens
    ])?;
    Ok(())
}

/// The earliest lease of a team's claimed tasks.
pub fn earliest_lease(conn: &Connection, team_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT MIN(leased_until) FROM tasks WHERE team_id = ?1 AND status = 'claimed'",
        )?
        .query_row([team_id], |r| r.get(0))?)
}

/// One unfinished task as the planner reads it: id, size, and whether it is claimed (a
/// live lease at `now`). Reads only `open` and `claimed` rows, through the (team_id,
/// status) index, with no per-row subquery: whether an unclaimed task is ready or blocked
/// follows from [`unfinished_deps`].
pub fn unfinished(
    conn: &Connection,
    team_id: &str,
    now: i64,
) -> Result<Vec<(String, String, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.task_id, t.size, t.status = 'claimed' AND t.leased_until >= ?1 FROM tasks t
         WHERE t.team_id = ?2 AND t.status IN ('open', 'claimed') ORDER BY t.seq",
    )?;
    let rows = stmt.query_map(params![now, team_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// How many of a team's tasks are done, failed and cancelled, from the (team_id, status)
/// index alone.
pub fn finished_counts(conn: &Connection, team_id: &str) -> Result<(i64, i64, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, COUNT(*) FROM tasks
         WHERE team_id = ?1 AND status IN ('done', 'failed', 'cancelled') GROUP BY status",
    )?;
    let rows = stmt.query_map([team_id], |r| {
        Ok((r.get::<_, StoredTaskStatus>(0)?, r.get::<_, i64>(1)?))
    })?;
    let (mut done, mut failed, mut cancelled) = (0, 0, 0);
    for row in rows {
        let (status, n) = row?;
        match status {
            StoredTaskStatus::Done => done = n,
            StoredTaskStatus::Failed => failed = n,
            _ => cancelled = n,
        }
    }
    Ok((done, failed, cancelled))
}

/// Dependency edges from a team's unfinished tasks to dependencies that are not done:
/// (task, dependency, whether the dependency is itself unfinished). Any such edge blocks the
/// task; the unfinished ones are the planner's graph.
pub fn unfinished_deps(conn: &Connection, team_id: &str) -> Result<Vec<(String, String, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.task_id, d.dep_id, p.status IN ('open', 'claimed') FROM tasks t
         JOIN task_deps d ON d.task_id = t.task_id
         JOIN tasks p ON p.task_id = d.dep_id
         WHERE t.team_id = ?1 AND t.status IN ('open', 'claimed') AND p.status != 'done'
         ORDER BY d.task_id, d.dep_id",
    )?;
    let rows = stmt.query_map([team_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Whether a team has unfinished (open or claimed) tasks, and whether it has done ones:
/// the early-stop test, answered from the (team_id, status) index without counting.
pub fn finished_state(conn: &Connection, team_id: &str) -> Result<(bool, bool)> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE team_id = ?1 AND status IN ('open', 'claimed')),
                    EXISTS (SELECT 1 FROM tasks WHERE team_id = ?1 AND status = 'done')",
        )?
        .query_row([team_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Whether any claim of a team has a lease that ran out before `now`.
pub fn any_expired(conn: &Connection, team_id: &str, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tasks
                            WHERE team_id = ?1 AND status = 'claimed' AND leased_until < ?2)",
        )?
        .query_row(params![team_id, now], |r| r.get(0))?)
}

/// One page of a team's tasks in creation order after `after_seq`, optionally only those
/// shown as `status`: at most `limit` rows.
pub fn page(
    conn: &Connection,
    team_id: &str,
    now: i64,
    status: Option<TaskStatus>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<TaskRow>> {
    let sql = format!(
        "SELECT * FROM (SELECT {} FROM tasks t WHERE t.team_id = ?2 AND t.seq > ?3 {}
                        ORDER BY t.seq)
         WHERE ?4 IS NULL OR shown = ?4 LIMIT ?5",
        cols().replace(&format!("{SHOWN}, "), &format!("{SHOWN} AS shown, ")),
        stored_filter(status)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![now, team_id, after_seq, status, limit], from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// How many of a team's tasks after `after_seq` are shown as `status` (all with `None`).
pub fn count_after(
    conn: &Connection,
    team_id: &str,
    now: i64,
    status: Option<TaskStatus>,
    after_seq: i64,
) -> Result<i64> {
    let Some(status) = status else {
        return Ok(conn
            .prepare_cached("SELECT COUNT(*) FROM tasks t WHERE t.team_id = ?1 AND t.seq > ?2")?
            .query_row(params![team_id, after_seq], |r| r.get(0))?);
    };
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT {SHOWN} AS shown FROM tasks t
                               WHERE t.team_id = ?2 AND t.seq > ?3 {})
         WHERE shown = ?4",
        stored_filter(Some(status))
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![now, team_id, after_seq, status], |r| r.get(0))?)
}

/// The stored statuses a shown status can come from, as an SQL condition (so a filtered
/// listing reads only candidate rows through the (team_id, status) index).
fn stored_filter(status: Option<TaskStatus>) -> &'static str {
    match status {
        Some(TaskStatus::Ready | TaskStatus::Blocked) => "AND t.status IN ('open', 'claimed')",
        Some(TaskStatus::Claimed) => "AND t.status = 'claimed'",
        Some(TaskStatus::Done) => "AND t.status = 'done'",
        Some(TaskStatus::Failed) => "AND t.status = 'failed'",
        Some(TaskStatus::Cancelled) => "AND t.status = 'cancelled'",
        None => "",
    }
}

/// Dependency ids of each of `task_ids` (one page of a listing).
pub fn deps_of(
    conn: &Connection,
    task_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for id in task_ids {
        let d = deps(conn, id)?;
        if !d.is_empty() {
            out.insert(id.clone(), d);
        }
    }
    Ok(out)
}

/// Extends to `until` the leases of the tasks `agent_id` holds whose lease has not run out
/// at `now` (an expired claim is not revived). Leases never move backwards.
pub fn extend_leases_of(tx: &Transaction<'_>, agent_id: &str, now: i64, until: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET leased_until = ?3
         WHERE owner = ?1 AND status = 'claimed' AND leased_until >= ?2 AND leased_until < ?3",
    )?
    .execute(params![agent_id, now, until])?;
    Ok(())
}
