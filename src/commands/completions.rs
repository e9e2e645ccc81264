//! `codex-teams completions <shell>`: print a completion script. The generated files in
//! `completions/` are kept in sync by a test.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// The completion script for `shell` as bytes.
pub fn generate(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "codex-teams", &mut out);
    out
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    std::io::stdout().write_all(&generate(args.shell))?;
    Ok(())
}
