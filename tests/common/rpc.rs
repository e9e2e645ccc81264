//! Tool calls over real stdio that must succeed or must fail.

use codex_teams::mcp::client::StdioClient;
use serde_json::Value;

/// Calls `tool`; its result, or a panic naming the tool and the error.
pub fn ok(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    client
        .call_ok(tool, args)
        .unwrap_or_else(|e| panic!("{tool}: {e:#}"))
}

/// Calls `tool`, which must answer with a tool error; that error (a transport failure or a
/// success panics).
pub fn err(client: &mut StdioClient, tool: &str, args: Value) -> Value {
    match client.call(tool, args).expect("transport") {
        Ok(v) => panic!("{tool} should have failed but returned {v}"),
        Err(e) => e,
    }
}
