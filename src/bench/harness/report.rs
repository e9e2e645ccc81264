//! What a real team run did, read back after the lead's Codex exited: the codex-teams
//! database (teams, agents, tasks, events), the team's log file, the mock's request log and
//! captured bodies, and the lead's JSONL stream.
//!
//! The token figures are real Codex traffic against a scripted mock model: every request
//! body Codex sent, counted with o200k_base. They measure orchestration cost, not model
//! quality (see docs/mock-model.md).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::engine::Engine;
use crate::engine::events::Event;
use crate::engine::ids::TeamId;
use crate::engine::policy::Fanout;
use crate::engine::runner::procs::Leftover;
use crate::engine::store::{AgentState, TeamState};
use crate::engine::team::TaskCounts;
use crate::integration::trigger;

/// Labels every report: what produced these numbers.
pub const KIND: &str = "real-codex+mock-model";
pub const NOTE: &str = "real Codex CLI traffic against a scripted mock model: token figures are \
    o200k_base counts of the request bodies Codex sent; they measure orchestration cost, not \
    model quality";

#[derive(Debug, Clone, Serialize)]
pub struct RealReport {
    /// Always [`KIND`].
    pub kind: &'static str,
    /// Always [`NOTE`].
    pub note: &'static str,
    pub codex_version: Option<String>,
    /// The mock plan's name, when it has one (`small`, `medium`, `high`).
    pub plan: Option<String>,
    pub prompt: String,
    /// The lead's `-m`, if any (else the config default, `mock-model`).
    pub lead_model: Option<String>,
    /// What the store says about the team (flattened: its fields are the report's).
    #[serde(flatten)]
    pub team: TeamSummary,
    pub tokens: TokenReport,
    /// From starting the lead until it exited.
    pub wall_ms: u64,
    /// How long after the lead exited the last process of the run was gone.
    pub settle_ms: u64,
    /// What the team's event log and log file recorded (flattened like `team`).
    #[serde(flatten)]
    pub records: TeamRecords,
    /// Processes of the team (workers and what they started, any `codex-teams serve-mcp`)
    /// still alive when the settle period ran out; they were then killed.
    pub leftover: Vec<Leftover>,
    pub lead: LeadRecord,
    pub hook: HookRecord,
    pub requests: Vec<RequestRecord>,
    /// The run's directory, when it was kept.
    pub dir: Option<PathBuf>,
}

impl RealReport {
    /// Workers (not the lead) whose stop reason contains `needle`.
    pub fn workers_stopped_for(&self, needle: &str) -> Vec<&AgentRecord> {
        self.records
            .agents
            .iter()
            .filter(|a| a.role != "lead")
            .filter(|a| a.stop_reason.as_deref().is_some_and(|r| r.contains(needle)))
            .collect()
    }

    /// Events of one kind.
    pub fn events_of(&self, kind: &str) -> Vec<&Event> {
        self.records
            .events
            .iter()
            .filter(|e| e.kind == kind)
            .collect()
    }

