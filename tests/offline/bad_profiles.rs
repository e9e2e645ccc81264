//! Bad profiles get a clear error naming the file, the line and the field — through
//! `check-config` (what a user runs) and through `team_start` (what the lead hits).

use assert_cmd::Command;
use codex_teams::engine::Engine;

const DEFAULT: &str = include_str!("../../profiles/default.team.yaml");

/// (case, replace, with, expected line, expected field)
const CASES: &[(&str, &str, &str, usize, &str)] = &[
    (
        "syntax error",
        "max_threads: 6",
        "max_threads: [6",
        6,
        "max_threads",
    ),
    (
        "unknown key",
        "early_stop:",
        "early_stopp:",
        30,
        "early_stopp",
    ),
    (
        "unknown nested key",
        "  small: { min: 1, max: 2 }",
        "  small: { min: 1, max: 2, most: 3 }",
        8,
        "fanout.small.most",
    ),
    (
        "wrong type",
        "  team_tokens: 2000000",
        "  team_tokens: lots",
        12,
        "budget.team_tokens",
    ),
    (
        "max_threads 7",
        "max_threads: 6",
        "max_threads: 7",
        6,
        "max_threads",
    ),
    (
        "negative budget",
        "  agent_tokens: 600000",
        "  agent_tokens: -600000",
        13,
        "budget.agent_tokens",
    ),
    (
        "unknown worker instructions",
        "    instructions: codex",
        "    instructions: terse",
        41,
        "worker.codex.instructions",
    ),
    (
        "lead given web search",
        "    web_search: [researcher]",
        "    web_search: [researcher, lead]",
        47,
        "worker.codex.web_search",
    ),
];

fn write_bad(home: &std::path::Path, from: &str, to: &str) -> std::path::PathBuf {
    let dir = home.join("profiles");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let yaml = DEFAULT
        .replace("name: default", "name: bad")
        .replace(from, to);
    assert_ne!(
        yaml,
        DEFAULT.replace("name: default", "name: bad"),
        "case did not apply"
    );
    let path = dir.join("bad.team.yaml");
    std::fs::write(&path, yaml).expect("write");
    path
}

#[test]
fn check_config_names_file_line_and_field_for_each_bad_profile() {
    for (case, from, to, line, field) in CASES {
        let home = tempfile::tempdir().expect("tempdir");
        let path = write_bad(home.path(), from, to);
        let out = Command::cargo_bin("codex-teams")
            .expect("binary")
            .env("CODEX_TEAMS_HOME", home.path())
            .env_remove("CODEX_TEAMS_DB")
            .args(["check-config", "--workspace"])
            .arg(home.path())
            .output()
            .expect("run");
        assert!(!out.status.success(), "{case}: check-config passed");
        let text = String::from_utf8_lossy(&out.stdout);
        let at = format!("{}:{line}:", path.display());
        assert!(text.contains("FAIL profile bad"), "{case}: {text}");
        assert!(text.contains(&at), "{case}: no `{at}` in {text}");
        assert!(
            text.contains(&format!("`{field}`")),
            "{case}: no `{field}` in {text}"
        );
        // The shipped profiles are still reported fine.
        assert!(text.contains("OK   profile default"), "{case}: {text}");
    }
}

#[test]
fn team_start_with_a_bad_profile_fails_cleanly_and_writes_nothing() {
    for (case, from, to, line, field) in CASES {
        let home = tempfile::tempdir().expect("tempdir");
        let path = write_bad(home.path(), from, to);
        let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
        let err = engine
            .team_start("goal", Some("bad"), None, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(&format!("{}:{line}:", path.display())),
            "{case}: {err}"
        );
        assert!(err.contains(&format!("`{field}`")), "{case}: {err}");
        let teams = engine.overview(None, true).expect("overview");
        assert!(teams.is_empty(), "{case}: a team was written");
    }
}

#[test]
fn a_file_whose_name_disagrees_with_its_name_key_is_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("profiles");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("mine.team.yaml"), DEFAULT).expect("write");
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let err = engine
        .team_start("goal", Some("mine"), None, None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("`name` is `default`"), "{err}");
}
