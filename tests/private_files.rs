//! What codex-teams creates in its home is private whatever the umask, and a long-lived
//! lead server does not leak a descriptor per team: `init` and the real `serve-mcp` binary
//! under umask 022, many teams started and finalized through one server.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use codex_teams::mcp::client::StdioClient;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_codex-teams");

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Descriptors of `pid` open on files under `dir`, from /proc/<pid>/fd.
#[cfg(target_os = "linux")]
fn open_under(pid: u32, dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/<pid>/fd")
        .filter_map(|fd| fd.ok())
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .count()
}

/// Descriptors of `pid` open on files under `dir`, from `lsof` (part of macOS; it prints
/// one `n<path>` line per open file with `-Fn`, paths resolved: /private/var/...).
#[cfg(target_os = "macos")]
fn open_under(pid: u32, dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let out = std::process::Command::new("lsof")
        .args(["-n", "-P", "-Fn", "-p", &pid.to_string()])
        .output()
        .expect("run lsof");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix('n'))
        .filter(|p| Path::new(p).starts_with(&dir))
        .count()
}

#[test]
fn home_database_and_logs_are_private_and_team_logs_are_closed_on_finalize() {
    // SAFETY: sets this test process's file-creation mask, inherited by the children; this
    // binary has no other test.
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let db = home.join("teams.db");
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).expect("workspace");

    let init = std::process::Command::new(BIN)
        .arg("init")
        .env("CODEX_TEAMS_HOME", &home)
        .env_remove("CODEX_TEAMS_DB")
        .output()
        .expect("run init");
    assert!(init.status.success(), "{init:?}");
    assert_eq!(mode(&home), 0o700, "home");
    assert_eq!(mode(&home.join("profiles")), 0o700, "profiles dir");

    let mut env = BTreeMap::new();
    env.insert("CODEX_TEAMS_HOME".to_string(), home.display().to_string());
    let mut lead = StdioClient::spawn(Path::new(BIN), &db, &env, Some(&workspace)).expect("lead");
    let logs = home.join("logs");
    for round in 0..40 {
        let started = lead
            .call_ok("team_start", json!({ "goal": format!("round {round}") }))
            .expect("team_start");
        assert!(started["team_id"].is_string(), "{started}");
        lead.call_ok("team_finalize", json!({ "summary": "done" }))
            .expect("team_finalize");
        assert_eq!(
            open_under(lead.pid(), &logs),
            0,
            "a finalized team's log file is still open (round {round})"
        );
    }
    let files: Vec<_> = std::fs::read_dir(&logs)
        .expect("logs dir")
        .filter_map(|e| e.ok())
        .collect();
    assert!(files.len() >= 40, "one log per team: {}", files.len());
    assert_eq!(mode(&logs), 0o700, "logs dir");
    for file in &files {
        assert_eq!(mode(&file.path()), 0o600, "{}", file.path().display());
    }
    for name in ["teams.db", "teams.db-wal", "teams.db-shm", "teams.db.lock"] {
        let path = home.join(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{name}");
        } else {
            assert_ne!(name, "teams.db", "no database");
        }
    }
    lead.close().expect("close lead");

    // A home made looser by hand (an older version, a copy): check-config flags it and
    // --fix tightens it.
    let loose_file = files[0].path();
    std::fs::set_permissions(&loose_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let private_check = |fix: bool| -> serde_json::Value {
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(["check-config", "--json"])
            .env("CODEX_TEAMS_HOME", &home)
            .env("CODEX_HOME", dir.path().join("codex-home"))
            .env_remove("CODEX_TEAMS_DB");
        if fix {
            cmd.arg("--fix");
        }
        let out = cmd.output().expect("check-config");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("check-config --json");
        report["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "private files").cloned())
            .unwrap_or_else(|| panic!("no private files check: {report}"))
    };
    let flagged = private_check(false);
    assert_eq!(flagged["ok"], false, "{flagged}");
    assert!(
        flagged["fix"].as_str().is_some_and(|f| f.contains("--fix")),
        "{flagged}"
    );
    let fixed = private_check(true);
    assert_eq!(fixed["ok"], true, "{fixed}");
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&loose_file), 0o600);
    assert_eq!(private_check(false)["ok"], true);
}
