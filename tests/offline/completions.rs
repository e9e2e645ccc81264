//! The shell completion scripts in `completions/` are exactly what the CLI generates, so a
//! new subcommand or flag cannot ship without its completions.

use std::path::PathBuf;

use clap_complete::Shell;
use codex_teams::commands::completions;

const FILES: &[(Shell, &str)] = &[
    (Shell::Bash, "codex-teams.bash"),
    (Shell::Zsh, "_codex-teams"),
    (Shell::Fish, "codex-teams.fish"),
];

#[test]
fn committed_completions_match_the_cli() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("completions");
    let mut stale = Vec::new();
    for (shell, file) in FILES {
        let path = dir.join(file);
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != completions::generate(*shell) {
            stale.push(format!(
                "  completions/{file} is out of date; regenerate with: \
                 cargo run -- completions {shell} > completions/{file}"
            ));
        }
    }
    assert!(stale.is_empty(), "the CLI changed:\n{}", stale.join("\n"));
}

#[test]
fn hidden_subcommands_are_not_offered() {
    use clap::CommandFactory;
    let cli = codex_teams::cli::Cli::command();
    let hidden: Vec<&str> = cli
        .get_subcommands()
        .filter(|s| s.is_hide_set())
        .map(|s| s.get_name())
        .collect();
    assert!(
        hidden.contains(&"schemas"),
        "`schemas` should be hidden from --help"
    );
    let bash = String::from_utf8(completions::generate(Shell::Bash)).expect("UTF-8 script");
    let fish = String::from_utf8(completions::generate(Shell::Fish)).expect("UTF-8 script");
    for name in hidden {
        assert!(
            !bash.contains(&format!("codex__teams,{name})")),
            "bash offers {name}"
        );
        assert!(
            !fish.contains(&format!("-a \"{name}\"")),
            "fish offers {name}"
        );
    }
}
