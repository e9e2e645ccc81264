//! `serve-mcp --http`: the team server over MCP streamable HTTP (rmcp's transport, served
//! by hyper, HTTP/1.1 without TLS), for agents on other hosts (docs/remote.md). One
//! long-lived process serves every agent that shows a bearer token:
//!
//! - no `Authorization: Bearer` header, or a token no agent has: **401** (with
//!   `WWW-Authenticate: Bearer`);
//! - the token of an agent that ended (stopped or dead) or of a finalized team: **403**;
//! - otherwise the request is served as that agent: a worker's token acts as that worker
//!   (worker tools only), a lead credential as its team's lead, with the same per-call
//!   checks as a stdio server with that identity.
//!
//! A refused request never reaches a tool and changes nothing in the store. Tokens are
//! compared by their sha256 against the store and never logged. Each token gets one
//! [`TeamServer`] (its own identity and session state), made at its first request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use tokio::net::TcpListener;
pub use tokio_util::sync::CancellationToken;
use tower_service::Service;

use crate::engine::Engine;
use crate::engine::bearer::Bearer;
use crate::engine::team::token_hash;
use crate::server::{TeamServer, server_info};
use crate::session::Identity;

/// The path of the MCP endpoint: `http://HOST:PORT/mcp`.
pub const PATH: &str = "/mcp";

/// The largest request body accepted: the stdio server's line limit (an artifact of 4 MiB
/// is larger once escaped as JSON).
const MAX_BODY: usize = crate::framing::MAX_LINE;

type Body = BoxBody<Bytes, Infallible>;
type Mcp = StreamableHttpService<HttpFace, LocalSessionManager>;

/// Refuses a non-loopback address unless `allow_remote`: anyone who can reach the port may
/// try tokens, and the traffic (tokens included) is plain HTTP.
pub fn check_bind(addr: &SocketAddr, allow_remote: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || allow_remote {
        return Ok(());
    }
    Err(format!(
        "--http {addr} is not a loopback address: every host that reaches it could try tokens over \
         plain HTTP; bind 127.0.0.1 (with a TLS reverse proxy in front for other hosts, see \
         docs/remote.md), or pass --allow-remote to serve {addr} as it is"
    ))
}

/// Serves MCP on `listener` until `stop` is cancelled, then ends every session. Workers a
/// lead launched through this server are the caller's to stop.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    allow_remote: bool,
    workspace: Option<PathBuf>,
    stop: CancellationToken,
) {
    let gate = Arc::new(Gate {
        engine,
        workspace,
        servers: Mutex::new(HashMap::new()),
    });
    let mut config = StreamableHttpServerConfig::default().with_max_request_body_bytes(MAX_BODY);
    config.cancellation_token = stop.child_token();
    if allow_remote {
        // The `Host` check guards a loopback server against DNS rebinding; a server meant
        // for other hosts is reached by names we cannot know. Tokens still gate every call.
        config = config.disable_allowed_hosts();
    } else if let Ok(bound) = listener.local_addr() {
        // rmcp's default names 127.0.0.1, ::1 and localhost; a server bound to another
        // loopback address (127.0.0.2) is reached by that address.
        config = config.with_allowed_hosts([
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
            bound.ip().to_string(),
        ]);
    }
    let mcp: Mcp = StreamableHttpService::new(
        || Ok(HttpFace),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => break,
        };
        let gate = gate.clone();
        let mcp = mcp.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let gate = gate.clone();
                let mcp = mcp.clone();
                async move { Ok::<_, Infallible>(gate.handle(req, mcp, peer).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                served = conn => if let Err(err) = served {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                },
                _ = stop.cancelled() => {}
            }
        });
    }
    gate.ended();
}

/// Who may come in, and the server of each token that did.
struct Gate {
    engine: Arc<Engine>,
    workspace: Option<PathBuf>,
    /// Per token (by its sha256): the server acting for its agent.
    servers: Mutex<HashMap<String, TeamServer>>,
}

/// The server a request was admitted to, handed to [`HttpFace`] in the request's extensions.
#[derive(Clone)]
struct Admitted(TeamServer);

