//! The `codex-teams` binary: parse, set up logging, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

use codex_teams::cli::{Cli, Command};
use codex_teams::commands::{self, Paths};
use codex_teams::logging;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // The mock model needs no codex-teams home or database: it logs to stderr only.
    if let Command::MockModel(args) = &cli.command {
        return commands::mock_model::run(args);
    }
    // Codex runs the hook on every prompt: it must answer even without a codex-teams home.
    if let Command::Hook(args) = &cli.command {
        return commands::hook::run(args);
    }
    let paths = Paths::resolve(cli.db.as_deref())?;
    let serving = matches!(cli.command, Command::ServeMcp(_));
    logging::init(
        if serving {
            "warn,codex_teams=info"
        } else {
            "warn"
        },
        Some(paths.home.join("logs")),
    );
    match &cli.command {
        Command::Init(args) => commands::init::run(args, &paths),
        Command::Install(args) => commands::install::run(args),
        Command::Uninstall(args) => commands::uninstall::run(args),
        Command::Hook(args) => commands::hook::run(args),
        Command::ServeMcp(_) => commands::serve::run(&paths),
        Command::Status(args) => commands::status::run(args, &paths),
        Command::Bench(args) if args.engine_only => commands::bench::run(args, &paths),
        Command::Bench(args) => commands::bench_eval::run(args, &paths),
        Command::Smoke(args) => commands::smoke::run(args, &paths),
        Command::Replay(args) => commands::replay::run(args, &paths),
        Command::CheckConfig(args) => commands::check_config::run(args, &paths),
        Command::Completions(args) => commands::completions::run(args),
        Command::Schemas(args) => commands::schemas::run(args),
        Command::MockModel(args) => commands::mock_model::run(args),
    }
}
