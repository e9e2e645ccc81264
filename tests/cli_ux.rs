//! The command line as a person meets it (issue 9): output into a closed pipe, read-only
//! commands on a missing database, shell completion in a real shell, `status --watch` on a
//! terminal, short ids, colour, the bench's output directory, and `smoke --real` (its team
//! visible afterwards, its directory removed on Ctrl-C). Terminal tests run the binary under
//! `script`, which gives it a pseudo-terminal.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use codex_teams::bench::{scenarios, smoke};
use codex_teams::engine::Engine;
use serde_json::Value;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_codex-teams")
}

/// The binary with a private, empty home and no inherited database or colour settings.
fn cli(home: &Path) -> Command {
    let mut cmd = Command::new(exe());
    cmd.env("CODEX_TEAMS_HOME", home)
        .env("HOME", home)
        .env("CODEX_HOME", home.join("codex-home"))
        .env_remove("CODEX_TEAMS_DB")
        .env_remove(codex_teams::engine::policy::PROFILE_ENV)
        .env_remove("NO_COLOR")
        .current_dir(home);
    cmd
}

/// A home whose database holds one finished (simulated) team; returns its id.
fn home_with_a_team() -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let report = smoke::run_sim(
        &engine,
        scenarios::scenario("medium").expect("scenario"),
        "default",
    )
    .expect("sim run");
    (home, report.report.team_id)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `program --version` runs and names `vendor` (GNU/util-linux tools, not the BSD
/// ones macOS ships, whose `script` takes other arguments and which has no `timeout`).
fn gnu_tool(program: &str, vendor: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && text(&o.stdout).contains(vendor))
}

