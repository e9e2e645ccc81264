//! Finding processes (through [`crate::platform`]): by process group, or by an exact
//! `NAME=value` entry in their environment. Codex puts a worker's MCP server and its
//! sandboxed shell commands in process groups of their own, but they all inherit the
//! worker's environment, so an environment marker finds what a process group misses.
//! Zombies never count: they run nothing, and their parent reaps them.

use serde::Serialize;

use crate::platform;

/// One live process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    pub pid: u32,
    pub pgid: u32,
    /// The command line, truncated.
    pub cmd: String,
}

/// Longest command line kept in a [`Leftover`].
const CMD_MAX: usize = 200;

/// Live processes whose environment holds one of `markers` (`NAME=value`, exact) or whose
/// process group is one of `groups`. This process is never listed.
pub fn find(markers: &[String], groups: &[u32]) -> Vec<Leftover> {
    let me = std::process::id();
    let Some(pids) = platform::pids() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pid in pids {
        if pid == me {
            continue;
        }
        let Some(state) = platform::proc_state(pid) else {
            continue;
        };
        if state.is_dead() {
            continue;
        }
        if groups.contains(&state.pgid) || has_marker(pid, markers) {
            out.push(Leftover {
                pid,
                pgid: state.pgid,
                cmd: cmdline(pid),
            });
        }
    }
    out.sort_by_key(|l| l.pid);
    out
}

/// Whether `pid` runs (exists and is not a zombie).
pub fn alive(pid: u32) -> bool {
    platform::proc_state(pid).is_some_and(|s| !s.is_dead())
}

/// Whether any process of group `pgid` still runs. `kill(-pgid, 0)` alone also succeeds
/// while the group holds only an unreaped zombie (a worker whose supervisor, perhaps the
/// very thread asking, has not waited for it yet).
pub fn group_running(pgid: u32) -> bool {
    if !platform::group_exists(pgid) {
        return false;
    }
    let Some(pids) = platform::pids() else {
        return true; // no process list: trust kill()
    };
    pids.into_iter()
        .filter_map(platform::proc_state)
        .any(|s| s.pgid == pgid && !s.is_dead())
}

/// SIGKILL to each process and to each process group.
pub fn kill_all(pids: &[u32], groups: &[u32]) {
    // A group or process that is gone just fails; 0 and 1 are never signalled.
    for &g in groups {
        platform::signal_group(g, libc::SIGKILL);
    }
    for &p in pids {
        platform::signal(p, libc::SIGKILL);
    }
}

fn has_marker(pid: u32, markers: &[String]) -> bool {
    if markers.is_empty() {
        return false;
    }
    let Some(env) = platform::environ_of(pid) else {
        return false;
    };
    env.iter()
        .any(|var| markers.iter().any(|m| var.as_slice() == m.as_bytes()))
}

fn cmdline(pid: u32) -> String {
    let text = platform::cmdline_of(pid).unwrap_or_default().join(" ");
    text.chars().take(CMD_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    #[test]
    fn a_marked_child_is_found_until_it_is_killed() {
        let marker = format!("CODEX_TEAMS_PROCS_TEST={}", std::process::id());
        let (k, v) = marker.split_once('=').unwrap();
        let mut child = Command::new("sleep")
            .arg("30")
            .env(k, v)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id();
        let found = find(std::slice::from_ref(&marker), &[]);
        assert!(found.iter().any(|l| l.pid == pid), "{found:?}");
        assert!(find(&[], &[pid]).iter().any(|l| l.pid == pid));
        assert!(alive(pid));
        assert!(group_running(pid));
        kill_all(&[pid], &[]);
        // Killed but not yet reaped: a zombie, which no longer counts as running.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!alive(pid));
        assert!(!group_running(pid));
        assert!(find(&[marker], &[]).iter().all(|l| l.pid != pid));
        let _ = child.wait();
    }
}
