//! The `codex-teams` binary: parse, set up logging, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

use codex_teams::cli::{Cli, Command};
use codex_teams::commands::{self, Paths};
use codex_teams::logging;

fn main() -> ExitCode {
    // Before anything can be logged: redaction's maintained rules.
    if let Err(e) = codex_teams::secret_rules::supply() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    // A command that prints for a person ends quietly when its reader goes away
    // (`status | head -1`), as cargo and gh do: the default SIGPIPE action, instead of Rust's
    // "ignore, then panic in println!". `serve-mcp` keeps ignoring it: its stdout is the MCP
    // channel, and a closed channel must end the session through its error path, which
    // stops the workers it launched. `mock-model` serves HTTP and must survive a client
    // that hangs up.
    if !matches!(cli.command, Command::ServeMcp(_) | Command::MockModel(_)) {
        // SAFETY: setting a signal's disposition to its default has no preconditions; no
        // other thread exists yet.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            // A cause already quoted in the message above (or in the previous cause) is not
            // repeated on a line of its own.
            let mut shown = err.to_string();
            for cause in err.chain().skip(1) {
                let text = cause.to_string();
                if shown.contains(&text) {
                    continue;
                }
                eprintln!("  caused by: {text}");
                shown = text;
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
    // Printing help or a completion script needs no home either (and must create nothing).
    match &cli.command {
        Command::Help(args) => return commands::help::run(args),
        Command::Completions(args) => return commands::completions::run(args),
        _ => {}
    }
    let paths = Paths::resolve(cli.command.db().or(cli.db.as_deref()))?;
    let serving = matches!(cli.command, Command::ServeMcp(_));
    // Read-only commands keep no per-team log files: they must not create the home.
    let read_only = matches!(cli.command, Command::Status(_) | Command::Replay(_));
    logging::init(
        if serving {
            "warn,codex_teams=info"
        } else {
            "warn"
        },
        (!read_only).then(|| paths.home.join("logs")),
    );
    match &cli.command {
        Command::Init(args) => commands::init::run(args, &paths),
        Command::Install(args) => commands::install::run(args),
        Command::Uninstall(args) => commands::uninstall::run(args),
        Command::Hook(args) => commands::hook::run(args),
        Command::ServeMcp(args) => commands::serve::run(args, &paths),
        Command::Status(args) => commands::status::run(args, &paths),
        Command::Bench(args) => commands::bench::run(args, &paths),
        Command::Smoke(args) => commands::smoke::run(args, &paths),
        Command::Replay(args) => commands::replay::run(args, &paths),
        Command::CheckConfig(args) => commands::check_config::run(args, &paths),
        Command::Completions(args) => commands::completions::run(args),
        Command::Schemas(args) => commands::schemas::run(args),
        Command::MockModel(args) => commands::mock_model::run(args),
        Command::Help(args) => commands::help::run(args),
    }
}
