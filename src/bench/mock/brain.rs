//! The mock model's "brain": a pure, deterministic function from one Responses API request
//! (what Codex sends: instructions, tools, the conversation so far) to the next output
//! items, the way a model would answer. It keeps no state between requests: everything it
//! needs is in the request (the user prompt, the tool calls it made earlier in the turn and
//! their `function_call_output` results).
//!
//! - **Lead** (the request's tools include `team_start`): only when the prompt says
//!   `use agents team` / `use agent teams` — `team_start`, one `task_create` batch with the
//!   whole plan, `team_spawn` as many workers as the planner's `spawn` says, then
//!   `team_status` / `team_pull_inbox` rounds (spawning more when a status says so) until no
//!   task is open, `team_finalize`, and a one-line summary. Without the phrase: a plain
//!   answer and no tool call.
//! - **Worker** (tools include `task_claim` but not `team_start`): `task_claim` ->
//!   (shell command writing the task's files) -> `artifact_read` of its inputs ->
//!   `artifact_publish` -> `team_send`s -> `task_update done` -> `team_pull_inbox` (acking)
//!   -> `task_claim` again, until no task is open.
//!
//! - **Solo** and **sub-agents** (plans with `mode: solo | subagents`, the benchmark's arms
//!   without a team): see the `arms` submodule.
//!
//! MCP tools are called in the namespace Codex put them in (found in `tools`, never
//! hard-coded). Every error result is handled and every loop is capped.

mod arms;

use serde_json::{Map, Value, json};

use crate::bench::mock::script::{Script, ScriptMode, ScriptTask};

/// The most workers a team may have live (the engine's hard cap).
const HARD_CAP: usize = 6;
/// The most claim attempts that fail with an error before a worker gives up.
const CLAIM_ERROR_CAP: usize = 3;
/// The most `claimed: false` answers a worker waits through.
const CLAIM_WAIT_CAP: usize = 20;
/// The most publish attempts per task (a stale parent is retried with the latest).
const PUBLISH_CAP: usize = 3;

/// Who the brain thinks it is playing, for the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Lead,
    Worker {
        agent_id: Option<String>,
        role: Option<String>,
        team_id: Option<String>,
    },
    /// No codex-teams tools in the request.
    Plain,
}

impl Who {
    pub fn label(&self) -> &'static str {
        match self {
            Who::Lead => "lead",
            Who::Worker { .. } => "worker",
            Who::Plain => "plain",
        }
    }

    pub fn agent_id(&self) -> Option<&str> {
        match self {
            Who::Worker { agent_id, .. } => agent_id.as_deref(),
            _ => None,
        }
    }
}

/// One output item of the reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message {
        text: String,
    },
    FunctionCall {
        call_id: String,
        name: String,
        namespace: Option<String>,
        arguments: Value,
    },
}

