//! `codex-teams serve-mcp`: the MCP server over stdio. stdout is the protocol channel, so
//! everything else goes to stderr. When the session ends (stdin closes: the Codex process
//! that started this server exited) or the process is asked to stop, every worker this
//! server launched is stopped first: no team process outlives its lead. A watchdog also
//! notices when the parent process is gone without closing stdin first.
//!
//! With `--http ADDR` it is instead one long-lived team server over MCP streamable HTTP
//! (mcp/server/src/http.rs, docs/remote.md), until SIGINT or SIGTERM.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use rmcp::ServiceExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::ServeArgs;
use crate::commands::Paths;
use crate::engine::runner::codex_exec;
use crate::mcp::{Identity, TeamServer, framing, http};

/// Said on stderr when a person starts the server in a terminal, where it would otherwise
/// wait silently for JSON-RPC on stdin.
const BY_HAND: &str = "codex-teams serve-mcp speaks MCP (JSON-RPC) on stdin/stdout; \
Codex starts it for you.\n\
To use it: run `codex-teams install` once, then start `codex` and ask for `use agents team: <goal>`.\n\
To check the setup: `codex-teams check-config`. Press Ctrl-D or Ctrl-C to quit.";

/// `serve-mcp`: the team server over stdio, or over HTTP with `--http`.
pub fn run(args: &ServeArgs, paths: &Paths) -> Result<()> {
    match args.http {
        Some(addr) => run_http(addr, args.allow_remote, paths),
        None => run_stdio(paths),
    }
}

fn run_stdio(paths: &Paths) -> Result<()> {
    // Before any thread starts: one allocator arena keeps a long-lived server's freed
    // memory in one place, where the housekeeping ticker can return it.
    crate::platform::memory::single_arena();
    if std::io::stdin().is_terminal() {
        eprintln!("{BY_HAND}");
    }
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    let engine = paths.open()?;
    let identity = Identity::from_env()?;
    let workspace = std::env::current_dir().ok();
    let server = TeamServer::new(engine.clone(), identity, workspace)?;
    let session = server.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(async move {
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        // Our own framing in front of rmcp: every unparsable or invalid line is answered.
        let (read, write) =
            tokio::io::split(framing::start(tokio::io::stdin(), tokio::io::stdout()));
        let transport = rmcp::transport::async_rw::AsyncRwTransport::new_server(read, write)
            .with_max_line_length(framing::MAX_LINE + 2);
        // The whole session, from the wait for `initialize` on: a signal or the parent's
        // death ends it at any point, including before the client has said anything.
        let session = async move {
            let service = server
                .serve(transport)
                .await
                .context("starting the MCP session on stdio")?;
            tracing::info!("serving MCP on stdio");
            service.waiting().await.context("MCP session ended with an error")?;
            Ok::<_, anyhow::Error>(())
        };
        let orphaned = tokio::task::spawn_blocking(move || wait_until_orphaned(parent));
        tokio::select! {
            ended = session => ended?,
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
            _ = orphaned => tracing::info!("the Codex process that started this server is gone: shutting down"),
        }
        Ok::<_, anyhow::Error>(())
    });
    codex_exec::shutdown_all(&engine, "the lead's Codex session ended");
    session.session_ended();
    // Long-polls may still be sleeping on blocking threads; do not wait for them.
    runtime.shutdown_background();
    outcome
}

/// `serve-mcp --http ADDR`: one team server for agents anywhere that reach ADDR, each
/// request authenticated by its bearer token (docs/remote.md). It runs until SIGINT or
/// SIGTERM, then stops the workers it launched, as a stdio lead does when its session ends.
fn run_http(addr: std::net::SocketAddr, allow_remote: bool, paths: &Paths) -> Result<()> {
    http::check_bind(&addr, allow_remote).map_err(anyhow::Error::msg)?;
    crate::platform::memory::single_arena();
    let engine = paths.open()?;
    let workspace = std::env::current_dir().ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = engine.clone();
    let outcome = runtime.block_on(async move {
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--http {addr}: cannot listen there"))?;
        let bound = listener
            .local_addr()
            .with_context(|| format!("--http {addr}: the bound address"))?;
        let url = format!("http://{bound}{}", http::PATH);
        // For scripts and tests: the URL (with the port 0 chose) is stdout's first line.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{url}")
                .and_then(|()| out.flush())
                .context("writing the URL to stdout")?;
        }
        // For the person who started it (stderr's log filter shows warnings only).
        eprintln!(
            "codex-teams: serving MCP over HTTP at {url}; every request needs an agent's bearer token; Ctrl-C stops"
        );
        tracing::info!(%url, allow_remote, "serving MCP over streamable HTTP");
        let stop = http::CancellationToken::new();
        let server = tokio::spawn(http::serve(
            served,
            listener,
            allow_remote,
            workspace,
            stop.clone(),
        ));
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        }
        stop.cancel();
        if let Err(err) = server.await {
            tracing::warn!(error = %err, "the HTTP server task failed");
        }
        Ok::<_, anyhow::Error>(())
    });
    codex_exec::shutdown_all(&engine, "the team server over HTTP stopped");
    runtime.shutdown_background();
    outcome
}

/// Returns once this process's parent has changed (the Codex process that started it died,
/// for example killed with SIGKILL). Closing stdin is the normal end of a session, but the
/// MCP session only notices that after an in-flight call returns, and a `team_pull_inbox`
/// long-poll can hold one for up to 25 s; the workers must not outlive their lead that long.
fn wait_until_orphaned(parent: libc::pid_t) {
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        // SAFETY: getppid has no preconditions.
        let now = unsafe { libc::getppid() };
        // Started by init (or already orphaned at start): only stdin can end the session.
        if parent > 1 && now != parent {
            return;
        }
    }
}
