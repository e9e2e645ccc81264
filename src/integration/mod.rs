//! The Codex side of codex-teams: what `install` writes into `$CODEX_HOME` (the MCP server
//! entry, the agent-teams skill, the `UserPromptSubmit` hook and its persisted trust), how
//! `uninstall` takes exactly that back out, what `check-config` inspects, and what the hook
//! answers.
//!
//! Nothing here prints or parses arguments. Install and uninstall are computed as a
//! [`changes::Changes`] from the files as they are (so `--dry-run` can show it), and written only
//! by [`changes::Changes::apply`]. Every fact about Codex this relies on was checked against
//! codex-cli [`TESTED_CODEX_VERSION`]; docs/codex-integration.md says which and how.

pub mod changes;
pub mod check;
pub mod config;
pub mod hooks;
pub mod manifest;
pub mod skill;
pub mod trigger;

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// The Codex release every integration point here was verified against, and the variable
/// naming the Codex binary to run instead of `codex` on PATH (shared with the runner).
pub use crate::engine::runner::codex_exec::{ENV_CODEX_BIN as CODEX_BIN_ENV, TESTED_CODEX_VERSION};

/// How to get the tested release.
pub const CODEX_INSTALL_HINT: &str = concat!(
    "npm install -g @openai/codex@",
    env!("CODEX_TEAMS_TESTED_CODEX")
);
/// The `[mcp_servers.NAME]` entry `install` writes.
pub const SERVER_NAME: &str = "codex-teams";
/// The namespace Codex 0.169.0 gives that server's tools in a model request (the hyphen
/// becomes an underscore).
pub const TOOL_NAMESPACE: &str = "mcp__codex_teams";

pub const CONFIG_FILE: &str = "config.toml";
pub const HOOKS_FILE: &str = "hooks.json";
pub const MANIFEST_FILE: &str = "codex-teams.install.json";
/// Appended to a file's name for the copy taken before `install`/`uninstall` changes it.
pub const BACKUP_SUFFIX: &str = ".codex-teams-backup";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file does not parse; line and column are 1-based.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A file parses but a key holds something Codex (or codex-teams) cannot use.
    #[error("{}: `{key}` {message}", path.display())]
    Shape {
        path: PathBuf,
        key: String,
        message: String,
    },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn shape(path: &Path, key: &str, message: impl Into<String>) -> Error {
        Error::Shape {
            path: path.to_path_buf(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// A parse error at byte `offset` of `text`.
    pub(crate) fn parse_at(path: &Path, text: &str, offset: usize, message: &str) -> Error {
        let (line, column) = line_column(text, offset);
        Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: message.trim().to_string(),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A serde_json error without its " at line L column C" tail (the caller reports those).
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// `$CODEX_HOME` as Codex finds it: `explicit` (from `--codex-home`), else `$CODEX_HOME`,
/// else `~/.codex`. Relative paths are made absolute against the current directory.
pub fn resolve_codex_home(explicit: Option<&Path>) -> Result<PathBuf> {
    let raw = match explicit {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(home) => PathBuf::from(home).join(".codex"),
                None => {
                    return Err(Error::Other(
                        "cannot find the Codex home: neither CODEX_HOME nor HOME is set; \
                         hint: pass --codex-home DIR"
                            .into(),
                    ));
                }
            },
        },
    };
    absolute(&raw)
}

pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(Path::new("."), e))?;
    Ok(cwd.join(path))
}

/// `path` with symlinks resolved as far as it exists, and the rest appended lexically.
/// Codex canonicalizes `CODEX_HOME`, and hook trust keys carry that form, so the key must be
/// computable before `install` has created the directory.
pub fn canonicalize_lenient(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let mut rest = Vec::new();
    let mut cur = path;
    while let (Some(name), Some(parent)) = (cur.file_name(), cur.parent()) {
        rest.push(name.to_os_string());
        cur = parent;
        if let Ok(base) = std::fs::canonicalize(cur) {
            let mut out = base;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
    }
    // Nothing exists (or the path ends in `..`): normalise lexically.
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a text file, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Error::parse_at(path, &text, offset, "not valid UTF-8 text")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Quotes `s` for `/bin/bash -c` (Codex runs hook commands through it), only when needed.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
    }

    #[test]
    fn shell_quote_leaves_plain_paths_alone() {
        assert_eq!(shell_quote("/usr/bin/codex-teams"), "/usr/bin/codex-teams");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn canonicalize_lenient_resolves_the_existing_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        let p = canonicalize_lenient(&dir.path().join("x").join("y"));
        assert_eq!(p, real.join("x").join("y"));
    }
}
