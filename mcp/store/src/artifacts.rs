//! SQL for artifacts: append-only versions per (team, name).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;

pub struct ArtifactRow {
    pub artifact_id: String,
    pub team_id: String,
    pub name: String,
    pub version: i64,
    pub content: String,
    pub sha256: String,
    pub bytes: i64,
    pub author: String,
    pub created_at: i64,
}

const COLS: &str =
    "artifact_id, team_id, name, version, content, sha256, bytes, author, created_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArtifactRow> {
    Ok(ArtifactRow {
        artifact_id: r.get(0)?,
        team_id: r.get(1)?,
        name: r.get(2)?,
        version: r.get(3)?,
        content: r.get(4)?,
        sha256: r.get(5)?,
        bytes: r.get(6)?,
        author: r.get(7)?,
        created_at: r.get(8)?,
    })
}

pub fn latest_version(conn: &Connection, team_id: &str, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT MAX(version) FROM artifacts WHERE team_id = ?1 AND name = ?2")?
        .query_row(params![team_id, name], |r| r.get(0))?)
}

pub fn get(
    conn: &Connection,
    team_id: &str,
    name: &str,
    version: i64,
) -> Result<Option<ArtifactRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM artifacts WHERE team_id = ?1 AND name = ?2 AND version = ?3"
        ))?
        .query_row(params![team_id, name, version], from_row)
        .optional()?)
}

pub fn get_by_id(conn: &Connection, artifact_id: &str) -> Result<Option<ArtifactRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM artifacts WHERE artifact_id = ?1"
        ))?
        .query_row([artifact_id], from_row)
        .optional()?)
}

pub struct NewArtifact<'a> {
    pub artifact_id: &'a str,
    pub team_id: &'a str,
    pub name: &'a str,
    pub version: i64,
    pub content: &'a str,
    pub sha256: &'a str,
    pub author: &'a str,
    pub now: i64,
}

pub fn insert(tx: &Transaction<'_>, a: &NewArtifact<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO artifacts (artifact_id, team_id, name, version, content, sha256, bytes, author, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        a.artifact_id,
        a.team_id,
        a.name,
        a.version,
        a.content,
        a.sha256,
        a.content.len() as i64,
        a.author,
        a.now
    ])?;
    Ok(())
}

/// Bytes of artifact content the team stores, every version counted (read from the
/// `(team_id, bytes)` index, never from the content itself).
pub fn team_bytes(tx: &Transaction<'_>, team_id: &str) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(SUM(bytes), 0) FROM artifacts WHERE team_id = ?1")?
        .query_row([team_id], |r| r.get(0))?)
}
