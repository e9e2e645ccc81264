//! `codex-teams status [TEAM]`: teams, agents and tasks as tables, or `--json`.

use anyhow::Result;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::cli::StatusArgs;
use crate::commands::Paths;
use crate::engine::ids::TeamId;
use crate::engine::team::TeamOverview;

pub fn run(args: &StatusArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open()?;
    let team = args
        .team
        .as_deref()
        .map(|t| TeamId::parse("TEAM", t))
        .transpose()?;
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
