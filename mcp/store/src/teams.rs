//! SQL for teams and agents.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::{AgentState, Result, StoreError, TeamState};

/// The role of a team's lead agent (every other role is a worker).
pub const LEAD_ROLE: &str = "lead";

pub struct TeamRow {
    pub team_id: String,
    pub goal: String,
    pub profile: String,
    pub state: TeamState,
    pub lead_agent_id: String,
    pub workspace: Option<String>,
    pub summary: Option<String>,
    pub created_at: i64,
    pub finalized_at: Option<i64>,
}

pub struct AgentRow {
    pub agent_id: String,
    pub team_id: String,
    pub role: String,
    pub runner: String,
    pub state: AgentState,
    pub token_hash: Option<String>,
    pub model: Option<String>,
    pub pid: Option<i64>,
    pub stop_reason: Option<String>,
    pub tokens_input: i64,
    pub tokens_cached: i64,
    pub tokens_output: i64,
    pub last_activity_at: i64,
    pub created_at: i64,
    pub current_task: Option<String>,
    /// When the agent first called a team tool (its server's start-up check is not a call).
    pub first_call_at: Option<i64>,
}

impl AgentRow {
    /// The one liveness rule: a worker (any role but the lead) that is starting, active or
    /// idle. Team size, affordability, arbitration quorums and "is anyone still working"
    /// all count these.
    pub fn is_live_worker(&self) -> bool {
        self.role != LEAD_ROLE && self.state.is_live()
    }
}

const TEAM_COLS: &str = "team_id, goal, profile, state, lead_agent_id, workspace, summary, \
                         created_at, finalized_at";

fn team_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TeamRow> {
    Ok(TeamRow {
        team_id: row.get(0)?,
        goal: row.get(1)?,
        profile: row.get(2)?,
        state: row.get(3)?,
        lead_agent_id: row.get(4)?,
        workspace: row.get(5)?,
        summary: row.get(6)?,
        created_at: row.get(7)?,
        finalized_at: row.get(8)?,
    })
}

const AGENT_COLS: &str = "a.agent_id, a.team_id, a.role, a.runner, a.state, a.token_hash, a.model, \
     a.pid, a.stop_reason, a.tokens_input, a.tokens_cached, a.tokens_output, a.last_activity_at, \
     a.created_at, (SELECT t.task_id FROM tasks t WHERE t.owner = a.agent_id AND t.status = 'claimed' \
     ORDER BY t.seq LIMIT 1), a.first_call_at";

fn agent_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AgentRow> {
    Ok(AgentRow {
        agent_id: row.get(0)?,
        team_id: row.get(1)?,
        role: row.get(2)?,
        runner: row.get(3)?,
        state: row.get(4)?,
        token_hash: row.get(5)?,
        model: row.get(6)?,
        pid: row.get(7)?,
        stop_reason: row.get(8)?,
        tokens_input: row.get(9)?,
        tokens_cached: row.get(10)?,
        tokens_output: row.get(11)?,
        last_activity_at: row.get(12)?,
        created_at: row.get(13)?,
        current_task: row.get(14)?,
        first_call_at: row.get(15)?,
    })
}

pub struct NewTeam<'a> {
    pub team_id: &'a str,
    pub goal: &'a str,
    pub profile: &'a str,
    pub settings: &'a str,
    pub lead_agent_id: &'a str,
    /// The hash of the lead secret, kept in the lead's agent row like a worker token's.
    pub lead_token_hash: &'a str,
    pub workspace: Option<&'a str>,
    pub now: i64,
}

pub fn insert_team(tx: &Transaction<'_>, t: &NewTeam<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO teams (team_id, goal, profile, settings, state, lead_agent_id, workspace, created_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7)",
        params![t.team_id, t.goal, t.profile, t.settings, t.lead_agent_id, t.workspace, t.now],
    )?;
    tx.execute(
        "INSERT INTO agents (agent_id, team_id, role, runner, state, token_hash, last_activity_at, created_at)
         VALUES (?1, ?2, 'lead', 'lead', 'active', ?4, ?3, ?3)",
        params![t.lead_agent_id, t.team_id, t.now, t.lead_token_hash],
    )?;
    Ok(())
}

