//! The `external` runner: the engine records the agent and hands back the environment a
//! person (or another tool) uses to start the agent's Codex session by hand.

use crate::error::Result;
use crate::ids::AgentId;
use crate::runner::{LaunchRequest, Launched, Runner};

pub struct External;

impl Runner for External {
    fn name(&self) -> &'static str {
        "external"
    }

    fn launch(&self, request: &LaunchRequest) -> Result<Launched> {
        Ok(Launched {
            pid: None,
            env: Some(request.env.clone()),
        })
    }

    fn stop(&self, _agent: &AgentId, _pid: Option<u32>) -> Result<()> {
        // Nothing to signal: the agent is marked stopped and its server refuses further calls.
        Ok(())
    }
}
