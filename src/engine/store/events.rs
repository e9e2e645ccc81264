//! SQL for the event log.

use rusqlite::{Connection, Transaction, params};
use serde_json::Value;

use crate::engine::error::Result;
use crate::engine::events::{Event, Trace};

pub fn insert(
    tx: &Transaction<'_>,
    ts: i64,
    trace: &Trace<'_>,
    kind: &str,
    data: &Value,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ts,
        trace.team.map(|t| t.as_str()).unwrap_or_default(),
        trace.agent.map(|a| a.as_str()),
        trace.task.map(|t| t.as_str()),
        trace.message.map(|m| m.as_str()),
        trace.artifact.map(|a| a.as_str()),
        kind,
        data.to_string(),
    ])?;
    Ok(())
}

/// Events of a team after `after_seq`, oldest first.
pub fn list(conn: &Connection, team_id: &str, after_seq: i64, limit: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data
         FROM events WHERE team_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![team_id, after_seq, limit], |row| {
        let data: String = row.get(8)?;
        Ok(Event {
            seq: row.get(0)?,
            ts: row.get(1)?,
            team_id: row.get(2)?,
            agent_id: row.get(3)?,
            task_id: row.get(4)?,
            message_id: row.get(5)?,
            artifact_id: row.get(6)?,
            kind: row.get(7)?,
            data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
