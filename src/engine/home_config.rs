//! `<home>/config.toml`: the settings of one codex-teams home that belong to no single team
//! (a team's are in its profile). Absent file, absent keys: the defaults. Unknown keys and
//! bad values are refused with the file, line and key, like a profile.
//!
//! ```toml
//! [store]
//! synchronous = "normal"   # or "full": fsync the WAL at every commit (see docs/storage.md)
//! ```

use std::path::Path;

use crate::error::{EngineError, Result};

/// The file's name inside the home.
pub const FILE: &str = "config.toml";

/// SQLite's `synchronous` setting for every connection to the store.
pub use codex_teams_store::Synchronous;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HomeConfig {
    pub synchronous: Synchronous,
}

impl HomeConfig {
    /// Reads `<home>/config.toml`; a missing file is the defaults.
    pub fn load(home: &Path) -> Result<HomeConfig> {
        let path = home.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HomeConfig::default()),
            Err(e) => return Err(EngineError::io(&path, e)),
        };
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses the file's text; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<HomeConfig> {
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            EngineError::Config(format!("{origin}{at}: not valid TOML: {}", e.message()))
        })?;
        let fail = |key: &str, span: Option<std::ops::Range<usize>>, message: &str| {
            let at = span
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            EngineError::Config(format!("{origin}{at}: invalid `{key}`: {message}"))
        };
        let mut config = HomeConfig::default();
        for (key, item) in doc.as_table().iter() {
            if key != "store" {
                return Err(fail(key, item.span(), "unknown section; valid: store"));
            }
            let Some(table) = item.as_table_like() else {
                return Err(fail(key, item.span(), "must be a table ([store])"));
            };
            for (key, item) in table.iter() {
                let field = format!("store.{key}");
                if key != "synchronous" {
                    return Err(fail(&field, item.span(), "unknown key; valid: synchronous"));
                }
                config.synchronous = match item.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("normal") => Synchronous::Normal,
                    Some("full") => Synchronous::Full,
                    _ => {
                        return Err(fail(
                            &field,
                            item.span(),
                            "must be \"normal\" (the default) or \"full\"",
                        ));
                    }
                };
            }
        }
        Ok(config)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_config_chooses_synchronous_for_every_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(FILE), "[store]\nsynchronous = \"full\"\n")
            .expect("write config");
        let engine = crate::Engine::open(&dir.path().join("t.db"), dir.path()).expect("open");
        let level: i64 = engine
            .store()
            .read(|c| {
                Ok::<_, crate::store::StoreError>(
                    c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                )
            })
            .expect("pragma");
        assert_eq!(level, 2, "FULL");
    }

    #[test]
    fn defaults_values_and_errors_with_file_line_and_key() {
        assert_eq!(HomeConfig::parse("c", "").ok(), Some(HomeConfig::default()));
        let full = HomeConfig::parse("c", "[store]\nsynchronous = \"full\"\n");
        assert_eq!(full.ok().map(|c| c.synchronous), Some(Synchronous::Full));
        for (text, needle) in [
            (
                "[store]\nsynchronous = \"extra\"\n",
                "c:2:15: invalid `store.synchronous`",
            ),
            (
                "[store]\nsync = \"full\"\n",
                "c:2:8: invalid `store.sync`: unknown key",
            ),
            ("[stor]\n", "invalid `stor`: unknown section"),
            ("[store\n", "c:1:"),
        ] {
            let err = HomeConfig::parse("c", text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
