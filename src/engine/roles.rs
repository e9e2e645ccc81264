//! Roles as data: what each role is for, which tools a worker of that role may call and
//! which tasks it may claim. The prose for people and the lead model is in
//! `skills/agent-teams/references/roles.md`.

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Lead,
    Planner,
    Implementer,
    Reviewer,
    Tester,
    Researcher,
}

/// The roles a lead may spawn.
/// How a brief names the task claimed for the worker at spawn: `<mark><task id> "<title>"`.
pub const FIRST_TASK_MARK: &str = "Your task (claimed for you): ";

pub const WORKER_ROLES: &[Role] = &[
    Role::Planner,
    Role::Implementer,
    Role::Reviewer,
    Role::Tester,
    Role::Researcher,
];

/// The tools of the workers that make something (planners, researchers, implementers,
/// testers), in the order their brief names them; `task_list` last, as only planners and
/// researchers look over the board.
static MAKER_TOOLS: [&str; 7] = [
    "task_claim",
    "task_update",
    "artifact_publish",
    "artifact_read",
    "team_send",
    "team_pull_inbox",
    "task_list",
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Planner => "planner",
            Role::Implementer => "implementer",
            Role::Reviewer => "reviewer",
            Role::Tester => "tester",
            Role::Researcher => "researcher",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Role> {
        let all = [
            Role::Lead,
            Role::Planner,
            Role::Implementer,
            Role::Reviewer,
            Role::Tester,
            Role::Researcher,
        ];
        all.into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                EngineError::invalid(
                    field,
                    format!(
                        "`{raw}` is not a role; valid: {}",
                        all.map(|r| r.as_str()).join(", ")
                    ),
                )
            })
    }

    /// Parses a role a lead may spawn (anything but `lead`).
    pub fn parse_worker(field: &str, raw: &str) -> Result<Role> {
        let role = Role::parse(field, raw)?;
        if role == Role::Lead {
            return Err(EngineError::invalid(
                field,
                format!(
                    "a team has one lead; spawn one of: {}",
                    WORKER_ROLES
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(role)
    }

    /// What a worker of this role is for, in one line (goes into its brief).
    pub fn mission(self) -> &'static str {
        match self {
            Role::Lead => "Plan the work, spawn workers, merge results and finalize.",
            Role::Planner => "Break work into tasks and write plans as artifacts.",
            Role::Implementer => "Write code for claimed tasks and publish results as artifacts.",
            Role::Reviewer => "Review artifacts, vote on merges, report defects as messages.",
            Role::Tester => "Write and run tests for finished work; report failures.",
            Role::Researcher => "Find facts in the code and docs; publish findings as artifacts.",
        }
    }

    /// The MCP tools a worker of this role uses. Every worker server lists the same worker
    /// set (one schema cost for all); this is what its brief tells it to use.
    pub fn tools(self) -> &'static [&'static str] {
        match self {
            Role::Lead => &[
                "team_start",
                "team_status",
                "team_spawn",
                "task_create",
                "task_list",
                "team_send",
                "team_broadcast",
                "team_pull_inbox",
                "artifact_read",
                "artifact_publish",
                "team_merge",
                "team_vote",
                "team_finalize",
            ],
            Role::Reviewer => &[
                "task_claim",
                "task_update",
                "artifact_read",
                "artifact_publish",
                "team_vote",
                "team_send",
                "team_pull_inbox",
            ],
            Role::Planner | Role::Researcher => &MAKER_TOOLS,
            // The same without `task_list`: they work the tasks they claim.
            Role::Implementer | Role::Tester => &MAKER_TOOLS[..MAKER_TOOLS.len() - 1],
        }
    }

    /// The brief a worker of this role starts with: who it is, how it works, and the
    /// lead's own note (task ids, artifact refs). References, never transcripts.
    /// `instructions_have_loop`: the worker runs the compact worker instructions, which
    /// already teach the work loop, so the brief does not repeat it (~90 tokens a request).
    pub fn brief(
        self,
        team_id: &str,
        agent_id: &str,
        note: &str,
        instructions_have_loop: bool,
    ) -> String {
        let role = self.as_str();
        let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let mut b = format!(
            "You are {agent_id}, {article} {role} in codex-teams team {team_id}. {mission}",
            mission = self.mission(),
        );
        if !instructions_have_loop {
            b.push_str(
                "\nLoop: do your task in the workspace (artifact_read its inputs) -> \
                 artifact_publish {name, content, task_id}: marks it done and claims your next. \
                 No task yet, or the next is blocked: team_pull_inbox {wait_ms}, then task_claim. \
                 Write refs (task ids, art:<name>@<v>), never transcripts. \
                 Stop when no task is left and your inbox is empty.",
            );
        }
        let note = note.trim();
        if !note.is_empty() {
            b.push_str("\nFrom the lead: ");
            b.push_str(note);
        }
        b
    }

    /// Whether a worker of this role may claim a task that asks for `wanted` (None = any).
    pub fn may_claim(self, wanted: Option<Role>) -> bool {
        match wanted {
            None => true,
            Some(w) => w == self,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brief_names_the_role_with_its_article_and_teaches_the_loop_only_when_needed() {
        let with_loop = Role::Implementer.brief("team_1", "agent_1", "", false);
        assert!(
            with_loop.starts_with("You are agent_1, an implementer in codex-teams team team_1.")
        );
        assert!(with_loop.contains("Loop: "));
        let lean = Role::Tester.brief("team_1", "agent_1", " see art:plan@1 ", true);
        assert!(lean.starts_with("You are agent_1, a tester in codex-teams team team_1."));
        assert!(!lean.contains("Loop: "), "{lean}");
        assert!(lean.ends_with("\nFrom the lead: see art:plan@1"));
    }
}
