//! `codex-teams bench --engine-only`: runs the engine benchmark ([`crate::bench::engine`])
//! and prints its report (a table, or JSON with `--json`).

use anyhow::Result;

use crate::bench::engine;
use crate::cli::BenchArgs;

pub fn run(args: &BenchArgs) -> Result<()> {
    let report = engine::run(&super::engine_config(args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        engine::print_report(&report);
    }
    Ok(())
}