/// Runs `cmd` under a pseudo-terminal of 80 columns (`script`); None when util-linux's
/// `script` or coreutils' `timeout` is not installed (macOS: BSD `script`, no `timeout`).
fn on_a_terminal(home: &Path, cmd: &str, envs: &[(&str, &str)]) -> Option<Output> {
    if !gnu_tool("script", "util-linux") || !gnu_tool("timeout", "coreutils") {
        eprintln!("skipped: `script` (util-linux) or `timeout` (coreutils) is not installed");
        return None;
    }
    // A hard deadline around the whole terminal session: whatever the command does on a
    // terminal (a stopped background read, a watch that never ends), the test fails instead
    // of hanging the suite.
    let mut script = Command::new("timeout");
    script
        .args(["-k", "5", "120", "script"])
        .args(["-qec", &format!("stty cols 80 rows 50; {cmd}"), "/dev/null"])
        .env("CODEX_TEAMS_HOME", home)
        .env("HOME", home)
        .env("CODEX_HOME", home.join("codex-home"))
        .env("TERM", "xterm")
        .env_remove("CODEX_TEAMS_DB")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    for (k, v) in envs {
        script.env(k, v);
    }
    Some(script.output().expect("run script"))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn no_printing_command_panics_on_a_closed_stdout() {
    let (home, team) = home_with_a_team();
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["help"],
        vec!["help", "profiles"],
        vec!["help", "status"],
        vec!["status", "--help"],
        vec!["init"],
        vec!["status"],
        vec!["status", "--all"],
        vec!["status", "--all", "--json"],
        vec!["status", &team],
        vec!["replay", &team],
        vec!["replay", &team, "--json"],
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["completions", "fish"],
        vec!["check-config"],
        vec!["check-config", "--json"],
        vec!["smoke", "small"],
        vec!["smoke", "small", "--json"],
        vec!["install", "--dry-run"],
        vec!["uninstall", "--dry-run"],
        vec![
            "bench",
            "--runner",
            "sim",
            "--no-engine",
            "--tasks",
            "fix-paginate-last-page",
            "--out",
            &out_dir,
        ],
    ];
    let mut failures = Vec::new();
    for args in &commands {
        // A pipe whose reading end is already closed: the first write fails.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = cli(home.path())
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        let stderr = text(&output.stderr);
        let quiet_end = output.status.success() || output.status.signal() == Some(libc::SIGPIPE);
        if !quiet_end || stderr.contains("panicked") || stderr.contains("Broken pipe") {
            failures.push(format!(
                "`codex-teams {}`: {:?}\n{stderr}",
                args.join(" "),
                output.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn serve_mcp_keeps_a_closed_stdout_an_error_not_a_silent_death() {
    let home = tempfile::tempdir().expect("tempdir");
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = cli(home.path())
        .arg("serve-mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve-mcp");
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = writeln!(stdin, "{init}");
    }
    let status = wait_for(&mut child, Duration::from_secs(20)).expect("serve-mcp ended");
    assert_ne!(
        status.signal(),
        Some(libc::SIGPIPE),
        "serve-mcp must end through its shutdown path (which stops its workers), not die of SIGPIPE"
    );
}

fn wait_for(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Every file and directory under `dir`, recursively.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.push(e.path());
            out.extend(tree(&e.path()));
        }
    }
    out.sort();
    out
}

#[test]
fn read_only_commands_refuse_a_missing_database_and_create_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let absent = home.path().join("nonexistent/dir/x.db");
    let absent_arg = absent.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["status", "--all", "--json"],
        vec!["replay", "team_0193ab00000070008000000000a1b2c3"],
        vec!["--db", &absent_arg, "status"],
        vec!["status", "--db", &absent_arg],
        vec!["--db", &absent_arg, "replay", "team_..a1b2c3"],
    ];
    for args in &cases {
        let out = cli(home.path()).args(args).output().expect("run");
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success(),
            "`{}` succeeded on a missing database",
            args.join(" ")
        );
        assert!(
            stderr.contains("does not exist") && stderr.contains("codex-teams init"),
            "`{}`: {stderr}",
            args.join(" ")
        );
        assert_eq!(
            tree(home.path()),
            Vec::<PathBuf>::new(),
            "`{}` created files",
            args.join(" ")
        );
    }
    // check-config reports a missing database without creating it.
    let out = cli(home.path())
        .args(["check-config", "--json"])
        .output()
        .expect("check-config");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let db = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "database"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(db["ok"], Value::Bool(true), "{report}");
    assert_eq!(
        tree(home.path()),
        Vec::<PathBuf>::new(),
        "check-config created files"
    );
    // A path under a file: one clear line, no cause repeated.
    let out = cli(home.path())
        .args(["--db", "/etc/passwd/x.db", "status"])
        .output()
        .expect("run");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("/etc/passwd/x.db"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim().trim_start_matches("caused by: ");
        assert!(
            !lines[..i].iter().any(|l| l.contains(body)),
            "repeated cause `{body}`:\n{stderr}"
        );
    }
}

#[test]
fn an_error_cause_already_in_the_message_is_not_repeated() {
    let home = tempfile::tempdir().expect("tempdir");
    // `init` does create: under a file it fails in the store, with a cause chain.
    let out = cli(home.path())
        .args(["--db", "/etc/passwd/x.db", "init"])
        .output()
        .expect("run");
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim_start_matches("caused by: ");
        assert!(
            !lines[..i].iter().any(|l| l.contains(body)),
            "repeated cause `{body}`:\n{stderr}"
        );
    }
}

/// Calls the committed bash completion function as bash would for `words` (the last one
/// is the word being completed) and returns its candidates.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/codex-teams.bash");
    let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source {script}\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         COMP_LINE={line}\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         _codex__teams codex-teams {cur} {prev}\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script = shell_quote(&script.display().to_string()),
        words = quoted.join(" "),
        line = shell_quote(&words.join(" ")),
        cur = shell_quote(words[cword]),
        prev = shell_quote(prev),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash");
    assert!(out.status.success(), "bash: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_past_the_first_word() {
    let scenarios = bash_complete(&["codex-teams", "smoke", ""]);
    for s in ["small", "medium", "high"] {
        assert!(
            scenarios.contains(&s.to_string()),
            "smoke <TAB>: {scenarios:?}"
        );
    }
    let flags = bash_complete(&["codex-teams", "status", "--"]);
    for f in ["--all", "--json", "--watch", "--interval", "--db", "--help"] {
        assert!(flags.contains(&f.to_string()), "status --<TAB>: {flags:?}");
    }
    let shells = bash_complete(&["codex-teams", "completions", ""]);
    assert!(shells.contains(&"zsh".to_string()), "{shells:?}");
    // Global flags only where they apply.
    let completions_flags = bash_complete(&["codex-teams", "completions", "-"]);
    assert!(
        !completions_flags.iter().any(|f| f == "--db" || f == "-V"),
        "completions -<TAB>: {completions_flags:?}"
    );
}

