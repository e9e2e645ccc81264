//! The prompt trigger: when a prompt says `use agents team` (or the legacy `use agent
//! teams`), the `UserPromptSubmit` hook answers with a few sentences of context that steer
//! the lead to the agent-teams skill and the team tools. Deterministic, where hoping the
//! model picks the skill from its one-line description is not.

use serde_json::{Value, json};

/// The trigger phrases, lower case with single spaces.
pub const PHRASES: &[&str] = &["use agents team", "use agent teams"];

/// What the hook adds after the user's prompt (Codex inserts it as a developer message).
pub const CONTEXT: &str = "codex-teams: the user asked for an agent team for the task after \
    the phrase. Open the agent-teams skill and run the task with the codex-teams MCP tools: \
    team_start, one task_create batch with keys and deps, then team_spawn the workers plan.spawn \
    recommends. Coordinate through the bus by compact refs (task ids, art:<name>@<v>), settle \
    competing results with team_merge, then team_finalize and report its summary.";

/// Whether `prompt` contains a trigger phrase as words of its own (case and spacing
/// ignored).
pub fn triggered(prompt: &str) -> bool {
    let normal = prompt
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    PHRASES.iter().any(|p| {
        normal.match_indices(p).any(|(at, _)| {
            !normal[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        })
    })
}

/// The hook's stdout for one `UserPromptSubmit` input, or `None` to stay silent. `in_worker`
/// is true inside a worker started by codex-teams: its prompts are briefs, not requests for
/// a team. Native sub-agents (the input carries `agent_id`) stay silent too.
pub fn respond(input: &Value, in_worker: bool) -> Option<String> {
    if in_worker || input.get("agent_id").is_some_and(|v| !v.is_null()) {
        return None;
    }
    let prompt = input.get("prompt")?.as_str()?;
    if !triggered(prompt) {
        return None;
    }
    let out = json!({
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": CONTEXT,
        }
    });
    Some(out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_phrases_trigger_in_any_case_and_spacing() {
        assert!(triggered("use agents team: build it"));
        assert!(triggered("Please USE  Agent\nTeams for this"));
        assert!(!triggered("use an agent to do it"));
        assert!(!triggered("because agents team up")); // not the word "use"
    }

    #[test]
    fn workers_and_sub_agents_stay_silent() {
        let input = json!({"prompt": "use agents team: x"});
        assert!(respond(&input, false).is_some());
        assert!(respond(&input, true).is_none());
        let sub = json!({"prompt": "use agents team: x", "agent_id": "a1"});
        assert!(respond(&sub, false).is_none());
    }
}
