//! `codex-teams replay <team>`: the team's timeline from the event log, with the engine's
//! decisions re-run from their recorded inputs. Exits non-zero on any divergence.

use anyhow::{Result, bail};

use crate::cli::ReplayArgs;
use crate::commands::Paths;
use crate::commands::display::{ShortIds, count, resolve_team};

pub fn run(args: &ReplayArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open_existing()?;
    let team = resolve_team(&engine, "TEAM", &args.team)?;
    let report = engine.replay(&team)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let ids = ShortIds::new(
            report
                .timeline
                .iter()
                .flat_map(|e| e.refs.ids().into_iter().flatten()),
        );
        let short = |id: &str| ids.short(id);
        for e in &report.timeline {
            let who = e.refs.agent_id.as_deref().map(short).unwrap_or_default();
            let what = e
                .refs
                .task_id
                .as_deref()
                .or(e.refs.message_id.as_deref())
                .or(e.refs.artifact_id.as_deref())
                .map(short)
                .unwrap_or_default();
            println!(
                "{:>8.3}s  {:<22} {:<14} {:<14} {}",
                e.at_ms as f64 / 1000.0,
                e.kind,
                who,
                what,
                compact(&e.data)
            );
        }
        let c = &report.checked;
        println!(
            "\n{}; re-checked: chain {}, {}, {}, {}",
            count(report.events as i64, "event"),
            c.chain,
            count(c.recommendations as i64, "recommendation"),
            count(c.claims as i64, "claim"),
            count(c.decisions as i64, "decision")
        );
        let t = &report.tokens;
        println!(
            "tokens {} (lead {}, workers {}) in {} charged request(s); re-added for {} agent(s)",
            t.total, t.lead, t.workers, t.requests, c.usage
        );
        if report.divergences.is_empty() {
            println!("replay: consistent (no divergence)");
        } else {
            for d in &report.divergences {
                println!("DIVERGENCE at event {} ({}): {}", d.seq, d.kind, d.detail);
            }
        }
    }
    if !report.divergences.is_empty() {
        bail!(
            "replay of {team} found {} divergence(s)",
            report.divergences.len()
        );
    }
    Ok(())
}

fn compact(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let cut = (0..=117)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &s[..cut])
    } else {
        s
    }
}