pub fn team(conn: &Connection, team_id: &str) -> Result<TeamRow> {
    conn.prepare_cached(&format!("SELECT {TEAM_COLS} FROM teams WHERE team_id = ?1"))?
        .query_row([team_id], team_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("team", team_id))
}

pub fn teams(conn: &Connection, include_finalized: bool) -> Result<Vec<TeamRow>> {
    let sql = if include_finalized {
        format!("SELECT {TEAM_COLS} FROM teams ORDER BY created_at DESC")
    } else {
        format!("SELECT {TEAM_COLS} FROM teams WHERE state = 'active' ORDER BY created_at DESC")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], team_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn settings(conn: &Connection, team_id: &str) -> Result<String> {
    conn.prepare_cached("SELECT settings FROM teams WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("team", team_id))
}

pub fn finalize_team(tx: &Transaction<'_>, team_id: &str, summary: &str, now: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE teams SET state = 'finalized', summary = ?2, finalized_at = ?3
         WHERE team_id = ?1 AND state = 'active'",
        params![team_id, summary, now],
    )?;
    Ok(n == 1)
}

pub fn agent(conn: &Connection, agent_id: &str) -> Result<AgentRow> {
    conn.prepare_cached(&format!(
        "SELECT {AGENT_COLS} FROM agents a WHERE a.agent_id = ?1"
    ))?
    .query_row([agent_id], agent_from_row)
    .optional()?
    .ok_or_else(|| StoreError::not_found("agent", agent_id))
}

/// What every call checks about its caller, read in one statement: the agent's team, role,
/// state and secret hash, and the state of `team_id` (None when no such team).
pub struct Liveness {
    pub agent_team_id: String,
    pub role: String,
    pub state: AgentState,
    pub stop_reason: Option<String>,
    pub token_hash: Option<String>,
    pub team_state: Option<TeamState>,
    /// Whether the agent has called a team tool yet.
    pub called: bool,
}

pub fn liveness(conn: &Connection, team_id: &str, agent_id: &str) -> Result<Liveness> {
    conn.prepare_cached(
        "SELECT a.team_id, a.role, a.state, a.stop_reason, a.token_hash,
                (SELECT t.state FROM teams t WHERE t.team_id = ?1), a.first_call_at IS NOT NULL
         FROM agents a WHERE a.agent_id = ?2",
    )?
    .query_row(params![team_id, agent_id], |r| {
        Ok(Liveness {
            agent_team_id: r.get(0)?,
            role: r.get(1)?,
            state: r.get(2)?,
            stop_reason: r.get(3)?,
            token_hash: r.get(4)?,
            team_state: r.get(5)?,
            called: r.get(6)?,
        })
    })
    .optional()?
    .ok_or_else(|| StoreError::not_found("agent", agent_id))
}

/// The agent whose secret hashes to `token_hash` (a worker's token or a lead's credential),
/// with what a bearer-token check needs: its team, role and state and the team's state.
pub struct Bearer {
    pub agent_id: String,
    pub team_id: String,
    pub role: String,
    pub state: AgentState,
    pub team_state: TeamState,
}

pub fn agent_by_token_hash(conn: &Connection, token_hash: &str) -> Result<Option<Bearer>> {
    Ok(conn
        .prepare_cached(
            "SELECT a.agent_id, a.team_id, a.role, a.state, t.state
             FROM agents a JOIN teams t ON t.team_id = a.team_id
             WHERE a.token_hash = ?1",
        )?
        .query_row([token_hash], |r| {
            Ok(Bearer {
                agent_id: r.get(0)?,
                team_id: r.get(1)?,
                role: r.get(2)?,
                state: r.get(3)?,
                team_state: r.get(4)?,
            })
        })
        .optional()?)
}

/// The team an agent belongs to, if the agent exists.
pub fn team_of_agent(conn: &Connection, agent_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT team_id FROM agents WHERE agent_id = ?1")?
        .query_row([agent_id], |r| r.get(0))
        .optional()?)
}

