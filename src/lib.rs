//! codex-teams: agent teams for the OpenAI Codex CLI.
//!
//! - [`engine`]: the domain (store, bus, board, artifacts, policy, events), no I/O edges.
//! - [`mcp`]: the `serve-mcp` server, each tool a thin adapter onto the engine.
//! - [`cli`] and [`commands`]: argument parsing and one module per subcommand.
//! - [`mock`] and [`harness`]: the mock model, and real team runs of the Codex CLI against it.
//! - [`platform`]: the only OS-specific code (process queries, parent-death signal).

pub mod bench;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod harness;
pub mod integration;
pub mod logging;
pub mod mcp;
pub mod mock;
pub mod platform;
pub mod scratch;
pub mod version;
