//! The one place with operating-system-specific calls: what codex-teams asks the OS about
//! other processes, the signals it sends them, and the parent-death signal its children
//! get. Signals ([`signal`], [`signal_group`], [`group_exists`], [`own_group`]) are
//! portable POSIX `kill`/`getpgrp`, kept here so their `unsafe` is in one place. Everything
//! else in the crate is portable POSIX (`getppid`, process groups, `umask`) through `libc`
//! and `std::os::unix`. `scripts/verify.sh` fails when a Linux-only call (`prctl`,
//! `PR_SET_PDEATHSIG`, a `/proc/` path) appears outside this directory.
//!
//! Two implementations, chosen at compile time:
//! - `linux` (`target_os = "linux"`): `/proc/<pid>/{stat,exe,cmdline,environ,status}`,
//!   `/proc/cpuinfo`, and `prctl(PR_SET_PDEATHSIG)`.
//! - `macos` (`target_os = "macos"`): libproc (`proc_listallpids`, `proc_pidinfo`,
//!   `proc_pidpath`), `sysctl(KERN_PROCARGS2)` for command lines and environments,
//!   `sysctlbyname("machdep.cpu.brand_string")`, and a kqueue watcher process in place of
//!   the parent-death signal (see [`set_parent_death_signal`]).
//!
//! [`memory`] holds the glibc allocator settings (`mallopt`, `malloc_trim`) a long-lived
//! `serve-mcp` uses; they compile to nothing on other C libraries.
//!
//! Every query answers `None` when the OS does not tell (the process is gone, belongs to
//! another user, or the platform hides it); callers treat that as "unknown" and fall back,
//! never as an error. What degrades where is listed in docs/codex-integration.md.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as imp;

/// The allocator's memory kept small in a long-lived server (glibc only; no-ops elsewhere).
pub mod memory;

// The KERN_PROCARGS2 parser is plain byte slicing: built everywhere, so its tests run on
// the Linux machine too.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod procargs;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!(
    "codex-teams supports Linux and macOS: src/platform has no implementation for this target"
);

use std::path::PathBuf;

/// Where the Codex CLI's npm package keeps the native binary for this target, relative to
/// `node_modules` (the platform package its `bin/codex.js` wrapper runs), or `None` on a
/// target Codex publishes no binary for.
pub const CODEX_NPM_BINARY: Option<&str> = if cfg!(all(target_os = "linux", target_arch = "x86_64"))
{
    Some("@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex")
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    Some("@openai/codex-linux-arm64/vendor/aarch64-unknown-linux-musl/bin/codex")
} else if cfg!(all(target_os = "macos", target_arch = "x86_64")) {
    Some("@openai/codex-darwin-x64/vendor/x86_64-apple-darwin/bin/codex")
} else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
    Some("@openai/codex-darwin-arm64/vendor/aarch64-apple-darwin/bin/codex")
} else {
    None
};

/// A process's scheduling state and process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcState {
    /// The state as Linux `ps` letters: `R` running, `S` sleeping, `D` uninterruptible,
    /// `T` stopped, `t` traced, `Z` zombie, `X` dead, ... On macOS the kernel's `p_stat` is
    /// mapped onto `R` (also for a process being created), `S`, `T` and `Z`.
    pub state: char,
    /// The process group id.
    pub pgid: u32,
}

impl ProcState {
    /// A zombie or dead process: it runs nothing any more.
    pub fn is_dead(&self) -> bool {
        self.state == 'Z' || self.state == 'X'
    }

    /// Stopped by a signal (`SIGSTOP`, `SIGTSTP`, ...) or by a tracer.
    pub fn is_stopped(&self) -> bool {
        self.state == 'T' || self.state == 't'
    }
}

/// Every process id on the system (this process's included), or `None` when the OS will
/// not list them.
pub fn pids() -> Option<Vec<u32>> {
    imp::pids()
}

/// State and process group of `pid`, or `None` when it does not exist (or is not visible).
pub fn proc_state(pid: u32) -> Option<ProcState> {
    imp::proc_state(pid)
}

/// The executable `pid` runs (absolute path), when the OS tells.
pub fn exe_of(pid: u32) -> Option<PathBuf> {
    imp::exe_of(pid)
}

