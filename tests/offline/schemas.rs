//! The committed JSON Schemas in `mcp/schemas/` are exactly what the tool catalogue
//! generates: same files, same bytes. Whoever changes a tool's arguments or result type
//! regenerates them, and the diff shows the schema change in review.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codex_teams::mcp::tools;

const REGENERATE: &str = "regenerate with: cargo run -- schemas --out mcp/schemas";

fn committed() -> BTreeMap<String, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("mcp/schemas");
    let mut files = BTreeMap::new();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {REGENERATE}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            files.insert(name, text);
        }
    }
    files
}

#[test]
fn committed_schemas_match_the_tool_catalogue() {
    let generated: BTreeMap<String, String> = tools::schema_files().into_iter().collect();
    let committed = committed();

    let missing: Vec<&String> = generated
        .keys()
        .filter(|k| !committed.contains_key(*k))
        .collect();
    let extra: Vec<&String> = committed
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    let drifted: Vec<&String> = generated
        .iter()
        .filter(|(name, text)| committed.get(*name).is_some_and(|c| c != *text))
        .map(|(name, _)| name)
        .collect();

    assert!(
        missing.is_empty() && extra.is_empty() && drifted.is_empty(),
        "mcp/schemas/ is out of date with mcp/server/src/tools/\n  missing: {missing:?}\n  extra (no such tool): {extra:?}\n  changed: {drifted:?}\n{REGENERATE}"
    );
}

#[test]
fn every_tool_has_an_input_and_an_output_schema() {
    let names: Vec<String> = tools::schema_files().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), tools::TOOLS.len() * 2);
    for tool in tools::TOOLS {
        for kind in ["input", "output"] {
            let file = format!("{}.{kind}.json", tool.name);
            assert!(names.contains(&file), "no {file}");
        }
    }
}

#[test]
fn schemas_are_objects_as_mcp_requires() {
    // MCP requires `inputSchema` and `outputSchema` to be of type object, and a tool's
    // `structuredContent` is a JSON object.
    for tool in tools::TOOLS {
        for (kind, schema) in [("input", (tool.input)()), ("output", (tool.output)())] {
            assert_eq!(
                schema.get("type").and_then(|t| t.as_str()),
                Some("object"),
                "{}.{kind}.json is not an object schema",
                tool.name
            );
        }
    }
}
