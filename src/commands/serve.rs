//! `codex-teams serve-mcp`: the MCP server over stdio. stdout is the protocol channel, so
//! everything else goes to stderr.

use anyhow::{Context, Result};
use rmcp::ServiceExt;

use crate::commands::Paths;
use crate::mcp::{Identity, TeamServer};

pub fn run(paths: &Paths) -> Result<()> {
    let engine = paths.open()?;
    let identity = Identity::from_env()?;
    let workspace = std::env::current_dir().ok();
    let server = TeamServer::new(engine, identity, workspace)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the MCP session on stdio")?;
        tracing::info!("serving MCP on stdio");
        service
            .waiting()
            .await
            .context("MCP session ended with an error")?;
        Ok::<_, anyhow::Error>(())
    })?;
    // Long-polls may still be sleeping on blocking threads; do not wait for them.
    runtime.shutdown_background();
    Ok(())
}
