//! `install`, `uninstall`, `check-config` and the prompt hook, run as the real binary against
//! a temporary CODEX_HOME. Where the pinned Codex CLI is present (`$CODEX_TEAMS_CODEX`, as
//! scripts/verify.sh sets it, else /work/.cache/codex/node_modules/.bin/codex), the installed
//! files are also checked by Codex itself.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

mod common;

use assert_cmd::Command;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codex-teams");

const USER_CONFIG: &str = r#"# My Codex setup. Comments, order and spacing must survive.
model = "mock-model"      # the default model
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:9/v1"
wire_api = "responses"
env_key = "MOCK_KEY"   # any value works

[model_providers.other]
name = "other"
env_key = "OTHER_KEY"

# A server of my own.
[mcp_servers.docs]
command = "docs-server"
args = ["--stdio"]

[mcp_servers.docs.env]
LEVEL = "debug"
"#;

const USER_HOOKS: &str = r#"{
  "hooks": {
    "UserPromptSubmit": [
      { "hooks": [ { "type": "command", "command": "echo mine", "timeout": 5 } ] }
    ],
    "Stop": [ { "hooks": [ { "type": "command", "command": "echo bye" } ] } ]
  }
}
"#;

/// The binary with an environment that cannot leak into or out of the test.
fn ct(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_TEAMS_DB")
        .env_remove("CODEX_TEAMS_AGENT_ID")
        .env_remove("CODEX_TEAMS_TEAM_ID")
        .env_remove("CODEX_TEAMS_AGENT_TOKEN")
        .env_remove("CODEX_TEAMS_CODEX");
    c
}

fn install(home: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let home = home.to_str().expect("utf-8 path");
    let mut args = vec!["install", "--codex-home", home, "--bin", BIN];
    args.extend_from_slice(extra);
    ct(&args).assert()
}

fn uninstall(home: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let home = home.to_str().expect("utf-8 path");
    let mut args = vec!["uninstall", "--codex-home", home];
    args.extend_from_slice(extra);
    ct(&args).assert()
}

fn json_out(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&a.get_output().stdout).expect("stdout is JSON")
}

/// Every file under `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("prefix").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn user_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), USER_CONFIG).expect("write");
    std::fs::write(dir.path().join("hooks.json"), USER_HOOKS).expect("write");
    dir
}

#[test]
fn install_twice_then_uninstall_restores_a_commented_config_byte_for_byte() {
    let dir = user_home();
    let home = dir.path();
    let before = snapshot(home);

    let first = install(home, &["--json"]).success();
    let first = json_out(&first);
    assert_eq!(first["changed"], true);
    let config = std::fs::read_to_string(home.join("config.toml")).expect("config");
    assert!(
        config.starts_with(USER_CONFIG),
        "the user's part is untouched:\n{config}"
    );
    assert!(config.contains("[mcp_servers.codex-teams]"));
    assert!(config.contains("default_tools_approval_mode = \"approve\""));
    for name in [
        "MOCK_KEY",
        "OTHER_KEY",
        "OPENAI_API_KEY",
        "CODEX_TEAMS_AGENT_TOKEN",
    ] {
        assert!(
            config.contains(&format!("\"{name}\"")),
            "env_vars has {name}"
        );
    }
    let hooks: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("hooks.json")).expect("hooks"))
            .expect("hooks.json parses");
    let ups = hooks["hooks"]["UserPromptSubmit"]
        .as_array()
        .expect("array");
    assert_eq!(
        ups.len(),
        2,
        "the user's hook stays first, ours is appended"
    );
    assert_eq!(ups[0]["hooks"][0]["command"], "echo mine");
    assert_eq!(hooks["hooks"]["Stop"][0]["hooks"][0]["command"], "echo bye");
    assert_eq!(
        std::fs::read_to_string(home.join("config.toml.codex-teams-backup")).expect("backup"),
        USER_CONFIG
    );
    assert_eq!(
        std::fs::read_to_string(home.join("hooks.json.codex-teams-backup")).expect("backup"),
        USER_HOOKS
    );

    let installed = snapshot(home);
    let second = install(home, &["--json"]).success();
    assert_eq!(json_out(&second)["changed"], false);
    assert_eq!(
        snapshot(home),
        installed,
        "a second install changes nothing"
    );

    uninstall(home, &[]).success();
    assert_eq!(snapshot(home), before, "every file is back, byte for byte");
}

