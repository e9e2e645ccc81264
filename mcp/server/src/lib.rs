//! The MCP face of codex-teams: tool arguments, the tool catalogue with its generated
//! schemas, and the stdio server. Each tool is a thin adapter onto [`crate::engine`].

use codex_teams_engine as engine;
use codex_teams_platform as platform;

pub mod args;
pub mod client;
pub mod framing;
pub mod server;
pub mod tools;

pub use server::{Identity, TeamServer};
