//! `codex-teams schemas --out DIR` (hidden): write the JSON Schema of every MCP tool's input
//! and output, generated from the Rust types, into DIR (the repository keeps them in
//! `mcp/schemas/`). Needs no database. Stale `*.input.json` / `*.output.json` files of tools
//! that no longer exist are removed, so a regenerated directory matches the catalogue exactly.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::SchemasArgs;
use crate::mcp::tools;

pub fn run(args: &SchemasArgs) -> Result<()> {
    let written = write(&args.out)?;
    println!(
        "wrote {} schema files to {}",
        written.len(),
        args.out.display()
    );
    Ok(())
}

/// Writes every schema file into `dir` and removes stale ones; returns the names written.
pub fn write(dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = tools::schema_files();
    let wanted: BTreeSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let generated = name.ends_with(".input.json") || name.ends_with(".output.json");
        if generated && !wanted.contains(name.as_str()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing stale {}", entry.path().display()))?;
        }
    }
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(name, _)| name).collect())
}
