//! The arms of the team benchmark and what every backend shares: [`Arm`] (who does the eval
//! task's work, and how), [`Naive`] (the baseline's traits the ablation arms put back),
//! [`Backend`] (what runs the arms, `--runner`), [`BenchConfig`], the profiles the arms need, and the
//! subtask keys an arm runs. See docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::bench::team::eval::EvalTask;
/// The baseline profile, shipped with the benchmark.
pub const FIXED6_PROFILE: &str = include_str!("../../../benchmarks/profiles/fixed-6.team.yaml");

/// What runs the arms: `--runner sim|codex-mock|codex` (the flag, the report's `runner`
/// key and the result file names keep the word "runner"; in the code a runner is the
/// engine's way of starting a worker, [`crate::engine::runner::Runner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sim,
    CodexMock,
    Codex,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sim => "sim",
            Backend::CodexMock => "codex-mock",
            Backend::Codex => "codex",
        }
    }

    /// What its token figures are, for every place they are shown.
    pub fn measurement(self) -> &'static str {
        match self {
            Backend::Sim => "SIMULATED (deterministic sim workers; not a measurement of Codex)",
            Backend::CodexMock => {
                "real Codex CLI traffic against a scripted mock model (o200k counts of the request bodies)"
            }
            Backend::Codex => "real Codex CLI with a real model (usage reported by the provider)",
        }
    }
}

/// One arm of the benchmark: who does the eval task's work, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arm {
    /// The naive baseline: six workers from the start, whole-task briefs, results
    /// broadcast, no early stop (profile `fixed-6`).
    Fixed6,
    /// Adaptive's coordination (compact briefs, references, early stop, its workers) with
    /// six workers: isolates team size from the rest.
    Lean6,
    /// The candidate: the chosen profile, the planner sizes the team.
    Adaptive,
    /// The lead alone, no team and no codex-teams installed: what the task costs without
    /// orchestration.
    Solo,
    /// Codex's own sub-agents (`multi_agent_v1` spawn_agent / wait_agent), the same split of
    /// work, no codex-teams installed: what a Codex user has without it.
    CodexSubagents,
    /// An ablation arm: `lean-6` with one trait of the naive baseline put back.
    Ablate(Naive),
}

/// A trait of the naive baseline that `lean-6` does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Naive {
    /// Every worker briefed with the whole task.
    WholeBriefs,
    /// Every result broadcast to every teammate.
    Broadcast,
    /// No early stop: workers run until the lead finalizes (and idle ones are kept).
    NoEarlyStop,
    /// Workers launched the way the baseline's profile launches them (its `worker` section).
    FullWorkers,
}

impl Naive {
    pub const ALL: [Naive; 4] = [
        Naive::WholeBriefs,
        Naive::Broadcast,
        Naive::NoEarlyStop,
        Naive::FullWorkers,
    ];

    /// The saving this trait stands for, as the ablation line names it.
    pub fn factor(self) -> &'static str {
        match self {
            Naive::WholeBriefs => "briefs",
            Naive::Broadcast => "broadcast",
            Naive::NoEarlyStop => "early stop",
            Naive::FullWorkers => "lean workers",
        }
    }
}

/// What `--arms ablation` stands for.
pub const ABLATION: &str = "ablation";

impl Arm {
    /// Every arm, in report order.
    pub const ALL: [Arm; 9] = [
        Arm::Fixed6,
        Arm::Lean6,
        Arm::Adaptive,
        Arm::Solo,
        Arm::CodexSubagents,
        Arm::Ablate(Naive::WholeBriefs),
        Arm::Ablate(Naive::Broadcast),
        Arm::Ablate(Naive::NoEarlyStop),
        Arm::Ablate(Naive::FullWorkers),
    ];

