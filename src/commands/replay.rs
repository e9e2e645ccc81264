//! `codex-teams replay <team>`: the team's timeline from the event log, with the engine's
//! decisions re-run from their recorded inputs. Exits non-zero on any divergence.

use anyhow::{Result, bail};

use crate::cli::ReplayArgs;
use crate::commands::Paths;
use crate::engine::ids::TeamId;

pub fn run(args: &ReplayArgs, paths: &Paths) -> Result<()> {
    let engine = paths.open()?;
    let team = TeamId::parse("TEAM", &args.team)?;
    let report = engine.replay(&team)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for e in &report.timeline {
            let who = e.agent_id.as_deref().map(short).unwrap_or_default();
            let what = e
                .task_id
                .as_deref()
                .or(e.message_id.as_deref())
                .or(e.artifact_id.as_deref())
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
            "\n{} events; re-checked: chain {}, {} recommendation(s), {} claim(s), {} decision(s)",
            report.events, c.chain, c.recommendations, c.claims, c.decisions
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

/// `agent_0193ab...` -> `agent_..c4d5` (last 6 hex digits): enough to tell agents apart.
fn short(id: &str) -> String {
    match id.split_once('_') {
        Some((prefix, hex)) if hex.len() > 6 => format!("{prefix}_..{}", &hex[hex.len() - 6..]),
        _ => id.to_string(),
    }
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