#[test]
fn zsh_and_fish_load_their_completions_where_installed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let mut ran = 0;
    if Command::new("zsh").arg("--version").output().is_ok() {
        let program = format!(
            "autoload -U compinit && compinit -u && source {}",
            shell_quote(&dir.join("_codex-teams").display().to_string())
        );
        let out = Command::new("zsh")
            .args(["-f", "-c", &program])
            .output()
            .expect("zsh");
        assert!(out.status.success(), "zsh: {}", text(&out.stderr));
        ran += 1;
    }
    if Command::new("fish").arg("--version").output().is_ok() {
        let program = format!(
            "source {}; complete -C 'codex-teams smoke '",
            shell_quote(&dir.join("codex-teams.fish").display().to_string())
        );
        let out = Command::new("fish")
            .args(["--no-config", "-c", &program])
            .output()
            .expect("fish");
        let listed = text(&out.stdout);
        for s in ["small", "medium", "high"] {
            assert!(listed.contains(s), "fish smoke <TAB>: {listed}");
        }
        ran += 1;
    }
    if ran == 0 {
        eprintln!("skipped: neither zsh nor fish is installed (bash is tested above)");
    }
}

#[test]
fn global_flags_are_listed_only_where_they_apply() {
    let home = tempfile::tempdir().expect("tempdir");
    let help = |args: &[&str]| text(&cli(home.path()).args(args).output().expect("help").stdout);
    let completions = help(&["completions", "--help"]);
    assert!(!completions.contains("--db"), "{completions}");
    assert!(!completions.contains("--version"), "{completions}");
    let status = help(&["status", "--help"]);
    assert!(status.contains("--db"), "{status}");
    assert!(!status.contains("--version"), "{status}");
    assert!(help(&["--help"]).contains("--version"));
    // `--db` before the subcommand still works (scripts use it).
    let db = home.path().join("x.db");
    let out = cli(home.path())
        .arg("--db")
        .arg(&db)
        .args(["init", "--json"])
        .output()
        .expect("init");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.is_file());
}

#[test]
fn the_profile_reference_is_built_into_the_binary() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = cli(home.path())
        .args(["help", "profiles"])
        .output()
        .expect("help profiles");
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.starts_with("# Profiles"), "{page}");
    assert!(page.contains("max_threads"), "{page}");
    // A bad profile's error points at it, not at a file an installed user does not have.
    let profiles = home.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    std::fs::write(
        profiles.join("mine.team.yaml"),
        "name: mine\nmax_threads: many\n",
    )
    .expect("write");
    let out = cli(home.path())
        .args(["check-config", "--json"])
        .output()
        .expect("check-config");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mine = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "profile mine"))
        .cloned()
        .unwrap_or(Value::Null);
    let said = format!("{} {}", mine["detail"], mine["fix"]);
    assert!(said.contains("codex-teams help profiles"), "{said}");
    assert!(!said.contains("docs/profiles.md"), "{said}");
}

#[test]
fn check_config_prints_merge_modes_by_their_profile_names_in_colour_on_a_terminal() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = cli(home.path())
        .arg("check-config")
        .output()
        .expect("check-config");
    let plain = text(&out.stdout);
    assert!(plain.contains("strict_vote merges"), "{plain}");
    assert!(!plain.contains("StrictVote"), "{plain}");
    assert!(!plain.contains('\x1b'), "colour into a pipe: {plain}");
    let exe = shell_quote(exe());
    let Some(tty) = on_a_terminal(home.path(), &format!("{exe} check-config"), &[]) else {
        return;
    };
    let coloured = text(&tty.stdout);
    assert!(coloured.contains("\x1b[32mOK"), "{coloured}");
    let Some(tty) = on_a_terminal(
        home.path(),
        &format!("{exe} check-config"),
        &[("NO_COLOR", "1")],
    ) else {
        return;
    };
    let plain = text(&tty.stdout);
    assert!(plain.contains("OK"), "{plain}");
    assert!(!plain.contains("\x1b[32m"), "NO_COLOR: {plain}");
}

