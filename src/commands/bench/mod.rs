//! `codex-teams bench`: the team benchmark ([`team`]), or with `--engine-only` the engine
//! benchmark ([`engine`]). Both are thin: the measuring is in [`crate::bench`].

pub mod engine;
pub mod team;

use anyhow::Result;

use crate::bench::engine::EngineConfig;
use crate::cli::BenchArgs;
use crate::commands::Paths;

pub fn run(args: &BenchArgs, paths: &Paths) -> Result<()> {
    if args.engine_only {
        engine::run(args)
    } else {
        team::run(args, paths)
    }
}

/// The engine benchmark's settings from the `bench` flags.
pub fn engine_config(args: &BenchArgs) -> EngineConfig {
    EngineConfig {
        calls: args.calls,
        processes: args.processes,
        messages: args.messages,
        synchronous: args.synchronous.clone(),
        http: args.http,
    }
}
