//! The `sim` runner: deterministic simulated workers for tests, smoke runs and the fast
//! benchmark arm. Launching records nothing beyond the agent row; the simulated work is
//! done by the engine's `scripted_team` module (a layer above the runners), which steps
//! every sim worker in a fixed order. Every figure a sim run produces is labelled simulated.

use crate::error::Result;
use crate::ids::AgentId;
use crate::runner::{LaunchRequest, Launched, Runner};

pub struct Sim;

impl Runner for Sim {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn launch(&self, _request: &LaunchRequest) -> Result<Launched> {
        Ok(Launched::default())
    }

    fn stop(&self, _agent: &AgentId, _pid: Option<u32>) -> Result<()> {
        // A sim worker is only a row; the driver skips agents that are no longer live.
        Ok(())
    }
}
