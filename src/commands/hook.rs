//! `codex-teams hook <event>`: the command Codex runs for the hooks `install` registers.
//! It must never get in the way of the user's prompt: whatever goes wrong, it exits 0 with
//! nothing on stdout and a note on stderr (exit 2 would block the prompt).

use std::io::{Read, Write};

use anyhow::Result;

use crate::cli::{HookArgs, HookEvent};
use crate::engine::runner::ENV_AGENT_ID;
use crate::integration::trigger;

pub fn run(args: &HookArgs) -> Result<()> {
    match args.event {
        HookEvent::UserPromptSubmit => user_prompt_submit(),
    }
    Ok(())
}

fn user_prompt_submit() {
    let mut raw = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut raw) {
        eprintln!("codex-teams hook: cannot read the hook input ({e}); doing nothing");
        return;
    }
    let input: serde_json::Value = match serde_json::from_str(&raw) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("codex-teams hook: the hook input is not JSON ({e}); doing nothing");
            return;
        }
    };
    // Inside a worker codex-teams launched, prompts are briefs, not requests for a team.
    let in_worker = std::env::var_os(ENV_AGENT_ID).is_some_and(|v| !v.is_empty());
    if let Some(out) = trigger::respond(&input, in_worker) {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{out}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            eprintln!("codex-teams hook: cannot write to stdout");
        }
    }
}