#[test]
fn install_on_a_missing_config_then_uninstall_removes_every_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("codex-home");
    install(&home, &[]).success();
    for f in [
        "config.toml",
        "hooks.json",
        "codex-teams.install.json",
        "skills/agent-teams/SKILL.md",
        "skills/agent-teams/references/roles.md",
        "skills/agent-teams/references/policies.md",
    ] {
        assert!(home.join(f).is_file(), "{f} installed");
    }
    assert!(
        !home.join("config.toml.codex-teams-backup").exists(),
        "nothing to back up"
    );
    uninstall(&home, &[]).success();
    assert!(
        !home.exists(),
        "install created the directory, so uninstall removes it"
    );
}

#[test]
fn a_second_install_changes_nothing() {
    let dir = user_home();
    install(dir.path(), &[]).success();
    let once = snapshot(dir.path());
    let mtime = |p: &str| {
        std::fs::metadata(dir.path().join(p))
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let backup_time = mtime("config.toml.codex-teams-backup");
    install(dir.path(), &[])
        .success()
        .stdout(predicates::str::contains("nothing to change"));
    assert_eq!(snapshot(dir.path()), once);
    assert_eq!(
        mtime("config.toml.codex-teams-backup"),
        backup_time,
        "no new backup"
    );
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let dir = user_home();
    let before = snapshot(dir.path());
    let out = install(dir.path(), &["--dry-run"]).success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let config = dir.path().join("config.toml");
    assert!(
        stdout.contains(&format!("--- {}", config.display())),
        "{stdout}"
    );
    assert!(stdout.contains("+[mcp_servers.codex-teams]"), "{stdout}");
    assert!(stdout.contains("+default_tools_approval_mode = \"approve\""));
    assert!(stdout.contains("+++ ") && stdout.contains("SKILL.md"));
    assert!(stdout.contains("dry run: nothing written"));
    assert_eq!(snapshot(dir.path()), before);

    install(dir.path(), &[]).success();
    let installed = snapshot(dir.path());
    let out = uninstall(dir.path(), &["--dry-run", "--json"]).success();
    let plan = json_out(&out);
    assert!(
        plan["diff"]
            .as_str()
            .is_some_and(|d| d.contains("-[mcp_servers.codex-teams]"))
    );
    assert_eq!(snapshot(dir.path()), installed);
}

#[test]
fn a_malformed_config_is_refused_naming_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    std::fs::write(
        home.join("config.toml"),
        "model = \"x\"\n\n[agents\nmax_threads = 4\n",
    )
    .expect("write");
    let before = snapshot(home);
    let out = install(home, &[]).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let at = format!("{}:3:", home.join("config.toml").display());
    assert!(stderr.contains(&at), "names file and line: {stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(snapshot(home), before);

    std::fs::write(home.join("config.toml"), "model = \"x\"\n").expect("write");
    std::fs::write(
        home.join("hooks.json"),
        "{\"hooks\": {\"UserPromptSubmit\": [\n",
    )
    .expect("write");
    let before = snapshot(home);
    let out = install(home, &[]).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("{}:2:", home.join("hooks.json").display())),
        "{stderr}"
    );
    assert_eq!(snapshot(home), before);
}

#[test]
fn max_threads_above_six_is_capped_and_restored_on_uninstall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let config = "[agents]\nmax_threads = 10 # my choice\n";
    std::fs::write(home.join("config.toml"), config).expect("write");
    let out = install(home, &[]).success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).contains("agents.max_threads 10 -> 6")
    );
    let text = std::fs::read_to_string(home.join("config.toml")).expect("read");
    assert!(
        text.starts_with("[agents]\nmax_threads = 6 # my choice\n"),
        "{text}"
    );
    uninstall(home, &[]).success();
    assert_eq!(
        std::fs::read_to_string(home.join("config.toml")).expect("read"),
        config
    );
}

