//! The built-in smoke scenarios: `small`, `medium` and `high`, each a goal and a task
//! graph of its size class. `codex-teams smoke` runs them on simulated workers (through
//! [`crate::engine::scripted_team`]) or, with `--real`, on the real Codex CLI against the mock model,
//! whose built-in scripts ([`crate::bench::mock::Script::builtin`]) are these same graphs.

use anyhow::{Result, anyhow};

use crate::engine::fanout::SizeClass;
use crate::engine::scripted_team::{SimSpec, SimTask};

/// One task of a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioTask {
    pub key: &'static str,
    pub title: &'static str,
    pub size: &'static str,
    pub deps: &'static [&'static str],
}

/// A fixed scenario: a goal and its task graph.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub goal: &'static str,
    pub class: SizeClass,
    pub tasks: &'static [ScenarioTask],
}

const fn task(
    key: &'static str,
    title: &'static str,
    size: &'static str,
    deps: &'static [&'static str],
) -> ScenarioTask {
    ScenarioTask {
        key,
        title,
        size,
        deps,
    }
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "small",
        goal: "Fix the off-by-one in pagination and add a regression test",
        class: SizeClass::Small,
        tasks: &[
            task("fix", "Fix off-by-one in paginate()", "m", &[]),
            task("test", "Regression test for the last page", "s", &["fix"]),
        ],
    },
    Scenario {
        name: "medium",
        goal: "Add CSV, JSON and YAML exporters behind one export command",
        class: SizeClass::Medium,
        tasks: &[
            task("csv", "CSV exporter", "m", &[]),
            task("json", "JSON exporter", "m", &[]),
            task("yaml", "YAML exporter", "m", &[]),
            task(
                "cli",
                "Wire exporters into the export command",
                "m",
                &["csv", "json", "yaml"],
            ),
        ],
    },
    Scenario {
        name: "high",
        goal: "Port six independent parsers to the new tokenizer API, then run the full suite",
        class: SizeClass::High,
        tasks: &[
            task("p1", "Port the INI parser", "m", &[]),
            task("p2", "Port the TOML parser", "m", &[]),
            task("p3", "Port the CSV parser", "m", &[]),
            task("p4", "Port the JSON parser", "m", &[]),
            task("p5", "Port the XML parser", "m", &[]),
            task("p6", "Port the YAML parser", "m", &[]),
            task(
                "suite",
                "Run and fix the full test suite",
                "l",
                &["p1", "p2", "p3", "p4", "p5", "p6"],
            ),
        ],
    },
];

/// The scenario called `name`, or an error that lists the valid names.
pub fn scenario(name: &str) -> Result<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name).ok_or_else(|| {
        anyhow!(
            "scenario: `{name}` is not a scenario; valid: {}",
            names().join(", ")
        )
    })
}

/// The names of the scenarios, in order.
pub fn names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|s| s.name).collect()
}

impl Scenario {
    /// The simulated run of this scenario under `profile`: a scripted lead that follows the
    /// planner, no naive baseline traits.
    pub fn spec(&self, profile: &str) -> SimSpec<'static> {
        SimSpec {
            name: self.name.to_string(),
            goal: self.goal.to_string(),
            class: self.class,
            tasks: self
                .tasks
                .iter()
                .map(|t| SimTask {
                    key: t.key.to_string(),
                    title: t.title.to_string(),
                    size: t.size.to_string(),
                    deps: t.deps.iter().map(|d| d.to_string()).collect(),
                })
                .collect(),
            profile: profile.to_string(),
            fixed_workers: None,
            broadcast_results: false,
            on_done: None,
        }
    }
}
