//! `codex-teams install`: registers codex-teams with Codex in `$CODEX_HOME` (server entry,
//! skill, prompt hook and its trust), and with `--codex PATH` records which Codex workers and
//! `check-config` should use when Codex is not on PATH. The plan and the edits are
//! [`crate::integration::changes`]; this prints them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::cli::{InstallArgs, PlanArgs};
use crate::engine::runner::codex_exec::RECORDED_CODEX_FILE;
use crate::integration::changes::{self, Changes};
use crate::integration::{self, SERVER_NAME, TOOL_NAMESPACE};

pub fn run(args: &InstallArgs) -> Result<()> {
    let home = integration::resolve_codex_home(args.codex_home.as_deref())?;
    let bin = changes::resolve_bin(args.bin.as_deref())?;
    let codex = args.codex.as_deref().map(check_codex).transpose()?;
    let plan = changes::plan_install(&home, &bin).map_err(nothing_written)?;
    let recorded = match &codex {
        Some(codex) => Some(record_codex(codex, args.plan.dry_run)?),
        None => None,
    };
    if !args.plan.dry_run {
        plan.apply()?;
    }
    print(&plan, &args.plan)?;
    if let (Some(codex), Some(file)) = (codex, recorded)
        && !args.plan.json
    {
        println!(
            "  codex   {} recorded in {} (workers and check-config use it when Codex is not on PATH)",
            codex.display(),
            file.display()
        );
    }
    Ok(())
}

/// `--codex PATH`: an absolute path to an executable file.
fn check_codex(path: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(path)
        .with_context(|| format!("--codex {}: cannot make the path absolute", path.display()))?;
    let meta =
        std::fs::metadata(&abs).with_context(|| format!("--codex {}: not found", abs.display()))?;
    if !changes::is_executable(&meta) {
        bail!(
            "--codex {}: not an executable file; give the path of the `codex` command (for example .../node_modules/.bin/codex)",
            abs.display()
        );
    }
    Ok(abs)
}

/// Writes the Codex path to `$CODEX_TEAMS_HOME/codex-path` (unless `dry_run`); returns the file.
fn record_codex(codex: &Path, dry_run: bool) -> Result<PathBuf> {
    let home = crate::engine::store::default_home()?;
    let file = home.join(RECORDED_CODEX_FILE);
    if !dry_run {
        crate::engine::private::create_dir_all(&home)
            .with_context(|| format!("creating {}", home.display()))?;
        std::io::Write::write_all(
            &mut crate::engine::private::create(&file)
                .with_context(|| format!("writing {}", file.display()))?,
            format!("{}\n", codex.display()).as_bytes(),
        )
        .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(file)
}

/// Adds the hint a failed plan deserves: it stopped before writing anything.
pub(crate) fn nothing_written(e: integration::Error) -> anyhow::Error {
    anyhow::anyhow!("{e}\nhint: nothing was written; fix that and run the command again")
}

/// Prints a plan (install or uninstall) as text or JSON; with `dry_run`, its diff too.
pub(crate) fn print(plan: &Changes, how: &PlanArgs) -> Result<()> {
    let &PlanArgs { dry_run, json } = how;
    if json {
        println!("{}", serde_json::to_string_pretty(&to_json(plan, dry_run))?);
        return Ok(());
    }
    if dry_run {
        print!("{}", plan.diff());
    }
    let verb = match plan.action {
        changes::Action::Install => "install",
        changes::Action::Uninstall => "uninstall",
    };
    let mode = if dry_run {
        " (dry run: nothing written)"
    } else {
        ""
    };
    println!("codex-teams {verb}: {}{mode}", plan.codex_home.display());
    for c in &plan.changes {
        let kind = match c.kind() {
            changes::ChangeKind::Create => "create",
            changes::ChangeKind::Modify => "modify",
            changes::ChangeKind::Delete => "delete",
        };
        match c.backup_path() {
            Some(b) => println!(
                "  {kind:<7} {}  (backup: {})",
                c.path.display(),
                b.display()
            ),
            None => println!("  {kind:<7} {}", c.path.display()),
        }
    }
    for note in &plan.notes {
        println!("  note: {note}");
    }
    if let (Some(server), Some(hook)) = (&plan.server, &plan.hook) {
        println!(
            "  server  [mcp_servers.{SERVER_NAME}] runs {} serve-mcp; Codex shows its tools as {TOOL_NAMESPACE}",
            server.command
        );
        println!(
            "  hook    UserPromptSubmit `{}`, trusted as {}",
            hook.command, hook.key
        );
        if !dry_run {
            println!(
                "  next    codex-teams check-config; then say `use agents team: <task>` in Codex"
            );
        }
    }
    Ok(())
}

fn to_json(plan: &Changes, dry_run: bool) -> Value {
    let files: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| json!({"path": c.path, "change": c.kind(), "backup": c.backup_path()}))
        .collect();
    let mut out = json!({
        "action": plan.action,
        "dry_run": dry_run,
        "codex_home": plan.codex_home,
        "changed": !plan.changes.is_empty(),
        "files": files,
        "notes": plan.notes,
    });
    if let (Some(server), Some(hook)) = (&plan.server, &plan.hook) {
        out["server"] = json!({
            "name": SERVER_NAME,
            "namespace": TOOL_NAMESPACE,
            "command": server.command,
            "args": server.args,
            "env_vars": server.env_vars,
        });
        out["hook"] = json!(hook);
    }
    if dry_run {
        out["diff"] = json!(plan.diff());
    }
    out
}
