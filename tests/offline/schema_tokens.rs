//! The per-request cost of our tool definitions. Codex sends every visible tool's name,
//! description and input schema with every model request of every agent, so these tokens
//! are paid again and again: the lead's set must stay under 1,500 o200k tokens and the
//! worker's (role-scoped, smaller) set under 900. Run with `--nocapture` to see the figures.

use codex_teams::mcp::tools;
use serde_json::json;

const LEAD_MAX: usize = 1_500;
const WORKER_MAX: usize = 900;

/// o200k_base tokens of the tool definitions as compact JSON, one definition at a time.
fn schema_tokens(lead: bool) -> (usize, usize) {
    let bpe = tiktoken_rs::o200k_base().expect("o200k_base ships with tiktoken-rs");
    let visible = tools::visible(lead);
    let tokens = visible
        .iter()
        .map(|(name, description, schema)| {
            let def = json!({ "name": name, "description": description, "inputSchema": schema });
            let text = serde_json::to_string(&def).expect("a JSON value serialises");
            let n = bpe.encode_with_special_tokens(&text).len();
            println!("  {name}: {n}");
            n
        })
        .sum();
    (visible.len(), tokens)
}

#[test]
fn lead_tool_definitions_stay_under_budget() {
    let (count, tokens) = schema_tokens(true);
    println!("lead tool definitions: {count} tools, {tokens} o200k tokens (max {LEAD_MAX})");
    assert!(
        tokens <= LEAD_MAX,
        "the lead's {count} tool definitions cost {tokens} tokens per request, over {LEAD_MAX}; \
         shorten the SPEC descriptions or the Args doc comments in mcp/server/src/tools/<tool>.rs"
    );
}

#[test]
fn worker_tool_definitions_stay_under_budget() {
    let (count, tokens) = schema_tokens(false);
    println!("worker tool definitions: {count} tools, {tokens} o200k tokens (max {WORKER_MAX})");
    assert!(
        tokens <= WORKER_MAX,
        "a worker's {count} tool definitions cost {tokens} tokens per request, over {WORKER_MAX}; \
         shorten the SPEC descriptions or the Args doc comments in mcp/server/src/tools/<tool>.rs"
    );
}

#[test]
fn workers_see_fewer_tools_than_the_lead() {
    let (lead, _) = schema_tokens(true);
    let (worker, _) = schema_tokens(false);
    assert!(worker < lead, "worker sees {worker} tools, lead {lead}");
    let names: Vec<&str> = tools::visible(false).iter().map(|(n, _, _)| *n).collect();
    for lead_only in ["team_start", "team_spawn", "task_create", "team_finalize"] {
        assert!(!names.contains(&lead_only), "a worker is shown {lead_only}");
    }
}
