//! Token budgets. Runners report each worker's usage as deltas (Codex reports cumulative
//! usage per thread; the runner subtracts). The budget controller adds them up, and stops a
//! worker that passes `budget.agent_tokens` or every worker once the team passes
//! `budget.team_tokens`, telling the lead why.

use serde::Serialize;
use serde_json::json;

use crate::engine::Engine;
use crate::engine::error::{EngineError, Result};
use crate::engine::events::{self, Trace};
use crate::engine::ids::{AgentId, TeamId};
use crate::engine::store;

/// Token usage in one report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input: i64,
    pub cached: i64,
    pub output: i64,
}

/// What a usage report led to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BudgetVerdict {
    pub agent_total: i64,
    pub team_total: i64,
    pub agent_stopped: bool,
    pub team_stopped: Vec<String>,
}

impl Engine {
    /// Adds `usage` to `agent`'s count and enforces the budgets.
    pub fn record_usage(
        &self,
        team: &TeamId,
        agent: &AgentId,
        usage: Usage,
    ) -> Result<BudgetVerdict> {
        if usage.input < 0 || usage.cached < 0 || usage.output < 0 {
            return Err(EngineError::invalid(
                "usage",
                format!("{usage:?}: token counts cannot be negative"),
            ));
        }
        let profile = self.team_profile(team)?;
        let (agent_total, team_total) = self.store().write(|tx| {
            let totals = store::teams::add_usage(
                tx,
                team.as_str(),
                agent.as_str(),
                usage.input,
                usage.cached,
                usage.output,
            )?;
            events::record(
                tx,
                &Trace::team(team).agent(agent),
                "tokens.used",
                json!({ "input": usage.input, "cached": usage.cached, "output": usage.output,
                        "agent_total": totals.0, "team_total": totals.1 }),
            )?;
            Ok(totals)
        })?;
        let mut verdict = BudgetVerdict {
            agent_total,
            team_total,
            ..Default::default()
        };
        if team_total > profile.budget.team_tokens {
            let reason = format!(
                "team budget exhausted ({team_total} of {} tokens)",
                profile.budget.team_tokens
            );
            let live = self
                .store()
                .read(|c| store::teams::agents(c, team.as_str()))?;
            for a in live.iter().filter(|a| a.role != "lead") {
                let id = AgentId::from_db(a.agent_id.clone());
                if self.stop_worker(team, &id, &reason, "budget.team_exceeded")? {
                    verdict.team_stopped.push(a.agent_id.clone());
                }
            }
            verdict.agent_stopped = verdict.team_stopped.iter().any(|a| a == agent.as_str());
        } else if agent_total > profile.budget.agent_tokens {
            let reason = format!(
                "over its token budget ({agent_total} of {} tokens)",
                profile.budget.agent_tokens
            );
            verdict.agent_stopped =
                self.stop_worker(team, agent, &reason, "budget.agent_exceeded")?;
        }
        Ok(verdict)
    }
}