/// The arguments `pid` was started with (`argv`, program name first), converted lossily to
/// UTF-8; empty arguments are left out. `None` when unreadable (gone, another user's).
pub fn cmdline_of(pid: u32) -> Option<Vec<String>> {
    imp::cmdline_of(pid)
}

/// The environment `pid` was started with, as raw `NAME=value` entries (empty entries left
/// out). `None` when unreadable: another user's process on either OS, and on macOS also a
/// process the kernel does not show its arguments for (`KERN_PROCARGS2` refused).
pub fn environ_of(pid: u32) -> Option<Vec<Vec<u8>>> {
    imp::environ_of(pid)
}

/// Resident set size of `pid` in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    imp::rss_bytes(pid)
}

/// Peak resident set size of `pid` in bytes (Linux `VmHWM:`; `None` on macOS, which
/// does not report another process's peak).
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    imp::peak_rss_bytes(pid)
}

/// The CPU's model name (`model name` of /proc/cpuinfo, `machdep.cpu.brand_string`).
pub fn cpu_model() -> Option<String> {
    imp::cpu_model()
}

/// A process or group id as `kill(2)` takes it, or `None` for 0 and 1 (`kill(0, ..)` is the
/// caller's own group, `kill(-1, ..)` every process it may signal, 1 is init) and for ids
/// that do not fit a `pid_t`.
fn killable(id: u32) -> Option<libc::pid_t> {
    libc::pid_t::try_from(id).ok().filter(|id| *id > 1)
}

/// Sends `signal` to process `pid` (0 only checks that it exists). Whether it was sent:
/// `false` when the process is gone, is not ours to signal, or `pid` is 0 or 1.
pub fn signal(pid: u32, signal: libc::c_int) -> bool {
    let Some(pid) = killable(pid) else {
        return false;
    };
    // SAFETY: kill(2) takes plain integers and has no memory effects; `pid` > 1 names one
    // process, never a group or "every process".
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Sends `signal` to every process of group `pgid` (0 only checks that the group exists).
/// Whether it was sent: `false` when the group is gone, is not ours, or `pgid` is 0 or 1.
pub fn signal_group(pgid: u32, signal: libc::c_int) -> bool {
    let Some(pgid) = killable(pgid) else {
        return false;
    };
    // SAFETY: as in `signal`; `-pgid` with `pgid` > 1 names exactly that group.
    unsafe { libc::kill(-pgid, signal) == 0 }
}

/// Whether process group `pgid` exists, as `kill(-pgid, 0)` says: also while it holds only
/// an unreaped zombie (see `runner::procs::group_running` for "still runs").
pub fn group_exists(pgid: u32) -> bool {
    signal_group(pgid, 0)
}

/// The calling process's own process group.
pub fn own_group() -> u32 {
    // SAFETY: getpgrp(2) has no preconditions and cannot fail.
    let pgid = unsafe { libc::getpgrp() };
    u32::try_from(pgid).unwrap_or(0)
}

/// Arranges for the process being started to receive `signal` when the process that
/// started it exits. Call it only from a `std::os::unix::process::CommandExt::pre_exec`
/// closure (between fork and exec).
///
/// - Linux: `prctl(PR_SET_PDEATHSIG, signal)`. The kernel sends it when the *thread* that
///   forked the child exits, which is why workers are spawned from one long-lived thread.
/// - macOS has no such call. A watcher process is forked off the child (before exec, so it
///   shares the child's process group): it closes every inherited descriptor, waits in
///   `kqueue` for `NOTE_EXIT` of both the starting process and the child, sends `signal`
///   to the child if the starting process ends first, and exits as soon as either has
///   ended. It is a fork of a fork (no exec), so it costs a process entry and no memory of
///   its own; a signal to the child's process group reaches it too.
///
/// # Safety
/// Only async-signal-safe calls are made (fork, close, signal, kqueue, kevent, kill,
/// getppid, _exit on macOS; prctl on Linux) and nothing is allocated, as `pre_exec`
/// requires. Calling it outside a freshly forked child would (on macOS) fork the caller.
pub unsafe fn set_parent_death_signal(signal: libc::c_int) -> std::io::Result<()> {
    // SAFETY: forwarded contract, see above.
    unsafe { imp::set_parent_death_signal(signal) }
}

#[cfg(test)]
mod tests;
