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
        .disable_help_subcommand(full.is_disable_help_subcommand_set())
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
    if shell == clap_complete::Shell::Bash {
        out = fix_bash_case_labels(&out);
    }
    out
}

/// clap_complete 4.6 escapes a hyphenated binary name two ways in one bash script: the loop
/// that walks the words sets `cmd="codex__teams__subcmd__status"`, but the `case "${cmd}"`
/// labels that answer read `codex__subcmd__teams__subcmd__status)`, so nothing after the
/// first word ever completed. Rewrite the labels to the form the loop produces.
fn fix_bash_case_labels(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("codex__subcmd__teams", "codex__teams")
        .into_bytes()
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    std::io::stdout().write_all(&generate(args.shell))?;
    Ok(())
}
