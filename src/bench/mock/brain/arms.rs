//! The brain of the benchmark's comparison arms that run without a codex-teams team:
//! - **solo** ([`ScriptMode::Solo`]): the lead alone. It writes every subtask's files itself
//!   through Codex's shell tool, one call per subtask in dependency order, then answers.
//! - **subagents** ([`ScriptMode::Subagents`]): what a Codex user has without codex-teams.
//!   The lead splits the same work over Codex's own `multi_agent_v1` tools: `spawn_agent`
//!   one sub-agent per ready subtask (its `message` names the subtask), `wait_agent` on the
//!   running ones, `close_agent` each finished one (a finished agent counts against the
//!   six-thread limit until closed), and spawns dependants once their dependencies are done.
//!   A sub-agent writes its subtask's files through the shell and answers with a one-line
//!   result, which `wait_agent` hands back to the lead. Like the team arms, one tool call
//!   per response.
//!
//! Kept apart from the team lead's script in `brain.rs`: the same statelessness (all state
//! is read back from the request), the same caps.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{
    CallResult, Conversation, Item, Reply, Who, message, parse_output, shell_args,
    write_files_script,
};
use crate::bench::mock::script::{Script, ScriptTask};

/// The namespace of Codex's own sub-agent tools (0.169.0).
pub const MULTI_AGENT_NS: &str = "multi_agent_v1";
/// How a sub-agent's first message names its subtask: `[subtask <key>] <title>...`.
const SUBTASK_MARK: &str = "[subtask ";
/// Codex's default `[agents] max_threads`: open sub-agents at once.
const MAX_OPEN: usize = 6;
/// How long one `wait_agent` call may block (Codex allows 10 s to 1 h).
const WAIT_AGENT_MS: u64 = 60_000;

/// The shell call that writes `task`'s files and runs its `run` command.
fn do_subtask(conv: &Conversation, task: &ScriptTask) -> Option<Item> {
    let shell = conv.shell.as_ref()?;
    let mut script = write_files_script(&task.files);
    if let Some(run) = &task.run {
        if !script.is_empty() {
            script.push_str(" && ");
        }
        script.push_str(run);
    }
    if script.is_empty() {
        return None;
    }
    Some(Item::FunctionCall {
        call_id: format!("call_{}", conv.total_calls + 1),
        name: shell.name.clone(),
        namespace: None,
        arguments: shell_args(shell, &script, task.run.is_some()),
    })
}

fn shell_calls(conv: &Conversation) -> usize {
    let Some(shell) = &conv.shell else { return 0 };
    conv.turn
        .iter()
        .filter(|c| !c.ours && c.name == shell.name)
        .count()
}

/// The lead alone: one shell call per subtask, in dependency order, then the answer.
pub(super) fn solo(conv: &Conversation, plan: &Script) -> Reply {
    let order = plan.dependency_order();
    let done = shell_calls(conv);
    let item = match order.get(done) {
        _ if conv.shell.is_none() => message("Mock model (solo): no shell tool; nothing written."),
        _ if conv.turn.len() >= plan.max_lead_calls() as usize => message(format!(
            "solo: stopped at the cap of {} tool calls",
            plan.max_lead_calls()
        )),
        Some(task) => do_subtask(conv, task)
            .unwrap_or_else(|| message(format!("solo: subtask `{}` has no work", task.key))),
        None => message(format!(
            "solo: all {} subtask(s) done by the lead alone",
            order.len()
        )),
    };
    Reply {
        who: Who::Lead,
        items: vec![item],
        delay: None,
    }
}

/// The subtask key a sub-agent's first message names.
fn subtask_key(text: &str) -> Option<String> {
    let rest = &text[text.find(SUBTASK_MARK)? + SUBTASK_MARK.len()..];
    let end = rest.find(']')?;
    Some(rest[..end].trim().to_string()).filter(|k| !k.is_empty())
}