    /// Requests the mock answered for one role (`lead`, `worker`, `plain`).
    pub fn requests_of(&self, role: &str) -> Vec<&RequestRecord> {
        self.requests.iter().filter(|r| r.role == role).collect()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenSplit {
    pub requests: u64,
    pub input: u64,
    pub output: u64,
    pub total: u64,
}

impl TokenSplit {
    fn add(&mut self, input: u64, output: u64) {
        self.requests += 1;
        self.input += input;
        self.output += output;
        self.total += input + output;
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenReport {
    /// How these were counted.
    pub measured_by: &'static str,
    pub lead: TokenSplit,
    pub workers: TokenSplit,
    /// Requests from sessions without the team tools.
    pub other: TokenSplit,
    pub total: TokenSplit,
    /// What codex-teams charged to the team's budget (input + output), metered per request
    /// from each session's rollout file, lead included: it should equal `total.total`.
    pub engine_metered: i64,
    /// The lead's part of `engine_metered`.
    pub engine_lead: i64,
    /// The workers' part of `engine_metered`.
    pub engine_workers: i64,
    /// Requests the engine charged (the `tokens.used` events of the team).
    pub engine_requests: u64,
}

impl TokenReport {
    /// How far the engine's metering is from the count it is compared with, as a fraction
    /// of that count (0.0 when both are zero).
    pub fn metering_gap(&self) -> f64 {
        let counted = self.total.total as f64;
        if counted == 0.0 {
            return if self.engine_metered == 0 { 0.0 } else { 1.0 };
        }
        (self.engine_metered as f64 - counted).abs() / counted
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub n: u64,
    /// `lead`, `worker` or `plain`.
    pub role: String,
    pub model: Option<String>,
    pub agent_id: Option<String>,
    pub input_tokens: u64,
    /// Of `input_tokens`, what the mock reported as cached (the prompt prefix shared with
    /// the previous request of the same `prompt_cache_key`).
    #[serde(default)]
    pub cached_tokens: u64,
    pub output_tokens: u64,
    /// The tool calls the mock answered with.
    pub calls: Vec<MockCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MockCall {
    pub name: String,
    pub arguments: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    pub message_id: Option<String>,
    /// An agent id or `system`.
    pub from: Option<String>,
    /// An agent id; None for a broadcast.
    pub to: Option<String>,
    pub recipients: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArtifactRecord {
    pub artifact_id: Option<String>,
    /// `art:<name>@<version>`.
    pub reference: String,
    pub agent_id: Option<String>,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentRecord {
    pub agent_id: String,
    pub role: String,
    pub state: AgentState,
    pub model: Option<String>,
    pub pid: Option<i64>,
    pub stop_reason: Option<String>,
    /// Tokens the engine charged to this agent.
    pub tokens: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ToolCall {
    pub tool: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LeadRecord {
    pub exit_code: Option<i32>,
    /// The signal that ended the lead, if one did.
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Every `mcp_tool_call` item of the lead, in order.
    pub tool_calls: Vec<ToolCall>,
    /// The last `agent_message` text.
    pub final_message: Option<String>,
    /// The last `turn.completed.usage` (Codex's own sum over the lead's requests).
    pub usage: Option<Value>,
    /// Every JSONL event the lead printed (not printed; for tests and tools).
    #[serde(skip_serializing)]
    pub events: Vec<Value>,
}

impl LeadRecord {
    pub fn tools(&self) -> Vec<&str> {
        self.tool_calls.iter().map(|c| c.tool.as_str()).collect()
    }
}

/// Whether the prompt hook's context reached the model (needs captured bodies).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HookRecord {
    /// False when bodies were not captured: the counts below mean nothing then.
    pub checked: bool,
    pub lead_requests_with_context: usize,
    pub worker_requests_with_context: usize,
}

/// The lead's JSONL stream: its events and the summary parts of [`LeadRecord`].
pub(crate) fn read_lead(path: &Path) -> LeadRecord {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let events: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let items = || {
        events
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("item.completed"))
            .filter_map(|e| e.get("item"))
    };
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let tool_calls = items()
        .filter(|i| i.get("type").and_then(Value::as_str) == Some("mcp_tool_call"))
        .map(|i| ToolCall {
            tool: str_of(i, "tool").unwrap_or_default(),
            status: str_of(i, "status").unwrap_or_default(),
        })
        .collect();
    let final_message = items()
        .filter(|i| i.get("type").and_then(Value::as_str) == Some("agent_message"))
        .filter_map(|i| str_of(i, "text"))
        .next_back();
    let usage = events
        .iter()
        .rfind(|e| e.get("type").and_then(Value::as_str) == Some("turn.completed"))
        .and_then(|e| e.get("usage").cloned());
    LeadRecord {
        tool_calls,
        final_message,
        usage,
        events,
        ..Default::default()
    }
}

/// Tokens of a real-model run: what the engine metered from the sessions' rollout files
/// (the usage the provider reported for each request).
pub(crate) fn reported_usage(facts: &TeamFacts) -> TokenReport {
    let mut tokens = TokenReport {
        measured_by: "usage the provider reported for each request, read from the Codex sessions' rollout files by codex-teams",
        lead: facts.lead_split.clone(),
        workers: facts.worker_split.clone(),
        ..Default::default()
    };
    for split in [&facts.lead_split, &facts.worker_split] {
        tokens.total.requests += split.requests;
        tokens.total.input += split.input;
        tokens.total.output += split.output;
        tokens.total.total += split.total;
    }
    tokens.set_engine(facts);
    tokens
}

impl TokenReport {
    /// Fills the engine's figures from the store.
    pub(crate) fn set_engine(&mut self, facts: &TeamFacts) {
        self.engine_lead = facts.lead_split.total as i64;
        self.engine_workers = facts.worker_split.total as i64;
        self.engine_metered = facts.engine_metered;
        self.engine_requests = facts.lead_split.requests + facts.worker_split.requests;
    }
}

/// The mock's request log as records, and the token split.
pub(crate) fn read_requests(log: &Path) -> Result<(Vec<RequestRecord>, TokenReport)> {
    let text = match std::fs::read_to_string(log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", log.display())),
    };
    let mut requests = Vec::new();
    let mut tokens = TokenReport {
        measured_by: "o200k_base count of each request body Codex sent to the mock model",
        ..Default::default()
    };
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", log.display(), i + 1))?;
        let u = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let record = RequestRecord {
            n: u("n"),
            role: s("role").unwrap_or_default(),
            model: s("model"),
            agent_id: s("agent_id"),
            input_tokens: u("input_tokens"),
            cached_tokens: u("cached_tokens"),
            output_tokens: u("output_tokens"),
            calls: v
                .get("calls")
                .and_then(Value::as_array)
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| MockCall {
                            name: c
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            arguments: c.get("arguments").cloned().unwrap_or(Value::Null),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let split = match record.role.as_str() {
            "lead" => &mut tokens.lead,
            "worker" => &mut tokens.workers,
            _ => &mut tokens.other,
        };
        split.add(record.input_tokens, record.output_tokens);
        tokens.total.add(record.input_tokens, record.output_tokens);
        requests.push(record);
    }
    requests.sort_by_key(|r| r.n);
    Ok((requests, tokens))
}

/// Counts the captured lead and worker bodies that hold the hook's context.
pub(crate) fn check_hook(bodies: &Path, requests: &[RequestRecord]) -> HookRecord {
    // The context as it appears inside a JSON string.
    let escaped = serde_json::to_string(trigger::CONTEXT).unwrap_or_default();
    let needle = escaped.trim_matches('"');
    let mut hook = HookRecord {
        checked: true,
        ..Default::default()
    };
    for r in requests {
        let path = crate::bench::mock::server::captured_body_path(bodies, r.n);
        let Ok(body) = std::fs::read_to_string(&path) else {
            continue;
        };
        if body.contains(needle) {
            match r.role.as_str() {
                "lead" => hook.lead_requests_with_context += 1,
                "worker" => hook.worker_requests_with_context += 1,
                _ => {}
            }
        }
    }
    hook
}

/// What the store says about the run's team: the counts a report prints as they are.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TeamSummary {
    /// Teams the run started (0 when the lead never called `team_start`).
    pub teams_started: usize,
    pub team_id: Option<String>,
    pub team_state: Option<TeamState>,
    pub profile: Option<String>,
    /// The team profile's fan-out bounds per size class.
    pub fanout: Option<Fanout>,
    /// Workers started over the run (spawns and resumes).
    pub workers_spawned: u32,
    /// Most workers live at one moment, replayed from the event log in order.
    pub max_live: u32,
    pub tasks_total: i64,
    pub tasks: TaskCounts,
}

/// What the run's team recorded: messages, artifacts, agents and stops from its event log,
/// and the log itself.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TeamRecords {
    pub messages: Vec<MessageRecord>,
    pub artifacts: Vec<ArtifactRecord>,
    pub agents: Vec<AgentRecord>,
    /// Guardrail and budget stops (`kind: reason`), in order.
    pub stop_events: Vec<String>,
    /// The team's event log (not printed; for tests and tools).
    #[serde(skip_serializing)]
    pub events: Vec<Event>,
    /// Lines of `$CODEX_TEAMS_HOME/logs/<team_id>.jsonl` (not printed).
    #[serde(skip_serializing)]
    pub team_log: Vec<Value>,
}

/// What the store says about the run's team.
#[derive(Debug, Default)]
pub(crate) struct TeamFacts {
    pub summary: TeamSummary,
    pub records: TeamRecords,
    /// Tokens (input + output) the engine charged to the team.
    pub engine_metered: i64,
    /// What the engine charged to the lead and to the workers, request by request.
    pub lead_split: TokenSplit,
    pub worker_split: TokenSplit,
}

/// Reads the run's team (the first one started) from the store at `db`.
pub(crate) fn read_team(db: &Path, home: &Path) -> Result<TeamFacts> {
    if !db.exists() {
        return Ok(TeamFacts::default());
    }
    let engine =
        Engine::open(db, home).with_context(|| format!("opening the database {}", db.display()))?;
    let teams = engine.teams(true)?;
    let mut facts = TeamFacts::default();
    facts.summary.teams_started = teams.len();
    let Some(team) = teams.into_iter().min_by_key(|t| t.created_at) else {
        return Ok(facts);
    };
    let id = TeamId::from_db(team.team_id.clone());
    // Whatever the sessions wrote after their last charge (the lead's closing answer).
    engine
        .meter_team(&id)
        .with_context(|| format!("metering team {}", team.team_id))?;
    let snapshot = engine
        .team_snapshot(&id)
        .with_context(|| format!("reading team {}", team.team_id))?;
    let (agents, tasks, counts, events) = (
        snapshot.agents,
        snapshot.tasks,
        snapshot.counts,
        snapshot.events,
    );
    facts.summary.fanout = engine.team_profile(&id).ok().map(|p| p.fanout.clone());
    facts.summary.tasks_total = tasks.len() as i64;
    facts.summary.tasks = counts;
    facts.engine_metered = agents
        .iter()
        .map(|a| a.tokens_input + a.tokens_output)
        .sum();
    facts.records.agents = agents
        .iter()
        .map(|a| AgentRecord {
            agent_id: a.agent_id.clone(),
            role: a.role.clone(),
            state: a.state,
            model: a.model.clone(),
            pid: a.pid,
            stop_reason: a.stop_reason.clone(),
            tokens: a.tokens_input + a.tokens_output,
        })
        .collect();
    let mut live: i64 = 0;
    let lead_id = team.lead_agent_id.clone();
    for e in &events {
        let data_str = |k: &str| e.data.get(k).and_then(Value::as_str).map(String::from);
        match e.kind.as_str() {
            "agent.spawned" | "agent.resumed" => {
                facts.summary.workers_spawned += 1;
                live += 1;
                facts.summary.max_live = facts.summary.max_live.max(live.max(0) as u32);
            }
            "agent.stopped" | "agent.dead" => live -= 1,
            "tokens.used" => {
                let n = |k: &str| e.data.get(k).and_then(Value::as_u64).unwrap_or(0);
                let split = if e.refs.agent_id.as_deref() == Some(lead_id.as_str()) {
                    &mut facts.lead_split
                } else {
                    &mut facts.worker_split
                };
                split.add(n("input"), n("output"));
            }
            "message.sent" | "message.broadcast" => facts.records.messages.push(MessageRecord {
                message_id: e.refs.message_id.clone(),
                from: data_str("from").or_else(|| e.refs.agent_id.clone()),
                to: data_str("to"),
                recipients: e
                    .data
                    .get("recipients")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                bytes: e.data.get("bytes").and_then(Value::as_i64).unwrap_or(0),
            }),
            "artifact.published" => facts.records.artifacts.push(ArtifactRecord {
                artifact_id: e.refs.artifact_id.clone(),
                reference: data_str("ref").unwrap_or_default(),
                agent_id: e.refs.agent_id.clone(),
                bytes: e.data.get("bytes").and_then(Value::as_i64).unwrap_or(0),
            }),
            k if k.starts_with("guardrail.") || k.starts_with("budget.") => {
                facts
                    .records
                    .stop_events
                    .push(format!("{k}: {}", data_str("reason").unwrap_or_default()));
            }
            _ => {}
        }
    }
    facts.records.events = events;
    let log = home.join("logs").join(format!("{}.jsonl", team.team_id));
    facts.records.team_log = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    facts.summary.team_id = Some(team.team_id);
    facts.summary.team_state = Some(team.state);
    facts.summary.profile = Some(team.profile);
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mock_log_is_split_into_lead_and_worker_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mock.log");
        let lines = [
            json!({"n": 2, "role": "worker", "model": "m", "agent_id": "agent_1", "input_tokens": 100, "output_tokens": 5,
                   "calls": [{"name": "task_claim", "arguments": {}}]}),
            json!({"n": 1, "role": "lead", "model": "m", "agent_id": null, "input_tokens": 200, "output_tokens": 7,
                   "calls": [{"name": "team_start", "arguments": {"goal": "g"}}]}),
            json!({"n": 3, "role": "plain", "model": "m", "input_tokens": 10, "output_tokens": 1, "calls": []}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&log, text).unwrap();
        let (requests, tokens) = read_requests(&log).unwrap();
        assert_eq!(requests.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(requests[0].calls[0].arguments["goal"], "g");
        assert_eq!((tokens.lead.requests, tokens.lead.total), (1, 207));
        assert_eq!((tokens.workers.requests, tokens.workers.total), (1, 105));
        assert_eq!(tokens.other.total, 11);
        assert_eq!(tokens.total.total, 323);
        assert_eq!(tokens.total.input, 310);
        // A missing log is an empty run; a corrupt one is an error naming the line.
        assert!(
            read_requests(&dir.path().join("none"))
                .unwrap()
                .0
                .is_empty()
        );
        std::fs::write(&log, "{\"n\":1}\nnot json\n").unwrap();
        let err = format!("{:#}", read_requests(&log).unwrap_err());
        assert!(err.contains("mock.log:2"), "{err}");
    }

    #[test]
    fn hook_context_is_found_in_captured_bodies_by_role() {
        let dir = tempfile::tempdir().unwrap();
        let with = serde_json::to_string(&json!({"input": [{"text": trigger::CONTEXT}]})).unwrap();
        std::fs::write(
            crate::bench::mock::server::captured_body_path(dir.path(), 1),
            &with,
        )
        .unwrap();
        std::fs::write(
            crate::bench::mock::server::captured_body_path(dir.path(), 2),
            "{}",
        )
        .unwrap();
        let request = |n, role: &str| RequestRecord {
            n,
            role: role.into(),
            model: None,
            agent_id: None,
            input_tokens: 0,
            cached_tokens: 0,
            output_tokens: 0,
            calls: Vec::new(),
        };
        let hook = check_hook(dir.path(), &[request(1, "lead"), request(2, "worker")]);
        assert!(hook.checked);
        assert_eq!(hook.lead_requests_with_context, 1);
        assert_eq!(hook.worker_requests_with_context, 0);
    }

    #[test]
    fn lead_jsonl_gives_tool_calls_final_message_and_usage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lead.jsonl");
        let events = [
            json!({"type": "thread.started", "thread_id": "t"}),
            json!({"type": "item.completed", "item": {"type": "mcp_tool_call", "tool": "team_start", "status": "completed"}}),
            json!({"type": "item.completed", "item": {"type": "agent_message", "text": "done"}}),
            json!({"type": "turn.completed", "usage": {"input_tokens": 9}}),
        ];
        let mut text: String = events.iter().map(|e| format!("{e}\n")).collect();
        text.push_str("Reading additional input from stdin...\n");
        std::fs::write(&path, text).unwrap();
        let lead = read_lead(&path);
        assert_eq!(lead.tools(), ["team_start"]);
        assert_eq!(lead.final_message.as_deref(), Some("done"));
        assert_eq!(lead.usage, Some(json!({"input_tokens": 9})));
        assert_eq!(lead.events.len(), 4);
    }
}