    pub fn parse(raw: &str) -> Result<Arm> {
        Arm::ALL
            .into_iter()
            .find(|a| a.name() == raw)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "`{raw}` is not an arm; valid: {}, or `{ABLATION}` for the four ablation arms",
                    Arm::ALL.map(|a| a.name()).join(", ")
                )
            })
    }

    /// `--arms`: names (and `ablation`) to arms in report order, without repeats.
    pub fn parse_list(raw: &[String]) -> Result<Vec<Arm>> {
        let mut arms = Vec::new();
        for name in raw.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            if name == ABLATION {
                arms.extend(Naive::ALL.map(Arm::Ablate));
            } else {
                arms.push(Arm::parse(name).map_err(|e| anyhow::anyhow!("--arms: {e}"))?);
            }
        }
        arms.sort();
        arms.dedup();
        Ok(arms)
    }

    pub fn name(self) -> &'static str {
        match self {
            Arm::Fixed6 => "fixed-6",
            Arm::Lean6 => "lean-6",
            Arm::Adaptive => "adaptive",
            Arm::Solo => "solo",
            Arm::CodexSubagents => "codex-subagents",
            Arm::Ablate(Naive::WholeBriefs) => "lean-6+whole-briefs",
            Arm::Ablate(Naive::Broadcast) => "lean-6+broadcast",
            Arm::Ablate(Naive::NoEarlyStop) => "lean-6+no-early-stop",
            Arm::Ablate(Naive::FullWorkers) => "lean-6+full-workers",
        }
    }

    /// Whether a codex-teams team does the work (solo and Codex's sub-agents have none).
    pub fn is_team(self) -> bool {
        !matches!(self, Arm::Solo | Arm::CodexSubagents)
    }

    /// The profile `team_start` asks for (team arms only).
    pub fn profile(self, adaptive: &str) -> Option<String> {
        match self {
            Arm::Fixed6 => Some("fixed-6".into()),
            Arm::Adaptive => Some(adaptive.to_string()),
            Arm::Lean6 | Arm::Ablate(Naive::WholeBriefs | Naive::Broadcast) => {
                Some(LEAN6_PROFILE.into())
            }
            Arm::Ablate(n @ (Naive::NoEarlyStop | Naive::FullWorkers)) => {
                Some(ablation_profile_name(n))
            }
            Arm::Solo | Arm::CodexSubagents => None,
        }
    }

    /// Whether this arm briefs every worker with the whole task.
    pub fn whole_task_briefs(self) -> bool {
        matches!(self, Arm::Fixed6 | Arm::Ablate(Naive::WholeBriefs))
    }

    /// Whether this arm broadcasts every result to every teammate.
    pub fn broadcasts(self) -> bool {
        matches!(self, Arm::Fixed6 | Arm::Ablate(Naive::Broadcast))
    }
}

/// The profile name of the `lean-6` arm.
pub const LEAN6_PROFILE: &str = "lean-6";

fn ablation_profile_name(n: Naive) -> String {
    match n {
        Naive::NoEarlyStop => "lean-6-no-early-stop".into(),
        Naive::FullWorkers => "lean-6-full-workers".into(),
        Naive::WholeBriefs | Naive::Broadcast => LEAN6_PROFILE.into(),
    }
}

/// The profiles the arms need beside the shipped ones, as (name, YAML): `fixed-6`, and the
/// `lean-6` family derived from the adaptive arm's profile so that they differ from it only
/// in team size (and, for an ablation arm, the one trait put back from `fixed-6`).
pub fn arm_profiles(adaptive: &str) -> Result<Vec<(String, String)>> {
    use crate::engine::policy::{Bounds, Profile};
    let base = Profile::builtin(adaptive).map_err(|e| {
        anyhow::anyhow!(
            "--profile `{adaptive}`: the lean-6 arms are derived from a shipped profile: {e}"
        )
    })?;
    let fixed = Profile::parse("benchmarks/profiles/fixed-6.team.yaml", FIXED6_PROFILE)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let six = Bounds { min: 6, max: 6 };
    let mut lean = base.clone();
    lean.name = LEAN6_PROFILE.into();
    lean.description = format!("Benchmark arm: the `{adaptive}` profile with always six workers.");
    // Six workers whatever the base profile allows (`fast` caps a team at four).
    lean.max_threads = crate::engine::policy::HARD_CAP;
    lean.fanout.small = six;
    lean.fanout.medium = six;
    lean.fanout.high = six;
    let mut no_stop = lean.clone();
    no_stop.name = ablation_profile_name(Naive::NoEarlyStop);
    no_stop.description = "Ablation arm: lean-6 without early stop or idle shutdown.".into();
    no_stop.early_stop = fixed.early_stop.clone();
    no_stop.leases = fixed.leases.clone();
    let mut full = lean.clone();
    full.name = ablation_profile_name(Naive::FullWorkers);
    full.description =
        "Ablation arm: lean-6 with workers launched as fixed-6 launches them.".into();
    full.worker = fixed.worker.clone();
    let mut out = vec![("fixed-6".to_string(), FIXED6_PROFILE.to_string())];
    for p in [lean, no_stop, full] {
        let yaml = serde_saphyr::to_string(&p)
            .map_err(|e| anyhow::anyhow!("writing the {} profile: {e}", p.name))?;
        // What the engine will load must be exactly what was derived.
        let back = Profile::parse(&format!("<bench>/{}.team.yaml", p.name), &yaml)
            .map_err(|e| anyhow::anyhow!("the derived {} profile: {e}", p.name))?;
        if back != p {
            bail!("the derived {} profile does not survive YAML", p.name);
        }
        out.push((p.name.clone(), yaml));
    }
    Ok(out)
}