impl Item {
    /// The `item` object of a `response.output_item.done` event; `n` makes the item id.
    pub fn to_json(&self, n: usize) -> Value {
        match self {
            Item::Message { text } => json!({
                "type": "message", "role": "assistant", "id": format!("msg_{n}"),
                "content": [{"type": "output_text", "text": text}]
            }),
            Item::FunctionCall {
                call_id,
                name,
                namespace,
                arguments,
            } => {
                let mut item = json!({
                    "type": "function_call", "id": format!("fc_{n}"), "call_id": call_id,
                    "name": name, "arguments": arguments.to_string()
                });
                if let Some(ns) = namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
        }
    }

    /// The text the model "wrote": a message's text or a call's argument string.
    pub fn emitted_text(&self) -> String {
        match self {
            Item::Message { text } => text.clone(),
            Item::FunctionCall { arguments, .. } => arguments.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub who: Who,
    pub items: Vec<Item>,
    /// Paced mode: how long the server holds this reply (a worker working on its task).
    pub delay: Option<std::time::Duration>,
}

/// How the codex-teams tools are named in this request.
#[derive(Debug, Clone, PartialEq)]
enum Naming {
    /// `{"type":"namespace","name":NS,"tools":[...]}` (Codex 0.169).
    Namespace(String),
    /// Flat functions named `<prefix>team_start` (older Codex releases).
    Prefix(String),
}

/// The shell tool Codex offers, and how its command argument is shaped.
#[derive(Debug, Clone, PartialEq)]
struct Shell {
    name: String,
    /// `cmd` (string, exec_command) or `command` (string or argv array).
    field: String,
    argv: bool,
    has_login: bool,
    /// Whether the tool takes `yield_time_ms` (exec_command returns after 10 s by default and
    /// leaves a longer command running in the background).
    has_yield: bool,
}

/// How long a plan's `run` command may hold the shell call (exec_command's maximum).
const RUN_YIELD_MS: u64 = 30_000;

/// A tool call made earlier in this turn and what came back.
#[derive(Debug, Clone)]
struct Call {
    /// The codex-teams tool name (namespace or prefix stripped), or the raw name.
    name: String,
    ours: bool,
    args: Value,
    out: CallResult,
}

#[derive(Debug, Clone)]
enum CallResult {
    /// A JSON result without an `error` key.
    Ok(Value),
    /// A JSON `{"error":...}` result, or text that is not JSON (Codex's own failures).
    Err(Value),
    /// Plain text (a shell tool's output).
    Text(String),
    /// No `function_call_output` for this call.
    Missing,
}

impl CallResult {
    fn ok(&self) -> Option<&Value> {
        match self {
            CallResult::Ok(v) => Some(v),
            _ => None,
        }
    }

    fn err(&self) -> Option<&Value> {
        match self {
            CallResult::Err(v) => Some(v),
            _ => None,
        }
    }

    fn is_ok(&self) -> bool {
        matches!(self, CallResult::Ok(_))
    }

    fn message(&self) -> String {
        match self {
            CallResult::Ok(_) => "ok".into(),
            CallResult::Err(v) => v
                .get("message")
                .and_then(Value::as_str)
                .map(String::from)
                .or_else(|| v.as_str().map(String::from))
                .unwrap_or_else(|| v.to_string()),
            CallResult::Text(t) => t.clone(),
            CallResult::Missing => "no result".into(),
        }
    }
}

/// Everything the brain reads from one request.
#[derive(Clone)]
struct Conversation {
    naming: Option<Naming>,
    team_tools: Vec<String>,
    /// Each codex-teams tool's argument names, from its input schema.
    team_args: Vec<(String, Vec<String>)>,
    shell: Option<Shell>,
    /// User prompts (not Codex's injected context), oldest first.
    prompts: Vec<String>,
    /// Tool calls after the last prompt, in order.
    turn: Vec<Call>,
    /// Function calls in the whole input (for fresh call ids).
    total_calls: usize,
}

const CONTEXT_PREFIXES: &[&str] = &[
    "<environment_context",
    "<user_instructions",
    "# AGENTS.md instructions",
    "<turn_aborted",
    "<user_shell_command",
];

fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Turns a `function_call_output.output` into an outcome. Codex 0.169 renders MCP results
/// as `Wall time: ...\nOutput:\n<structuredContent JSON>`.
fn parse_output(output: &Value, ours: bool) -> CallResult {
    let text = content_text(output);
    let body = match text.find("Output:\n") {
        Some(i) => &text[i + "Output:\n".len()..],
        None => text.as_str(),
    };
    let body = body.trim();
    let parsed = serde_json::from_str::<Value>(body).ok().or_else(|| {
        body.find('{')
            .and_then(|i| serde_json::from_str::<Value>(&body[i..]).ok())
    });
    match parsed {
        Some(v) if v.is_object() => {
            if v.get("error").is_some() {
                CallResult::Err(v)
            } else {
                CallResult::Ok(v)
            }
        }
        _ if ours => CallResult::Err(Value::String(text)),
        _ => CallResult::Text(text),
    }
}

fn find_naming(tools: &[Value]) -> (Option<Naming>, Vec<String>) {
    let is_team = |n: &str| n == "team_start" || n == "task_claim";
    for t in tools {
        if t.get("type").and_then(Value::as_str) == Some("namespace") {
            let names: Vec<String> = t
                .get("tools")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("name").and_then(Value::as_str))
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            if names.iter().any(|n| is_team(n))
                && let Some(ns) = t.get("name").and_then(Value::as_str)
            {
                return (Some(Naming::Namespace(ns.to_string())), names);
            }
        }
    }
    // Older clients: flat `mcp__<server>__team_start` functions.
    let flat: Vec<&str> = tools
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    for name in &flat {
        for base in ["team_start", "task_claim"] {
            if let Some(prefix) = name.strip_suffix(base)
                && !prefix.is_empty()
            {
                let names = flat
                    .iter()
                    .filter_map(|n| n.strip_prefix(prefix))
                    .map(String::from)
                    .collect();
                return (Some(Naming::Prefix(prefix.to_string())), names);
            }
        }
    }
    (None, Vec::new())
}

/// The argument names of every codex-teams tool in `tools`.
fn tool_args(tools: &[Value], naming: Option<&Naming>) -> Vec<(String, Vec<String>)> {
    let props = |t: &Value| -> Vec<String> {
        t.pointer("/parameters/properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let name = |t: &Value| t.get("name").and_then(Value::as_str).map(String::from);
    match naming {
        Some(Naming::Namespace(ns)) => tools
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(ns.as_str()))
            .and_then(|t| t.get("tools"))
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| Some((name(t)?, props(t))))
                    .collect()
            })
            .unwrap_or_default(),
        Some(Naming::Prefix(p)) => tools
            .iter()
            .filter_map(|t| {
                let n = name(t)?;
                Some((n.strip_prefix(p.as_str())?.to_string(), props(t)))
            })
            .collect(),
        None => Vec::new(),
    }
}

/// Whether the codex-teams tool `tool` takes the argument `arg`.
fn tool_takes(conv: &Conversation, tool: &str, arg: &str) -> bool {
    conv.team_args
        .iter()
        .any(|(n, args)| n == tool && args.iter().any(|a| a == arg))
}

fn find_shell(tools: &[Value]) -> Option<Shell> {
    for name in ["exec_command", "shell_command", "shell"] {
        let Some(tool) = tools.iter().find(|t| {
            t.get("type").and_then(Value::as_str) == Some("function")
                && t.get("name").and_then(Value::as_str) == Some(name)
        }) else {
            continue;
        };
        let props = tool.pointer("/parameters/properties");
        let prop = |k: &str| props.and_then(|p| p.get(k));
        let has_login = prop("login").is_some();
        let has_yield = prop("yield_time_ms").is_some();
        if prop("cmd")
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
            == Some("string")
        {
            return Some(Shell {
                name: name.into(),
                field: "cmd".into(),
                argv: false,
                has_login,
                has_yield,
            });
        }
        if let Some(ty) = prop("command")
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
        {
            return Some(Shell {
                name: name.into(),
                field: "command".into(),
                argv: ty == "array",
                has_login,
                has_yield,
            });
        }
    }
    None
}

