//! macOS: libproc and sysctl through `libc`'s bindings, and a kqueue watcher process in
//! place of Linux's parent-death signal. No `/proc` exists here.
//!
//! This file cannot be built on the Linux development machine beyond `cargo check
//! --target x86_64-apple-darwin` (type-checked there); the hosted CI's macOS job runs it.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::ProcState;
use super::procargs::split_procargs;

/// A pid as the C calls take it; a value past `c_int` names no process.
fn c_pid(pid: u32) -> Option<libc::c_int> {
    libc::c_int::try_from(pid).ok()
}

pub fn pids() -> Option<Vec<u32>> {
    // SAFETY: a null buffer asks only for the number of processes.
    let n = unsafe { libc::proc_listallpids(std::ptr::null_mut(), 0) };
    if n <= 0 {
        return None;
    }
    // Room for processes started between the two calls.
    let mut buf: Vec<libc::c_int> = vec![0; usize::try_from(n).ok()? + 64];
    let bytes = libc::c_int::try_from(buf.len() * size_of::<libc::c_int>()).ok()?;
    // SAFETY: buf holds `bytes` bytes; the call writes at most that many and returns the
    // number of pids written.
    let got = unsafe { libc::proc_listallpids(buf.as_mut_ptr().cast(), bytes) };
    if got <= 0 {
        return None;
    }
    buf.truncate(usize::try_from(got).ok()?.min(buf.len()));
    Some(
        buf.into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .collect(),
    )
}

/// `proc_pidinfo(PROC_PIDTBSDINFO)` of `pid`.
fn bsd_info(pid: u32) -> Option<libc::proc_bsdinfo> {
    let pid = c_pid(pid)?;
    let size = libc::c_int::try_from(size_of::<libc::proc_bsdinfo>()).ok()?;
    let mut info = MaybeUninit::<libc::proc_bsdinfo>::zeroed();
    // SAFETY: info is a writable proc_bsdinfo of `size` bytes; a full-size answer means
    // the kernel filled all of it.
    let got = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDTBSDINFO,
            0,
            info.as_mut_ptr().cast(),
            size,
        )
    };
    // SAFETY: zero-initialised plain C data is a valid proc_bsdinfo; checked full above.
    (got == size).then(|| unsafe { info.assume_init() })
}

pub fn proc_state(pid: u32) -> Option<ProcState> {
    let info = bsd_info(pid)?;
    let state = match info.pbi_status {
        libc::SIDL | libc::SRUN => 'R',
        libc::SSLEEP => 'S',
        libc::SSTOP => 'T',
        libc::SZOMB => 'Z',
        _ => '?',
    };
    Some(ProcState {
        state,
        pgid: info.pbi_pgid,
    })
}

pub fn exe_of(pid: u32) -> Option<PathBuf> {
    let pid = c_pid(pid)?;
    let mut buf = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE as usize];
    let cap = u32::try_from(buf.len()).ok()?;
    // SAFETY: buf holds `cap` bytes; the call returns the path's length (no NUL counted).
    let len = unsafe { libc::proc_pidpath(pid, buf.as_mut_ptr().cast(), cap) };
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l > 0 && *l <= buf.len())?;
    buf.truncate(len);
    Some(PathBuf::from(std::ffi::OsString::from_vec(buf)))
}

/// The raw `KERN_PROCARGS2` block of `pid`: `argc` (a C int), the executable path, NUL
/// padding, `argc` NUL-terminated arguments, then the NUL-terminated environment entries
/// up to an empty string. Only the caller's own user's processes are readable.
fn procargs_of(pid: u32) -> Option<Vec<u8>> {
    let pid = c_pid(pid)?;
    let mut argmax: libc::c_int = 0;
    let mut size = size_of::<libc::c_int>();
    let mut mib = [libc::CTL_KERN, libc::KERN_ARGMAX];
    // SAFETY: argmax is a writable c_int and size says so.
    let ok = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            2,
            (&raw mut argmax).cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if ok != 0 || argmax <= 0 {
        return None;
    }
    let mut buf = vec![0u8; usize::try_from(argmax).ok()?];
    let mut size = buf.len();
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
    // SAFETY: buf is writable for `size` bytes; the kernel sets size to what it wrote.
    let ok = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if ok != 0 {
        return None;
    }
    buf.truncate(size.min(buf.len()));
    Some(buf)
}

