//! The platform API against real processes: this test process and children it starts.
//! The same tests run on Linux here and on macOS in the hosted CI.

use super::*;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Polls `cond` for up to 10 s (generous: a loaded CI machine); whether it became true.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

fn gone(pid: u32) -> bool {
    proc_state(pid).is_none_or(|s| s.is_dead())
}

/// Whether any live process is in process group `pgid`.
fn group_alive(pgid: u32) -> bool {
    pids()
        .expect("process list")
        .into_iter()
        .filter_map(proc_state)
        .any(|s| s.pgid == pgid && !s.is_dead())
}

fn on_path(name: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|c| c.is_file())
        })
        .and_then(|p| std::fs::canonicalize(p).ok())
        .expect("on PATH")
}

fn sleeper(marker: Option<(&str, &str)>, death_signal: Option<libc::c_int>) -> Child {
    let mut cmd = Command::new("sleep");
    cmd.arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if let Some((k, v)) = marker {
        cmd.env(k, v);
    }
    if let Some(sig) = death_signal {
        // SAFETY: the closure only calls set_parent_death_signal, made for pre_exec.
        unsafe {
            cmd.pre_exec(move || set_parent_death_signal(sig));
        }
    }
    cmd.spawn().expect("spawn sleep")
}

#[test]
fn this_process_is_described() {
    let me = std::process::id();
    assert!(pids().expect("process list").contains(&me));
    let state = proc_state(me).expect("own state");
    assert!(!state.is_dead() && !state.is_stopped(), "{state:?}");
    // SAFETY: no preconditions.
    let group = unsafe { libc::getpgrp() };
    assert_eq!(state.pgid as libc::pid_t, group);
    let exe = exe_of(me).expect("own exe");
    assert_eq!(
        std::fs::canonicalize(&exe).expect("exe exists"),
        std::fs::canonicalize(std::env::current_exe().expect("current_exe")).expect("exists")
    );
    let args: Vec<String> = std::env::args().filter(|a| !a.is_empty()).collect();
    assert_eq!(cmdline_of(me).expect("own cmdline"), args);
    let env = environ_of(me).expect("own environment");
    assert!(!env.is_empty());
    assert!(
        env.iter().all(|e| e.contains(&b'=')),
        "entries are NAME=value"
    );
    assert!(rss_bytes(me).expect("own rss") > 0);
    if cfg!(any(target_arch = "x86_64", target_os = "macos")) {
        let cpu = cpu_model().expect("cpu model");
        assert!(!cpu.is_empty());
    }
}

#[test]
fn a_child_is_described_stopped_and_gone() {
    let marker = format!("CODEX_TEAMS_PLATFORM_TEST={}", std::process::id());
    let (k, v) = marker.split_once('=').expect("marker");
    let mut child = sleeper(Some((k, v)), None);
    let pid = child.id();
    assert!(pids().expect("process list").contains(&pid));
    let state = proc_state(pid).expect("child state");
    assert_eq!(state.pgid, pid, "its own process group");
    assert!(!state.is_dead());
    assert_eq!(exe_of(pid).expect("child exe"), on_path("sleep"));
    assert_eq!(cmdline_of(pid).expect("child cmdline"), ["sleep", "30"]);
    let env = environ_of(pid).expect("child environment");
    assert!(
        env.iter().any(|e| e == marker.as_bytes()),
        "marker in {env:?}"
    );
    assert!(rss_bytes(pid).expect("child rss") > 0);

    signal(pid, libc::SIGSTOP);
    assert!(eventually(
        || proc_state(pid).is_some_and(|s| s.is_stopped())
    ));
    signal(pid, libc::SIGCONT);
    assert!(eventually(
        || proc_state(pid).is_some_and(|s| !s.is_stopped())
    ));

    signal(pid, libc::SIGKILL);
    // Killed, not yet reaped: a zombie (Linux) or no longer described (macOS).
    assert!(eventually(|| gone(pid)));
    child.wait().expect("reap");
    assert!(proc_state(pid).is_none(), "reaped");
    assert!(cmdline_of(pid).is_none() && environ_of(pid).is_none() && rss_bytes(pid).is_none());
}

/// The death-signal setup leaves `spawn` prompt and the child's pipes its own: spawn
/// returns while the child runs (std waits for its exec-error pipe to close, which a
/// watcher holding a copy would delay until the child's end), stdout reaches EOF when the
/// child ends, and nothing of the child's process group outlives it.
#[test]
fn the_death_signal_setup_holds_nothing_of_the_child() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo started; exec sleep 30"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    // SAFETY: the closure only calls set_parent_death_signal, made for pre_exec.
    unsafe {
        cmd.pre_exec(|| set_parent_death_signal(libc::SIGTERM));
    }
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id();
    assert!(!gone(pid), "spawn returned only after the child ended");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("first line");
    assert_eq!(line, "started\n");
    signal(pid, libc::SIGKILL);
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("stdout reaches EOF");
    assert_eq!(rest, "");
    child.wait().expect("reap");
    assert!(
        eventually(|| !group_alive(pid)),
        "a process of its group is left"
    );
}