impl Conversation {
    fn parse(request: &Value) -> Conversation {
        let empty = Vec::new();
        let tools = request
            .get("tools")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let (naming, team_tools) = find_naming(tools);
        let team_args = tool_args(tools, naming.as_ref());
        let shell = find_shell(tools);
        let input = request
            .get("input")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let mut prompts = Vec::new();
        let mut last_prompt = None;
        let mut outputs: Map<String, Value> = Map::new();
        let mut total_calls = 0;
        for (i, item) in input.iter().enumerate() {
            match item.get("type").and_then(Value::as_str) {
                Some("message") | None
                    if item.get("role").and_then(Value::as_str) == Some("user") =>
                {
                    let text = content_text(item.get("content").unwrap_or(&Value::Null));
                    let trimmed = text.trim_start();
                    if !CONTEXT_PREFIXES.iter().any(|p| trimmed.starts_with(p)) {
                        prompts.push(text);
                        last_prompt = Some(i);
                    }
                }
                Some("function_call_output") | Some("custom_tool_call_output") => {
                    if let Some(id) = item.get("call_id").and_then(Value::as_str) {
                        outputs.insert(
                            id.to_string(),
                            item.get("output").cloned().unwrap_or(Value::Null),
                        );
                    }
                }
                Some("function_call") => total_calls += 1,
                _ => {}
            }
        }
        let mut conv = Conversation {
            naming,
            team_tools,
            team_args,
            shell,
            prompts,
            turn: Vec::new(),
            total_calls,
        };
        let start = last_prompt.map(|i| i + 1).unwrap_or(0);
        for item in input.iter().skip(start) {
            if item.get("type").and_then(Value::as_str) != Some("function_call") {
                continue;
            }
            let raw = item.get("name").and_then(Value::as_str).unwrap_or("");
            let ns = item.get("namespace").and_then(Value::as_str);
            let (name, ours) = conv.normalize(raw, ns);
            let args = item
                .get("arguments")
                .and_then(Value::as_str)
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or(Value::Null);
            let out = item
                .get("call_id")
                .and_then(Value::as_str)
                .and_then(|id| outputs.get(id))
                .map(|o| parse_output(o, ours))
                .unwrap_or(CallResult::Missing);
            conv.turn.push(Call {
                name,
                ours,
                args,
                out,
            });
        }
        conv
    }

    /// Maps a called name to the codex-teams tool name when it is one of ours.
    fn normalize(&self, raw: &str, ns: Option<&str>) -> (String, bool) {
        match (&self.naming, ns) {
            (Some(Naming::Namespace(ours)), Some(ns)) if ns == ours => (raw.to_string(), true),
            (Some(Naming::Prefix(p)), _) => match raw.strip_prefix(p.as_str()) {
                Some(base) => (base.to_string(), true),
                None => (raw.to_string(), false),
            },
            _ => (raw.to_string(), false),
        }
    }

    fn has_tool(&self, name: &str) -> bool {
        self.team_tools.iter().any(|t| t == name)
    }

    fn prompt(&self) -> &str {
        self.prompts.last().map(String::as_str).unwrap_or("")
    }

    fn calls(&self, name: &str) -> impl Iterator<Item = &Call> {
        self.turn.iter().filter(move |c| c.ours && c.name == name)
    }

    fn call(&self, name: &str, arguments: Value, offset: usize) -> Item {
        let k = self.total_calls + offset + 1;
        let (name, namespace) = match &self.naming {
            Some(Naming::Namespace(ns)) => (name.to_string(), Some(ns.clone())),
            Some(Naming::Prefix(p)) => (format!("{p}{name}"), None),
            None => (name.to_string(), None),
        };
        Item::FunctionCall {
            call_id: format!("call_{k}"),
            name,
            namespace,
            arguments,
        }
    }
}

fn message(text: impl Into<String>) -> Item {
    Item::Message { text: text.into() }
}

/// Whether the prompt asks for a team (case-insensitive).
pub fn has_trigger(prompt: &str) -> bool {
    let p = prompt.to_lowercase();
    p.contains("use agents team") || p.contains("use agent teams")
}

/// `name=<value>` in the prompt (e.g. `profile=fast`, `scenario=high`).
fn prompt_setting(prompt: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=");
    prompt
        .split_whitespace()
        .find_map(|w| {
            w.strip_prefix(&needle).map(|v| {
                v.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
                    .to_string()
            })
        })
        .filter(|v| !v.is_empty())
}

/// The goal text: what follows the trigger phrase, without `name=value` settings.
fn goal_from_prompt(prompt: &str, plan: &Script) -> String {
    let lower = prompt.to_lowercase();
    let after = ["use agents team", "use agent teams"]
        .iter()
        .filter_map(|t| lower.find(t).map(|i| i + t.len()))
        .min()
        .and_then(|i| prompt.get(i..))
        .unwrap_or(prompt);
    let after = after.trim_start_matches(|c: char| c == 's' || c == ':' || c.is_whitespace());
    let words: Vec<&str> = after
        .split_whitespace()
        .filter(|w| {
            !["profile=", "scenario=", "plan="]
                .iter()
                .any(|p| w.starts_with(p))
        })
        .collect();
    let goal = words.join(" ");
    let goal: String = goal.chars().take(2000).collect();
    if goal.trim().is_empty() {
        plan.goal.clone().unwrap_or_else(|| "team task".to_string())
    } else {
        goal
    }
}