/// A deliberately broken policy, to prove the gate can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sabotage {
    /// The candidate drops one subtask (the last one no other subtask depends on).
    DropSubtask,
}

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub backend: Backend,
    /// The adaptive arm's profile.
    pub profile: String,
    pub sabotage: Option<Sabotage>,
    /// The Codex executable (codex runners).
    pub codex: Option<PathBuf>,
    /// The codex-teams executable to register with Codex (codex runners).
    pub bin: Option<PathBuf>,
    pub timeout: Duration,
    /// Paced mode (codex-mock): each scripted subtask takes this many seconds.
    pub pace: Option<u64>,
}

/// The subtask keys `arm` runs: all of them, unless the candidate is sabotaged.
pub fn subtask_keys(task: &EvalTask, sabotaged: bool) -> Vec<String> {
    let keys: Vec<String> = task.script.tasks.iter().map(|t| t.key.clone()).collect();
    if !sabotaged {
        return keys;
    }
    // Drop the last subtask that nothing depends on (the join, or a leaf).
    let depended: std::collections::BTreeSet<&String> = task
        .script
        .tasks
        .iter()
        .flat_map(|t| t.deps.iter())
        .collect();
    let drop = task
        .script
        .tasks
        .iter()
        .rev()
        .find(|t| !depended.contains(&t.key))
        .map(|t| t.key.clone());
    keys.into_iter()
        .filter(|k| Some(k) != drop.as_ref())
        .collect()
}

/// The last `n` bytes of `text`, on a character boundary.
pub fn tail(text: &str, n: usize) -> String {
    let start = text.len().saturating_sub(n);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Profile;

    #[test]
    fn arms_parse_in_report_order_and_ablation_expands() {
        let names = |v: &[&str]| {
            Arm::parse_list(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map(|a| a.into_iter().map(Arm::name).collect::<Vec<_>>())
        };
        assert_eq!(
            names(&[
                "codex-subagents",
                "solo",
                "fixed-6",
                "lean-6",
                "adaptive",
                "solo"
            ])
            .ok(),
            Some(vec![
                "fixed-6",
                "lean-6",
                "adaptive",
                "solo",
                "codex-subagents"
            ])
        );
        assert_eq!(names(&["ablation"]).map(|v| v.len()).ok(), Some(4));
        let err = names(&["fixed-7"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("--arms") && err.contains("fixed-7") && err.contains("lean-6"),
            "{err}"
        );
    }

    #[test]
    fn every_shipped_profile_derives_its_lean6_arms() {
        for name in ["default", "fast", "deep"] {
            let profiles = arm_profiles(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(profiles.len(), 4, "{name}");
        }
    }

    #[test]
    fn lean6_profiles_differ_from_the_adaptive_one_only_where_the_arm_says() {
        let base = Profile::builtin("default").unwrap_or_else(|e| panic!("{e}"));
        let fixed = Profile::parse("fixed-6", FIXED6_PROFILE).unwrap_or_else(|e| panic!("{e}"));
        let profiles: Vec<(String, Profile)> = arm_profiles("default")
            .unwrap_or_else(|e| panic!("{e:#}"))
            .into_iter()
            .map(|(n, y)| {
                let p = Profile::parse(&n, &y).unwrap_or_else(|e| panic!("{n}: {e}"));
                assert_eq!(p.name, n);
                (n, p)
            })
            .collect();
        let get = |n: &str| {
            profiles
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| panic!("no {n}"))
        };
        let lean = get("lean-6");
        for b in [lean.fanout.small, lean.fanout.medium, lean.fanout.high] {
            assert_eq!((b.min, b.max), (6, 6));
        }
        let mut same = lean.clone();
        same.name = base.name.clone();
        same.description = base.description.clone();
        same.fanout = base.fanout.clone();
        assert_eq!(same, base, "lean-6 is default with six workers");
        let no_stop = get("lean-6-no-early-stop");
        assert_eq!(no_stop.early_stop, fixed.early_stop);
        assert_eq!(no_stop.worker, lean.worker);
        let full = get("lean-6-full-workers");
        assert_eq!(full.worker, fixed.worker);
        assert_eq!(full.early_stop, lean.early_stop);
        assert!(arm_profiles("no-such-profile").is_err());
    }
}