/// What [`the_starter_dying_signals_the_child`] runs in a process of its own: starts one
/// sleeper with the death signal and one without, prints their pids, and waits to be
/// killed. Does nothing unless started that way.
#[test]
#[ignore = "run by the_starter_dying_signals_the_child"]
fn starter_for_the_death_signal_test() {
    if std::env::var_os(STARTER_ENV).is_none() {
        return;
    }
    let mut guarded = sleeper(None, Some(libc::SIGKILL));
    let mut unguarded = sleeper(None, None);
    println!("pids {} {}", guarded.id(), unguarded.id());
    std::thread::sleep(Duration::from_secs(60));
    // Not killed after all (started by hand): clean up.
    for child in [&mut guarded, &mut unguarded] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

const STARTER_ENV: &str = "CODEX_TEAMS_PLATFORM_STARTER";

#[test]
fn the_starter_dying_signals_the_child() {
    let exe = std::env::current_exe().expect("test binary");
    let mut starter = Command::new(exe)
        .args([
            "tests::starter_for_the_death_signal_test",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(STARTER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the starter");
    let stdout = starter.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("pids ") {
                let _ = tx.send(rest.to_string());
                return;
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(60));
    let parsed: Option<(u32, u32)> = line.ok().and_then(|l| {
        let (a, b) = l.split_once(' ')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    });
    signal(starter.id(), libc::SIGKILL);
    starter.wait().expect("reap the starter");
    let (guarded, unguarded) = parsed.expect("the starter printed its children's pids");

    assert!(
        eventually(|| gone(guarded)),
        "the guarded child outlived its starter"
    );
    assert!(
        eventually(|| !group_alive(guarded)),
        "a process of the guarded child's group is left"
    );
    let survived = !gone(unguarded);
    signal(unguarded, libc::SIGKILL);
    assert!(
        survived,
        "the unguarded child died too: the test proves nothing"
    );
}

#[test]
fn signals_reach_a_process_and_its_group_and_never_pid_0_or_1() {
    // 0 and 1 would mean "my own group", "every process" or init: refused, not sent.
    for id in [0, 1] {
        assert!(!signal(id, 0), "signal({id})");
        assert!(!signal_group(id, 0), "signal_group({id})");
        assert!(!group_exists(id), "group_exists({id})");
    }
    // Ids that do not fit a pid_t are refused rather than wrapped into a negative id.
    assert!(!signal(u32::MAX, 0) && !signal_group(u32::MAX, 0));
    assert!(signal(std::process::id(), 0), "this process exists");
    assert!(group_exists(own_group()), "this process's group exists");
    assert_eq!(
        own_group(),
        proc_state(std::process::id()).expect("own state").pgid
    );

    let mut child = sleeper(None, None);
    let pgid = child.id();
    assert_ne!(own_group(), pgid, "the sleeper leads a group of its own");
    assert!(signal(pgid, 0) && group_exists(pgid));
    assert!(signal_group(pgid, libc::SIGKILL), "the group is signalled");
    assert!(eventually(|| !group_alive(pgid)));
    child.wait().expect("reap");
    assert!(!signal(pgid, 0), "a reaped process is gone");
    assert!(!group_exists(pgid), "so is its group");
    assert!(!signal_group(pgid, libc::SIGKILL));
}

#[test]
fn unknown_processes_are_none() {
    // Above any pid_max Linux allows (2^22) and any pid macOS hands out.
    let pid = 1 << 30;
    assert!(proc_state(pid).is_none());
    assert!(exe_of(pid).is_none());
    assert!(cmdline_of(pid).is_none());
    assert!(environ_of(pid).is_none());
    assert!(rss_bytes(pid).is_none());
}

#[test]
fn the_codex_npm_binary_is_named_for_this_target() {
    let binary = CODEX_NPM_BINARY.expect("Codex publishes a binary for this target");
    // With an npm-installed Codex at hand (the e2e tests' CODEX_TEAMS_CODEX), the name
    // must match what the package really holds.
    let Some(codex) = std::env::var_os("CODEX_TEAMS_CODEX").filter(|v| !v.is_empty()) else {
        return;
    };
    let Ok(real) = std::fs::canonicalize(&codex) else {
        return;
    };
    if real.extension().is_some_and(|e| e == "js") {
        let modules = real
            .ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "node_modules"))
            .expect("an npm wrapper lives under node_modules");
        assert!(
            modules.join(binary).is_file(),
            "{}",
            modules.join(binary).display()
        );
    }
}