#[test]
fn status_fits_80_columns_with_short_ids_it_accepts_back() {
    let (home, team) = home_with_a_team();
    // A second team with a long goal and long task titles.
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let mut long = scenarios::scenario("high").expect("scenario").clone();
    long.goal = "add CSV, JSON and YAML exporters behind one export command, with a test \
                 suite for each format and a migration note for the old flags";
    smoke::run_sim(&engine, &long, "default").expect("sim run");
    let out = cli(home.path())
        .args(["status", "--all"])
        .output()
        .expect("status");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    let short = format!("team_..{}", &team[team.len() - 6..]);
    assert!(table.contains(&short), "{table}");
    assert!(!table.contains(&team), "full id in the table: {table}");
    // The short form, a unique prefix and the full id all name the team.
    for given in [short.as_str(), &team[..team.len() - 4], &team] {
        let out = cli(home.path())
            .args(["status", given, "--json"])
            .output()
            .expect("status TEAM");
        assert!(out.status.success(), "{given}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v[0]["team_id"], Value::from(team.clone()), "{given}");
        let out = cli(home.path())
            .args(["replay", given])
            .output()
            .expect("replay TEAM");
        assert!(out.status.success(), "{given}: {}", text(&out.stderr));
    }
    let out = cli(home.path())
        .args(["status", "team_..zz"])
        .output()
        .expect("status");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("TEAM"), "{}", text(&out.stderr));
}

#[test]
fn status_watch_shows_the_final_state_and_exits_when_the_team_ends() {
    let home = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let started = engine
        .team_start("watch me end", Some("default"), None, None)
        .expect("team_start");
    let team = codex_teams::engine::ids::TeamId::from_db(started.team_id.clone());
    let lead = engine.lead_caller(&team).expect("lead");
    let exe = shell_quote(exe());
    let cmd = format!("{exe} status {} --watch --interval 1", started.team_id);
    let home_path = home.path().to_path_buf();
    let watcher = std::thread::spawn(move || on_a_terminal(&home_path, &cmd, &[]));
    // Let it draw the active team, then end the team under it.
    std::thread::sleep(Duration::from_millis(2500));
    engine.team_finalize(&lead, Some("done")).expect("finalize");
    let started_wait = Instant::now();
    let Some(out) = watcher.join().expect("watcher") else {
        return;
    };
    assert!(
        started_wait.elapsed() < Duration::from_secs(15),
        "--watch did not exit after the team ended"
    );
    let screen = text(&out.stdout);
    assert!(screen.contains("stopped watching"), "{screen}");
    assert!(screen.contains("finalized"), "{screen}");
    // The last frame shows the lead finished, not still active.
    let last = screen.rsplit("\x1b[2J").next().unwrap_or_default();
    let lead_row = last
        .lines()
        .find(|l| l.contains("┆ lead "))
        .unwrap_or_else(|| panic!("no lead row in the last frame: {last}"));
    assert!(lead_row.contains("finished"), "{lead_row}");
    assert!(!lead_row.contains("active"), "{lead_row}");
}

#[test]
fn status_watch_without_a_team_says_it_keeps_watching() {
    let home = tempfile::tempdir().expect("tempdir");
    Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let exe = shell_quote(exe());
    let cmd = format!("timeout 3 {exe} status --watch --interval 1");
    let Some(out) = on_a_terminal(home.path(), &cmd, &[]) else {
        return;
    };
    let screen = text(&out.stdout);
    assert!(screen.contains("Watching"), "{screen}");
    assert!(screen.contains("new ones appear here"), "{screen}");
}

