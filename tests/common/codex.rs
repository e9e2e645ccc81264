//! The real Codex CLI for the tests that run it. Looked for in this order:
//! `$CODEX_TEAMS_CODEX` (it must exist when set), the cache `scripts/verify.sh` fills
//! (`.cache/codex-0.169.0` in the checkout), `/work/.cache/codex`, then `codex` on PATH.
//! Without one a test is skipped locally and FAILS when `$CI` is set.

use std::path::{Path, PathBuf};

/// The Codex CLI, or `None` when none is installed.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CODEX_TEAMS_CODEX").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "$CODEX_TEAMS_CODEX={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join(".cache/codex-0.169.0/node_modules/.bin/codex"),
        PathBuf::from("/work/.cache/codex/node_modules/.bin/codex"),
    ];
    if let Some(p) = candidates.into_iter().find(|p| p.exists()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("codex"))
        .find(|p| p.is_file())
}

/// The Codex CLI, or `None` (the caller returns: skipped) with a line saying so; when `$CI`
/// is set a missing Codex is a failure instead.
///
/// ```ignore
/// let Some(codex) = common::codex::require() else { return };
/// ```
pub fn require() -> Option<PathBuf> {
    match find() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => panic!(
            "CI is set but no Codex CLI was found: run scripts/verify.sh (it installs \
             @openai/codex@0.169.0) or set $CODEX_TEAMS_CODEX"
        ),
        None => {
            eprintln!(
                "SKIPPED: no Codex CLI (set $CODEX_TEAMS_CODEX or run scripts/verify.sh to install @openai/codex@0.169.0)"
            );
            None
        }
    }
}
