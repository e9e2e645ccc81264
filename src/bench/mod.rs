//! Measurement, in one tree: everything that runs teams to measure or check them.
//!
//! - [`team`]: the team benchmark (`codex-teams bench`): the eval set, the arms, the `sim`
//!   and Codex backends that run them, the report and its verdict.
//! - [`engine`]: the engine benchmark (`codex-teams bench --engine-only`): per-call latency
//!   and durable send throughput of real `serve-mcp` processes.
//! - [`scenarios`]: the built-in smoke scenarios (`small`, `medium`, `high`).
//! - [`smoke`]: the smoke checks, written once for the simulated and the `--real` smoke.
//! - [`harness`]: one real team run of the Codex CLI (lead and `codex exec` workers)
//!   against the mock model; used by `smoke --real`, the team benchmark's Codex backends
//!   and the end-to-end tests.
//! - [`mock`]: the mock model (`codex-teams mock-model`) that answers those runs from a
//!   script.
//!
//! Layering inside the tree (no cycles): `team` and `smoke` use `harness`, `harness` uses
//! `mock`, `mock` and `smoke` use `scenarios`; `engine` and `scenarios` use only the engine
//! crate and the MCP client. Nothing here imports `commands` or `cli`.

pub mod engine;
pub mod engine_http;
pub mod harness;
pub mod mock;
pub mod scenarios;
pub mod smoke;
pub mod team;
