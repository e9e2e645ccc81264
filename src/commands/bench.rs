//! `codex-teams bench`: engine performance through the real stdio path (placeholder until
//! the bench harness lands).

use anyhow::Result;

use crate::cli::BenchArgs;
use crate::commands::Paths;

pub fn run(_args: &BenchArgs, _paths: &Paths) -> Result<()> {
    anyhow::bail!("bench is not implemented yet")
}
