//! The MCP face of codex-teams: the tool catalogue (one module per tool under `tools/`,
//! declaring its arguments, schema, audience, threading and handler) and the stdio server
//! that dispatches on it. Each tool is a thin adapter onto [`crate::engine`].

use codex_teams_engine as engine;
use codex_teams_platform as platform;

pub mod client;
pub mod framing;
pub mod http;
pub mod server;
pub mod session;
pub mod tools;

pub use server::TeamServer;
pub use session::Identity;
