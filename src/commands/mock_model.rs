//! `codex-teams mock-model` (hidden): serve the deterministic mock Responses API on
//! 127.0.0.1 for end-to-end tests and offline benchmarks. Prints `listening on
//! 127.0.0.1:PORT` as its first stdout line, then serves until killed, or until stdin
//! closes when stdin is a pipe or socket (so a test harness that dies takes it along; a
//! shell's `&` gives `/dev/null`, which is not watched).

use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;

use anyhow::{Context, Result};

use crate::bench::mock::{MockConfig, MockServer, Script};
use crate::cli::MockModelArgs;

pub fn run(args: &MockModelArgs) -> Result<()> {
    let plan = match &args.plan {
        Some(spec) => Script::load(spec)?,
        None => Script::builtin("small").context("the built-in plan `small` is missing")?,
    };
    let server = MockServer::start(
        args.port,
        MockConfig {
            script: plan,
            log: args.log.clone(),
            capture_dir: args.capture_bodies.clone(),
        },
    )?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", server.addr())?;
        out.flush()?;
    }
    eprintln!("mock-model: serving on http://{}/v1", server.addr());
    if stdin_is_pipe() {
        let mut sink = [0u8; 4096];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        eprintln!("mock-model: stdin closed; stopping");
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}

/// Whether stdin is a pipe or socket (its EOF means the parent let go of us).
fn stdin_is_pipe() -> bool {
    std::fs::metadata("/dev/stdin")
        .map(|m| {
            let t = m.file_type();
            t.is_fifo() || t.is_socket()
        })
        .unwrap_or(false)
}
