//! The token benchmark of the adaptive team against a naive fixed fan-out of 6 workers.
//!
//! - [`eval`]: the fixed eval set in `benchmarks/eval/`: loading, workspaces, checkers.
//! - [`run`] and [`real`]: the arms (`fixed-6`, `adaptive`) on the sim and codex-mock runners.
//! - [`report`]: per-task results of both arms, deltas, verdict; Markdown, JSON and SVG.

pub mod eval;
pub mod real;
pub mod report;
pub mod run;