pub fn cmdline_of(pid: u32) -> Option<Vec<String>> {
    let raw = procargs_of(pid)?;
    let args = split_procargs(&raw)?.args;
    Some(
        args.into_iter()
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

pub fn environ_of(pid: u32) -> Option<Vec<Vec<u8>>> {
    let raw = procargs_of(pid)?;
    let env = split_procargs(&raw)?.env;
    Some(env.into_iter().map(<[u8]>::to_vec).collect())
}

/// macOS reports no peak resident size for another process.
pub fn peak_rss_bytes(_pid: u32) -> Option<u64> {
    None
}

/// `pti_resident_size` of `proc_pidinfo(PROC_PIDTASKINFO)`, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let pid = c_pid(pid)?;
    let size = libc::c_int::try_from(size_of::<libc::proc_taskinfo>()).ok()?;
    let mut info = MaybeUninit::<libc::proc_taskinfo>::zeroed();
    // SAFETY: info is a writable proc_taskinfo of `size` bytes.
    let got = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDTASKINFO,
            0,
            info.as_mut_ptr().cast(),
            size,
        )
    };
    if got != size {
        return None;
    }
    // SAFETY: zero-initialised plain C data, filled in full by the kernel (checked above).
    Some(unsafe { info.assume_init() }.pti_resident_size)
}

pub fn cpu_model() -> Option<String> {
    let name = c"machdep.cpu.brand_string";
    let mut buf = [0u8; 256];
    let mut size = buf.len();
    // SAFETY: name is NUL-terminated; buf is writable for `size` bytes, which the kernel
    // sets to the length written (NUL included).
    let ok = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if ok != 0 {
        return None;
    }
    let text = CStr::from_bytes_until_nul(&buf[..size.min(buf.len())]).ok()?;
    let text = text.to_string_lossy().trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// # Safety
/// See [`super::set_parent_death_signal`]: runs between fork and exec.
pub unsafe fn set_parent_death_signal(signal: libc::c_int) -> std::io::Result<()> {
    // SAFETY: getppid and fork are async-signal-safe. We are the freshly forked child
    // (single-threaded), so forking again is well defined; the watcher only makes
    // async-signal-safe calls and ends in _exit, never returning into Rust code.
    unsafe {
        let starter = libc::getppid();
        match libc::fork() {
            -1 => Err(std::io::Error::last_os_error()),
            0 => watch(starter, signal),
            _ => Ok(()),
        }
    }
}

/// The watcher: waits for `starter` (the process that started the child) or the child (our
/// parent) to exit; in the first case sends `signal` to the child. Never returns.
///
/// # Safety
/// Only in the watcher forked by [`set_parent_death_signal`].
unsafe fn watch(starter: libc::pid_t, signal: libc::c_int) -> ! {
    // SAFETY: every call below is a plain syscall on values we own (descriptor numbers,
    // pids, a stack array of kevent structs); no allocation, no locks, no unwinding.
    unsafe {
        let child = libc::getppid();
        // Hold nothing the child's owners wait on: std's spawn reads its exec-error pipe
        // until EOF, a supervisor reads the child's stdout until EOF. Every inherited
        // descriptor goes, standard ones included.
        let max = libc::getdtablesize().clamp(3, 1 << 16);
        for fd in 0..max {
            libc::close(fd);
        }
        // Handlers the starting process installed (a signal pipe it no longer has here)
        // would swallow a stop signal sent to the child's process group.
        for s in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(s, libc::SIG_DFL);
        }
        let kq = libc::kqueue();
        if kq < 0 {
            libc::_exit(1);
        }
        let event = |pid: libc::pid_t| libc::kevent {
            ident: pid as libc::uintptr_t,
            filter: libc::EVFILT_PROC,
            flags: libc::EV_ADD | libc::EV_RECEIPT,
            fflags: libc::NOTE_EXIT,
            data: 0,
            udata: std::ptr::null_mut(),
        };
        let changes = [event(starter), event(child)];
        let mut receipts = [event(0), event(0)];
        // EV_RECEIPT: one answer per registration, `data` its errno (0 when watched).
        let n = libc::kevent(
            kq,
            changes.as_ptr(),
            2,
            receipts.as_mut_ptr(),
            2,
            std::ptr::null(),
        );
        if n < 0 {
            libc::_exit(1);
        }
        for r in &receipts[..n.clamp(0, 2) as usize] {
            if r.flags & libc::EV_ERROR != 0 && r.data != 0 {
                // Registration failed: that process is already gone (ESRCH).
                if r.ident == starter as libc::uintptr_t {
                    libc::kill(child, signal);
                }
                libc::_exit(0);
            }
        }
        let mut fired = event(0);
        loop {
            let n = libc::kevent(kq, std::ptr::null(), 0, &mut fired, 1, std::ptr::null());
            if n == 1 {
                if fired.ident == starter as libc::uintptr_t {
                    libc::kill(child, signal);
                }
                libc::_exit(0);
            }
            if n < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                libc::_exit(1);
            }
        }
    }
}