pub fn agents(conn: &Connection, team_id: &str) -> Result<Vec<AgentRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {AGENT_COLS} FROM agents a WHERE a.team_id = ?1 ORDER BY a.created_at, a.agent_id"
    ))?;
    let rows = stmt.query_map([team_id], agent_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Live workers (not the lead) of a team: the number the hard cap counts.
pub fn live_workers(conn: &Connection, team_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM agents WHERE team_id = ?1 AND role != 'lead'
             AND state IN ('starting', 'active', 'idle')",
        )?
        .query_row([team_id], |r| r.get(0))?)
}

pub struct NewAgent<'a> {
    pub agent_id: &'a str,
    pub team_id: &'a str,
    pub role: &'a str,
    pub runner: &'a str,
    pub token_hash: &'a str,
    pub brief: &'a str,
    pub model: Option<&'a str>,
    pub now: i64,
}

pub fn insert_agent(tx: &Transaction<'_>, a: &NewAgent<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO agents (agent_id, team_id, role, runner, state, token_hash, brief, model,
                             last_activity_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'starting', ?5, ?6, ?7, ?8, ?8)",
        params![
            a.agent_id,
            a.team_id,
            a.role,
            a.runner,
            a.token_hash,
            a.brief,
            a.model,
            a.now
        ],
    )?;
    Ok(())
}

pub fn set_agent_pid(tx: &Transaction<'_>, agent_id: &str, pid: Option<u32>) -> Result<()> {
    tx.execute(
        "UPDATE agents SET pid = ?2 WHERE agent_id = ?1",
        params![agent_id, pid],
    )?;
    Ok(())
}

/// Moves an agent to `stopped` or `dead`; returns false if it was already stopped or dead.
pub fn end_agent(
    tx: &Transaction<'_>,
    agent_id: &str,
    state: AgentState,
    reason: &str,
    now: i64,
) -> Result<bool> {
    let n = tx.execute(
        "UPDATE agents SET state = ?2, stop_reason = ?3, stopped_at = ?4
         WHERE agent_id = ?1 AND state IN ('starting', 'active', 'idle')",
        params![agent_id, state, reason, now],
    )?;
    Ok(n == 1)
}

/// Records an agent's first team-tool call; returns whether this was it.
pub fn record_first_call(tx: &Transaction<'_>, agent_id: &str, now: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE agents SET first_call_at = ?2 WHERE agent_id = ?1 AND first_call_at IS NULL",
        params![agent_id, now],
    )?;
    Ok(n == 1)
}

/// Marks an agent active (its server started, or its first call after idling) and returns
/// whether it changed.
pub fn activate_agent(tx: &Transaction<'_>, agent_id: &str, now: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE agents SET state = 'active', last_activity_at = ?2
         WHERE agent_id = ?1 AND state IN ('starting', 'idle')",
        params![agent_id, now],
    )?;
    Ok(n == 1)
}

/// Records activity: the agent's last-activity time and the leases of its claimed tasks.
pub fn touch_agent(tx: &Transaction<'_>, agent_id: &str, now: i64, lease_until: i64) -> Result<()> {
    tx.prepare_cached("UPDATE agents SET last_activity_at = ?2 WHERE agent_id = ?1")?
        .execute(params![agent_id, now])?;
    tx.prepare_cached(
        "UPDATE tasks SET leased_until = ?2 WHERE owner = ?1 AND status = 'claimed' AND leased_until < ?2",
    )?
    .execute(params![agent_id, lease_until])?;
    Ok(())
}

