//! Build-time facts for `codex-teams --version`: the commit the binary was built from and
//! the Codex CLI release it was tested with.
//!
//! - `CODEX_TEAMS_COMMIT`: `$CODEX_TEAMS_COMMIT` when set (a packager that knows better),
//!   else `git rev-parse` of this checkout, else `unknown` (a release archive, a crates.io
//!   download: no `.git`). A checkout nested in someone else's repository is not asked, so
//!   it never reports the outer repository's commit.
//! - `CODEX_TEAMS_TESTED_CODEX`: the one line of `codex-version`, the release that
//!   `scripts/verify.sh` and `scripts/install.sh` pin too.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());

    println!("cargo::rerun-if-changed=codex-version");
    let codex = std::fs::read_to_string(manifest_dir.join("codex-version"))
        .unwrap_or_else(|e| panic!("codex-version (the tested Codex CLI release): {e}"));
    let codex = codex.trim();
    if codex.is_empty()
        || !codex
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        panic!("codex-version must hold one release such as 0.169.0, found {codex:?}");
    }
    println!("cargo::rustc-env=CODEX_TEAMS_TESTED_CODEX={codex}");

    println!("cargo::rerun-if-env-changed=CODEX_TEAMS_COMMIT");
    let commit = match std::env::var("CODEX_TEAMS_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => git_commit(&manifest_dir).unwrap_or_else(|| "unknown".to_string()),
    };
    println!("cargo::rustc-env=CODEX_TEAMS_COMMIT={commit}");
}

/// The checkout's HEAD (12 hex digits), asked only when `manifest_dir` is the top of its own
/// git work tree.
fn git_commit(manifest_dir: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(manifest_dir)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout, a detached commit), the branch it
    // names and packed-refs (a commit, a fetch). In a worktree the two dirs differ.
    let git_dir = PathBuf::from(git(&["rev-parse", "--absolute-git-dir"])?);
    let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .map(PathBuf::from)
        .unwrap_or_else(|| git_dir.clone());
    let mut watched = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git_dir.join(&branch));
        watched.push(common.join(&branch));
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())).then_some(commit)
}
