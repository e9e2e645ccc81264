//! The fan-out planner on tables of task graphs: size class, team size, the cap of six,
//! budgets, scaling up, determinism.

use super::*;
use crate::policy::Profile;

fn t(id: &str, size: &str, deps: &[&str]) -> PlanTask {
    PlanTask {
        id: id.into(),
        size: size.into(),
        deps: deps.iter().map(|d| d.to_string()).collect(),
        ready: deps.is_empty(),
        claimed: false,
    }
}

fn input(tasks: Vec<PlanTask>, profile: &str) -> PlanInput {
    let p = Profile::builtin(profile).unwrap_or_else(|e| panic!("{e}"));
    PlanInput::new(tasks, 0, 0, p.budget.team_tokens, &p)
}

#[test]
fn table_of_task_graphs_gives_size_class_and_team_size() {
    // (graph, expected class, expected size under `default`)
    let cases: Vec<(Vec<PlanTask>, SizeClass, u32)> = vec![
        (vec![t("a", "m", &[])], SizeClass::Small, 1),
        (
            vec![t("a", "m", &[]), t("b", "m", &["a"])],
            SizeClass::Small,
            1,
        ),
        (
            vec![t("a", "s", &[]), t("b", "s", &[])],
            SizeClass::Small,
            2,
        ),
        (
            vec![
                t("a", "m", &[]),
                t("b", "m", &[]),
                t("c", "m", &[]),
                t("d", "m", &["a", "b", "c"]),
            ],
            SizeClass::Medium,
            3,
        ),
        (
            vec![
                t("a", "m", &[]),
                t("b", "m", &[]),
                t("c", "l", &[]),
                t("d", "m", &[]),
                t("e", "s", &["a"]),
            ],
            SizeClass::Medium,
            4,
        ),
        (
            (0..6).map(|i| t(&format!("t{i}"), "m", &[])).collect(),
            SizeClass::High,
            6,
        ),
        (
            (0..5)
                .map(|i| t(&format!("t{i}"), "m", &[]))
                .chain([t("z", "m", &["t0", "t1"])])
                .collect(),
            SizeClass::High,
            5,
        ),
        (
            (0..12).map(|i| t(&format!("t{i}"), "l", &[])).collect(),
            SizeClass::High,
            6,
        ),
        // Width, not work, decides: three small independent tasks are medium...
        (
            (0..3).map(|i| t(&format!("t{i}"), "s", &[])).collect(),
            SizeClass::Medium,
            3,
        ),
        // ...six small independent tasks plus a join are high-parallel...
        (
            (0..6)
                .map(|i| t(&format!("t{i}"), "s", &[]))
                .chain([t("join", "m", &["t0", "t1", "t2", "t3", "t4", "t5"])])
                .collect(),
            SizeClass::High,
            6,
        ),
        // ...and a strict chain is small whatever its length and sizes.
        (
            (0..10)
                .map(|i| {
                    let mut task = t(&format!("t{i}"), "l", &[]);
                    if i > 0 {
                        task.deps = vec![format!("t{}", i - 1)];
                        task.ready = false;
                    }
                    task
                })
                .collect(),
            SizeClass::Small,
            1,
        ),
    ];
    for (i, (graph, class, size)) in cases.into_iter().enumerate() {
        let p = plan(&input(graph, "default"));
        assert_eq!(
            (p.class, p.recommended),
            (class, size),
            "case {i}: {:?}",
            p.reasons
        );
        assert!(p.recommended <= HARD_CAP);
    }
}

#[test]
fn never_more_than_six_whatever_the_graph() {
    let graph: Vec<PlanTask> = (0..50).map(|i| t(&format!("t{i}"), "l", &[])).collect();
    for name in ["default", "fast", "deep"] {
        assert!(plan(&input(graph.clone(), name)).recommended <= HARD_CAP);
    }
}

#[test]
fn profiles_bound_the_size_differently() {
    let graph: Vec<PlanTask> = (0..6).map(|i| t(&format!("t{i}"), "m", &[])).collect();
    assert_eq!(plan(&input(graph.clone(), "fast")).recommended, 4);
    assert_eq!(plan(&input(graph, "deep")).recommended, 6);
}

#[test]
fn a_small_budget_shrinks_the_team_and_says_why() {
    let graph: Vec<PlanTask> = (0..6).map(|i| t(&format!("t{i}"), "m", &[])).collect();
    let mut i = input(graph, "default");
    i.budget_left = 2 * i.agent_fixed_cost_tokens * MIN_REQUESTS_PER_AGENT + 1;
    let p = plan(&i);
    assert_eq!(p.recommended, 2);
    assert!(
        p.reasons.iter().any(|r| r.contains("budget left")),
        "{:?}",
        p.reasons
    );
}

#[test]
fn scales_up_only_when_ready_work_queues_behind_busy_agents() {
    let graph: Vec<PlanTask> = (0..6).map(|i| t(&format!("t{i}"), "m", &[])).collect();
    let mut i = input(graph, "default");
    i.live_workers = 2;
    i.busy_workers = 2;
    assert_eq!(plan(&i).spawn, 4);
    i.busy_workers = 0; // two idle workers can take two of the six ready tasks
    assert_eq!(plan(&i).spawn, 4);
    i.tasks.iter_mut().skip(2).for_each(|t| t.ready = false);
    assert_eq!(plan(&i).spawn, 0, "idle workers cover the ready work");
}

#[test]
fn the_first_team_is_the_recommendation() {
    let graph = vec![t("a", "m", &[]), t("b", "s", &["a"])];
    assert_eq!(plan(&input(graph.clone(), "default")).spawn, 1);
    // deep pairs even a one-task chain
    assert_eq!(plan(&input(graph, "deep")).spawn, 2);
    assert_eq!(plan(&input(Vec::new(), "default")).spawn, 0);
}

#[test]
fn plan_is_deterministic() {
    let graph: Vec<PlanTask> = (0..7).map(|i| t(&format!("t{i}"), "m", &[])).collect();
    let i = input(graph, "default");
    assert_eq!(plan(&i), plan(&i));
}