/// The team's lead agent id, verifying it belongs to the team.
pub fn lead_of(conn: &Connection, team_id: &str) -> Result<String> {
    conn.prepare_cached("SELECT lead_agent_id FROM teams WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("team", team_id))
}

/// Counts used by status and the run summary.
pub struct TeamCounts {
    pub messages: i64,
    pub artifacts: i64,
    pub unread: i64,
}

pub fn counts(conn: &Connection, team_id: &str, reader: &str, now: i64) -> Result<TeamCounts> {
    let messages = conn
        .prepare_cached("SELECT COUNT(*) FROM messages WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))?;
    let artifacts = conn
        .prepare_cached("SELECT COUNT(*) FROM artifacts WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))?;
    Ok(TeamCounts {
        messages,
        artifacts,
        unread: unread(conn, reader, now)?,
    })
}

/// Messages waiting in `reader`'s inbox now. An index range, unlike the message count of
/// [`counts`], which reads every message of the team: status calls use this alone.
pub fn unread(conn: &Connection, reader: &str, now: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM deliveries WHERE agent_id = ?1 AND acked_at IS NULL AND leased_until <= ?2",
        )?
        .query_row(params![reader, now], |r| r.get(0))?)
}

/// Adds usage to an agent; returns (agent total, team total) of input + output tokens.
pub fn add_usage(
    tx: &Transaction<'_>,
    team_id: &str,
    agent_id: &str,
    input: i64,
    cached: i64,
    output: i64,
) -> Result<(i64, i64)> {
    let n = tx.execute(
        "UPDATE agents SET tokens_input = tokens_input + ?3, tokens_cached = tokens_cached + ?4,
                           tokens_output = tokens_output + ?5
         WHERE agent_id = ?1 AND team_id = ?2",
        params![agent_id, team_id, input, cached, output],
    )?;
    if n == 0 {
        return Err(StoreError::not_found("agent", agent_id));
    }
    let agent_total = tx.query_row(
        "SELECT tokens_input + tokens_output FROM agents WHERE agent_id = ?1",
        [agent_id],
        |r| r.get(0),
    )?;
    let team_total = team_tokens(tx, team_id)?;
    Ok((agent_total, team_total))
}

/// Tokens (input + output) the team's agents have used.
pub fn team_tokens(conn: &Connection, team_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(tokens_input + tokens_output), 0) FROM agents WHERE team_id = ?1",
        )?
        .query_row([team_id], |r| r.get(0))?)
}

/// Brings a dead or stopped agent back (resume): new secret, state `starting`.
pub fn revive_agent(tx: &Transaction<'_>, a: &NewAgent<'_>) -> Result<()> {
    let n = tx.execute(
        "UPDATE agents SET state = 'starting', token_hash = ?2, brief = ?3, model = ?4, pid = NULL,
                           stop_reason = NULL, stopped_at = NULL, last_activity_at = ?5,
                           first_call_at = NULL
         WHERE agent_id = ?1 AND state IN ('stopped', 'dead')",
        params![a.agent_id, a.token_hash, a.brief, a.model, a.now],
    )?;
    if n == 0 {
        return Err(StoreError::conflict(
            format!(
                "agent {} is live; only a dead or stopped agent can be resumed",
                a.agent_id
            ),
            serde_json::json!({ "agent_id": a.agent_id }),
        ));
    }
    Ok(())
}

pub fn set_thread(tx: &Transaction<'_>, agent_id: &str, thread: &str) -> Result<()> {
    tx.execute(
        "UPDATE agents SET thread_id = ?2 WHERE agent_id = ?1",
        params![agent_id, thread],
    )?;
    Ok(())
}

pub fn thread_of(conn: &Connection, agent_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT thread_id FROM agents WHERE agent_id = ?1")?
        .query_row([agent_id], |r| r.get(0))
        .optional()?
        .flatten())
}

pub fn set_activity(tx: &Transaction<'_>, agent_id: &str, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE agents SET last_activity_at = ?2 WHERE agent_id = ?1")?
        .execute(params![agent_id, now])?;
    Ok(())
}

/// Rewrites a finalized team's run summary (usage charged after finalize: the lead's last
/// answer, a worker's last request).
pub fn set_summary(tx: &Transaction<'_>, team_id: &str, summary: &str) -> Result<()> {
    tx.execute(
        "UPDATE teams SET summary = ?2 WHERE team_id = ?1 AND state = 'finalized'",
        params![team_id, summary],
    )?;
    Ok(())
}
