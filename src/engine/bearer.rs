//! Bearer tokens of the team server over HTTP (`serve-mcp --http`, docs/remote.md): which
//! agent a token stands for, read from the store by the token's sha256 (the store keeps no
//! token). A worker's token is the secret `team_spawn` issued it; a lead's is the `ctl_`
//! credential `team_start` returned. The check only reads: a refused token changes nothing.

use crate::Engine;
use crate::error::Result;
use crate::ids::{AgentId, TeamId};
use crate::store::teams::LEAD_ROLE;
use crate::store::{self, AgentState, TeamState};
use crate::team::token_hash;

/// What a bearer token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bearer {
    /// A live worker of an active team.
    Worker { team_id: TeamId, agent_id: AgentId },
    /// The lead of an active team.
    Lead { team_id: TeamId },
    /// No agent has this token: a missing, mistyped or made-up one (HTTP 401).
    Unknown,
    /// A real agent's token that may no longer act: the agent ended or the team is
    /// finalized (HTTP 403). The reason names which, never the token.
    Refused(String),
}

impl Engine {
    /// Whom `token` stands for. Reads only; an error is the store's, not the token's.
    pub fn bearer(&self, token: &str) -> Result<Bearer> {
        let hash = token_hash(token);
        let Some(row) = self
            .store()
            .read(|c| store::teams::agent_by_token_hash(c, &hash))?
        else {
            return Ok(Bearer::Unknown);
        };
        let team_id = TeamId::from_db(row.team_id);
        let agent_id = AgentId::from_db(row.agent_id);
        if row.team_state != TeamState::Active {
            return Ok(Bearer::Refused(format!(
                "team {team_id} is {}; its tokens no longer act",
                row.team_state
            )));
        }
        if row.role == LEAD_ROLE {
            return Ok(Bearer::Lead { team_id });
        }
        if matches!(row.state, AgentState::Stopped | AgentState::Dead) {
            return Ok(Bearer::Refused(format!(
                "agent {agent_id} of team {team_id} is {}; its token no longer acts",
                row.state
            )));
        }
        Ok(Bearer::Worker { team_id, agent_id })
    }
}
