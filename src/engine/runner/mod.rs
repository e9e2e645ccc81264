//! Runners start and stop the processes behind worker agents. The engine records the agent
//! first, then asks the runner to launch it; a runner never touches the database itself.
//!
//! - `external`: launches nothing; returns the environment that makes a
//!   `codex-teams serve-mcp` process (for example inside a Codex session a person starts in
//!   another terminal) act as the agent.
//! - `sim`: deterministic simulated workers, stepped by `engine::scripted_team`.
//! - `codex-exec`: a real `codex exec --json` process per worker (the default).
//! - `ssh`: a real `codex exec --json` on another host through `ssh`, reaching the team
//!   server (`serve-mcp --http`) by URL.

pub mod codex_exec;
pub mod external;
pub mod model;
pub mod procs;
pub mod rollout;
pub mod sim;
pub mod ssh;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::ids::{AgentId, TeamId};
use crate::policy::{WorkerCodex, WorkerSsh};
use crate::roles::Role;

/// Token usage in one report. `input` includes `cached`; `output` includes reasoning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input: i64,
    pub cached: i64,
    pub output: i64,
}

/// Environment variables that carry a worker's identity to its `serve-mcp`.
pub const ENV_TEAM_ID: &str = "CODEX_TEAMS_TEAM_ID";
pub const ENV_AGENT_ID: &str = "CODEX_TEAMS_AGENT_ID";
pub const ENV_AGENT_TOKEN: &str = "CODEX_TEAMS_AGENT_TOKEN";
pub const ENV_DB: &str = "CODEX_TEAMS_DB";
/// The log filter (tracing `EnvFilter` syntax), passed on to workers; the binary's logging
/// reads it as `logging::LOG_ENV`.
pub const ENV_LOG: &str = "CODEX_TEAMS_LOG";

/// Everything a runner needs to start one worker.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub team_id: TeamId,
    pub agent_id: AgentId,
    pub role: Role,
    /// The worker's full brief (role mission, task and artifact references).
    pub brief: String,
    /// The identity environment for the worker's `serve-mcp`.
    pub env: BTreeMap<String, String>,
    pub workspace: Option<PathBuf>,
    /// The model to pass as `-m`; None lets the worker use the same config default as the
    /// lead.
    pub model: Option<String>,
    /// Provider flags inherited from the lead's command line (`-c model_provider=...`, `-p`).
    pub inherited_flags: Vec<String>,
    /// Codex sandbox mode for the worker.
    pub sandbox: String,
    /// What the worker's Codex loads (the profile's `worker.codex`).
    pub codex: WorkerCodex,
    /// Resume this Codex thread instead of starting a new session.
    pub resume_thread: Option<String>,
    /// The engine's database and home, for a runner that supervises its process.
    pub db: PathBuf,
    pub home: PathBuf,
    /// Where the `ssh` runner starts the worker (the profile's `worker.ssh`).
    pub ssh: Option<WorkerSsh>,
}

impl LaunchRequest {
    /// A new implementer's request with `token` and `brief`, for runners' unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(token: &str, brief: &str, model: Option<&str>) -> LaunchRequest {
        let mut env = BTreeMap::new();
        env.insert(ENV_AGENT_TOKEN.to_string(), token.to_string());
        LaunchRequest {
            team_id: TeamId::generate(),
            agent_id: AgentId::generate(),
            role: Role::Implementer,
            brief: brief.into(),
            env,
            workspace: None,
            model: model.map(str::to_string),
            inherited_flags: Vec::new(),
            sandbox: "workspace-write".into(),
            codex: WorkerCodex::default(),
            resume_thread: None,
            db: PathBuf::from("/h/teams.db"),
            home: PathBuf::from("/h"),
            ssh: None,
        }
    }
}

/// What a runner reports after launching.
#[derive(Debug, Clone, Default)]
pub struct Launched {
    pub pid: Option<u32>,
    /// Environment to hand back to the caller (only for runners where a person starts the
    /// process).
    pub env: Option<BTreeMap<String, String>>,
}

pub trait Runner: Send + Sync {
    fn name(&self) -> &'static str;
    fn launch(&self, request: &LaunchRequest) -> Result<Launched>;
    /// Stops the worker's process if this runner owns one. Must be idempotent.
    fn stop(&self, agent: &AgentId, pid: Option<u32>) -> Result<()>;
    /// Whether the instructions this runner gives a worker under `codex` already teach the
    /// work loop (claim, work, publish), so its brief need not repeat it.
    fn teaches_work_loop(&self, _codex: &WorkerCodex) -> bool {
        false
    }
}

/// The runners this build knows, by name.
pub fn by_name(name: &str) -> Result<Box<dyn Runner>> {
    match name {
        "external" => Ok(Box::new(external::External)),
        "sim" => Ok(Box::new(sim::Sim)),
        "codex-exec" => Ok(Box::new(codex_exec::CodexExec)),
        "ssh" => Ok(Box::new(ssh::Ssh)),
        other => Err(EngineError::invalid(
            "runner",
            format!(
                "`{other}` is not a runner; valid: {}",
                crate::policy::RUNNERS.join(", ")
            ),
        )),
    }
}
