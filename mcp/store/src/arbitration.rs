//! SQL for arbitration: decisions and their votes.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{DecisionState, Result};

pub struct DecisionRow {
    pub decision_id: String,
    pub team_id: String,
    pub question: Option<String>,
    pub mode: String,
    /// JSON array of canonical artifact refs.
    pub candidates: String,
    /// JSON array of voter agent ids.
    pub eligible: String,
    pub quorum: f64,
    pub on_tie: String,
    pub on_no_quorum: String,
    pub on_consensus_failure: String,
    pub opened_by: String,
    pub created_at: i64,
    pub deadline: i64,
    pub override_choice: Option<String>,
    pub status: DecisionState,
    pub outcome: Option<String>,
    pub winner: Option<String>,
    pub reason: Option<String>,
    pub resolved_at: Option<i64>,
}

pub struct VoteRow {
    pub agent_id: String,
    pub choice: String,
    pub rationale: String,
    pub created_at: i64,
}

const COLS: &str = "decision_id, team_id, question, mode, candidates, eligible, quorum, on_tie, \
     on_no_quorum, on_consensus_failure, opened_by, created_at, deadline, override_choice, \
     status, outcome, winner, reason, resolved_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DecisionRow> {
    Ok(DecisionRow {
        decision_id: r.get(0)?,
        team_id: r.get(1)?,
        question: r.get(2)?,
        mode: r.get(3)?,
        candidates: r.get(4)?,
        eligible: r.get(5)?,
        quorum: r.get(6)?,
        on_tie: r.get(7)?,
        on_no_quorum: r.get(8)?,
        on_consensus_failure: r.get(9)?,
        opened_by: r.get(10)?,
        created_at: r.get(11)?,
        deadline: r.get(12)?,
        override_choice: r.get(13)?,
        status: r.get(14)?,
        outcome: r.get(15)?,
        winner: r.get(16)?,
        reason: r.get(17)?,
        resolved_at: r.get(18)?,
    })
}

pub struct NewDecision<'a> {
    pub decision_id: &'a str,
    pub team_id: &'a str,
    pub question: Option<&'a str>,
    pub mode: &'a str,
    pub candidates: &'a str,
    pub eligible: &'a str,
    pub quorum: f64,
    pub on_tie: &'a str,
    pub on_no_quorum: &'a str,
    pub on_consensus_failure: &'a str,
    pub opened_by: &'a str,
    pub now: i64,
    pub deadline: i64,
}

pub fn insert(tx: &Transaction<'_>, d: &NewDecision<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO decisions (decision_id, team_id, question, mode, candidates, eligible, quorum,
             on_tie, on_no_quorum, on_consensus_failure, opened_by, created_at, deadline, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'open')",
    )?
    .execute(params![
        d.decision_id,
        d.team_id,
        d.question,
        d.mode,
        d.candidates,
        d.eligible,
        d.quorum,
        d.on_tie,
        d.on_no_quorum,
        d.on_consensus_failure,
        d.opened_by,
        d.now,
        d.deadline
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, decision_id: &str) -> Result<Option<DecisionRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM decisions WHERE decision_id = ?1"
        ))?
        .query_row([decision_id], from_row)
        .optional()?)
}

/// A decision's votes (the lead's included), oldest first.
pub fn votes(conn: &Connection, decision_id: &str) -> Result<Vec<VoteRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT agent_id, choice, rationale, created_at FROM votes
         WHERE decision_id = ?1 ORDER BY created_at, agent_id",
    )?;
    let rows = stmt.query_map([decision_id], |r| {
        Ok(VoteRow {
            agent_id: r.get(0)?,
            choice: r.get(1)?,
            rationale: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub struct NewVote<'a> {
    pub decision_id: &'a str,
    pub agent_id: &'a str,
    pub team_id: &'a str,
    pub choice: &'a str,
    pub rationale: &'a str,
    pub now: i64,
}

/// Records a vote; false when this agent has already voted on the decision.
pub fn insert_vote(tx: &Transaction<'_>, v: &NewVote<'_>) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT INTO votes (decision_id, agent_id, team_id, choice, rationale, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (decision_id, agent_id) DO NOTHING",
        )?
        .execute(params![
            v.decision_id,
            v.agent_id,
            v.team_id,
            v.choice,
            v.rationale,
            v.now
        ])?;
    Ok(n == 1)
}

/// Records the lead's override of an open decision; false if it is no longer open.
pub fn set_override(tx: &Transaction<'_>, decision_id: &str, choice: &str) -> Result<bool> {
    let n = tx.execute(
        "UPDATE decisions SET override_choice = ?2 WHERE decision_id = ?1 AND status = 'open'",
        params![decision_id, choice],
    )?;
    Ok(n == 1)
}

pub struct Resolved<'a> {
    pub status: DecisionState,
    pub outcome: &'a str,
    pub winner: Option<&'a str>,
    pub reason: &'a str,
    pub now: i64,
}

/// Closes an open decision; false if another process closed it first.
pub fn resolve(tx: &Transaction<'_>, decision_id: &str, r: &Resolved<'_>) -> Result<bool> {
    let n = tx.execute(
        "UPDATE decisions SET status = ?2, outcome = ?3, winner = ?4, reason = ?5, resolved_at = ?6
         WHERE decision_id = ?1 AND status = 'open'",
        params![decision_id, r.status, r.outcome, r.winner, r.reason, r.now],
    )?;
    Ok(n == 1)
}

/// How many decisions of a team are still open.
pub fn open_count(conn: &Connection, team_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM decisions WHERE team_id = ?1 AND status = 'open'")?
        .query_row([team_id], |r| r.get(0))?)
}
