//! `codex-teams smoke small|medium|high`: a fixed scenario end to end with simulated
//! workers; checks the number of workers against the profile's bounds for the scenario's
//! size class and that no moment had more than six live. Exits non-zero on a failed check.

use anyhow::{Result, bail};

use crate::cli::{SmokeArgs, SmokeScenario};
use crate::commands::Paths;
use crate::engine::sim;

pub fn run(args: &SmokeArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open()?;
    let name = match args.scenario {
        SmokeScenario::Small => "small",
        SmokeScenario::Medium => "medium",
        SmokeScenario::High => "high",
    };
    let scenario = sim::scenario(name)?;
    let env_profile = std::env::var("CODEX_TEAMS_PROFILE").ok();
    let profile = args
        .profile
        .as_deref()
        .or(env_profile.as_deref())
        .unwrap_or("default");
    let report = sim::run(&engine, scenario, profile)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("smoke {name} (runner: sim; token figures are SIMULATED, not measured)");
        println!("  team      {}", report.team_id);
        println!("  profile   {}", report.profile);
        println!(
            "  workers   {} used (expected {}-{}), at most {} live at once (cap 6)",
            report.agents_used, report.expected_min, report.expected_max, report.max_live
        );
        println!(
            "  tasks     {} done in {} rounds",
            report.tasks_done, report.rounds
        );
        println!(
            "  tokens    {} simulated of a {} budget",
            report.simulated_tokens, report.budget_team_tokens
        );
        for r in &report.stop_reasons {
            println!("  stop      {r}");
        }
        println!("  result    {}", if report.ok { "ok" } else { "FAILED" });
        for p in &report.problems {
            println!("  problem   {p}");
        }
        println!("  next      codex-teams replay {}", report.team_id);
    }
    if !report.ok {
        bail!("smoke {name} failed: {}", report.problems.join("; "));
    }
    Ok(())
}
