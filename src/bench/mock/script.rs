//! The script the mock brain follows: which team the lead builds and what each worker does
//! for each task. Loaded from JSON or YAML, or one of the built-in plans `small`, `medium`
//! and `high`, which are the task graphs of [`crate::bench::scenarios::SCENARIOS`].
//!
//! Format (YAML shown; the same keys in JSON work):
//!
//! ```yaml
//! goal: Add CSV and JSON exporters     # used when the prompt gives no goal text
//! profile: fast                        # team_start profile (a `profile=<name>` in the prompt wins)
//! runner: codex-exec                   # team_spawn runner (default codex-exec; falls back to
//!                                      # external when the server does not know the runner)
//! role: implementer                    # default role of spawned workers and of tasks
//! wait_ms: 600000                      # lead wait per round (team_pull_inbox; wakes on news)
//! max_wait_rounds: 40                  # lead gives up waiting and finalizes after this many
//! max_lead_calls: 60                   # hard cap on the lead's tool calls in one turn
//! max_worker_calls: 80                 # hard cap on a worker's tool calls in one turn
//! worker_wait_ms: 5000                 # worker long-poll when every open task is blocked
//! pace_secs: 60                        # paced mode: each claimed task takes this long
//! whole_task_briefs: false             # naive baseline: brief every worker with the whole task
//! mode: team                           # team (default) | solo: the lead does every subtask
//!                                      # itself through the shell | subagents: the lead splits
//!                                      # the work over Codex's own spawn_agent / wait_agent
//! tasks:
//!   - key: csv                         # artifact name the worker publishes; deps name keys
//!     title: CSV exporter              # must be unique: workers find their task by title
//!     detail: Write src/csv.rs         # optional
//!     size: m                          # s | m | l (default m)
//!     deps: []
//!     role: implementer                # optional: only this role may claim it
//!     files: {src/csv.rs: "pub fn csv() {}\n"}   # written through Codex's shell tool
//!     run: "sleep 2"                   # a shell command run after the files (same tool
//!                                      # call, up to 30 s); a slow step keeps the claim held
//!     publish: "csv exporter in src/csv.rs"      # artifact content (default: generated)
//!     send: [{to: lead, body: "csv ready"}]      # to: lead | all | agent id | a task key
//!                                                #     (the agent holding that task)
//!     read: [json]                     # artifacts to read first (default: the claim's inputs)
//! ```
//!
//! Every key but `tasks` (and each task's `key` and `title`) is optional. Unknown keys are
//! refused, so a typo in a plan fails loudly instead of silently changing the run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::bench::scenarios::{self, SCENARIOS};

/// Default lead long-poll per wait round.
pub const DEFAULT_WAIT_MS: u64 = crate::engine::policy::LEAD_WAIT_CEILING_MS as u64;
/// Default number of lead wait rounds before it finalizes anyway.
pub const DEFAULT_MAX_WAIT_ROUNDS: u32 = 40;
/// Default cap on the lead's tool calls in one turn.
pub const DEFAULT_MAX_LEAD_CALLS: u32 = 60;
/// Default cap on a worker's tool calls in one turn.
pub const DEFAULT_MAX_WORKER_CALLS: u32 = 80;
/// Default worker long-poll while its open tasks are blocked.
pub const DEFAULT_WORKER_WAIT_MS: u64 = 5_000;

/// The mock model's script for one run. User-facing names keep the older word "plan":
/// `codex-teams mock-model --plan`, an eval task's `plan:` key (`task.yaml`) and the
/// built-in "plans" `small`, `medium` and `high`; in the code it is a script, so that
/// "plan" is left to nothing (the planner's answer is a recommendation, install's file
/// changes are changes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_rounds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lead_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_worker_calls: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_wait_ms: Option<u64>,
    /// Paced mode (`bench --pace`): a worker "thinks" this many seconds on each task it
    /// claims (the mock holds that reply), as a real model takes minutes where the script
    /// takes milliseconds. Shows what the lead costs while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace_secs: Option<u64>,
    /// The naive baseline's briefs: every worker is briefed with the whole task (goal and
    /// every subtask), as a fixed fan-out that does not plan would do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub whole_task_briefs: bool,
    /// Who does the work: a codex-teams team (default), the lead alone, or Codex's own
    /// sub-agents. The benchmark's `solo` and `codex-subagents` arms set it.
    #[serde(default, skip_serializing_if = "ScriptMode::is_team")]
    pub mode: ScriptMode,
    pub tasks: Vec<ScriptTask>,
}

