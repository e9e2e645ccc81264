//! Linux: everything comes from `/proc`, and the parent-death signal from `prctl`.

use std::path::PathBuf;

use super::ProcState;

fn proc_file(pid: u32, name: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{name}"))
}

/// The non-empty entries of a NUL-separated block (`cmdline`, `environ`).
fn nul_separated(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw.split(|b| *b == 0).filter(|a| !a.is_empty())
}

pub fn pids() -> Option<Vec<u32>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    Some(
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
            .collect(),
    )
}

/// From `/proc/<pid>/stat`: `pid (comm) S ppid pgrp ...`, where comm may hold spaces and
/// parentheses (so the fields are counted from the last `)`).
pub fn proc_state(pid: u32) -> Option<ProcState> {
    let text = std::fs::read_to_string(proc_file(pid, "stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(ProcState { state, pgid })
}

pub fn exe_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(proc_file(pid, "exe")).ok()
}

pub fn cmdline_of(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read(proc_file(pid, "cmdline")).ok()?;
    Some(
        nul_separated(&raw)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

pub fn environ_of(pid: u32) -> Option<Vec<Vec<u8>>> {
    let raw = std::fs::read(proc_file(pid, "environ")).ok()?;
    Some(nul_separated(&raw).map(<[u8]>::to_vec).collect())
}

/// `VmRSS:` of `/proc/<pid>/status`, which the kernel reports in kB.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

/// `VmHWM:` (the resident set's high-water mark) of `/proc/<pid>/status`.
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM:")
}

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(proc_file(pid, "status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// # Safety
/// See [`super::set_parent_death_signal`].
pub unsafe fn set_parent_death_signal(signal: libc::c_int) -> std::io::Result<()> {
    // SAFETY: prctl is async-signal-safe and takes no pointers here; nothing is allocated
    // (the error is built from errno only on failure, as std's own pre_exec steps do).
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
