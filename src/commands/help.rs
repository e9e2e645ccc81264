//! `codex-teams help [TOPIC...]`: clap's help for a command, or a reference page built into
//! the binary (an installed user has no checkout to read `docs/` from).

use anyhow::{Result, bail};
use clap::CommandFactory;

use crate::cli::{Cli, HelpArgs};

/// Reference pages: name, one-line summary, text.
const PAGES: &[(&str, &str, &str)] = &[(
    "profiles",
    "every profile key, its type and range, and where profiles are looked up",
    include_str!("../../docs/profiles.md"),
)];

pub fn run(args: &HelpArgs) -> Result<()> {
    let mut cmd = Cli::command();
    // Built, so a subcommand's usage line reads `codex-teams status ...`, not `status ...`.
    cmd.build();
    if let [topic] = args.topic.as_slice()
        && let Some((_, _, text)) = PAGES.iter().find(|(name, _, _)| name == topic)
    {
        print!("{text}");
        return Ok(());
    }
    let mut current = &mut cmd;
    for (i, word) in args.topic.iter().enumerate() {
        let known: Vec<String> = current
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_string())
            .collect();
        match current.find_subcommand_mut(word) {
            Some(sub) => current = sub,
            None => {
                let mut valid = known;
                if i == 0 {
                    valid.extend(PAGES.iter().map(|(name, _, _)| name.to_string()));
                }
                bail!(
                    "help: no command or page `{}`; valid: {}",
                    args.topic[..=i].join(" "),
                    valid.join(", ")
                );
            }
        }
    }
    if args.topic.is_empty() {
        cmd.print_long_help()?;
        println!("\nReference pages (codex-teams help <page>):");
        for (name, summary, _) in PAGES {
            println!("  {name:<10} {summary}");
        }
        return Ok(());
    }
    current.print_long_help()?;
    Ok(())
}