/// How the mock lead gets the plan's work done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptMode {
    /// `use agents team`: a codex-teams team (the lead orchestrates, workers do the tasks).
    #[default]
    Team,
    /// No team: the lead writes every subtask's files itself through Codex's shell tool,
    /// one shell call per subtask in dependency order, then answers.
    Solo,
    /// Codex's own multi-agent tools (`multi_agent_v1`): the lead starts one sub-agent per
    /// ready subtask with `spawn_agent`, waits with `wait_agent`, closes finished ones with
    /// `close_agent`, and starts dependants when their dependencies are done.
    Subagents,
}

impl ScriptMode {
    pub fn is_team(&self) -> bool {
        *self == ScriptMode::Team
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTask {
    pub key: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default = "default_size")]
    pub size: String,
    #[serde(default)]
    pub deps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Files to write into the workspace (relative path -> content).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// A shell command run after writing the files, in the same shell call (for example
    /// `sleep 2`, so the task is held long enough for a test to act on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The artifact content; a short generated text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send: Vec<ScriptSend>,
    /// Task keys whose artifacts to read; None = the claim's `inputs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSend {
    /// `lead`, `all` (broadcast), an agent id, or a task key (the agent holding that task;
    /// a broadcast when nobody holds it).
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

fn default_size() -> String {
    "m".to_string()
}

impl Script {
    /// The built-in plan of a scenario of [`crate::bench::scenarios`] (`small`, `medium`, `high`).
    pub fn builtin(name: &str) -> Option<Script> {
        let scenario = SCENARIOS.iter().find(|s| s.name == name)?;
        Some(Script {
            name: Some(scenario.name.to_string()),
            goal: Some(scenario.goal.to_string()),
            profile: None,
            runner: None,
            role: None,
            wait_ms: None,
            max_wait_rounds: None,
            max_lead_calls: None,
            max_worker_calls: None,
            worker_wait_ms: None,
            pace_secs: None,
            whole_task_briefs: false,
            mode: ScriptMode::Team,
            tasks: scenario
                .tasks
                .iter()
                .map(|t| ScriptTask {
                    key: t.key.to_string(),
                    title: t.title.to_string(),
                    detail: None,
                    size: t.size.to_string(),
                    deps: t.deps.iter().map(|d| d.to_string()).collect(),
                    role: None,
                    files: BTreeMap::new(),
                    run: None,
                    publish: None,
                    send: Vec::new(),
                    read: None,
                })
                .collect(),
        })
    }

    /// Names of the built-in plans.
    pub fn builtin_names() -> Vec<&'static str> {
        scenarios::names()
    }

