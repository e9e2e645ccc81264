//! Profile swap proof: the same scenario under `fast` and `deep` gives different,
//! documented behaviour (team size, budget, merge rule) with no code change. Runs with the
//! deterministic `sim` runner through the real engine.

use codex_teams::bench::{scenarios, smoke};
use codex_teams::engine::Engine;
use codex_teams::engine::policy::{ArbitrationMode, Profile};

fn engine(dir: &tempfile::TempDir) -> Engine {
    Engine::open(&dir.path().join("teams.db"), dir.path()).expect("open engine")
}

#[test]
fn same_scenario_under_fast_and_deep_differs_as_documented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&dir);
    let high = scenarios::scenario("high").expect("scenario");
    let fast = smoke::run_sim(&engine, high, "fast").expect("fast run");
    let deep = smoke::run_sim(&engine, high, "deep").expect("deep run");
    assert!(fast.ok && deep.ok, "{fast:?}\n{deep:?}");
    assert_eq!(fast.report.kind, "simulated");

    // Team size: docs/profiles.md says 4 under fast, 6 under deep for this board.
    assert_eq!((fast.report.agents_used, deep.report.agents_used), (4, 6));
    assert!(fast.report.max_live <= 6 && deep.report.max_live <= 6);
    // Budget.
    assert_eq!(fast.report.budget_team_tokens, 1_200_000);
    assert_eq!(deep.report.budget_team_tokens, 6_000_000);
    // Merge rule, as stored with each team.
    let mode = |team: &str| {
        let id = codex_teams::engine::ids::TeamId::parse("team", team).expect("team id");
        engine.team_profile(&id).expect("profile").arbitration.mode
    };
    assert_eq!(mode(&fast.report.team_id), ArbitrationMode::Lead);
    assert_eq!(mode(&deep.report.team_id), ArbitrationMode::StrictVote);
    // And the run summary records which profile ran.
    assert_eq!(
        (fast.report.profile.as_str(), deep.report.profile.as_str()),
        ("fast", "deep")
    );
}

#[test]
fn deep_pairs_even_a_small_task_and_fast_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&dir);
    let small = scenarios::scenario("small").expect("scenario");
    let fast = smoke::run_sim(&engine, small, "fast").expect("fast run");
    let deep = smoke::run_sim(&engine, small, "deep").expect("deep run");
    assert_eq!(
        (fast.report.agents_used, deep.report.agents_used),
        (1, 2),
        "{fast:?}\n{deep:?}"
    );
}

#[test]
fn smoke_scenarios_land_in_their_size_class_under_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&dir);
    for (name, lo, hi) in [("small", 1, 2), ("medium", 3, 4), ("high", 5, 6)] {
        let r = smoke::run_sim(
            &engine,
            scenarios::scenario(name).expect("scenario"),
            "default",
        )
        .expect("run");
        assert!(r.ok, "{r:?}");
        assert!(
            (lo..=hi).contains(&r.report.agents_used),
            "{name}: {} workers",
            r.report.agents_used
        );
        assert!(r.report.max_live <= 6);
        // The team's replay reproduces every recommendation and claim.
        let id =
            codex_teams::engine::ids::TeamId::parse("team", &r.report.team_id).expect("team id");
        let replay = engine.replay(&id).expect("replay");
        assert!(replay.divergences.is_empty(), "{:?}", replay.divergences);
        assert!(replay.checked.recommendations > 0 && replay.checked.claims > 0);
    }
}

#[test]
fn a_user_profile_overrides_a_shipped_one_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    let yaml = include_str!("../../profiles/fast.team.yaml")
        .replace("team_tokens: 1200000", "team_tokens: 700000");
    std::fs::write(profiles.join("fast.team.yaml"), yaml).expect("write");
    let engine = engine(&dir);
    let loaded = Profile::load("fast", &engine.profile_dirs(None)).expect("load");
    assert_eq!(loaded.budget.team_tokens, 700_000);
}
