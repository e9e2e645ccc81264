//! The tool catalogue: every tool's name, its one-line description, who may call it, and
//! its input and output schemas generated from the Rust types. Descriptions are kept short
//! on purpose: every agent sends them with every model request; the long guidance lives in
//! the agent-teams skill, which only the lead loads.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::args;
use crate::engine::{arbitration, artifacts, board, bus, fanout, team};

/// Who may see and call a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Lead and workers.
    All,
    /// Lead only.
    Lead,
}

pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub audience: Audience,
    pub input: fn() -> Value,
    pub output: fn() -> Value,
}

fn input<T: JsonSchema>() -> Value {
    compact(
        SchemaSettings::draft2020_12()
            .for_deserialize()
            .with(|s| s.inline_subschemas = true)
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value(),
    )
}

/// Output schemas are documentation (mcp/schemas/), never sent to a model, so they keep
/// everything that makes them exact, such as `null` for fields that may be empty.
fn output<T: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(map) = &mut schema {
        map.remove("$schema");
    }
    schema
}

/// Strips what a model does not need from a generated schema: meta keys, titles, number
/// formats, `null` alternatives of optional fields, `additionalProperties` (unknown
/// arguments are still refused by the server), and defaults.
pub fn compact(mut schema: Value) -> Value {
    fn walk(v: &mut Value, root: bool) {
        match v {
            Value::Object(map) => {
                for key in [
                    "$schema",
                    "title",
                    "format",
                    "default",
                    "additionalProperties",
                    "minimum",
                    "maximum",
                ] {
                    map.remove(key);
                }
                if root {
                    map.remove("description");
                }
                if let Some(Value::Array(types)) = map.get("type").cloned() {
                    let non_null: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
                    if non_null.len() == 1 {
                        map.insert("type".into(), non_null[0].clone());
                    } else {
                        map.insert("type".into(), Value::Array(non_null));
                    }
                }
                if let Some(Value::Array(any)) = map.get("anyOf").cloned() {
                    let non_null: Vec<Value> = any
                        .into_iter()
                        .filter(|s| s.get("type") != Some(&Value::String("null".into())))
                        .collect();
                    if non_null.len() == 1
                        && let Value::Object(inner) = &non_null[0]
                    {
                        map.remove("anyOf");
                        for (k, val) in inner {
                            map.entry(k.clone()).or_insert(val.clone());
                        }
                    }
                }
                if let Some(Value::Array(req)) = map.get("required")
                    && req.is_empty()
                {
                    map.remove("required");
                }
                for (key, child) in map.iter_mut() {
                    // The keys of `properties` are field names, not schema keywords: a
                    // field called `title` or `default` must survive the stripping above.
                    match child {
                        Value::Object(fields) if key == "properties" => {
                            fields.values_mut().for_each(|f| walk(f, false))
                        }
                        _ => walk(child, false),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, false)),
            _ => {}
        }
    }
    walk(&mut schema, true);
    schema
}

/// Arguments only a lead uses: a worker's schemas leave them out (`team_id`: a worker
/// belongs to one team; `wait_all`: the lead's wait).
pub const LEAD_ONLY_ARGS: &[&str] = &["team_id", "wait_all"];

/// The schema a worker sees: the same minus [`LEAD_ONLY_ARGS`].
pub fn for_worker(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(Value::Object(props)) = s.get_mut("properties") {
        for arg in LEAD_ONLY_ARGS {
            props.remove(*arg);
        }
    }
    s
}

/// `task_create`'s result: the new tasks and the planner's recommendation for the board now.
#[derive(JsonSchema)]
pub struct TasksCreated {
    pub tasks: Vec<board::CreatedTask>,
    pub plan: fanout::Plan,
    /// With `spawn`: the workers started (agent id and role).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spawned: Vec<crate::engine::team::Spawned>,
    /// With `spawn`: why starting a worker failed (the tasks were created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawn_error: Option<serde_json::Value>,
}

/// `artifact_publish`'s result: the artifact; with a `task_id` also that task done with it,
/// the caller's next task (claimed, or `claimed: false` and why) and its unread messages.
#[derive(serde::Serialize, JsonSchema)]
pub struct PublishedDone {
    #[serde(flatten)]
    pub published: artifacts::Published,
    /// With `task_id`: that task, now done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<board::Updated>,
    /// With `task_id`: your next task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<board::Claimed>,
    /// With `task_id`: messages waiting in your inbox (pull them when not 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<i64>,
}

pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "team_start",
        description: "Start a team for a goal (you become lead), or resume one by team_id.",
        audience: Audience::Lead,
        input: input::<args::TeamStart>,
        output: output::<team::TeamStarted>,
    },
    ToolSpec {
        name: "team_status",
        description: "Team agents, task counts, your unread count, tokens used.",
        audience: Audience::All,
        input: input::<args::TeamOnly>,
        output: output::<team::TeamStatus>,
    },
    ToolSpec {
        name: "team_spawn",
        description: "Add a worker with a role and a short brief.",
        audience: Audience::Lead,
        input: input::<args::TeamSpawn>,
        output: output::<team::Spawned>,
    },
    ToolSpec {
        name: "team_send",
        description: "Message one teammate (large content: send an artifact ref).",
        audience: Audience::All,
        input: input::<args::TeamSend>,
        output: output::<bus::Sent>,
    },
    ToolSpec {
        name: "team_broadcast",
        description: "Message every teammate.",
        audience: Audience::All,
        input: input::<args::TeamBroadcast>,
        output: output::<bus::Sent>,
    },
    ToolSpec {
        name: "team_pull_inbox",
        description: "Get new messages; ack the ids you handled or they come back.",
        audience: Audience::All,
        input: input::<args::TeamPullInbox>,
        output: output::<bus::Inbox>,
    },
    ToolSpec {
        name: "task_create",
        description: "Add tasks to the board, with dependencies.",
        audience: Audience::Lead,
        input: input::<args::TaskCreate>,
        output: output::<TasksCreated>,
    },
    ToolSpec {
        name: "task_list",
        description: "List board tasks, paged.",
        audience: Audience::All,
        input: input::<args::TaskList>,
        output: output::<board::TaskPage>,
    },
    ToolSpec {
        name: "task_claim",
        description: "Claim a ready task; exactly one claimant wins.",
        audience: Audience::All,
        input: input::<args::TaskClaim>,
        output: output::<board::Claimed>,
    },
    ToolSpec {
        name: "task_update",
        description: "Set a task's status; attach a result artifact.",
        audience: Audience::All,
        input: input::<args::TaskUpdate>,
        output: output::<board::Updated>,
    },
    ToolSpec {
        name: "artifact_publish",
        description: "Store content as a versioned artifact; returns its ref.",
        audience: Audience::All,
        input: input::<args::ArtifactPublish>,
        output: output::<PublishedDone>,
    },
    ToolSpec {
        name: "artifact_read",
        description: "Read an artifact by ref (checksum verified).",
        audience: Audience::All,
        input: input::<args::ArtifactRead>,
        output: output::<artifacts::ArtifactContent>,
    },
    ToolSpec {
        name: "team_finalize",
        description: "Close the team: stop workers, store the run summary.",
        audience: Audience::Lead,
        input: input::<args::TeamFinalize>,
        output: output::<team::RunSummary>,
    },
    ToolSpec {
        name: "team_merge",
        description: "Decide among candidate refs; poll by decision_id; override with choice.",
        audience: Audience::Lead,
        input: input::<args::TeamMerge>,
        output: output::<arbitration::DecisionView>,
    },
    ToolSpec {
        name: "team_vote",
        description: "Vote on a decision: a candidate ref and a one-line rationale.",
        audience: Audience::All,
        input: input::<args::TeamVote>,
        output: output::<arbitration::DecisionView>,
    },
];

pub fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The tool definitions a caller sees, as `(name, description, input schema)`.
pub fn visible(lead: bool) -> Vec<(&'static str, &'static str, Map<String, Value>)> {
    TOOLS
        .iter()
        .filter(|t| lead || t.audience == Audience::All)
        .map(|t| {
            let schema = (t.input)();
            let schema = if lead { schema } else { for_worker(&schema) };
            let map = match schema {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            (t.name, t.description, map)
        })
        .collect()
}

/// The committed schema files of `mcp/schemas/`: for every tool, `<tool>.input.json` and
/// `<tool>.output.json` as pretty JSON with a trailing newline, sorted by file name. The
/// `schemas` subcommand writes them and `tests/offline/schemas.rs` keeps them in sync.
pub fn schema_files() -> Vec<(String, String)> {
    let mut files = Vec::with_capacity(TOOLS.len() * 2);
    for tool in TOOLS {
        for (kind, schema) in [("input", (tool.input)()), ("output", (tool.output)())] {
            // A `Value` always serialises; the fallback only keeps `unwrap` out of src/.
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            files.push((format!("{}.{kind}.json", tool.name), text));
        }
    }
    files.sort();
    files
}
