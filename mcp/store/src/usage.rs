//! SQL for metering: one mark per Codex thread whose requests are charged to an agent (see
//! `migrations/V7__metering.sql`).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;

/// How far one thread's rollout file has been charged, and to whom.
#[derive(Debug, Clone)]
pub struct Mark {
    pub thread_id: String,
    pub team_id: String,
    pub agent_id: String,
    pub codex_home: Option<String>,
    pub path: Option<String>,
    pub offset: i64,
    pub format: Option<String>,
    pub last_total: i64,
    pub source: String,
    pub stream: (i64, i64, i64),
    pub requests: i64,
}

const COLS: &str = "thread_id, team_id, agent_id, codex_home, path, offset, format, last_total, \
                    source, stream_input, stream_cached, stream_output, requests";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Mark> {
    Ok(Mark {
        thread_id: r.get(0)?,
        team_id: r.get(1)?,
        agent_id: r.get(2)?,
        codex_home: r.get(3)?,
        path: r.get(4)?,
        offset: r.get(5)?,
        format: r.get(6)?,
        last_total: r.get(7)?,
        source: r.get(8)?,
        stream: (r.get(9)?, r.get(10)?, r.get(11)?),
        requests: r.get(12)?,
    })
}

pub fn mark(conn: &Connection, thread_id: &str) -> Result<Option<Mark>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM usage_marks WHERE thread_id = ?1"
        ))?
        .query_row([thread_id], from_row)
        .optional()?)
}

/// The threads charged to a team's agents.
pub fn team_marks(conn: &Connection, team_id: &str) -> Result<Vec<Mark>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM usage_marks WHERE team_id = ?1 ORDER BY thread_id"
    ))?;
    let rows = stmt.query_map([team_id], from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The threads charged to one agent.
pub fn agent_marks(conn: &Connection, agent_id: &str) -> Result<Vec<Mark>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM usage_marks WHERE agent_id = ?1 ORDER BY thread_id"
    ))?;
    let rows = stmt.query_map([agent_id], from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Starts metering a thread for an agent; a thread already metered is charged to this
/// agent from now on (a lead that starts a second team in the same session). Returns
/// whether the thread is new.
#[allow(clippy::too_many_arguments)]
pub fn watch(
    tx: &Transaction<'_>,
    thread_id: &str,
    team_id: &str,
    agent_id: &str,
    codex_home: Option<&str>,
    path: Option<&str>,
    offset: i64,
    now: i64,
) -> Result<bool> {
    let n = tx.execute(
        "INSERT INTO usage_marks (thread_id, team_id, agent_id, codex_home, path, offset, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (thread_id) DO NOTHING",
        params![thread_id, team_id, agent_id, codex_home, path, offset, now],
    )?;
    if n == 1 {
        return Ok(true);
    }
    tx.execute(
        "UPDATE usage_marks SET team_id = ?2, agent_id = ?3,
                codex_home = COALESCE(codex_home, ?4), updated_at = ?5
         WHERE thread_id = ?1 AND (team_id != ?2 OR agent_id != ?3 OR codex_home IS NULL)",
        params![thread_id, team_id, agent_id, codex_home, now],
    )?;
    Ok(false)
}

/// Records what was charged from the rollout file: the new offset and parse state.
#[allow(clippy::too_many_arguments)]
pub fn advance(
    tx: &Transaction<'_>,
    thread_id: &str,
    path: &str,
    offset: i64,
    format: Option<&str>,
    last_total: i64,
    requests: i64,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE usage_marks SET path = ?2, offset = ?3, format = ?4, last_total = ?5,
                requests = requests + ?6, updated_at = ?7
         WHERE thread_id = ?1",
        params![thread_id, path, offset, format, last_total, requests, now],
    )?;
    Ok(())
}

/// Switches a thread to the `turn.completed` fallback and records the cumulative usage
/// charged so far.
pub fn set_stream(
    tx: &Transaction<'_>,
    thread_id: &str,
    (input, cached, output): (i64, i64, i64),
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE usage_marks SET source = 'stream', stream_input = ?2, stream_cached = ?3,
                stream_output = ?4, requests = requests + 1, updated_at = ?5
         WHERE thread_id = ?1",
        params![thread_id, input, cached, output, now],
    )?;
    Ok(())
}