/// The message that starts the sub-agent of `task`.
fn spawn_message(goal: &str, task: &ScriptTask) -> String {
    let mut m = format!("{SUBTASK_MARK}{}] {}", task.key, task.title);
    if let Some(d) = &task.detail {
        m.push_str(&format!(": {d}"));
    }
    let goal: String = goal.chars().take(200).collect();
    m.push_str(&format!(
        ". Part of: {goal}. Other agents work in this repository at once: change only your \
         files, do not spawn agents, and answer with one line naming the files you wrote."
    ));
    m
}

/// One multi-agent call of the lead's turn and its result.
struct AgentCall {
    name: String,
    args: Value,
    out: CallResult,
}

/// Every `multi_agent_v1` call in the whole input (a sub-agent's completion notice may
/// arrive as a message in the middle of the lead's turn, so the turn is not enough).
fn agent_calls(request: &Value) -> Vec<AgentCall> {
    let empty = Vec::new();
    let input = request
        .get("input")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let outputs: BTreeMap<&str, &Value> = input
        .iter()
        .filter(|i| i.get("type").and_then(Value::as_str) == Some("function_call_output"))
        .filter_map(|i| Some((i.get("call_id")?.as_str()?, i.get("output")?)))
        .collect();
    input
        .iter()
        .filter(|i| i.get("type").and_then(Value::as_str) == Some("function_call"))
        .filter(|i| {
            i.get("namespace").and_then(Value::as_str) == Some(MULTI_AGENT_NS)
                || i.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| matches!(n, "spawn_agent" | "wait_agent" | "close_agent"))
        })
        .map(|i| AgentCall {
            name: i
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            args: i
                .get("arguments")
                .and_then(Value::as_str)
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or(Value::Null),
            out: i
                .get("call_id")
                .and_then(Value::as_str)
                .and_then(|id| outputs.get(id))
                .map(|o| parse_output(o, false))
                .unwrap_or(CallResult::Missing),
        })
        .collect()
}

