//! `codex-teams completions <shell>`: print a completion script. The generated files in
//! `completions/` are kept in sync by a test.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// The completion script for `shell` as bytes. Hidden subcommands (internals such as
/// `schemas`) are left out: clap_complete would offer them, and `Command` cannot remove a
/// subcommand, so the root is re-assembled from `Cli`'s own arguments and its visible
/// subcommands (only the name and version are restated, so it cannot drift from `Cli`).
pub fn generate(shell: clap_complete::Shell) -> Vec<u8> {
    let full = Cli::command();
    let mut visible = clap::Command::new("codex-teams")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(full.is_propagate_version_set())
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    // The help texts decide how the root's `-h` is described ("see more with '--help'").
    if let Some(about) = full.get_about() {
        visible = visible.about(about.clone());
    }
    if let Some(long) = full.get_long_about() {
        visible = visible.long_about(long.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible, "codex-teams", &mut out);
    out
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    std::io::stdout().write_all(&generate(args.shell))?;
    Ok(())
}
