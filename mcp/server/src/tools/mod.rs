//! The tool catalogue. Every tool is one module here declaring all of it: its `Args` (the
//! input schema, generated from the Rust type), its `SPEC` (name, one-line description, who
//! may call it, where it runs, its output type; [`ToolSpec::new`]) and its handler, `Args`'
//! [`Call`], which turns the arguments into one engine call. [`TOOLS`] lists the specs; the server
//! (the `server` module) dispatches on it and nothing else. Descriptions are kept short on
//! purpose: every agent sends them with every model request; the long guidance lives in
//! the agent-teams skill, which only the lead loads.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::engine::error::{EngineError, Result};
use crate::session::Ctx;

pub mod artifact_publish;
pub mod artifact_read;
pub mod task_claim;
pub mod task_create;
pub mod task_list;
pub mod task_update;
pub mod team_broadcast;
pub mod team_finalize;
pub mod team_merge;
pub mod team_pull_inbox;
pub mod team_send;
pub mod team_spawn;
pub mod team_start;
pub mod team_status;
pub mod team_vote;

/// Who may see and call a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Lead and workers.
    All,
    /// Lead only.
    Lead,
}

/// Where a call runs (see `runs_inline` in the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threading {
    /// On the async worker that received it, unless its arguments ask it to wait
    /// (`wait_ms > 0`) or to spawn workers (`spawn: true`): then on the blocking pool.
    Inline,
    /// Always on the blocking pool: it starts or stops processes or runs an arbitration.
    Blocking,
}

/// A tool's handler, implemented by its module's `Args`: runs the call with the parsed
/// arguments.
pub trait Call: DeserializeOwned + JsonSchema {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value>;
}

/// One tool, declared in its own module as `SPEC` (made by [`ToolSpec::new`]).
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub audience: Audience,
    pub threading: Threading,
    /// The input schema: `input::<Args>` of the tool's module.
    pub input: fn() -> Value,
    /// The output schema: `output::<T>` of the type the handler returns.
    pub output: fn() -> Value,
    /// The handler: parses the arguments and runs the call (`handle::<Args>`).
    pub call: fn(&Ctx<'_>, Value) -> Result<Value>,
}

impl ToolSpec {
    /// The tool whose arguments are `A` and whose handler returns an `O`: the schemas come
    /// from the two types, the handler is `A`'s [`Call`].
    pub const fn new<A: Call, O: JsonSchema>(
        name: &'static str,
        description: &'static str,
        audience: Audience,
        threading: Threading,
    ) -> Self {
        ToolSpec {
            name,
            description,
            audience,
            threading,
            input: input::<A>,
            output: output::<O>,
            call: handle::<A>,
        }
    }
}

/// Parses a call's arguments as `A` and runs it.
fn handle<A: Call>(ctx: &Ctx<'_>, args: Value) -> Result<Value> {
    parse::<A>(args)?.call(ctx)
}

/// Every tool, in the order `tools/list` shows them.
pub const TOOLS: &[ToolSpec] = &[
    team_start::SPEC,
    team_status::SPEC,
    team_spawn::SPEC,
    team_send::SPEC,
    team_broadcast::SPEC,
    team_pull_inbox::SPEC,
    task_create::SPEC,
    task_list::SPEC,
    task_claim::SPEC,
    task_update::SPEC,
    artifact_publish::SPEC,
    artifact_read::SPEC,
    team_finalize::SPEC,
    team_merge::SPEC,
    team_vote::SPEC,
];

/// A tool's arguments from the call's JSON; a bad one is an `invalid_argument` error
/// naming the field.
pub fn parse<T: DeserializeOwned>(args: Value) -> Result<T> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names missing and unknown fields itself; for type errors the path does.
        let field = if path == "." {
            inner.split('`').nth(1).unwrap_or("arguments").to_string()
        } else {
            path
        };
        EngineError::invalid(field, inner)
    })
}

/// A handler's result as JSON.
pub fn to_value<T: serde::Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| EngineError::Integrity(format!("serialising a result: {e}")))
}

/// The input schema of a tool's `Args`, compacted (see [`compact`]).
pub fn input<T: JsonSchema>() -> Value {
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
pub fn output<T: JsonSchema>() -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(keep: impl Fn(&ToolSpec) -> bool) -> Vec<&'static str> {
        TOOLS.iter().filter(|t| keep(t)).map(|t| t.name).collect()
    }

    #[test]
    fn tool_names_are_unique_and_found_by_spec() {
        let mut all = names(|_| true);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), TOOLS.len(), "a tool name is declared twice");
        for tool in TOOLS {
            assert_eq!(spec(tool.name).map(|s| s.name), Some(tool.name));
        }
        assert!(spec("no_such_tool").is_none());
    }

    /// Where calls run and who may make them are behaviour: a changed `threading` or
    /// `audience` in a SPEC must be a decision, made here too.
    #[test]
    fn threading_and_audience_are_as_declared() {
        assert_eq!(
            names(|t| t.threading == Threading::Inline),
            [
                "team_status",
                "team_send",
                "team_broadcast",
                "team_pull_inbox",
                "task_create",
                "task_list",
                "task_claim",
                "task_update",
                "artifact_read",
            ]
        );
        assert_eq!(
            names(|t| t.audience == Audience::Lead),
            [
                "team_start",
                "team_spawn",
                "task_create",
                "team_finalize",
                "team_merge",
            ]
        );
    }
}