/// The brief a worker starts with (`You are agent_..., a <role> in codex-teams team team_...`).
fn parse_brief(text: &str) -> Option<(String, String, String)> {
    let start = text.find("You are agent_")? + "You are ".len();
    let rest = &text[start..];
    let agent_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let agent = &rest[..agent_end];
    let rest = rest[agent_end..].strip_prefix(", ")?;
    let rest = rest
        .strip_prefix("an ")
        .or_else(|| rest.strip_prefix("a "))?;
    let (role, rest) = rest.split_once(" in codex-teams team ")?;
    let team_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some((
        agent.to_string(),
        role.trim().to_string(),
        rest[..team_end].to_string(),
    ))
}

/// The next output items for `request`. `plan` is the default script; a prompt may pick a
/// built-in plan with `scenario=<small|medium|high>`.
pub fn next(request: &Value, plan: &Script) -> Reply {
    let conv = Conversation::parse(request);
    // The benchmark's arms without a codex-teams team (see `arms`).
    match plan.mode {
        ScriptMode::Team => {}
        ScriptMode::Solo => return arms::solo(&conv, plan),
        ScriptMode::Subagents => return arms::subagents(&conv, plan, request),
    }
    if conv.naming.is_none() {
        return Reply {
            who: Who::Plain,
            items: vec![message(
                "Mock model: no codex-teams tools in this session, so I answer directly.",
            )],
            delay: None,
        };
    }
    let chosen = prompt_setting(conv.prompt(), "scenario")
        .or_else(|| prompt_setting(conv.prompt(), "plan"))
        .and_then(|n| Script::builtin(&n));
    let plan = chosen.as_ref().unwrap_or(plan);
    if conv.has_tool("team_start") {
        return Reply {
            who: Who::Lead,
            items: vec![lead(&conv, plan)],
            delay: None,
        };
    }
    let identity = conv.prompts.iter().find_map(|p| parse_brief(p));
    let who = Who::Worker {
        agent_id: identity.as_ref().map(|i| i.0.clone()),
        role: identity.as_ref().map(|i| i.1.clone()),
        team_id: identity.as_ref().map(|i| i.2.clone()),
    };
    if !conv.has_tool("task_claim") {
        return Reply {
            who,
            items: vec![message("Mock model: no task board tools; nothing to do.")],
            delay: None,
        };
    }
    let me = identity.map(|i| i.0).unwrap_or_default();
    // Paced mode: the step right after a successful claim is the task's work.
    let delay = plan
        .pace_secs
        .filter(|s| *s > 0)
        .filter(|_| {
            // A worker whose brief names its claimed task starts with the work.
            (conv.turn.is_empty() && conv.prompts.iter().any(|p| first_task(p).is_some()))
                || conv.turn.last().is_some_and(|c| {
                    let claimed =
                        |v: &Value| v.get("claimed").and_then(Value::as_bool) == Some(true);
                    (c.ours && c.name == "task_claim" && c.out.ok().is_some_and(claimed))
                        || closed_by_publish(c).is_some_and(claimed)
                })
        })
        .map(std::time::Duration::from_secs);
    Reply {
        who,
        items: vec![worker(&conv, plan, &me)],
        delay,
    }
}

// ---------------------------------------------------------------------------------------
// Lead

fn i64_at(v: &Value, path: &str) -> i64 {
    v.pointer(path).and_then(Value::as_i64).unwrap_or(0)
}

fn is_runner_error(out: &CallResult) -> bool {
    out.err().is_some_and(|e| {
        e.get("field").and_then(Value::as_str) == Some("runner")
            || e.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains("not a runner"))
    })
}

/// The conversation with a `team_start` that created the board (`tasks`) followed by the
/// `task_create` it stood for, so the rest of the script reads one shape.
fn with_board_from_start(conv: &Conversation) -> Option<Conversation> {
    let at = conv.turn.iter().position(|c| {
        c.ours && c.name == "team_start" && c.out.ok().is_some_and(|v| v.get("board").is_some())
    })?;
    let start = &conv.turn[at];
    let board = start.out.ok()?.get("board")?.clone();
    let mut out = conv.clone();
    out.turn.insert(
        at + 1,
        Call {
            name: "task_create".into(),
            ours: true,
            args: json!({ "tasks": start.args.get("tasks"), "spawn": start.args.get("spawn") }),
            out: CallResult::Ok(board),
        },
    );
    Some(out)
}

/// The plan's tasks as `task_create` (or `team_start`) takes them.
fn board_tasks(plan: &Script) -> Vec<Value> {
    plan.tasks
        .iter()
        .map(|t| {
            let mut v = json!({ "key": t.key, "title": t.title, "size": t.size, "deps": t.deps });
            if let Some(d) = &t.detail {
                v["detail"] = json!(d);
            }
            if let Some(r) = &t.role {
                v["role"] = json!(r);
            }
            v
        })
        .collect()
}

