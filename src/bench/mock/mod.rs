//! The mock model for end-to-end tests and offline benchmarks: a local Responses-API server
//! ([`server`]) whose deterministic "brain" ([`brain`]) plays the lead and the workers from
//! what each request contains, following a [`script::Script`]. It measures orchestration cost
//! and correctness against the real Codex CLI; it says nothing about model quality.
//! See docs/mock-model.md.

pub mod brain;
pub mod script;
pub mod server;

pub use brain::{Item, Reply, Who, next};
pub use script::Script;
pub use server::{MockConfig, MockServer, Tokenizer};
