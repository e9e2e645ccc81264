//! `$CODEX_HOME/codex-teams.install.json`: what `install` added or changed, so `uninstall`
//! can take out exactly that. It keeps the bytes config.toml and hooks.json had before the
//! first install: a file that only install touched since is restored byte for byte (or
//! removed, if install created it); a file the user edited since gets a surgical removal of
//! our entries instead.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// Bumped when the layout changes incompatibly.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The codex-teams version that last changed the installation.
    pub installed_by: String,
    /// The binary the server entry and the hook run.
    pub bin: String,
    pub config: FileRecord,
    pub hooks: FileRecord,
    /// Trust key and hash of our hook, as persisted in config.toml.
    pub hook_key: String,
    pub hook_hash: String,
    /// `agents.max_threads` before install capped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_threads_original: Option<i64>,
    /// A `[mcp_servers.codex-teams]` that was there before the first install, as TOML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_entry_original: Option<String>,
    pub skill: Vec<SkillRecord>,
    /// Directories install created (relative to CODEX_HOME, `.` for CODEX_HOME itself);
    /// uninstall removes those left empty.
    pub created_dirs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Whether the file existed before the first install.
    pub existed: bool,
    /// Its contents then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// SHA-256 of what install last left in the file.
    pub installed_sha256: String,
    /// True while only install has changed the file since `original`.
    pub pristine: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillRecord {
    /// Path relative to CODEX_HOME.
    pub path: String,
    /// A file that was there before the first install, put back on uninstall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    pub installed_sha256: String,
}

impl Manifest {
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column().max(1),
            message: format!(
                "{}; hint: this file records what `codex-teams install` changed; restore it \
                 from a backup or delete it (uninstall then removes entries by name)",
                super::json_message(&e)
            ),
        })?;
        if m.format != FORMAT {
            return Err(Error::shape(
                path,
                "format",
                format!(
                    "is {}, this codex-teams reads {FORMAT}; use the codex-teams that installed it",
                    m.format
                ),
            ));
        }
        Ok(m)
    }

    pub fn render(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