#[test]
fn uninstall_after_user_edits_removes_only_our_entries() {
    let dir = user_home();
    let home = dir.path();
    std::fs::write(
        home.join("config.toml"),
        format!("{USER_CONFIG}\n[agents]\nmax_threads = 12\n"),
    )
    .expect("write");
    install(home, &[]).success();
    let canonical = std::fs::canonicalize(home).expect("canonical");
    let ours = format!("{}/hooks.json:user_prompt_submit:1:0", canonical.display());
    let config = std::fs::read_to_string(home.join("config.toml")).expect("read");
    assert!(
        config.contains(&ours),
        "trust for our hook at group 1:\n{config}"
    );

    // The user edits both files: a comment, and a hook of their own (trusted) after ours.
    let mut edited = config.replace(
        "model_provider = \"mock\"",
        "model_provider = \"mock\" # edited",
    );
    let theirs = format!("{}/hooks.json:user_prompt_submit:2:0", canonical.display());
    edited.push_str(&format!(
        "\n[hooks.state.\"{theirs}\"]\ntrusted_hash = \"sha256:theirs\"\n"
    ));
    std::fs::write(home.join("config.toml"), &edited).expect("write");
    let mut hooks: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("hooks.json")).expect("read"))
            .expect("json");
    hooks["hooks"]["UserPromptSubmit"]
        .as_array_mut()
        .expect("array")
        .push(json!({"hooks": [{"type": "command", "command": "echo later"}]}));
    std::fs::write(home.join("hooks.json"), hooks.to_string()).expect("write");

    uninstall(home, &[]).success();
    let config = std::fs::read_to_string(home.join("config.toml")).expect("read");
    assert!(config.contains("model_provider = \"mock\" # edited"));
    assert!(config.contains("# A server of my own.\n[mcp_servers.docs]"));
    assert!(!config.contains("codex-teams"), "{config}");
    assert!(config.contains("max_threads = 12"), "restored: {config}");
    let moved = format!("{}/hooks.json:user_prompt_submit:1:0", canonical.display());
    assert!(
        config.contains(&format!(
            "[hooks.state.\"{moved}\"]\ntrusted_hash = \"sha256:theirs\""
        )),
        "the user's trust follows their hook from group 2 to 1:\n{config}"
    );
    let hooks: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("hooks.json")).expect("read"))
            .expect("json");
    let commands: Vec<&str> = hooks["hooks"]["UserPromptSubmit"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|g| g["hooks"][0]["command"].as_str())
        .collect();
    assert_eq!(commands, ["echo mine", "echo later"]);
    assert!(
        home.join("config.toml.codex-teams-backup").is_file(),
        "the edited file is kept"
    );
}

fn hook(prompt: &str) -> String {
    let input = json!({
        "session_id": "s1", "turn_id": "t1", "cwd": "/tmp", "hook_event_name": "UserPromptSubmit",
        "model": "m", "permission_mode": "default", "prompt": prompt,
    });
    let out = ct(&["hook", "user-prompt-submit"])
        .write_stdin(input.to_string())
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

#[test]
fn the_hook_adds_context_only_for_the_trigger_phrases() {
    for prompt in [
        "use agents team: add a cache",
        "Use Agent Teams to refactor the parser",
    ] {
        let out = hook(prompt);
        let v: Value = serde_json::from_str(&out).expect("one JSON object");
        assert_eq!(v["hookSpecificOutput"]["hookEventName"], "UserPromptSubmit");
        let ctx = v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .expect("context");
        for word in [
            "agent-teams skill",
            "team_start",
            "task_create",
            "team_spawn",
            "team_merge",
            "team_finalize",
        ] {
            assert!(ctx.contains(word), "context mentions {word}: {ctx}");
        }
    }
    assert_eq!(hook("fix the failing test"), "");
    assert_eq!(hook("our agents teamed up"), "");
}

#[test]
fn the_hook_never_blocks_a_prompt_on_bad_input() {
    let out = ct(&["hook", "user-prompt-submit"])
        .write_stdin("not json")
        .assert()
        .success();
    assert!(out.get_output().stdout.is_empty());
    assert!(!out.get_output().stderr.is_empty(), "a note on stderr");
}

fn check_config(home: &Path, teams: &Path) -> (bool, Value) {
    let mut c = ct(&[
        "check-config",
        "--json",
        "--codex-home",
        home.to_str().expect("utf-8"),
        "--workspace",
        teams.to_str().expect("utf-8"),
    ]);
    c.env("CODEX_TEAMS_HOME", teams);
    match common::codex::find() {
        Some(p) => c.env("CODEX_TEAMS_CODEX", p),
        None => c.env("CODEX_TEAMS_CODEX", teams.join("no-codex-here")),
    };
    let out = c.output().expect("run");
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).expect("JSON"),
    )
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