fn lead(conv: &Conversation, plan: &Script) -> Item {
    let expanded = with_board_from_start(conv);
    let conv = expanded.as_ref().unwrap_or(conv);
    let prompt = conv.prompt();
    let started = conv.calls("team_start").last();
    if started.is_none() && !has_trigger(prompt) {
        return message(
            "Answered directly without a team (mock model: say `use agents team: <task>` to start one).",
        );
    }
    if let Some(fin) = conv.calls("team_finalize").last() {
        return message(match fin.out.ok() {
            Some(s) => format!(
                "Team {} finalized: {} done, {} failed, {} cancelled; {} agent(s); {} tokens.",
                s.get("team_id").and_then(Value::as_str).unwrap_or("?"),
                i64_at(s, "/tasks/done"),
                i64_at(s, "/tasks/failed"),
                i64_at(s, "/tasks/cancelled"),
                s.get("agents")
                    .and_then(Value::as_array)
                    .map(|a| a.len().saturating_sub(1))
                    .unwrap_or(0),
                i64_at(s, "/tokens/total"),
            ),
            None => format!("Finalizing the team failed: {}", fin.out.message()),
        });
    }
    // The board and, with the default runner, its team in one call.
    let one_call_spawn = plan.runner.as_deref().is_none_or(|r| r == "codex-exec")
        && plan.role.is_none()
        && !plan.whole_task_briefs;
    let Some(started) = started else {
        // The team and its board in one call (and its workers, when the planner may pick
        // them); with a team_start that takes no tasks, task_create follows.
        let mut args = json!({ "goal": goal_from_prompt(prompt, plan) });
        if let Some(p) = prompt_setting(prompt, "profile").or_else(|| plan.profile.clone()) {
            args["profile"] = json!(p);
        }
        if tool_takes(conv, "team_start", "tasks") {
            args["tasks"] = json!(board_tasks(plan));
            if one_call_spawn {
                args["spawn"] = json!(true);
            }
        }
        return conv.call("team_start", args, 0);
    };
    if !started.out.is_ok() {
        return message(format!(
            "Could not start the team: {}",
            started.out.message()
        ));
    }
    let finalize = |summary: String| conv.call("team_finalize", json!({ "summary": summary }), 0);
    if conv.turn.len() >= plan.max_lead_calls() as usize {
        return finalize(format!(
            "mock lead stopped at its cap of {} tool calls",
            plan.max_lead_calls()
        ));
    }
    let Some(created) = conv.calls("task_create").last() else {
        let mut args = json!({ "tasks": board_tasks(plan) });
        if one_call_spawn {
            args["spawn"] = json!(true);
        }
        return conv.call("task_create", args, 0);
    };
    if !created.out.is_ok() {
        return finalize(format!("task_create failed: {}", created.out.message()));
    }

    // Spawning: as many as the latest plan (from task_create, team_status or a wait) says,
    // less those task_create already started.
    let script_at = conv.turn.iter().rposition(|c| {
        c.ours
            && match c.name.as_str() {
                "task_create" | "team_status" => {
                    c.out.ok().is_some_and(|v| v.get("plan").is_some())
                }
                "team_pull_inbox" => c.out.ok().is_some_and(|v| v.get("tasks").is_some()),
                _ => false,
            }
    });
    let target = script_at
        .and_then(|i| conv.turn[i].out.ok())
        .map(|v| i64_at(v, "/plan/spawn").max(i64_at(v, "/spawn")))
        .unwrap_or(0);
    let spawned_since = script_at
        .map(|i| {
            let with_board = conv.turn[i]
                .out
                .ok()
                .and_then(|v| v.get("spawned"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len) as i64;
            with_board
                + conv.turn[i + 1..]
                    .iter()
                    .filter(|c| c.ours && c.name == "team_spawn" && c.out.is_ok())
                    .count() as i64
        })
        .unwrap_or(0);
    let spawns: Vec<&Call> = conv.calls("team_spawn").collect();
    // An unknown runner (other than `external`) is retried with `external`; any other
    // refusal (planner, cap, budget) stops spawning for the rest of the turn, and so does
    // a refusal task_create reports.
    let fallback_error = |c: &Call| {
        is_runner_error(&c.out) && c.args.get("runner").and_then(Value::as_str) != Some("external")
    };
    let runner_fallback = spawns.iter().any(|c| fallback_error(c));
    let spawn_stopped = spawns.iter().any(|c| !c.out.is_ok() && !fallback_error(c))
        || created
            .out
            .ok()
            .is_some_and(|v| v.get("spawn_error").is_some());
    let spawned_ok = spawns.iter().filter(|c| c.out.is_ok()).count()
        + created
            .out
            .ok()
            .and_then(|v| v.get("spawned"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
    if !spawn_stopped && spawned_since < target && spawns.len() < HARD_CAP * 2 {
        let roles: Vec<String> = plan
            .tasks
            .iter()
            .map(|t| {
                t.role
                    .clone()
                    .or_else(|| plan.role.clone())
                    .unwrap_or_else(|| "implementer".into())
            })
            .collect();
        let role = roles
            .get(spawned_ok % roles.len().max(1))
            .cloned()
            .unwrap_or_else(|| "implementer".into());
        let runner = if runner_fallback {
            "external".to_string()
        } else {
            plan.runner.clone().unwrap_or_else(|| "codex-exec".into())
        };
        let goal = started
            .args
            .get("goal")
            .and_then(Value::as_str)
            .unwrap_or("the team goal");
        let brief = if plan.whole_task_briefs {
            // The naive baseline: the whole task, every subtask, in every worker's brief.
            let mut b = format!("Goal: {goal}\nThe whole task, every subtask:");
            for t in &plan.tasks {
                b.push_str(&format!(
                    "\n- {}: {}",
                    t.title,
                    t.detail.as_deref().unwrap_or("")
                ));
            }
            b.push_str("\nClaim ready tasks until none is left; broadcast every result.");
            b.chars().take(8000).collect()
        } else {
            let goal: String = goal.chars().take(200).collect();
            format!("Goal: {goal}. Claim ready tasks until none is left.")
        };
        return conv.call(
            "team_spawn",
            json!({ "role": role, "brief": brief, "runner": runner }),
            0,
        );
    }

    // Waiting: one long wait at a time; it returns when something needs the lead, with the
    // board's counts, so no status call is needed between waits.
    let pulls = conv.calls("team_pull_inbox").count();
    if let Some(last) = conv
        .turn
        .last()
        .filter(|c| c.ours && c.name == "team_pull_inbox")
    {
        let Some(view) = last.out.ok() else {
            return finalize(format!("team_pull_inbox failed: {}", last.out.message()));
        };
        let open = i64_at(view, "/tasks/ready")
            + i64_at(view, "/tasks/blocked")
            + i64_at(view, "/tasks/claimed");
        if view.get("board_done").and_then(Value::as_bool) == Some(true) {
            return finalize(format!(
                "mock lead: all tasks finished ({} done, {} failed)",
                i64_at(view, "/tasks/done"),
                i64_at(view, "/tasks/failed")
            ));
        }
        // Nobody left to do the work, and no spawn coming: the planner recommends none now
        // (for example the budget is spent), or spawning was refused.
        let live = i64_at(view, "/workers");
        let planned = i64_at(view, "/spawn");
        if open > 0 && live == 0 && (spawn_stopped || spawns.len() >= HARD_CAP * 2 || planned == 0)
        {
            return finalize(format!(
                "mock lead: {open} task(s) open but no worker is left and no more can be spawned"
            ));
        }
        if pulls >= plan.max_wait_rounds() as usize {
            return finalize(format!(
                "mock lead stopped waiting after {pulls} rounds with {open} task(s) open"
            ));
        }
    }
    let ack = last_inbox_ids(conv);
    // Results need nothing from the lead until the board is done: it is woken only for
    // that, or for a failure, a message, a decision or stalled work.
    let mut args = json!({ "wait_ms": plan.wait_ms(), "ack": ack });
    if tool_takes(conv, "team_pull_inbox", "wait_all") {
        args["wait_all"] = json!(true);
    }
    conv.call("team_pull_inbox", args, 0)
}

/// The message ids the last successful pull returned (to acknowledge on the next pull).
fn last_inbox_ids(conv: &Conversation) -> Vec<String> {
    conv.calls("team_pull_inbox")
        .filter_map(|c| c.out.ok())
        .last()
        .and_then(|v| v.get("messages"))
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("message_id").and_then(Value::as_str))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Worker

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// One shell script that writes every file (directories first).
fn write_files_script(files: &std::collections::BTreeMap<String, String>) -> String {
    let mut parts = Vec::new();
    for (path, content) in files {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .map(|d| d.to_string_lossy().to_string())
            .filter(|d| !d.is_empty())
        {
            parts.push(format!("mkdir -p {}", shell_quote(&dir)));
        }
        parts.push(format!(
            "printf '%s' {} > {}",
            shell_quote(content),
            shell_quote(path)
        ));
    }
    parts.join(" && ")
}

fn shell_args(shell: &Shell, script: &str, long: bool) -> Value {
    let mut args = Map::new();
    if shell.argv {
        args.insert(shell.field.clone(), json!(["bash", "-c", script]));
    } else {
        args.insert(shell.field.clone(), json!(script));
    }
    if shell.has_login {
        args.insert("login".into(), json!(false));
    }
    if long && shell.has_yield {
        args.insert("yield_time_ms".into(), json!(RUN_YIELD_MS));
    }
    Value::Object(args)
}

/// The plan entry of a claimed task: by title in the plan, then in the built-in plans.
fn script_task(plan: &Script, title: &str) -> Option<ScriptTask> {
    plan.task_by_title(title).cloned().or_else(|| {
        Script::builtin_names()
            .into_iter()
            .filter_map(Script::builtin)
            .find_map(|p| p.task_by_title(title).cloned())
    })
}

/// A usable artifact name for a task without a plan entry.
fn slug(title: &str, task_id: &str) -> String {
    let s: String = title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let s: String = s.chars().take(40).collect();
    if s.is_empty() { task_id.to_string() } else { s }
}

fn is_agent_target(to: &str) -> bool {
    to == "lead" || to.starts_with("agent_")
}

fn worker(conv: &Conversation, plan: &Script, me: &str) -> Item {
    let done_count = conv
        .calls("task_update")
        .filter(|c| c.out.is_ok() && c.args.get("status").and_then(Value::as_str) == Some("done"))
        .count()
        + conv
            .turn
            .iter()
            .filter(|c| closed_by_publish(c).is_some())
            .count();
    let finish = |why: &str| message(format!("done: {done_count} task(s) completed; {why}"));
    if conv.turn.len() >= plan.max_worker_calls() as usize {
        return finish(&format!(
            "stopped at the cap of {} tool calls",
            plan.max_worker_calls()
        ));
    }
    // A stopped agent or a finalized team refuses everything: stop at once.
    if let Some(last) = conv.turn.last().filter(|c| c.ours)
        && last
            .out
            .err()
            .and_then(|e| e.get("error"))
            .and_then(Value::as_str)
            == Some("forbidden")
    {
        return finish(&format!("stopping: {}", last.out.message()));
    }
    // Where the current task came from: a claim, or a publish that closed the previous task
    // and claimed the next (`artifact_publish` with `task_id`).
    let claim_at = conv
        .turn
        .iter()
        .rposition(|c| c.ours && (c.name == "task_claim" || closed_by_publish(c).is_some()));
    // A worker spawned with a task already claimed for it finds it in its brief.
    let from_brief = match claim_at {
        Some(_) => None,
        None => conv.prompts.iter().find_map(|p| first_task(p)),
    };
    let brief_claim = from_brief.map(|v| Call {
        name: "task_claim".into(),
        ours: true,
        args: json!({}),
        out: CallResult::Ok(v),
    });
    let (claim, after) = match (claim_at, &brief_claim) {
        (Some(c), _) => (&conv.turn[c], &conv.turn[c + 1..]),
        (None, Some(b)) => (b, &conv.turn[..]),
        (None, None) => return conv.call("task_claim", json!({}), 0),
    };
    let after_calls = |name: &'static str| after.iter().filter(move |x| x.ours && x.name == name);
    // Messages waiting when a publish closed the last task: read (and ack) them first, and
    // before stopping (a worker stops only with an empty inbox).
    if closed_by_publish(claim).is_some()
        && claim
            .out
            .ok()
            .and_then(|v| v.get("unread"))
            .and_then(Value::as_i64)
            .is_some_and(|n| n > 0)
        && after_calls("team_pull_inbox").next().is_none()
    {
        return conv.call("team_pull_inbox", json!({ "ack": last_inbox_ids(conv) }), 0);
    }
    let claim_out = match closed_by_publish(claim) {
        Some(next) => CallResult::Ok(next.clone()),
        None => claim.out.clone(),
    };
    let Some(claimed) = claim_out.ok() else {
        let errors = conv.calls("task_claim").filter(|x| !x.out.is_ok()).count();
        let retry = claim
            .out
            .err()
            .and_then(|e| e.get("error"))
            .and_then(Value::as_str)
            == Some("conflict");
        if retry && errors < CLAIM_ERROR_CAP {
            return conv.call("task_claim", json!({}), 0);
        }
        return finish(&format!("task_claim failed: {}", claim.out.message()));
    };
    if claimed.get("claimed").and_then(Value::as_bool) != Some(true) {
        if !after.is_empty() {
            return conv.call("task_claim", json!({}), 0);
        }
        let reason = claimed
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("no open tasks");
        let waits = conv
            .calls("task_claim")
            .filter(|x| {
                x.out
                    .ok()
                    .is_some_and(|v| v.get("claimed").and_then(Value::as_bool) != Some(true))
            })
            .count();
        if reason.contains("blocked") && waits < CLAIM_WAIT_CAP {
            return conv.call(
                "team_pull_inbox",
                json!({ "wait_ms": plan.worker_wait_ms(), "ack": last_inbox_ids(conv) }),
                0,
            );
        }
        return finish(reason);
    }

    // A claimed task: shell -> reads -> publish -> sends -> update -> pull.
    let task_id = claimed
        .get("task_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let title = claimed.get("title").and_then(Value::as_str).unwrap_or("");
    let inputs: Vec<String> = claimed
        .get("inputs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let pt = script_task(plan, title);
    let key = pt
        .as_ref()
        .map(|t| t.key.clone())
        .unwrap_or_else(|| slug(title, &task_id));

    // 1. Files (and the plan's `run` command) through Codex's own shell tool.
    if let (Some(t), Some(shell)) = (&pt, &conv.shell)
        && (!t.files.is_empty() || t.run.is_some())
        && !after.iter().any(|x| !x.ours && x.name == shell.name)
    {
        let mut script = write_files_script(&t.files);
        if let Some(run) = &t.run {
            if !script.is_empty() {
                script.push_str(" && ");
            }
            script.push_str(run);
        }
        let args = shell_args(shell, &script, t.run.is_some());
        let k = conv.total_calls + 1;
        return Item::FunctionCall {
            call_id: format!("call_{k}"),
            name: shell.name.clone(),
            namespace: None,
            arguments: args,
        };
    }

    // 2. Read inputs.
    let refs: Vec<String> = match pt.as_ref().and_then(|t| t.read.clone()) {
        Some(keys) => keys
            .iter()
            .map(|k| {
                inputs
                    .iter()
                    .find(|r| {
                        r.strip_prefix("art:")
                            .unwrap_or(r)
                            .rsplit_once('@')
                            .map(|(n, _)| n)
                            .unwrap_or(r)
                            == k
                    })
                    .cloned()
                    .unwrap_or_else(|| format!("art:{k}"))
            })
            .collect(),
        None => inputs.clone(),
    };
    // With nothing left to do for the task after its result (no messages to send), the
    // publish also closes it and claims the next: one call instead of three.
    let sends = pt.as_ref().map(|t| t.send.clone()).unwrap_or_default();
    let close_with_publish = sends.is_empty() && tool_takes(conv, "artifact_publish", "task_id");
    if let Some(r) = refs.iter().find(|r| {
        !after_calls("artifact_read")
            .any(|x| x.args.get("ref").and_then(Value::as_str) == Some(r.as_str()))
    }) {
        return conv.call("artifact_read", json!({ "ref": r }), 0);
    }

    // 3. Publish (a stale or missing parent is retried with the latest version).
    let pubs: Vec<&Call> = after_calls("artifact_publish").collect();
    let content = pt
        .as_ref()
        .and_then(|t| t.publish.clone())
        .unwrap_or_else(|| {
            let files = pt
                .as_ref()
                .map(|t| t.files.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            let mut s = format!("Result of `{key}` ({title}) by {me}.");
            if !files.is_empty() {
                s.push_str(&format!(" Files: {}.", files.join(", ")));
            }
            if !refs.is_empty() {
                s.push_str(&format!(" Built on: {}.", refs.join(", ")));
            }
            s
        });
    let published: Option<String> = pubs
        .iter()
        .rev()
        .find_map(|p| p.out.ok())
        .and_then(|v| v.get("ref"))
        .and_then(Value::as_str)
        .map(String::from);
    if published.is_none() && pubs.len() < PUBLISH_CAP {
        let parent = pubs
            .last()
            .and_then(|p| p.out.err())
            .and_then(|e| e.pointer("/details/latest"))
            .and_then(Value::as_str);
        let mut args = json!({ "name": key, "content": content });
        if close_with_publish && !task_id.is_empty() {
            args["task_id"] = json!(task_id);
        }
        match (pubs.last(), parent) {
            (None, _) => {
                return conv.call("artifact_publish", args, 0);
            }
            (Some(_), Some(parent)) => {
                args["parent"] = json!(parent);
                return conv.call("artifact_publish", args, 0);
            }
            // Any other publish failure: go on without an artifact.
            (Some(_), None) => {}
        }
    }

    // 4. Messages the plan asks for (task-key targets need the board first).
    let needs_list = sends
        .iter()
        .any(|s| s.to != "all" && !is_agent_target(&s.to));
    let listed = after_calls("task_list").next_back();
    if needs_list && listed.is_none() && conv.has_tool("task_list") {
        return conv.call("task_list", json!({}), 0);
    }
    for (i, s) in sends.iter().enumerate() {
        let idem = format!("{task_id}-send-{i}");
        let sent = after.iter().any(|x| {
            x.ours
                && (x.name == "team_send" || x.name == "team_broadcast")
                && x.args.get("idempotency_key").and_then(Value::as_str) == Some(idem.as_str())
        });
        if sent {
            continue;
        }
        let body = s.body.clone().unwrap_or_else(|| match &published {
            Some(r) => format!("{key} done: {r}"),
            None => format!("{key} done"),
        });
        let to = if s.to == "all" || is_agent_target(&s.to) {
            Some(s.to.clone())
        } else {
            // The agent that holds the task with key `s.to` now.
            let wanted = script_task_title(plan, &s.to);
            listed
                .and_then(|l| l.out.ok())
                .and_then(|v| v.get("tasks"))
                .and_then(Value::as_array)
                .and_then(|tasks| {
                    tasks.iter().find(|t| {
                        t.get("title").and_then(Value::as_str).map(str::trim)
                            == wanted.as_deref().map(str::trim)
                    })
                })
                .and_then(|t| t.get("owner"))
                .and_then(Value::as_str)
                .filter(|o| *o != me)
                .map(String::from)
        };
        return match to.as_deref() {
            Some("all") | None => conv.call(
                "team_broadcast",
                json!({ "body": body, "idempotency_key": idem }),
                0,
            ),
            Some(to) => conv.call(
                "team_send",
                json!({ "to": to, "body": body, "idempotency_key": idem }),
                0,
            ),
        };
    }

    // 5. Report the task done.
    if after_calls("task_update").next().is_none() {
        let mut args = json!({ "task_id": task_id, "status": "done" });
        match &published {
            Some(r) => args["artifact"] = json!(r),
            None => args["note"] = json!("no artifact could be published"),
        }
        return conv.call("task_update", args, 0);
    }

    // 6. Read (and acknowledge) the inbox, then claim the next task.
    if after_calls("team_pull_inbox").next().is_none() {
        return conv.call("team_pull_inbox", json!({ "ack": last_inbox_ids(conv) }), 0);
    }
    conv.call("task_claim", json!({}), 0)
}

/// The task a brief names as claimed for the worker (`<mark><task id> "<title>"[: detail]
/// [. Inputs: refs]`), as task_claim would have returned it.
fn first_task(text: &str) -> Option<Value> {
    let mark = crate::engine::roles::FIRST_TASK_MARK;
    let rest = &text[text.find(mark)? + mark.len()..];
    let rest = rest.lines().next().unwrap_or("");
    let (id, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix('"')?;
    // The title ends at the quote followed by the end, `:` (detail) or `.` (inputs).
    let end = rest.char_indices().find_map(|(i, c)| {
        let next = rest[i + 1..].chars().next();
        (c == '"' && matches!(next, None | Some(':') | Some('.'))).then_some(i)
    })?;
    let title = &rest[..end];
    let inputs: Vec<String> = rest[end..]
        .split_once(". Inputs: ")
        .map(|(_, refs)| refs.split(", ").map(|r| r.trim().to_string()).collect())
        .unwrap_or_default();
    Some(json!({ "claimed": true, "task_id": id, "title": title, "inputs": inputs }))
}

/// The next task a successful `artifact_publish` with `task_id` claimed (or `claimed: false`
/// and why), when `c` is one.
fn closed_by_publish(c: &Call) -> Option<&Value> {
    if !c.ours || c.name != "artifact_publish" {
        return None;
    }
    c.out.ok()?.get("next").filter(|n| n.is_object())
}

fn script_task_title(plan: &Script, key: &str) -> Option<String> {
    plan.task_by_key(key).map(|t| t.title.clone())
}

#[cfg(test)]
mod tests;
