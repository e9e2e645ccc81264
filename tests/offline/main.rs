//! One test binary for the checks that need no Codex CLI and start at most a few
//! `serve-mcp` processes: each module was a test binary of its own, and every binary links
//! the whole crate, so merging them saves the links (see "Tests" in docs/architecture.md).
//! Run one module with `cargo test --test offline schemas::` (or any part of a test name).
//!
//! - [`completions`]: the committed shell completions match the CLI.
//! - [`schemas`], [`schema_tokens`]: the committed MCP schemas match the tool catalogue,
//!   and the tool definitions stay within their token budgets.
//! - [`bad_profiles`], [`profile_swap`]: bad profiles are refused naming file, line and
//!   field; profiles shape the same board differently.
//! - [`replay`]: replays reproduce a team's decisions and report forged rows.
//! - [`small_events`]: no event or log line grows with a 10,000-task board.
//! - [`layering`]: no module imports a sibling that imports it back, in any crate.
//!
//! `tests/status_read.rs` stays a binary of its own: it times status calls while a stop is
//! in progress, and the 10,000-task board here would run beside it.

mod bad_profiles;
mod completions;
mod layering;
mod profile_swap;
mod replay;
mod schema_tokens;
mod schemas;
mod small_events;
