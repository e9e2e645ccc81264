//! `codex-teams status [TEAM]`: teams, agents and tasks as tables, or `--json`. Tables show
//! short ids (`team_..c4d5e6`) and fit the terminal; `--json` keeps the full ids.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Result, bail};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::cli::StatusArgs;
use crate::commands::Paths;
use crate::commands::display::{Paint, ShortIds, count, resolve_team};
use crate::engine::Engine;
use crate::engine::ids::TeamId;
use crate::engine::store::TeamState;
use crate::engine::team::TeamOverview;

/// Table width when stdout is not a terminal (a file, a pipe): the classic 80 columns.
const DEFAULT_WIDTH: u16 = 80;

/// `--watch`: redraws the tables every interval, with a progress bar per team (tasks
/// finished of all) underneath. With a TEAM it draws the team's final state and exits when
/// the team ends; without one it keeps watching for new teams until Ctrl-C, and a team
/// that ends while watched stays on screen in its final state.
fn watch(engine: &Engine, team: Option<&TeamId>, args: &StatusArgs, paths: &Paths) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "--watch redraws a terminal; stdout is not one. hint: use `status --json` from scripts"
        );
    }
    let paint = Paint::stdout();
    let multi = MultiProgress::new();
    let style = ProgressStyle::with_template(
        "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} tasks  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut bars: HashMap<String, ProgressBar> = HashMap::new();
    // Teams seen active that have since ended (unnamed watch): shown in their final state.
    let mut ended: Vec<String> = Vec::new();
    loop {
        let mut teams = match team {
            Some(t) => engine.overview(Some(t), true)?,
            None => engine.overview(None, args.all)?,
        };
        if team.is_none() {
            for id in bars.keys() {
                if !teams.iter().any(|t| &t.team_id == id) && !ended.contains(id) {
                    ended.push(id.clone());
                }
            }
            for id in &ended {
                if !teams.iter().any(|t| &t.team_id == id) {
                    let tid = TeamId::from_db(id.clone());
                    teams.extend(engine.overview(Some(&tid), true)?);
                }
            }
        }
        let ids = ShortIds::new(teams.iter().map(|t| t.team_id.as_str()));
        multi.suspend(|| {
            print!("\x1b[2J\x1b[H");
            if team.is_none() {
                println!(
                    "Watching {} for teams, every {} s (Ctrl-C to stop).",
                    paths.db.display(),
                    args.interval
                );
                if teams.iter().all(|t| t.state != TeamState::Active) {
                    println!("No active teams yet; new ones appear here when they start.");
                }
                println!();
            }
            for t in &teams {
                print_team(t, paint);
            }
        });
        for t in &teams {
            let c = &t.task_counts;
            let total =
                (c.ready + c.blocked + c.claimed + c.done + c.failed + c.cancelled).max(0) as u64;
            let bar = bars.entry(t.team_id.clone()).or_insert_with(|| {
                let b = multi.add(ProgressBar::new(total));
                b.set_style(style.clone());
                b.set_prefix(ids.short(&t.team_id));
                b
            });
            if bar.is_finished() {
                continue;
            }
            bar.set_length(total);
            bar.set_position((c.done + c.failed + c.cancelled).max(0) as u64);
            let live = t.agents.iter().filter(|a| a.is_live_worker()).count();
            bar.set_message(format!(
                "{} live, {} tokens, {}",
                count(live as i64, "worker"),
                t.tokens.total,
                t.state
            ));
            if t.state != TeamState::Active {
                bar.finish();
            }
        }
        if let Some(id) = team
            && teams.iter().all(|t| t.state != TeamState::Active)
        {
            let state = teams.first().map(|t| t.state.as_str()).unwrap_or("gone");
            multi.suspend(|| println!("Team {id} is {state}; stopped watching."));
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(args.interval));
    }
}

pub fn run(args: &StatusArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open_existing()?;
    let team = args
        .team
        .as_deref()
        .map(|t| resolve_team(&engine, "TEAM", t))
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
        if !args.all {
            println!("hint: `codex-teams status --all` includes finalized teams");
        }
        return Ok(());
    }
    let paint = Paint::stdout();
    for t in &teams {
        print_team(t, paint);
    }
    Ok(())
}

/// A table as wide as the terminal (80 columns off one), wrapping long cells.
fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    // A terminal that reports no size (0 columns, as under `script`) gets the default.
    let width = table.width().filter(|w| *w >= 40).unwrap_or(DEFAULT_WIDTH);
    table.set_width(width);
    table.set_header(header.to_vec());
    table
}

fn print_team(t: &TeamOverview, paint: Paint) {
    let ids = ShortIds::new(
        std::iter::once(t.team_id.as_str())
            .chain(t.agents.iter().map(|a| a.agent_id.as_str()))
            .chain(t.tasks.iter().map(|task| task.task_id.as_str())),
    );
    let opt = |id: &Option<String>| id.as_deref().map(|i| ids.short(i)).unwrap_or_default();
    println!(
        "{}  [{}]  profile={}  tokens={}  budget_left={}",
        paint.bold(&ids.short(&t.team_id)),
        paint.team_state(t.state),
        t.profile,
        t.tokens.total,
        t.budget_left
    );
    let mut agents = table(&["agent", "role", "state", "task", "tokens"]);
    let width = agents.width().unwrap_or(DEFAULT_WIDTH) as usize;
    for line in wrap(&format!("goal: {}", t.goal), width) {
        println!("{line}");
    }
    for a in &t.agents {
        let state = match &a.reason {
            Some(r) => format!("{} ({r})", a.state),
            None => a.state.to_string(),
        };
        agents.add_row([
            ids.short(&a.agent_id),
            a.role.clone(),
            state,
            opt(&a.task_id),
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
        let mut tasks = table(&["task", "title", "status", "owner", "size", "artifact"]);
        for task in &t.tasks {
            tasks.add_row([
                ids.short(&task.task_id),
                task.title.clone(),
                task.status.to_string(),
                opt(&task.owner),
                task.size.clone(),
                opt(&task.artifact),
            ]);
        }
        println!("{tasks}");
    }
    println!();
}

/// `text` cut at spaces into lines of at most `width` characters (a longer word stands on
/// its own line), continuation lines indented by two.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if !line.trim().is_empty() && len + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, "  ".to_string()));
        } else if len > 0 && line != "  " {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn a_long_goal_wraps_at_the_width() {
        let goal = "goal: add CSV, JSON and YAML exporters behind one export command, with tests";
        let lines = wrap(goal, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            goal.split_whitespace().collect::<Vec<_>>()
        );
        assert!(
            lines[1].starts_with("  ") && !lines[1].starts_with("   "),
            "{lines:?}"
        );
        assert_eq!(wrap("goal: short", 80), vec!["goal: short".to_string()]);
    }
}