    /// Parses a plan from JSON (text starting with `{`) or YAML, and checks it.
    pub fn parse(text: &str, origin: &str) -> Result<Script> {
        let plan: Script = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).with_context(|| format!("plan {origin}: invalid JSON"))?
        } else {
            serde_saphyr::from_str(text).map_err(|e| anyhow!("plan {origin}: invalid YAML: {e}"))?
        };
        plan.validate()
            .with_context(|| format!("plan {origin}: invalid plan"))?;
        Ok(plan)
    }

    /// Loads a plan file, or a built-in plan by name (`small`, `medium`, `high`).
    pub fn load(spec: &str) -> Result<Script> {
        if let Some(plan) = Script::builtin(spec) {
            return Ok(plan);
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading plan {} (or name a built-in plan: {})",
                path.display(),
                Script::builtin_names().join(", ")
            )
        })?;
        Script::parse(&text, &path.display().to_string())
    }

    /// Checks what the engine would refuse later, with a message naming the task.
    pub fn validate(&self) -> Result<()> {
        if self.tasks.is_empty() {
            bail!("`tasks` is empty; a plan needs at least one task");
        }
        let mut keys = BTreeSet::new();
        let mut titles = BTreeSet::new();
        for (i, t) in self.tasks.iter().enumerate() {
            let at = format!("tasks[{i}] (key `{}`)", t.key);
            let key_ok = !t.key.is_empty()
                && t.key.len() <= 128
                && t.key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !key_ok {
                bail!("{at}: `key` must be 1-128 letters, digits or `-_.` (it names an artifact)");
            }
            if !keys.insert(t.key.as_str()) {
                bail!("{at}: key `{}` is used twice", t.key);
            }
            if t.title.trim().is_empty() {
                bail!("{at}: `title` is empty");
            }
            if !titles.insert(t.title.trim()) {
                bail!(
                    "{at}: title `{}` is used twice; workers find their task by title",
                    t.title
                );
            }
            if !matches!(t.size.as_str(), "s" | "m" | "l") {
                bail!("{at}: size `{}` is not one of s, m, l", t.size);
            }
            for path in t.files.keys() {
                let p = Path::new(path);
                let safe =
                    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
                if !safe {
                    bail!("{at}: file `{path}` must be a relative path inside the workspace");
                }
            }
            if t.run.as_deref().is_some_and(|r| r.trim().is_empty()) {
                bail!("{at}: `run` is empty; leave it out or give a shell command");
            }
            for s in &t.send {
                if s.to.trim().is_empty() {
                    bail!("{at}: a `send` has an empty `to`");
                }
            }
        }
        for (i, t) in self.tasks.iter().enumerate() {
            for d in &t.deps {
                if !keys.contains(d.as_str()) {
                    bail!("tasks[{i}] (key `{}`): dep `{d}` is not a task key", t.key);
                }
            }
        }
        Ok(())
    }

    pub fn wait_ms(&self) -> u64 {
        self.wait_ms.unwrap_or(DEFAULT_WAIT_MS)
    }

    pub fn max_wait_rounds(&self) -> u32 {
        self.max_wait_rounds.unwrap_or(DEFAULT_MAX_WAIT_ROUNDS)
    }

    pub fn max_lead_calls(&self) -> u32 {
        self.max_lead_calls.unwrap_or(DEFAULT_MAX_LEAD_CALLS)
    }

    pub fn max_worker_calls(&self) -> u32 {
        self.max_worker_calls.unwrap_or(DEFAULT_MAX_WORKER_CALLS)
    }

    pub fn worker_wait_ms(&self) -> u64 {
        self.worker_wait_ms.unwrap_or(DEFAULT_WORKER_WAIT_MS)
    }

    /// The task with this title (how a worker finds the plan entry of a claimed task).
    pub fn task_by_title(&self, title: &str) -> Option<&ScriptTask> {
        let title = title.trim();
        self.tasks.iter().find(|t| t.title.trim() == title)
    }

    pub fn task_by_key(&self, key: &str) -> Option<&ScriptTask> {
        self.tasks.iter().find(|t| t.key == key)
    }

    /// The tasks in an order where every task comes after its dependencies (plan order
    /// among ready tasks). A dependency cycle is cut: its tasks come last, in plan order.
    pub fn dependency_order(&self) -> Vec<&ScriptTask> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut order: Vec<&ScriptTask> = Vec::new();
        while order.len() < self.tasks.len() {
            let next = self.tasks.iter().find(|t| {
                !done.contains(t.key.as_str()) && t.deps.iter().all(|d| done.contains(d.as_str()))
            });
            let next = match next {
                Some(t) => t,
                None => match self.tasks.iter().find(|t| !done.contains(t.key.as_str())) {
                    Some(t) => t,
                    None => break,
                },
            };
            done.insert(next.key.as_str());
            order.push(next);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_plans_match_the_sim_scenarios_and_validate() {
        for name in Script::builtin_names() {
            let plan = Script::builtin(name).unwrap_or_else(|| panic!("builtin {name}"));
            plan.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let high = Script::builtin("high").unwrap_or_else(|| panic!("high"));
        assert_eq!(high.tasks.len(), 7);
        assert_eq!(high.tasks[6].deps.len(), 6);
        assert!(Script::builtin("nope").is_none());
    }

    #[test]
    fn yaml_and_json_plans_parse_and_typos_are_refused() {
        let yaml = "profile: fast\ntasks:\n  - key: a\n    title: Do A\n    files: {src/a.rs: \"x\"}\n    send: [{to: lead}]\n  - key: b\n    title: Do B\n    deps: [a]\n    read: [a]\n";
        let plan = Script::parse(yaml, "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(plan.profile.as_deref(), Some("fast"));
        assert_eq!(plan.tasks[0].size, "m");
        assert_eq!(plan.tasks[1].read, Some(vec!["a".to_string()]));
        let json = r#"{"tasks":[{"key":"a","title":"A","size":"s"}]}"#;
        assert_eq!(
            Script::parse(json, "t.json").map(|p| p.tasks.len()).ok(),
            Some(1)
        );
        let typo = "tasks:\n  - key: a\n    title: A\n    dpes: [b]\n";
        assert!(Script::parse(typo, "t.yaml").is_err());
        let bad_dep = "tasks:\n  - key: a\n    title: A\n    deps: [zz]\n";
        let err = format!(
            "{:#}",
            Script::parse(bad_dep, "t.yaml")
                .err()
                .unwrap_or_else(|| anyhow!(""))
        );
        assert!(err.contains("zz"), "{err}");
        let escape = "tasks:\n  - key: a\n    title: A\n    files: {../x: y}\n";
        assert!(Script::parse(escape, "t.yaml").is_err());
        let dup = "tasks:\n  - {key: a, title: A}\n  - {key: b, title: A}\n";
        assert!(Script::parse(dup, "t.yaml").is_err());
    }
}