#[test]
fn check_config_fails_before_install_and_passes_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("codex");
    let teams = dir.path().join("teams");
    let (ok, report) = check_config(&home, &teams);
    assert!(!ok);
    for name in [
        "mcp server",
        "server binary",
        "tool approvals",
        "tool timeout",
        "skill",
        "hook",
    ] {
        let c = check(&report, name);
        assert_eq!(c["ok"], false, "{name} fails before install");
        assert!(
            c["fix"]
                .as_str()
                .is_some_and(|f| f.contains("codex-teams install")),
            "{c}"
        );
    }

    install(&home, &[]).success();
    let (ok, report) = check_config(&home, &teams);
    for name in [
        "mcp server",
        "server binary",
        "tool approvals",
        "skill",
        "hook",
        "database",
    ] {
        assert_eq!(check(&report, name)["ok"], true, "{name}: {report}");
    }
    if common::codex::find().is_some() {
        assert_eq!(check(&report, "codex")["ok"], true, "{report}");
        assert!(ok, "{report}");
    } else {
        assert_eq!(check(&report, "codex")["ok"], false);
        let fix = check(&report, "codex")["fix"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            fix.contains("npm install -g @openai/codex@0.169.0"),
            "{fix}"
        );
    }

    // A hook edited after install is no longer trusted: check-config says so.
    let hooks = std::fs::read_to_string(home.join("hooks.json")).expect("read");
    std::fs::write(
        home.join("hooks.json"),
        hooks.replace("\"timeout\": 10", "\"timeout\": 11"),
    )
    .expect("write");
    let (ok, report) = check_config(&home, &teams);
    assert!(!ok);
    let hook = check(&report, "hook");
    assert!(
        hook["detail"]
            .as_str()
            .is_some_and(|d| d.contains("modified")),
        "{hook}"
    );
}

#[test]
fn tool_timeout_covers_the_leads_ten_minute_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("codex");
    let teams = dir.path().join("teams");
    install(&home, &[]).success();
    let (_, report) = check_config(&home, &teams);
    assert_eq!(check(&report, "tool timeout")["ok"], true, "{report}");

    // The old value (long-polls of 25 s) would cut a lead's wait: check-config says so.
    let config = home.join("config.toml");
    let text = std::fs::read_to_string(&config).expect("read");
    assert!(text.contains("tool_timeout_sec = 660"), "{text}");
    std::fs::write(
        &config,
        text.replace("tool_timeout_sec = 660", "tool_timeout_sec = 120"),
    )
    .expect("write");
    let (ok, report) = check_config(&home, &teams);
    assert!(!ok);
    let c = check(&report, "tool timeout");
    assert_eq!(c["ok"], false, "{c}");
    assert!(
        c["detail"].as_str().is_some_and(|d| d.contains("120")),
        "{c}"
    );
    assert!(
        c["fix"]
            .as_str()
            .is_some_and(|f| f.contains("codex-teams install")),
        "{c}"
    );

    // install raises it again; a larger value the user chose is kept.
    install(&home, &[]).success();
    let text = std::fs::read_to_string(&config).expect("read");
    assert!(text.contains("tool_timeout_sec = 660"), "{text}");
    std::fs::write(
        &config,
        text.replace("tool_timeout_sec = 660", "tool_timeout_sec = 3600.0"),
    )
    .expect("write");
    install(&home, &[]).success();
    let text = std::fs::read_to_string(&config).expect("read");
    assert!(text.contains("tool_timeout_sec = 3600.0"), "{text}");
    let (_, report) = check_config(&home, &teams);
    assert_eq!(check(&report, "tool timeout")["ok"], true, "{report}");
}

/// Runs `codex` with a temporary CODEX_HOME (and HOME, so nothing of the real user's leaks).
fn real_codex(codex: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(codex)
        .args(args)
        .env("CODEX_HOME", home)
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run codex")
}