#[test]
fn serve_mcp_in_a_terminal_says_what_it_is() {
    let home = tempfile::tempdir().expect("tempdir");
    let exe = shell_quote(exe());
    let Some(out) = on_a_terminal(
        home.path(),
        &format!("timeout --foreground -k 2 3 {exe} serve-mcp"),
        &[],
    ) else {
        return;
    };
    let said = text(&out.stdout);
    assert!(said.contains("speaks MCP"), "{said}");
    assert!(said.contains("codex-teams install"), "{said}");
}

#[test]
fn bench_writes_its_report_under_the_data_home_not_the_checkout() {
    let home = tempfile::tempdir().expect("tempdir");
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/results");
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Option<std::time::SystemTime>)> {
        tree(dir)
            .into_iter()
            .map(|p| {
                let m = std::fs::metadata(&p).and_then(|m| m.modified()).ok();
                (p, m)
            })
            .collect()
    };
    let before = snapshot(&results);
    let out = cli(home.path())
        .args([
            "bench",
            "--runner",
            "sim",
            "--no-engine",
            "--tasks",
            "fix-paginate-last-page",
        ])
        .output()
        .expect("bench");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let bench_dir = home.path().join("bench");
    let written: Vec<PathBuf> = tree(&bench_dir);
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "md")),
        "no report under {}: {written:?}\n{said}",
        bench_dir.display()
    );
    assert!(said.contains(&bench_dir.display().to_string()), "{said}");
    assert_eq!(snapshot(&results), before, "bench wrote into the checkout");
}

/// The run directories (`codex-teams-real-*`) under `tmp`.
fn run_dirs(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("codex-teams-real-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_real_smoke_team_can_be_replayed_afterwards() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let codex = codex.display().to_string();
    let home = tempfile::tempdir().expect("tempdir");
    let out = cli(home.path())
        .args(["smoke", "small", "--real", "--codex", &codex])
        .output()
        .expect("smoke --real");
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}\n{}", text(&out.stderr));
    let next = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("next      codex-teams "))
        .unwrap_or_else(|| panic!("no `next` line: {said}"));
    let args: Vec<&str> = next.split_whitespace().collect();
    let out = cli(home.path()).args(&args).output().expect("replay");
    let replay = text(&out.stdout);
    assert!(out.status.success(), "{next}: {}", text(&out.stderr));
    assert!(replay.contains("replay: consistent"), "{replay}");
    // The same database shows the team to `status`.
    let db = args[1];
    let out = cli(home.path())
        .args(["--db", db, "status", "--all", "--json"])
        .output()
        .expect("status");
    let teams: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(teams.as_array().map(Vec::len), Some(1), "{teams}");
}

/// Starts `smoke high --real` with its temp dir in `tmp`, waits until its team has started,
/// sends `signal`, and returns how it ended and its stderr.
fn interrupt_a_real_smoke(codex: &str, tmp: &Path, signal: i32, keep: bool) -> (Output, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = cli(home.path());
    cmd.args(["smoke", "high", "--real", "--codex", codex])
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if keep {
        cmd.arg("--keep");
    }
    let mut child = cmd.spawn().expect("smoke --real");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let started = run_dirs(tmp)
            .iter()
            .any(|d| d.join("teams/teams.db").is_file());
        if started {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run never started a team in {}",
            tmp.display()
        );
        assert!(
            matches!(child.try_wait(), Ok(None)),
            "smoke ended before its team started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    codex_teams::platform::signal(child.id(), signal);
    let status =
        wait_for(&mut child, Duration::from_secs(60)).expect("smoke ended after the signal");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let mut stdout = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut stdout);
    }
    (
        Output {
            status,
            stdout,
            stderr: Vec::new(),
        },
        stderr,
    )
}

#[test]
fn ctrl_c_during_a_real_smoke_removes_its_directory() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let codex = codex.display().to_string();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, stderr) = interrupt_a_real_smoke(&codex, tmp.path(), libc::SIGINT, false);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert_eq!(run_dirs(tmp.path()), Vec::<PathBuf>::new(), "{stderr}");
}

