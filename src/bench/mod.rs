//! The token benchmark of the adaptive team against a naive fixed fan-out of 6 workers.
//!
//! - [`eval`]: the fixed eval set in `benchmarks/eval/`: loading, workspaces, checkers.

pub mod eval;
