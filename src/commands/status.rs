//! `codex-teams status [TEAM]`: teams, agents and tasks as tables, or `--json`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Result, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::cli::StatusArgs;
use crate::commands::Paths;
use crate::engine::Engine;
use crate::engine::ids::TeamId;
use crate::engine::team::TeamOverview;

/// `--watch`: redraws the tables every interval, with a progress bar per team (tasks
/// finished of all) underneath, until every watched team is finalized or Ctrl-C.
fn watch(engine: &Engine, team: Option<&TeamId>, args: &StatusArgs, paths: &Paths) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "--watch redraws a terminal; stdout is not one. hint: use `status --json` from scripts"
        );
    }
    let multi = MultiProgress::new();
    let style = ProgressStyle::with_template(
        "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} tasks  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut bars: HashMap<String, ProgressBar> = HashMap::new();
    loop {
        let teams = engine.overview(team, args.all)?;
        multi.suspend(|| {
            print!("\x1b[2J\x1b[H");
            if teams.is_empty() {
                println!("No active teams in {}.", paths.db.display());
            }
            for t in &teams {
                print_team(t);
            }
        });
        for t in &teams {
            let c = &t.task_counts;
            let total =
                (c.ready + c.blocked + c.claimed + c.done + c.failed + c.cancelled).max(0) as u64;
            let bar = bars.entry(t.team_id.clone()).or_insert_with(|| {
                let b = multi.add(ProgressBar::new(total));
                b.set_style(style.clone());
                b.set_prefix(t.team_id.clone());
                b
            });
            bar.set_length(total);
            bar.set_position((c.done + c.failed + c.cancelled).max(0) as u64);
            let live = t
                .agents
                .iter()
                .filter(|a| {
                    a.role != "lead" && matches!(a.state.as_str(), "starting" | "active" | "idle")
                })
                .count();
            bar.set_message(format!(
                "{live} live worker(s), {} tokens, {}",
                t.tokens.total, t.state
            ));
        }
        if !teams.is_empty() && teams.iter().all(|t| t.state != "active") {
            for b in bars.values() {
                b.finish();
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(args.interval));
    }
}

pub fn run(args: &StatusArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open()?;
    let team = args
        .team
        .as_deref()
        .map(|t| TeamId::parse("TEAM", t))
        .transpose()?;
    if args.watch {
        return watch(&engine, team.as_ref(), args, paths);
    }
    let teams = engine.overview(team.as_ref(), args.all)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&teams)?);
        return Ok(());
    }
    if teams.is_empty() {
        println!(
            "No {}teams in {}.",
            if args.all { "" } else { "active " },
            paths.db.display()
        );
        return Ok(());
    }
    for t in &teams {
        print_team(t);
    }
    Ok(())
}

fn print_team(t: &TeamOverview) {
    println!(
        "{}  [{}]  profile={}  tokens={}  budget_left={}",
        t.team_id, t.state, t.profile, t.tokens.total, t.budget_left
    );
    println!("goal: {}", t.goal);
    let mut agents = Table::new();
    agents.load_style(UTF8_FULL_CONDENSED);
    agents.set_header(["agent", "role", "state", "task", "tokens"]);
    for a in &t.agents {
        let state = match &a.reason {
            Some(r) => format!("{} ({r})", a.state),
            None => a.state.clone(),
        };
        agents.add_row([
            a.agent_id.clone(),
            a.role.clone(),
            state,
            a.task_id.clone().unwrap_or_default(),
            a.tokens.to_string(),
        ]);
    }
    println!("{agents}");
    let c = &t.task_counts;
    println!(
        "tasks: {} ready, {} blocked, {} claimed, {} done, {} failed, {} cancelled",
        c.ready, c.blocked, c.claimed, c.done, c.failed, c.cancelled
    );
    if !t.tasks.is_empty() {
        let mut tasks = Table::new();
        tasks.load_style(UTF8_FULL_CONDENSED);
        tasks.set_header(["task", "title", "status", "owner", "size", "artifact"]);
        for task in &t.tasks {
            tasks.add_row([
                task.task_id.clone(),
                task.title.clone(),
                task.status.clone(),
                task.owner.clone().unwrap_or_default(),
                task.size.clone(),
                task.artifact.clone().unwrap_or_default(),
            ]);
        }
        println!("{tasks}");
    }
    println!();
}