#[test]
fn sigterm_with_keep_says_what_was_kept() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let codex = codex.display().to_string();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, stderr) = interrupt_a_real_smoke(&codex, tmp.path(), libc::SIGTERM, true);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    let kept = run_dirs(tmp.path());
    assert_eq!(kept.len(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("Kept {}", kept[0].display())),
        "{stderr}"
    );
    assert!(kept[0].join("teams/teams.db").is_file());
    // Kept files, not processes: nothing of the run is left running.
    let markers = [format!(
        "CODEX_HOME={}",
        kept[0].join("codex-home").display()
    )];
    let left = codex_teams::engine::runner::procs::find(&markers, &[]);
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_profile_named_team_yml_is_found_like_team_yaml() {
    let home = tempfile::tempdir().expect("tempdir");
    let profiles = home.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    let fast = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/fast.team.yaml"),
    )
    .expect("fast profile");
    std::fs::write(
        profiles.join("mine.team.yml"),
        fast.replace("name: fast", "name: mine"),
    )
    .expect("write");
    let out = cli(home.path())
        .args(["check-config", "--json"])
        .output()
        .expect("check-config");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mine = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "profile mine"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(mine["ok"], Value::Bool(true), "{report}");
    let out = cli(home.path())
        .args(["smoke", "small", "--profile", "mine", "--json"])
        .output()
        .expect("smoke");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["profile"], "mine", "{report}");
}

#[test]
fn a_real_smoke_on_a_terminal_shows_progress_per_agent_and_task() {
    let Some(codex) = common::codex::require() else {
        return;
    };
    let codex = codex.display().to_string();
    let home = tempfile::tempdir().expect("tempdir");
    let cmd = format!(
        "{} smoke small --real --codex {}",
        shell_quote(exe()),
        shell_quote(&codex)
    );
    let Some(out) = on_a_terminal(home.path(), &cmd, &[]) else {
        return;
    };
    let screen = text(&out.stdout);
    assert!(out.status.success(), "{screen}");
    // The task bar, and a line for the lead and for a worker naming the task it holds,
    // while it ran (the bars redraw in place, padded to the width rather than newline-cut).
    assert!(screen.contains("tasks  ["), "{screen}");
    let agents: std::collections::HashSet<&str> = screen
        .match_indices("agent_..")
        .filter_map(|(i, _)| screen.get(i..i + "agent_..".len() + 6))
        .collect();
    assert!(agents.len() >= 2, "agent lines: {agents:?}\n{screen}");
    let lead_line = agents
        .iter()
        .any(|a| screen.contains(&format!("{a}   lead ")));
    assert!(lead_line, "{screen}");
    let worker_on_a_task = screen.match_indices("agent_..").any(|(i, _)| {
        let line: String = screen[i..].chars().take(70).collect();
        !line.contains(" lead ") && line.contains("active") && line.contains("task_..")
    });
    assert!(worker_on_a_task, "{screen}");
    assert!(screen.contains("result    ok"), "{screen}");
}

#[test]
fn an_explicit_db_beats_codex_teams_db_before_or_after_the_command() {
    let home = tempfile::tempdir().expect("tempdir");
    let from_env = home.path().join("env.db");
    let explicit = home.path().join("explicit.db");
    for args in [
        vec!["--db", explicit.to_str().expect("utf-8"), "init", "--json"],
        vec!["init", "--json", "--db", explicit.to_str().expect("utf-8")],
    ] {
        let out = cli(home.path())
            .env("CODEX_TEAMS_DB", &from_env)
            .args(&args)
            .output()
            .expect("init");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            v["db"],
            Value::from(explicit.display().to_string()),
            "{args:?}"
        );
    }
    assert!(!from_env.exists());
}

