//! A private directory under the system temp dir, removed when dropped (unless kept): the
//! workspaces, homes and databases of benchmark runs, real-team runs and the engine bench.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct Scratch {
    path: PathBuf,
    keep: bool,
}

impl Scratch {
    /// A fresh `codex-teams-<tag>-<uuid>` directory, removed on drop.
    pub fn new(tag: &str) -> Result<Scratch> {
        Scratch::kept(tag, false)
    }

    /// The same, left in place on drop when `keep` is true (for inspection).
    pub fn kept(tag: &str, keep: bool) -> Result<Scratch> {
        let path = std::env::temp_dir().join(format!(
            "codex-teams-{tag}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating the scratch directory {}", path.display()))?;
        // Canonical, because Codex canonicalizes CODEX_HOME (hook trust keys carry that form).
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        Ok(Scratch { path, keep })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep
            && let Err(err) = std::fs::remove_dir_all(&self.path)
        {
            tracing::warn!(dir = %self.path.display(), error = %err, "could not remove a scratch directory");
        }
    }
}
