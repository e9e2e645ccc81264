//! Token budgets and metering. Every model request of the lead and of each worker is
//! charged once, from the Codex session's own rollout file (see `runner::rollout`): a
//! thread is *watched* (which team and agent its requests are charged to, kept in
//! `usage_marks`), then *metered* (the file's new lines charged, the mark moved past them,
//! in one write transaction, so two processes reading the same file never charge a request
//! twice). Workers are metered by their supervisor on every event and once more after the
//! process ends (a worker stopped mid-turn pays for what it used); the lead by its MCP
//! server on every tool call and when its session ends; any process that reads totals
//! (`team_finalize`, `codex-teams status`, the harness) catches up first. A thread whose
//! rollout file cannot be found falls back to the cumulative usage of `codex exec --json`'s
//! `turn.completed` (workers only), never both.
//!
//! The budget controller adds the charges up, and stops a worker that passes
//! `budget.agent_tokens` or every worker once the team (lead included) passes
//! `budget.team_tokens`, telling the lead why.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{AgentId, TeamId};
use crate::runner::Usage;
use crate::runner::rollout::{self, Format};
use crate::store::{self, TeamState, now_ms};

// A team's token totals as `status` shows them (`total` = input + output). A plain
// comment: a doc comment would enter the JSON schemas of the tool results that carry it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Tokens {
    pub input: i64,
    pub cached: i64,
    pub output: i64,
    pub total: i64,
}

/// The token totals of `agents`.
pub fn sum_tokens(agents: &[store::teams::AgentRow]) -> Tokens {
    let mut t = Tokens::default();
    for a in agents {
        t.input += a.tokens_input;
        t.cached += a.tokens_cached;
        t.output += a.tokens_output;
    }
    t.total = t.input + t.output;
    t
}

/// What a usage report led to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BudgetVerdict {
    pub agent_total: i64,
    pub team_total: i64,
    pub agent_stopped: bool,
    pub team_stopped: Vec<String>,
}

/// Longest a stop waits for a worker's in-flight model request to be recorded.
pub const LAND_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Where a charge came from, as recorded in its `tokens.used` event.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    /// A request in a rollout file, with its response id when the line had one.
    Rollout(Option<&'a str>),
    /// Growth of `turn.completed`'s cumulative usage (no rollout file).
    Stream,
    /// Reported by a caller (the simulated runner).
    Reported,
}

/// Charges one usage to an agent inside a write transaction: the agent's counters, a
/// `tokens.used` event, and for a finalized team its stored run summary. Returns (agent
/// total, team total).
fn charge(
    tx: &crate::store::Transaction<'_>,
    team: &TeamId,
    agent: &AgentId,
    usage: Usage,
    source: Source<'_>,
) -> Result<(i64, i64)> {
    let totals = store::teams::add_usage(
        tx,
        team.as_str(),
        agent.as_str(),
        usage.input,
        usage.cached,
        usage.output,
    )?;
    let mut data = json!({ "input": usage.input, "cached": usage.cached, "output": usage.output,
                           "agent_total": totals.0, "team_total": totals.1 });
    match source {
        Source::Rollout(id) => {
            data["source"] = json!("rollout");
            if let Some(id) = id {
                data["response_id"] = json!(id);
            }
        }
        Source::Stream => data["source"] = json!("turn.completed"),
        Source::Reported => {}
    }
    events::record(tx, &Trace::team(team).agent(agent), "tokens.used", data)?;
    Ok(totals)
}

/// A finalized team's stored summary, with the token figures brought up to date (usage
/// charged after `team_finalize`: the lead's closing answer, a worker's last request).
fn refresh_summary(tx: &crate::store::Transaction<'_>, team: &TeamId) -> Result<()> {
    let row = store::teams::team(tx, team.as_str())?;
    let (Some(text), TeamState::Finalized) = (row.summary, row.state) else {
        return Ok(());
    };
    let Ok(mut summary) = serde_json::from_str::<Value>(&text) else {
        return Ok(());
    };
    let agents = store::teams::agents(tx, team.as_str())?;
    let tokens = sum_tokens(&agents);
    let before = summary
        .pointer("/tokens/total")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Some(left) = summary.get("budget_left").and_then(Value::as_i64) {
        summary["budget_left"] = json!(left - (tokens.total - before));
    }
    summary["tokens"] = serde_json::to_value(&tokens)
        .map_err(|e| EngineError::Integrity(format!("summary tokens: {e}")))?;
    if let Some(list) = summary.get_mut("agents").and_then(Value::as_array_mut) {
        for entry in list {
            let id = entry.get("agent_id").and_then(Value::as_str).unwrap_or("");
            if let Some(a) = agents.iter().find(|a| a.agent_id == id) {
                entry["tokens"] = json!(a.tokens_input + a.tokens_output);
            }
        }
    }
    let text = serde_json::to_string(&summary)
        .map_err(|e| EngineError::Integrity(format!("summary: {e}")))?;
    Ok(store::teams::set_summary(tx, team.as_str(), &text)?)
}

