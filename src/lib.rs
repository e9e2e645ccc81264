//! codex-teams: agent teams for the OpenAI Codex CLI.
//!
//! - [`engine`] (the crate `codex-teams-engine` in `src/engine`): the domain (teams, agents,
//!   bus, board, artifacts, arbitration, policy, budgets, events, replay). It knows nothing
//!   of clap, stdio or MCP, but it does have I/O edges: [`engine::store`] (the crate
//!   `codex-teams-store` in `mcp/store`) owns the SQLite file, [`engine::runner`] starts and
//!   signals worker processes and reads Codex's rollout files, and [`engine::home_config`]
//!   and [`engine::private`] read and write files in the codex-teams home.
//! - [`mcp`] (the crate `codex-teams-server` in `mcp/server`): the `serve-mcp` server, each
//!   tool a thin adapter onto the engine.
//! - [`cli`] and [`commands`]: argument parsing and one module per subcommand.
//! - [`integration`]: what `install` writes into `$CODEX_HOME` (server entry, skill, hook),
//!   what `uninstall` takes back out, what `check-config` inspects.
//! - [`bench`]: measurement, in one tree: the team benchmark, the engine benchmark, the
//!   smoke scenarios and checks, the real-run harness and the mock model it runs against.
//! - [`platform`] (the crate `codex-teams-platform` in `src/platform`): the only
//!   OS-specific code (process queries and signals, parent-death signal, allocator calls).
//! - [`logging`]: JSON logs to stderr and to each team's log file, redacted.
//! - [`scratch`]: private temporary directories for benchmark and real-team runs.
//! - [`secret_rules`]: the maintained secret rules, supplied to the engine's redaction at start.
//! - [`version`]: the release, commit and tested Codex CLI release of this binary.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod integration;
pub mod logging;
pub mod scratch;
pub mod secret_rules;
pub mod version;

// The library crates below the binary, under the names the code and the tests use.
pub use codex_teams_engine as engine;
pub use codex_teams_platform as platform;
pub use codex_teams_server as mcp;