/// The agent id a `spawn_agent` result names.
fn spawned_id(out: &CallResult) -> Option<String> {
    let v = out.ok()?;
    ["agent_id", "id", "target"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(String::from)
}

/// Whether a status (a string such as `"running"` or an object such as
/// `{"completed": "..."}`) is final.
fn is_final(status: &Value) -> bool {
    let word = match status {
        Value::String(s) => s.as_str(),
        Value::Object(m) => m.keys().next().map(String::as_str).unwrap_or(""),
        _ => "",
    };
    let word = word.to_ascii_lowercase();
    !word.is_empty()
        && !["running", "pending", "pending_init", "starting", "active"]
            .iter()
            .any(|w| word.starts_with(w))
}

/// The agent ids a `wait_agent` result reports in a final status.
fn finished_ids(out: &CallResult) -> Vec<String> {
    let text;
    let v = match out {
        CallResult::Ok(v) | CallResult::Err(v) => v,
        CallResult::Text(t) => {
            text = serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
            &text
        }
        CallResult::Missing => return Vec::new(),
    };
    let Some(statuses) = v
        .get("status")
        .or_else(|| v.get("statuses"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    statuses
        .iter()
        .filter(|(_, s)| is_final(s))
        .map(|(id, _)| id.clone())
        .collect()
}

fn agent_call(conv: &Conversation, name: &str, arguments: Value) -> Item {
    Item::FunctionCall {
        call_id: format!("call_{}", conv.total_calls + 1),
        name: name.to_string(),
        namespace: Some(MULTI_AGENT_NS.to_string()),
        arguments,
    }
}

/// Codex's own sub-agents: the lead's next call, or a sub-agent's work.
pub(super) fn subagents(conv: &Conversation, plan: &Script, request: &Value) -> Reply {
    if let Some(key) = conv.prompts.first().and_then(|p| subtask_key(p)) {
        return subagent(conv, plan, &key);
    }
    Reply {
        who: Who::Lead,
        items: vec![subagent_lead(conv, plan, request)],
        delay: None,
    }
}

/// A sub-agent: its subtask's files through the shell, then a one-line answer.
fn subagent(conv: &Conversation, plan: &Script, key: &str) -> Reply {
    let who = Who::Worker {
        agent_id: Some(format!("subagent:{key}")),
        role: Some("subagent".into()),
        team_id: None,
    };
    let task = plan.task_by_key(key);
    let item = match task {
        None => message(format!("subtask `{key}` is not in the plan; nothing done")),
        Some(t) if shell_calls(conv) == 0 => do_subtask(conv, t)
            .unwrap_or_else(|| message(format!("subtask {key} done: no files to write"))),
        Some(t) => message(format!(
            "subtask {key} done: wrote {}",
            t.files.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
    };
    Reply {
        who,
        items: vec![item],
        delay: None,
    }
}

fn subagent_lead(conv: &Conversation, plan: &Script, request: &Value) -> Item {
    if !request
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("name").and_then(Value::as_str) == Some(MULTI_AGENT_NS)
                    || t.get("name").and_then(Value::as_str) == Some("spawn_agent")
            })
        })
    {
        return message("Mock model (subagents): Codex offers no multi_agent tools; nothing done.");
    }
    let calls = agent_calls(request);
    if calls.len() >= plan.max_lead_calls() as usize {
        return message(format!(
            "subagents: stopped at the cap of {} tool calls",
            plan.max_lead_calls()
        ));
    }
    let goal = conv.prompts.first().cloned().unwrap_or_default();
    // What the calls so far tell: which subtask each agent has, which are finished, closed.
    let mut agents: BTreeMap<String, String> = BTreeMap::new(); // agent id -> subtask key
    let mut spawned: BTreeSet<String> = BTreeSet::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut closed: BTreeSet<String> = BTreeSet::new();
    for c in &calls {
        match c.name.as_str() {
            "spawn_agent" => {
                let key = c
                    .args
                    .get("message")
                    .and_then(Value::as_str)
                    .and_then(subtask_key);
                let Some(key) = key else { continue };
                match spawned_id(&c.out) {
                    Some(id) => {
                        spawned.insert(key.clone());
                        agents.insert(id, key);
                    }
                    None => {
                        return message(format!(
                            "subagents: spawn_agent for `{key}` failed: {}",
                            c.out.message()
                        ));
                    }
                }
            }
            "wait_agent" => finished.extend(finished_ids(&c.out)),
            "close_agent" => {
                if let Some(t) = c.args.get("target").and_then(Value::as_str) {
                    closed.insert(t.to_string());
                    // A closed agent is done with, whatever wait_agent said.
                    finished.insert(t.to_string());
                }
            }
            _ => {}
        }
    }
    let done: BTreeSet<&str> = agents
        .iter()
        .filter(|(id, _)| finished.contains(*id))
        .map(|(_, k)| k.as_str())
        .collect();
    // 1. Close a finished agent (it holds a thread until closed).
    if let Some(id) = agents
        .keys()
        .find(|id| finished.contains(*id) && !closed.contains(*id))
    {
        return agent_call(conv, "close_agent", json!({ "target": id }));
    }
    // 2. Start the next ready subtask while a thread is free.
    let open = agents.keys().filter(|id| !closed.contains(*id)).count();
    let ready = plan
        .dependency_order()
        .into_iter()
        .find(|t| !spawned.contains(&t.key) && t.deps.iter().all(|d| done.contains(d.as_str())));
    if let Some(t) = ready
        && open < MAX_OPEN
    {
        return agent_call(
            conv,
            "spawn_agent",
            json!({ "message": spawn_message(&goal, t) }),
        );
    }
    // 3. Wait for the running ones.
    let running: Vec<&String> = agents.keys().filter(|id| !finished.contains(*id)).collect();
    if !running.is_empty() {
        let waits = calls.iter().filter(|c| c.name == "wait_agent").count();
        if waits >= plan.max_wait_rounds() as usize {
            return message(format!(
                "subagents: stopped waiting after {waits} rounds with {} agent(s) running",
                running.len()
            ));
        }
        return agent_call(
            conv,
            "wait_agent",
            json!({ "targets": running, "timeout_ms": WAIT_AGENT_MS }),
        );
    }
    let missing: Vec<&str> = plan
        .tasks
        .iter()
        .filter(|t| !done.contains(t.key.as_str()))
        .map(|t| t.key.as_str())
        .collect();
    if missing.is_empty() {
        message(format!(
            "subagents: all {} subtask(s) done by {} sub-agent(s)",
            plan.tasks.len(),
            agents.len()
        ))
    } else {
        message(format!(
            "subagents: stopped with subtask(s) {} not done",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::mock::script::ScriptMode;

    fn plan(mode: ScriptMode) -> Script {
        let yaml = "tasks:\n  - {key: c, title: Join, deps: [a, b], files: {c.txt: c}}\n  - {key: a, title: Do A, files: {a.txt: a}}\n  - {key: b, title: Do B, files: {b.txt: b}}\n";
        let mut p = Script::parse(yaml, "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
        p.mode = mode;
        p
    }

    fn tools() -> Value {
        json!([
            {"type": "function", "name": "exec_command", "parameters": {"type": "object",
             "properties": {"cmd": {"type": "string"}}}},
            {"type": "namespace", "name": MULTI_AGENT_NS, "tools": [
                {"type": "function", "name": "spawn_agent"},
                {"type": "function", "name": "wait_agent"},
                {"type": "function", "name": "close_agent"}]}
        ])
    }

    /// A conversation: the prompt, then (call name, namespace, args, output) rounds.
    fn request(prompt: &str, rounds: &[(&str, Option<&str>, Value, Value)]) -> Value {
        let mut input = vec![json!({"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": prompt}]})];
        for (i, (name, ns, args, out)) in rounds.iter().enumerate() {
            let mut call = json!({"type": "function_call", "name": name,
                "call_id": format!("c{i}"), "arguments": args.to_string()});
            if let Some(ns) = ns {
                call["namespace"] = json!(ns);
            }
            input.push(call);
            input.push(
                json!({"type": "function_call_output", "call_id": format!("c{i}"),
                "output": out.to_string()}),
            );
        }
        json!({"tools": tools(), "input": input})
    }

    fn next_of(request: &Value, plan: &Script) -> (Who, String, Value) {
        let reply = super::super::next(request, plan);
        match reply.items.first() {
            Some(Item::FunctionCall {
                name, arguments, ..
            }) => (reply.who, name.clone(), arguments.clone()),
            Some(Item::Message { text }) => (reply.who, "message".into(), json!(text)),
            None => panic!("empty reply"),
        }
    }

    #[test]
    fn solo_writes_every_subtask_in_dependency_order_then_answers() {
        let p = plan(ScriptMode::Solo);
        let mut rounds = Vec::new();
        for want in ["a.txt", "b.txt", "c.txt"] {
            let (who, name, args) = next_of(&request("do it", &rounds), &p);
            assert_eq!((who, name.as_str()), (Who::Lead, "exec_command"));
            assert!(args["cmd"].as_str().unwrap_or("").contains(want), "{args}");
            rounds.push(("exec_command", None, args, json!("ok")));
        }
        let (_, name, text) = next_of(&request("do it", &rounds), &p);
        assert_eq!(name, "message");
        assert!(text.as_str().unwrap_or("").contains("all 3"), "{text}");
    }

    #[test]
    fn subagent_lead_spawns_ready_work_waits_closes_and_spawns_the_join() {
        let p = plan(ScriptMode::Subagents);
        let ns = Some(MULTI_AGENT_NS);
        let mut rounds: Vec<(&str, Option<&str>, Value, Value)> = Vec::new();
        let step = |rounds: &Vec<(&str, Option<&str>, Value, Value)>| {
            let (who, name, args) = next_of(&request("Use sub-agents: the task", rounds), &p);
            assert_eq!(who, Who::Lead);
            (name, args)
        };
        let (name, args) = step(&rounds);
        assert_eq!(name, "spawn_agent");
        assert!(
            args["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("[subtask a]"),
            "{args}"
        );
        rounds.push((
            "spawn_agent",
            ns,
            args,
            json!({"agent_id": "id-a", "nickname": "A"}),
        ));
        let (name, args) = step(&rounds);
        assert!(
            args["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("[subtask b]"),
            "{args}"
        );
        rounds.push(("spawn_agent", ns, args, json!({"agent_id": "id-b"})));
        // The join is not ready: wait on both.
        let (name2, args) = step(&rounds);
        assert_eq!(
            (name.as_str(), name2.as_str()),
            ("spawn_agent", "wait_agent")
        );
        assert_eq!(args["targets"], json!(["id-a", "id-b"]));
        rounds.push((
            "wait_agent",
            ns,
            args,
            json!({"status": {"id-a": {"completed": "a done"}}, "timed_out": false}),
        ));
        let (name, args) = step(&rounds);
        assert_eq!(
            (name.as_str(), &args["target"]),
            ("close_agent", &json!("id-a"))
        );
        rounds.push(("close_agent", ns, args, json!({"status": "completed"})));
        let (name, args) = step(&rounds);
        assert_eq!(
            (name.as_str(), &args["targets"]),
            ("wait_agent", &json!(["id-b"]))
        );
        rounds.push((
            "wait_agent",
            ns,
            args,
            json!({"status": {"id-b": "completed"}}),
        ));
        let (name, args) = step(&rounds);
        assert_eq!(name, "close_agent");
        rounds.push(("close_agent", ns, args, json!({})));
        let (name, args) = step(&rounds);
        assert!(
            args["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("[subtask c]"),
            "{name} {args}"
        );
        rounds.push(("spawn_agent", ns, args, json!({"agent_id": "id-c"})));
        let (name, args) = step(&rounds);
        assert_eq!(name, "wait_agent");
        rounds.push((
            "wait_agent",
            ns,
            args,
            json!({"status": {"id-c": {"completed": "c"}}}),
        ));
        let (name, args) = step(&rounds);
        assert_eq!(name, "close_agent");
        rounds.push(("close_agent", ns, args, json!({})));
        let (name, text) = step(&rounds);
        assert_eq!(name, "message");
        assert!(
            text.as_str()
                .unwrap_or("")
                .contains("all 3 subtask(s) done by 3"),
            "{text}"
        );
    }

    #[test]
    fn a_subagent_does_its_subtask_then_answers() {
        let p = plan(ScriptMode::Subagents);
        let prompt = spawn_message("goal", &p.tasks[1]);
        let (who, name, args) = next_of(&request(&prompt, &[]), &p);
        assert_eq!(who.agent_id(), Some("subagent:a"));
        assert_eq!(name, "exec_command");
        assert!(args["cmd"].as_str().unwrap_or("").contains("a.txt"));
        let rounds = vec![("exec_command", None, args, json!("ok"))];
        let (_, name, text) = next_of(&request(&prompt, &rounds), &p);
        assert_eq!(name, "message");
        assert_eq!(text, json!("subtask a done: wrote a.txt"));
    }

    #[test]
    fn subtask_keys_round_trip_through_the_spawn_message() {
        let plan = Script::builtin("high").unwrap_or_else(|| panic!("high"));
        let m = spawn_message("goal", &plan.tasks[2]);
        assert_eq!(subtask_key(&m).as_deref(), Some("p3"));
        assert_eq!(subtask_key("no mark here"), None);
    }

    #[test]
    fn final_statuses_are_read_from_wait_agent_results() {
        let out = CallResult::Ok(json!({
            "status": {"a1": {"completed": "subtask x done"}, "a2": "running", "a3": "errored"},
            "timed_out": false
        }));
        let mut ids = finished_ids(&out);
        ids.sort();
        assert_eq!(ids, vec!["a1".to_string(), "a3".to_string()]);
        assert!(finished_ids(&CallResult::Ok(json!({"status": {}, "timed_out": true}))).is_empty());
    }
}