/// How often one process looks again for a rollout file it did not find.
const SEARCH_AGAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Threads whose rollout file this process looked for and did not find, and when.
static NOT_FOUND: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
> = std::sync::LazyLock::new(Default::default);

/// [`rollout::find`], at most once per [`SEARCH_AGAIN`] per thread while it finds nothing:
/// a session without a rollout file would otherwise cost a walk of the user's whole
/// session history on every tool call.
fn find_throttled(codex_home: &str, thread: &str) -> Option<PathBuf> {
    let recently = NOT_FOUND
        .lock()
        .ok()
        .and_then(|m| m.get(thread).map(|t| t.elapsed() < SEARCH_AGAIN))
        .unwrap_or(false);
    if recently {
        return None;
    }
    let found = rollout::find(Path::new(codex_home), thread);
    if let Ok(mut m) = NOT_FOUND.lock() {
        match found {
            Some(_) => m.remove(thread),
            None => m.insert(thread.to_string(), std::time::Instant::now()),
        };
    }
    found
}

impl Engine {
    /// Adds `usage` to `agent`'s count and enforces the budgets (the simulated runner).
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
        let totals = self
            .store()
            .write(|tx| charge(tx, team, agent, usage, Source::Reported))?;
        self.enforce(team, agent, totals)
    }

    /// Stops whoever the totals put over a budget.
    fn enforce(
        &self,
        team: &TeamId,
        agent: &AgentId,
        (agent_total, team_total): (i64, i64),
    ) -> Result<BudgetVerdict> {
        let profile = self.team_profile(team)?;
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
            // The lead is charged like anyone, but only workers are stopped (stop_worker
            // refuses the lead).
            let reason = format!(
                "over its token budget ({agent_total} of {} tokens)",
                profile.budget.agent_tokens
            );
            verdict.agent_stopped =
                self.stop_worker(team, agent, &reason, "budget.agent_exceeded")?;
        }
        Ok(verdict)
    }

    /// Starts charging the requests of Codex thread `thread` to `agent` of `team`, reading
    /// its rollout file under `codex_home`. For a thread already watched, its requests from
    /// now on go to this agent. `from_turn`: for a new thread, charge only from this turn
    /// on (a lead that starts a team in the middle of a longer session).
    pub fn watch_thread(
        &self,
        team: &TeamId,
        agent: &AgentId,
        thread: &str,
        codex_home: Option<&Path>,
        from_turn: Option<&str>,
    ) -> Result<()> {
        if !rollout::valid_thread_id(thread) {
            return Err(EngineError::invalid(
                "thread_id",
                format!("`{thread}` is not a Codex thread id (a UUID)"),
            ));
        }
        let known = self.store().read(|c| store::usage::mark(c, thread))?;
        if known
            .as_ref()
            .is_some_and(|m| m.team_id == team.as_str() && m.agent_id == agent.as_str())
        {
            return Ok(());
        }
        let path = match &known {
            Some(_) => None,
            None => codex_home.and_then(|h| rollout::find(h, thread)),
        };
        let offset = match (&path, from_turn) {
            (Some(p), Some(turn)) => rollout::turn_offset(p, turn),
            _ => 0,
        };
        let home = codex_home.map(|h| h.display().to_string());
        let path_text = path.as_ref().map(|p| p.display().to_string());
        let new = self.store().write(|tx| {
            store::usage::watch(
                tx,
                thread,
                team.as_str(),
                agent.as_str(),
                home.as_deref(),
                path_text.as_deref(),
                offset as i64,
                now_ms(),
            )
        })?;
        tracing::debug!(team_id = %team, agent_id = %agent, thread, new, "metering thread");
        Ok(())
    }

    /// Charges the requests written to `thread`'s rollout file since the last charge and
    /// enforces the budgets. None when there was nothing new (or the thread is not
    /// watched, its file not found yet, or it is metered from the stream instead).
    pub fn meter_thread(&self, thread: &str) -> Result<Option<BudgetVerdict>> {
        let Some(mark) = self.store().read(|c| store::usage::mark(c, thread))? else {
            return Ok(None);
        };
        if mark.source != "rollout" {
            return Ok(None);
        }
        let path = match &mark.path {
            Some(p) => PathBuf::from(p),
            None => match mark
                .codex_home
                .as_deref()
                .and_then(|h| find_throttled(h, thread))
            {
                Some(p) => p,
                None => return Ok(None),
            },
        };
        let len = std::fs::metadata(&path)
            .map_err(|e| EngineError::io(&path, e))?
            .len();
        if mark.path.is_some() && len <= mark.offset as u64 {
            return Ok(None);
        }
        let path_text = path.display().to_string();
        let charged = self.store().write(|tx| -> Result<_> {
            // Read again under the write lock: another process may have charged meanwhile.
            let Some(m) = store::usage::mark(tx, thread)? else {
                return Ok(None);
            };
            if m.source != "rollout" {
                return Ok(None);
            }
            let bytes = rollout::read_from(&path, m.offset as u64)?;
            let format = m.format.as_deref().and_then(Format::parse);
            let tail = rollout::parse(&bytes, format, m.last_total);
            let team = TeamId::from_db(m.team_id.clone());
            let agent = AgentId::from_db(m.agent_id.clone());
            let mut totals = None;
            for r in &tail.requests {
                totals = Some(charge(
                    tx,
                    &team,
                    &agent,
                    r.usage,
                    Source::Rollout(r.response_id.as_deref()),
                )?);
            }
            store::usage::advance(
                tx,
                thread,
                &path_text,
                m.offset + tail.consumed as i64,
                tail.format.map(Format::as_str),
                tail.last_total,
                tail.requests.len() as i64,
                now_ms(),
            )?;
            if totals.is_some() {
                refresh_summary(tx, &team)?;
            }
            Ok(totals.map(|t| (team, agent, t)))
        })?;
        match charged {
            Some((team, agent, totals)) => self.enforce(&team, &agent, totals).map(Some),
            None => Ok(None),
        }
    }

    /// Fallback for a worker thread whose rollout file cannot be found: charges the growth
    /// of `turn.completed`'s cumulative usage. Does nothing for a thread metered from its
    /// rollout file.
    pub fn meter_stream(&self, thread: &str, cumulative: Usage) -> Result<Option<BudgetVerdict>> {
        // Falling back is for good: look for the file once more, now, before deciding.
        if let Ok(mut m) = NOT_FOUND.lock() {
            m.remove(thread);
        }
        self.meter_thread(thread)?;
        let mark = self.store().read(|c| store::usage::mark(c, thread))?;
        if mark.is_none_or(|m| m.path.is_some()) {
            return Ok(None);
        }
        let charged = self.store().write(|tx| -> Result<_> {
            let Some(m) = store::usage::mark(tx, thread)? else {
                return Ok(None);
            };
            if m.path.is_some() {
                return Ok(None);
            }
            let (i, c, o) = m.stream;
            let delta = Usage {
                input: (cumulative.input - i).max(0),
                cached: (cumulative.cached - c).max(0),
                output: (cumulative.output - o).max(0),
            };
            let seen = (
                cumulative.input.max(i),
                cumulative.cached.max(c),
                cumulative.output.max(o),
            );
            store::usage::set_stream(tx, thread, seen, now_ms())?;
            if delta == Usage::default() {
                return Ok(None);
            }
            let team = TeamId::from_db(m.team_id.clone());
            let agent = AgentId::from_db(m.agent_id.clone());
            let totals = charge(tx, &team, &agent, delta, Source::Stream)?;
            refresh_summary(tx, &team)?;
            Ok(Some((team, agent, totals)))
        })?;
        match charged {
            Some((team, agent, totals)) => {
                tracing::warn!(team_id = %team, agent_id = %agent, thread, "no rollout file for this thread: charged from turn.completed instead");
                self.enforce(&team, &agent, totals).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Before a worker is stopped: waits (at most [`LAND_WAIT`]) for a model request it has
    /// already sent to be recorded in its rollout file, so stopping it does not lose a
    /// request the provider served. Immediate when the worker is in a tool call or has no
    /// rollout file.
    pub(crate) fn let_request_land(&self, agent: &AgentId) {
        let marks = self
            .store()
            .read(|c| store::usage::agent_marks(c, agent.as_str()))
            .unwrap_or_default();
        for m in marks.iter().filter(|m| m.source == "rollout") {
            if let Some(path) = &m.path
                && !rollout::wait_for_usage(Path::new(path), LAND_WAIT)
            {
                tracing::warn!(agent_id = %agent, thread = %m.thread_id, "a model request was still in flight when the worker was stopped: its usage is not recorded");
            }
        }
    }

    /// Catches up on every thread charged to `team` (before totals are read or written
    /// down). A file that cannot be read is logged and skipped.
    pub fn meter_team(&self, team: &TeamId) -> Result<()> {
        let marks = self
            .store()
            .read(|c| store::usage::team_marks(c, team.as_str()))?;
        for m in marks.iter().filter(|m| m.source == "rollout") {
            if let Err(err) = self.meter_thread(&m.thread_id) {
                tracing::warn!(team_id = %team, thread = %m.thread_id, error = %err, "metering a thread failed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