#[test]
fn real_codex_accepts_the_installed_server_entry() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let dir = user_home();
    let home = dir.path();
    install(home, &[]).success();

    let out = real_codex(&codex, home, &["mcp", "get", "codex-teams", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry: Value = serde_json::from_slice(&out.stdout).expect("codex prints JSON");
    assert_eq!(entry["name"], "codex-teams");
    assert_eq!(entry["enabled"], true);
    let bin = std::fs::canonicalize(BIN).expect("canonical bin");
    assert_eq!(entry["transport"]["command"], bin.to_str().expect("utf-8"));
    assert_eq!(entry["transport"]["args"], json!(["serve-mcp"]));
    let vars = entry["transport"]["env_vars"].as_array().expect("env_vars");
    assert!(vars.contains(&json!("MOCK_KEY")) && vars.contains(&json!("CODEX_TEAMS_AGENT_TOKEN")));
    assert_eq!(entry["startup_timeout_sec"], 20.0);
    assert_eq!(entry["tool_timeout_sec"], 660.0);

    // 0.169.0 leaves the approval mode out of --json; the text form shows it.
    let out = real_codex(&codex, home, &["mcp", "get", "codex-teams"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("default_tools_approval_mode: approve"),
        "{text}"
    );
}

#[test]
fn real_codex_lists_the_installed_hook_as_trusted() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("codex");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    install(&home, &[]).success();

    let mut child = std::process::Command::new(&codex)
        .arg("app-server")
        .env("CODEX_HOME", &home)
        .env("HOME", dir.path())
        .current_dir(&work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start codex app-server");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let reply = |id: u64| -> Value {
        loop {
            let v = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("app-server answers");
            if v["id"] == id {
                return v;
            }
        }
    };
    let mut send = |v: Value| {
        writeln!(stdin, "{v}").expect("write");
        stdin.flush().expect("flush");
    };
    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"clientInfo": {"name": "codex-teams-test", "title": null, "version": "0"}}}));
    reply(1);
    send(json!({"jsonrpc": "2.0", "method": "initialized"}));
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "hooks/list",
        "params": {"cwds": [work.to_str().expect("utf-8")]}}));
    let list = reply(2);
    let _ = child.kill();
    let _ = child.wait();

    let hooks = list["result"]["data"][0]["hooks"]
        .as_array()
        .expect("hooks");
    let ours = hooks
        .iter()
        .find(|h| {
            h["command"]
                .as_str()
                .is_some_and(|c| c.ends_with("hook user-prompt-submit"))
        })
        .unwrap_or_else(|| panic!("our hook is listed: {list}"));
    assert_eq!(ours["trustStatus"], "trusted", "{ours}");
    assert_eq!(ours["enabled"], true);
    assert_eq!(ours["timeoutSec"], 10);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(home.join("codex-teams.install.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(ours["key"], manifest["hook_key"]);
    assert_eq!(ours["currentHash"], manifest["hook_hash"]);
}

/// PATH of this process without any directory holding a `codex`.
fn path_without_codex() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("codex").exists())
        .collect();
    std::env::join_paths(kept).expect("join PATH")
}

/// Issue 9 point 1: what scripts/install.sh runs after its build (`init`, then `install
/// --bin BIN --codex CODEX` with the Codex it found or fetched into .cache/), on an empty
/// home with Codex not on PATH, leaves `check-config` green; the one line that puts `codex`
/// on the user's PATH is printed once.
#[test]
fn install_sh_steps_on_an_empty_home_without_codex_on_path_leave_check_config_green() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh"))
            .expect("read install.sh");
    assert!(
        script.contains(r#""$bin" install --bin "$bin" --codex "$codex""#),
        "install.sh no longer records its Codex: update this test with it"
    );
    let Some(codex) = common::codex::require() else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let mut c = ct(args);
        c.env("HOME", home.path())
            .env("PATH", path_without_codex())
            .env_remove("CODEX_TEAMS_HOME")
            .env_remove(codex_teams::engine::policy::PROFILE_ENV)
            .current_dir(home.path());
        c.assert()
    };
    run(&["init"]).success();
    run(&[
        "install",
        "--bin",
        BIN,
        "--codex",
        codex.to_str().expect("utf-8"),
    ])
    .success();
    let out = run(&["check-config"]);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    out.success();
    let codex_line = text
        .lines()
        .find(|l| l.contains(" codex "))
        .unwrap_or_default();
    assert!(codex_line.starts_with("OK"), "{text}");
    assert!(
        codex_line.contains("recorded by `codex-teams install`"),
        "{text}"
    );
    assert_eq!(text.matches("export PATH=").count(), 1, "{text}");
}
