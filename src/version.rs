//! What this binary is: its release, the commit it was built from and the Codex CLI release
//! it was tested with. The last two come from build.rs (`git`, and the repository's
//! `codex-version` file that the scripts pin too); `--version` and `check-config` print them.

use serde::Serialize;

/// The crate's semver release (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit the binary was built from (12 hex digits), or `unknown` when built without git
/// (from a release source archive or a registry download).
pub const COMMIT: &str = env!("CODEX_TEAMS_COMMIT");
/// The Codex CLI release the integration points were verified against.
pub const TESTED_CODEX: &str = env!("CODEX_TEAMS_TESTED_CODEX");
/// What `codex-teams --version` prints after the name.
pub const LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CODEX_TEAMS_COMMIT"),
    ", tested with codex-cli ",
    env!("CODEX_TEAMS_TESTED_CODEX"),
    ")"
);

/// The same facts as fields, for `--json` outputs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BuildInfo {
    pub version: &'static str,
    pub commit: &'static str,
    pub tested_codex: &'static str,
}

pub const BUILD: BuildInfo = BuildInfo {
    version: VERSION,
    commit: COMMIT,
    tested_codex: TESTED_CODEX,
};