impl Gate {
    async fn handle(
        &self,
        mut req: Request<Incoming>,
        mut mcp: Mcp,
        peer: SocketAddr,
    ) -> Response<Body> {
        if req.uri().path() != PATH {
            return refusal(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("the MCP endpoint is {PATH}"),
            );
        }
        match self.admit(req.headers()) {
            Ok(server) => {
                req.extensions_mut().insert(Admitted(server));
            }
            Err((status, code, message)) => {
                // The reason names the agent or team, never the token. An unknown token is
                // a warning (a misconfiguration, or someone guessing); an ended agent's is
                // routine (its Codex closing its session after the stop).
                if status == StatusCode::FORBIDDEN {
                    tracing::info!(%peer, status = status.as_u16(), reason = %message, "refused an MCP request");
                } else {
                    tracing::warn!(%peer, status = status.as_u16(), reason = %message, "refused an MCP request");
                }
                return refusal(status, code, message);
            }
        }
        match mcp.call(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// The server for the request's bearer token, or the refusal to answer with.
    fn admit(&self, headers: &HeaderMap) -> Result<TeamServer, (StatusCode, &'static str, String)> {
        let unauthorized = |message: &str| {
            (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                message.to_string(),
            )
        };
        let token = bearer_token(headers).ok_or_else(|| {
            unauthorized(
                "no bearer token: send `Authorization: Bearer <token>` with a worker's \
                 CODEX_TEAMS_AGENT_TOKEN or the team's lead_secret",
            )
        })?;
        let internal = |err: String| {
            tracing::error!(error = %err, "admitting an MCP request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal", err)
        };
        // Every request: is the token (still) a live agent's? It may have ended, or its
        // team been finalized, since its last request.
        let bearer = self
            .engine
            .bearer(token)
            .map_err(|e| internal(e.to_string()))?;
        let key = token_hash(token);
        match &bearer {
            Bearer::Unknown => return Err(unauthorized("this bearer token belongs to no agent")),
            Bearer::Refused(why) => {
                return Err((StatusCode::FORBIDDEN, "forbidden", why.clone()));
            }
            Bearer::Worker { .. } | Bearer::Lead { .. } => {}
        }
        if let Some(server) = self.servers.lock().ok().and_then(|s| s.get(&key).cloned()) {
            return Ok(server);
        }
        // The token's first request: a server acting for its agent.
        let made = match bearer {
            Bearer::Worker { team_id, agent_id } => TeamServer::new(
                self.engine.clone(),
                Identity::Worker {
                    team_id,
                    agent_id,
                    token: token.to_string(),
                },
                self.workspace.clone(),
            ),
            Bearer::Lead { team_id } => {
                TeamServer::lead_of(self.engine.clone(), team_id, self.workspace.clone())
            }
            Bearer::Unknown | Bearer::Refused(_) => {
                return Err(internal("a refused token was admitted".to_string()));
            }
        };
        let server = made.map_err(|e| internal(e.to_string()))?;
        let mut servers = self
            .servers
            .lock()
            .map_err(|_| internal("the token table is poisoned".to_string()))?;
        // Two first requests of one token at once: both are served by the first made.
        Ok(servers.entry(key).or_insert(server).clone())
    }

    /// The server stops: charge what each session's Codex asked after its last call.
    fn ended(&self) {
        let servers: Vec<TeamServer> = self
            .servers
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        for server in servers {
            server.session_ended();
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is a non-empty one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A refusal as JSON: `{"error": code, "message": ...}`.
fn refusal(status: StatusCode, code: &str, message: String) -> Response<Body> {
    let body = serde_json::json!({ "error": code, "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer realm=\"codex-teams\""),
        );
    }
    response
}

/// The MCP handler of every HTTP session: each request is served by the [`TeamServer`] its
/// bearer token was admitted to, so one session never acts for another token's agent.
#[derive(Clone)]
struct HttpFace;

fn admitted(context: &RequestContext<RoleServer>) -> Result<TeamServer, McpError> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Admitted>())
        .map(|a| a.0.clone())
        .ok_or_else(|| McpError::internal_error("the request was not admitted", None))
}

impl ServerHandler for HttpFace {
    fn get_info(&self) -> ServerConfig {
        server_info()
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        admitted(&context)?.list_tools(request, context).await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        admitted(&context)?.call_tool(request, context).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            http::HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn the_bearer_token_is_read_from_the_authorization_header() {
        assert_eq!(bearer_token(&auth("Bearer ctt_abc")), Some("ctt_abc"));
        assert_eq!(bearer_token(&auth("bearer  ctl_x ")), Some("ctl_x"));
        assert_eq!(bearer_token(&auth("Bearer ")), None);
        assert_eq!(bearer_token(&auth("Basic dXNlcjpwdw==")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn only_loopback_binds_without_allow_remote() {
        let local: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let local6: SocketAddr = "[::1]:8765".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:8765".parse().expect("addr");
        assert!(check_bind(&local, false).is_ok());
        assert!(check_bind(&local6, false).is_ok());
        let err = check_bind(&any, false).expect_err("refused");
        assert!(err.contains("--allow-remote"), "{err}");
        assert!(check_bind(&any, true).is_ok());
    }
}
