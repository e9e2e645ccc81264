//! The bare worker request of each profile: the first request one worker's Codex sends
//! (Codex's instructions or the compact ones, its tools, the team tools and the brief, before
//! any tool result), in o200k tokens of the body the real Codex sent the mock model. It is the
//! fixed cost of one more agent, paid again on every request, and what a profile's
//! `worker.codex` decides. Each profile runs the same one-task team, so only the profile
//! differs.
//!
//! Not a benchmark of quality: one worker, one task, the scripted mock model.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::bench::harness::{RealOptions, RealTeam};
use crate::bench::mock::Script;
use crate::engine::policy::{Instructions, Profile};

/// One profile's figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BareRequest {
    pub profile: String,
    /// `codex` or `compact`.
    pub instructions: String,
    /// o200k tokens of the smallest worker request.
    pub tokens: u64,
}

/// A profile to measure: a shipped one by name (`yaml` None) or a user profile's YAML.
pub struct ProbeProfile {
    pub name: String,
    pub yaml: Option<String>,
}

const PLAN: &str = "goal: fix the off-by-one in the pager\n\
                    tasks:\n  - {key: fix, title: Fix the off-by-one in the pager, size: s}\n";

/// Runs the one-task team under each profile with the real Codex (`codex`, else found as the
/// runner finds it) and returns the bare worker request of each.
pub fn bare_worker_requests(
    codex: Option<PathBuf>,
    bin: Option<PathBuf>,
    profiles: &[ProbeProfile],
) -> Result<Vec<BareRequest>> {
    let mut out = Vec::new();
    for p in profiles {
        let profile = match &p.yaml {
            Some(yaml) => Profile::parse(&format!("{}.team.yaml", p.name), yaml)?,
            None => Profile::builtin(&p.name)?,
        };
        let mut o = RealOptions::new(Script::parse(PLAN, "bare-request plan")?);
        o.codex = codex.clone();
        o.bin = bin.clone();
        o.capture_bodies = false;
        o.timeout = Duration::from_secs(180);
        o.profile = Some(p.name.clone());
        if let Some(yaml) = &p.yaml {
            o.user_profiles = vec![(p.name.clone(), yaml.clone())];
        }
        let report = RealTeam::run(o).with_context(|| format!("profile {}", p.name))?;
        let Some(tokens) = report
            .requests_of("worker")
            .iter()
            .map(|r| r.input_tokens)
            .min()
        else {
            bail!(
                "profile {}: no worker request reached the mock model (workers spawned: {})",
                p.name,
                report.team.workers_spawned
            );
        };
        out.push(BareRequest {
            profile: p.name.clone(),
            instructions: match profile.worker.codex.instructions {
                Instructions::Codex => "codex".into(),
                Instructions::Compact => "compact".into(),
            },
            tokens,
        });
    }
    Ok(out)
}

/// Report lines, one per profile.
pub fn lines(figures: &[BareRequest]) -> Vec<String> {
    figures
        .iter()
        .map(|f| {
            format!(
                "bare worker request, profile {}: {} o200k tokens ({} instructions)",
                f.profile, f.tokens, f.instructions
            )
        })
        .collect()
}
