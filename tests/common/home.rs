//! A codex-teams home in a temporary directory (removed on drop) and `serve-mcp`
//! processes on it, each started over real stdio as Codex starts one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_teams::mcp::client::StdioClient;
use serde_json::Value;
use tempfile::TempDir;

pub struct TempHome {
    dir: TempDir,
    /// `CODEX_TEAMS_HOME` of every process started here.
    pub home: PathBuf,
    /// The database every process opens (`--db`).
    pub db: PathBuf,
    /// The working directory of every process started here.
    pub workspace: PathBuf,
}

impl TempHome {
    /// `<tmp>/home` with its database `<tmp>/home/teams.db`, and a workspace `<tmp>/ws`.
    pub fn new() -> TempHome {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let workspace = dir.path().join("ws");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&workspace).expect("workspace");
        TempHome {
            db: home.join("teams.db"),
            home,
            workspace,
            dir,
        }
    }

    /// The temporary directory itself as home and workspace, with the database at `db`
    /// below it (a directory on the way is not created: the first process creates it).
    pub fn flat(db: &str) -> TempHome {
        let dir = tempfile::tempdir().expect("temp dir");
        TempHome {
            db: dir.path().join(db),
            home: dir.path().to_path_buf(),
            workspace: dir.path().to_path_buf(),
            dir,
        }
    }

    /// The temporary directory everything lives in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The environment every process of this home gets (`CODEX_TEAMS_HOME`).
    pub fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert(
            "CODEX_TEAMS_HOME".to_string(),
            self.home.display().to_string(),
        );
        env
    }

    /// Starts `program` (codex-teams or a wrapper around it) as `serve-mcp` on this home,
    /// with `extra` (a worker's credentials, settings under test) added to [`TempHome::env`].
    pub fn try_spawn(
        &self,
        program: &Path,
        extra: &BTreeMap<String, String>,
    ) -> anyhow::Result<StdioClient> {
        let mut env = self.env();
        env.extend(extra.clone());
        StdioClient::spawn(program, &self.db, &env, Some(&self.workspace))
    }

    /// [`TempHome::try_spawn`], which must start.
    pub fn spawn(&self, program: &Path, extra: &BTreeMap<String, String>) -> StdioClient {
        self.try_spawn(program, extra).expect("start serve-mcp")
    }

    /// `codex-teams serve-mcp` on this home with `extra` in its environment.
    pub fn try_serve(&self, extra: &BTreeMap<String, String>) -> anyhow::Result<StdioClient> {
        self.try_spawn(super::exe(), extra)
    }

    /// [`TempHome::try_serve`], which must start.
    pub fn serve(&self, extra: &BTreeMap<String, String>) -> StdioClient {
        self.spawn(super::exe(), extra)
    }

    /// A lead's server: no credentials.
    pub fn lead(&self) -> StdioClient {
        self.serve(&BTreeMap::new())
    }

    /// A worker's server, with the environment `team_spawn` returned in `spawned`.
    pub fn worker(&self, spawned: &Value) -> StdioClient {
        self.serve(&spawn_env(spawned))
    }

    /// Writes `<home>/profiles/<name>.team.yaml`: the shipped default profile with `name`
    /// and each `(key, value)` of `settings` changed (a key is matched as a line
    /// `  key: ...` of a section; every one must exist in the default).
    pub fn profile(&self, name: &str, settings: &[(&str, &str)]) {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/default.team.yaml");
        let yaml = std::fs::read_to_string(&shipped).expect("read the default profile");
        let mut changed = 0;
        let lines: Vec<String> = yaml
            .lines()
            .map(|line| {
                if line.starts_with("name: ") {
                    return format!("name: {name}");
                }
                for (key, value) in settings {
                    if line.starts_with(&format!("  {key}: ")) {
                        changed += 1;
                        return format!("  {key}: {value}");
                    }
                }
                line.to_string()
            })
            .collect();
        assert_eq!(
            changed,
            settings.len(),
            "every setting must exist in the default"
        );
        let dir = self.home.join("profiles");
        std::fs::create_dir_all(&dir).expect("profiles dir");
        let path = dir.join(format!("{name}.team.yaml"));
        std::fs::write(path, lines.join("\n") + "\n").expect("write profile");
    }
}

/// Asserts that `task` is done and that `agent` of `team` published at least one artifact
/// (`context` is shown when it is not).
pub fn assert_done_and_published(
    conn: &rusqlite::Connection,
    task: &str,
    team: &str,
    agent: &str,
    context: &str,
) {
    let status: String = conn
        .query_row("SELECT status FROM tasks WHERE task_id = ?1", [task], |r| {
            r.get(0)
        })
        .expect("task row");
    assert_eq!(status, "done", "task {task}: {context}");
    let published: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM artifacts WHERE team_id = ?1 AND author = ?2",
            [team, agent],
            |r| r.get(0),
        )
        .expect("artifacts");
    assert!(published >= 1, "the worker published its result: {context}");
}

/// Asserts that `team` is finalized.
pub fn assert_finalized(conn: &rusqlite::Connection, team: &str) {
    let state: String = conn
        .query_row("SELECT state FROM teams WHERE team_id = ?1", [team], |r| {
            r.get(0)
        })
        .expect("team row");
    assert_eq!(state, "finalized", "team {team}");
}

/// The environment `team_spawn` returned for an external worker (`spawned["env"]`).
pub fn spawn_env(spawned: &Value) -> BTreeMap<String, String> {
    let Some(env) = spawned["env"].as_object() else {
        panic!("team_spawn returned no env: {spawned}");
    };
    env.iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .unwrap_or_else(|| panic!("env value of {k} is not a string: {spawned}"));
            (k.clone(), v.to_string())
        })
        .collect()
}
