//! SQL for the message bus: messages, and one delivery row per (message, recipient).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;

/// The message an idempotency key was first used for: what a repeat is compared with.
pub struct Keyed {
    pub message_id: String,
    pub to: Option<String>,
    pub body: String,
}

pub fn find_by_key(
    tx: &Transaction<'_>,
    team_id: &str,
    from: &str,
    key: &str,
) -> Result<Option<Keyed>> {
    Ok(tx
        .prepare_cached(
            "SELECT message_id, to_agent_id, body FROM messages
             WHERE team_id = ?1 AND from_agent_id = ?2 AND idempotency_key = ?3",
        )?
        .query_row(params![team_id, from, key], |r| {
            Ok(Keyed {
                message_id: r.get(0)?,
                to: r.get(1)?,
                body: r.get(2)?,
            })
        })
        .optional()?)
}

pub struct NewMessage<'a> {
    pub message_id: &'a str,
    pub team_id: &'a str,
    pub from: &'a str,
    pub to: Option<&'a str>,
    pub body: &'a str,
    pub key: Option<&'a str>,
    pub now: i64,
}

/// Inserts a message and its deliveries; the message's rowid orders deliveries.
pub fn insert(tx: &Transaction<'_>, m: &NewMessage<'_>, recipients: &[String]) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO messages (message_id, team_id, from_agent_id, to_agent_id, body, idempotency_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![m.message_id, m.team_id, m.from, m.to, m.body, m.key, m.now])?;
    let seq = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO deliveries (message_id, agent_id, team_id, seq) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in recipients {
        stmt.execute(params![m.message_id, r, m.team_id, seq])?;
    }
    Ok(())
}

pub fn recipient_count(tx: &Transaction<'_>, message_id: &str) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COUNT(*) FROM deliveries WHERE message_id = ?1")?
        .query_row([message_id], |r| r.get(0))?)
}

/// Acknowledges deliveries of `agent`; returns the ids that were pending and are now acked.
pub fn ack(tx: &Transaction<'_>, agent: &str, ids: &[String], now: i64) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE deliveries SET acked_at = ?3
         WHERE message_id = ?1 AND agent_id = ?2 AND acked_at IS NULL AND delivery_count > 0",
    )?;
    let mut acked = Vec::new();
    for id in ids {
        if stmt.execute(params![id, agent, now])? == 1 {
            acked.push(id.clone());
        }
    }
    Ok(acked)
}

pub struct Pulled {
    pub message_id: String,
    pub from: String,
    pub body: String,
    pub broadcast: bool,
    pub delivery_count: i64,
    pub sent_at: i64,
}

/// Leases up to `max` deliverable messages of `agent` until `lease_until`, oldest first.
pub fn lease(
    tx: &Transaction<'_>,
    agent: &str,
    max: i64,
    now: i64,
    lease_until: i64,
) -> Result<Vec<Pulled>> {
    let mut out: Vec<Pulled> = {
        let mut stmt = tx.prepare_cached(
            "SELECT d.message_id, m.from_agent_id, m.body, m.to_agent_id IS NULL, d.delivery_count, m.created_at
             FROM deliveries d JOIN messages m ON m.message_id = d.message_id
             WHERE d.agent_id = ?1 AND d.acked_at IS NULL AND d.leased_until <= ?2
             ORDER BY d.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![agent, now, max], |r| {
            Ok(Pulled {
                message_id: r.get(0)?,
                from: r.get(1)?,
                body: r.get(2)?,
                broadcast: r.get(3)?,
                delivery_count: r.get(4)?,
                sent_at: r.get(5)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let mut stmt = tx.prepare_cached(
        "UPDATE deliveries SET leased_until = ?3, delivery_count = delivery_count + 1
         WHERE message_id = ?1 AND agent_id = ?2",
    )?;
    for p in &mut out {
        stmt.execute(params![p.message_id, agent, lease_until])?;
        p.delivery_count += 1;
    }
    Ok(out)
}

/// Whether `agent` has anything deliverable now (a cheap check for long-polls), not
/// counting messages from `except_from`.
pub fn has_deliverable(
    conn: &Connection,
    agent: &str,
    now: i64,
    except_from: Option<&str>,
) -> Result<bool> {
    Ok(match except_from {
        None => conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM deliveries WHERE agent_id = ?1 AND acked_at IS NULL AND leased_until <= ?2)",
            )?
            .query_row(params![agent, now], |r| r.get(0))?,
        Some(from) => conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM deliveries d JOIN messages m ON m.message_id = d.message_id
                 WHERE d.agent_id = ?1 AND d.acked_at IS NULL AND d.leased_until <= ?2 AND m.from_agent_id <> ?3)",
            )?
            .query_row(params![agent, now, from], |r| r.get(0))?,
    })
}

/// The senders of what is deliverable to `agent` now, without leasing anything.
pub fn deliverable_senders(conn: &Connection, agent: &str, now: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT m.from_agent_id FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.agent_id = ?1 AND d.acked_at IS NULL AND d.leased_until <= ?2",
    )?;
    let rows = stmt.query_map(params![agent, now], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The earliest lease expiry among `agent`'s unacknowledged messages, if any.
pub fn next_lease_expiry(conn: &Connection, agent: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT MIN(leased_until) FROM deliveries WHERE agent_id = ?1 AND acked_at IS NULL",
        )?
        .query_row([agent], |r| r.get(0))?)
}

/// Agents of a team a broadcast reaches: every live agent except the sender.
pub fn broadcast_recipients(
    tx: &Transaction<'_>,
    team_id: &str,
    from: &str,
) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT agent_id FROM agents WHERE team_id = ?1 AND agent_id != ?2
         AND state IN ('starting', 'active', 'idle') ORDER BY created_at",
    )?;
    let rows = stmt.query_map(params![team_id, from], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// SQLite's data_version: changes whenever another connection commits.
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}
