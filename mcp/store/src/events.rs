//! SQL for the event log.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Result;

/// One stored event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub ts: i64,
    pub team_id: String,
    #[serde(flatten)]
    pub refs: EventRefs,
    pub kind: String,
    pub data: Value,
}

/// What an event is about besides its team; in JSON, the ids it has, flat beside the
/// event's other fields.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct EventRefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_id: Option<String>,
}

impl EventRefs {
    /// The four ids in column order (agent, task, message, artifact).
    pub fn ids(&self) -> [Option<&str>; 4] {
        [
            self.agent_id.as_deref(),
            self.task_id.as_deref(),
            self.message_id.as_deref(),
            self.artifact_id.as_deref(),
        ]
    }
}

/// The trace ids a new event row carries (the engine's `Trace` as plain text).
#[derive(Debug, Default, Clone, Copy)]
pub struct EventIds<'a> {
    pub team: Option<&'a str>,
    pub agent: Option<&'a str>,
    pub task: Option<&'a str>,
    pub message: Option<&'a str>,
    pub artifact: Option<&'a str>,
}

impl<'a> EventIds<'a> {
    pub fn team(team: &'a str) -> Self {
        EventIds {
            team: Some(team),
            ..Default::default()
        }
    }
    pub fn agent(mut self, agent: &'a str) -> Self {
        self.agent = Some(agent);
        self
    }
    pub fn message(mut self, message: &'a str) -> Self {
        self.message = Some(message);
        self
    }
}

/// Appends one event row, chained to the team's previous event, inside `tx`.
pub fn insert(
    tx: &Transaction<'_>,
    ts: i64,
    trace: &EventIds<'_>,
    kind: &str,
    data: &Value,
) -> Result<()> {
    let team = trace.team.unwrap_or_default();
    let prev: String = tx
        .prepare_cached("SELECT chain FROM events WHERE team_id = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([team], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let data = data.to_string();
    let ids = [trace.agent, trace.task, trace.message, trace.artifact];
    let chain = chain_hash(&prev, ts, team, ids, kind, &data);
    tx.prepare_cached(
        "INSERT INTO events (ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data, chain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![ts, team, ids[0], ids[1], ids[2], ids[3], kind, data, chain])?;
    Ok(())
}

/// The chain value of one event: sha256 over the previous chain and the event's fields.
pub fn chain_hash(
    prev: &str,
    ts: i64,
    team: &str,
    ids: [Option<&str>; 4],
    kind: &str,
    data: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &ts.to_string(),
        team,
        ids[0].unwrap_or(""),
        ids[1].unwrap_or(""),
        ids[2].unwrap_or(""),
        ids[3].unwrap_or(""),
        kind,
        data,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// One stored event with its raw data text and chain, for verification.
pub struct RawEvent {
    pub event: Event,
    pub data_text: String,
    pub chain: String,
}

impl RawEvent {
    /// The chain value this event should carry after an event whose chain is `prev`.
    pub fn expected_chain(&self, prev: &str) -> String {
        let e = &self.event;
        chain_hash(
            prev,
            e.ts,
            &e.team_id,
            e.refs.ids(),
            &e.kind,
            &self.data_text,
        )
    }
}

/// Every event of a team with its chain, oldest first.
pub fn list_raw(conn: &Connection, team_id: &str) -> Result<Vec<RawEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data, chain
         FROM events WHERE team_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([team_id], |row| {
        let event = event_from_row(row)?;
        Ok(RawEvent {
            event,
            data_text: row.get(8)?,
            chain: row.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let data: String = row.get(8)?;
    Ok(Event {
        seq: row.get(0)?,
        ts: row.get(1)?,
        team_id: row.get(2)?,
        refs: EventRefs {
            agent_id: row.get(3)?,
            task_id: row.get(4)?,
            message_id: row.get(5)?,
            artifact_id: row.get(6)?,
        },
        kind: row.get(7)?,
        // Stored data is always JSON written by `insert`; keep anything else as text.
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
    })
}

/// Events of a team after `after_seq`, oldest first.
pub fn list(conn: &Connection, team_id: &str, after_seq: i64, limit: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data
         FROM events WHERE team_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![team_id, after_seq, limit], event_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The events that need the lead's attention: a task finished or failed, work returned to
/// the board (a claim released or expired), a worker died, a decision resolved. Stops for
/// budget, idle or early stop are not here: they already reach the lead as messages.
const LEAD_NEWS_WHERE: &str = "team_id = ?1 AND seq > ?2 AND (
       (kind = 'task.updated' AND json_extract(data, '$.to') IN ('done', 'failed'))
       OR kind IN ('task.released', 'task.lease_expired', 'agent.dead', 'decision.resolved'))";

/// Lead news of a team after `after_seq` up to `upto_seq`, oldest first, at most `limit`.
pub fn lead_news(
    conn: &Connection,
    team_id: &str,
    after_seq: i64,
    upto_seq: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data
         FROM events WHERE {LEAD_NEWS_WHERE} AND seq <= ?3 ORDER BY seq LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![team_id, after_seq, upto_seq, limit], event_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Whether a team has lead news after `after_seq` (a seek on `events_team`).
pub fn has_lead_news(conn: &Connection, team_id: &str, after_seq: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM events WHERE {LEAD_NEWS_WHERE})"
        ))?
        .query_row(params![team_id, after_seq], |r| r.get(0))?)
}

/// The newest event number of a team (0 for none).
pub fn last_seq(conn: &Connection, team_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))?)
}

const LAST_RECOMMENDATION: &str =
    "SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data
     FROM events WHERE team_id = ?1 AND kind = 'fanout.recommended'
     ORDER BY seq DESC LIMIT 1";

/// The newest `fanout.recommended` event of a team. The kind is spelled out in the SQL so
/// the partial index `events_fanout` (migrations/V4) serves it: a seek, where a bound kind
/// would scan the team's whole log backwards on every status call.
pub fn last_recommendation(conn: &Connection, team_id: &str) -> Result<Option<Event>> {
    let mut stmt = conn.prepare_cached(LAST_RECOMMENDATION)?;
    let mut rows = stmt.query_map([team_id], event_from_row)?;
    Ok(rows.next().transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_recommendation_is_a_seek_not_a_scan_of_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::Store::open(&dir.path().join("t.db")).expect("open");
        let plan: Vec<String> = store
            .read(|c| -> Result<Vec<String>> {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {LAST_RECOMMENDATION}"))?;
                let rows = stmt.query_map(["team_x"], |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .expect("plan");
        assert_eq!(
            plan,
            ["SEARCH events USING INDEX events_fanout (team_id=?)"]
        );
    }
}
