//! One module per subcommand: each takes its parsed arguments, calls the engine, and prints.

pub mod bench;
pub mod check_config;
pub mod completions;
pub mod display;
pub mod help;
pub mod hook;
pub mod init;
pub mod install;
pub mod mock_model;
pub mod replay;
pub mod schemas;
pub mod serve;
pub mod smoke;
pub mod status;
pub mod uninstall;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::engine::Engine;
use crate::engine::store;

/// Where the home and database are, from `--db` and the environment.
pub struct Paths {
    pub home: PathBuf,
    pub db: PathBuf,
}

impl Paths {
    pub fn resolve(db: Option<&std::path::Path>) -> Result<Paths> {
        let home = store::default_home()?;
        let db = store::resolve_db_path(db)?;
        Ok(Paths { home, db })
    }

    /// Opens the database for a command that only reads it: a missing file is an error
    /// (with the fix), never a new empty database and directories.
    pub fn open_existing(&self) -> Result<Arc<Engine>> {
        if !self.db.is_file() {
            let fix = if self.db.exists() {
                "it is not a file; point --db / CODEX_TEAMS_DB at a codex-teams database"
            } else {
                "check --db / CODEX_TEAMS_DB, or run `codex-teams init` to create it"
            };
            anyhow::bail!(
                "the database {} does not exist; hint: {fix}",
                self.db.display()
            );
        }
        self.open()
    }

    pub fn open(&self) -> Result<Arc<Engine>> {
        let engine = Engine::open(&self.db, &self.home)
            .with_context(|| format!("opening the database {}", self.db.display()))?;
        Ok(Arc::new(engine))
    }
}