#[test]
fn status_shows_goals_and_titles_redacted_in_tables_and_json() {
    let home = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(&home.path().join("teams.db"), home.path()).expect("engine");
    let lead_server = codex_teams::mcp::TeamServer::new(
        std::sync::Arc::new(engine),
        codex_teams::mcp::Identity::Lead(Default::default()),
        None,
    )
    .expect("lead");
    lead_server
        .call_blocking(
            "team_start",
            serde_json::json!({ "goal": "deploy with DB_PASS=tr0ub4dor to staging" }),
        )
        .expect("team_start");
    lead_server
        .call_blocking(
            "task_create",
            serde_json::json!({ "title": "rotate sk_live_51HabcdefGHIJKLmnop now" }),
        )
        .expect("task_create");
    // An AWS key id is found only by the maintained rule set the binary supplies to the
    // engine at start; a Slack token must lose every part, not only its first.
    lead_server
        .call_blocking(
            "task_create",
            serde_json::json!({ "title": "revoke xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx and AKIAABCDEFGHIJKLMNOP" }),
        )
        .expect("task_create");
    for args in [vec!["status"], vec!["status", "--json"]] {
        let out = cli(home.path()).args(&args).output().expect("status");
        let printed = text(&out.stdout);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        for secret in [
            "tr0ub4dor",
            "sk_live_51HabcdefGHIJKLmnop",
            "AbCdEfGhIjKlMnOpQrStUvWx",
            "1234567890123",
            "AKIAABCDEFGHIJKLMNOP",
        ] {
            assert!(
                !printed.contains(secret),
                "{args:?} printed {secret}:\n{printed}"
            );
        }
        assert!(printed.contains("[REDACTED]"), "{args:?}:\n{printed}");
    }
}

#[test]
fn serve_mcp_stops_on_sigterm_before_the_client_says_anything() {
    let home = tempfile::tempdir().expect("tempdir");
    // stdin stays open and silent: the server is still waiting for `initialize`.
    let mut child = cli(home.path())
        .arg("serve-mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve-mcp");
    std::thread::sleep(Duration::from_millis(500));
    codex_teams::platform::signal(child.id(), libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.is_some(),
        "serve-mcp ignored SIGTERM while waiting for initialize"
    );
}

/// What `--version` and `check-config` must name: the release, the commit the binary was
/// built from (this checkout's HEAD, or `unknown` without git) and the tested Codex release
/// (the `codex-version` file the scripts pin too).
fn expected_build() -> (String, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let codex = std::fs::read_to_string(root.join("codex-version")).expect("codex-version");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| text(&o.stdout).trim().to_string())
    };
    let own_checkout = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| Path::new(&top).canonicalize().ok() == root.canonicalize().ok());
    let commit = if let Ok(c) = std::env::var("CODEX_TEAMS_COMMIT")
        && !c.trim().is_empty()
    {
        c.trim().to_string()
    } else if own_checkout {
        git(&["rev-parse", "--short=12", "HEAD"]).expect("git rev-parse HEAD")
    } else {
        "unknown".to_string()
    };
    (
        env!("CARGO_PKG_VERSION").to_string(),
        commit,
        codex.trim().to_string(),
    )
}

#[test]
fn version_names_the_release_the_commit_and_the_tested_codex() {
    let home = tempfile::tempdir().expect("tempdir");
    let (version, commit, codex) = expected_build();
    for flag in ["--version", "-V"] {
        let out = cli(home.path()).arg(flag).output().expect("--version");
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!("codex-teams {version} (commit {commit}, tested with codex-cli {codex})\n"),
            "{flag}"
        );
    }
    assert!(
        std::fs::read_dir(home.path())
            .expect("home")
            .next()
            .is_none(),
        "--version created files in the home"
    );
}

#[test]
fn check_config_names_the_build_in_json_and_text() {
    let home = tempfile::tempdir().expect("tempdir");
    let (version, commit, codex) = expected_build();
    let out = cli(home.path())
        .args(["check-config", "--json"])
        .output()
        .expect("check-config");
    let json: Value = serde_json::from_slice(&out.stdout).expect("check-config --json");
    assert_eq!(json["codex_teams"]["version"], version.as_str(), "{json}");
    assert_eq!(json["codex_teams"]["commit"], commit.as_str(), "{json}");
    assert_eq!(
        json["codex_teams"]["tested_codex"],
        codex.as_str(),
        "{json}"
    );
    let out = cli(home.path())
        .arg("check-config")
        .output()
        .expect("check-config");
    let first = text(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        first,
        format!("codex-teams {version} (commit {commit}, tested with codex-cli {codex})")
    );
}
