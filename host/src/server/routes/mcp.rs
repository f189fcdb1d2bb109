//! `/mcp`: the desk as an MCP server over streamable HTTP, behind the same
//! bearer keys as the API. Every request is checked; the key's customer is
//! who the calls act for, and a session belongs to whoever opened it: a
//! request with another caller's session id is refused, whatever its key.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use crate::mcp::{DeskGateway, McpCaller};
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// The header that names an MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

/// The most sessions whose owner is remembered; beyond, the oldest go.
const MAX_SESSIONS: usize = 10_000;

/// What the check in front of `/mcp` keeps.
#[derive(Clone)]
struct McpAuth {
    state: Arc<AppState>,
    /// Session id → who opened it (role and customer), in opening order.
    owners: Arc<Mutex<Vec<(String, String)>>>,
}

/// The `/mcp` routes of `state`'s agent.
pub fn router(state: Arc<AppState>, allowed_hosts: Vec<String>) -> Router<Arc<AppState>> {
    let gateway = Arc::new(DeskGateway::for_agent(&state.agent));
    let auth = McpAuth {
        state,
        owners: Arc::default(),
    };
    Router::new()
        .nest_service("/mcp", crate::mcp::http::service(gateway, allowed_hosts))
        .layer(middleware::from_fn_with_state(auth, authenticate))
}

/// Refuses a request without a known key (401) or with someone else's
/// session (403), and tells the MCP server whom the others act for.
async fn authenticate(State(auth): State<McpAuth>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &auth.state).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let who = format!(
        "{:?}:{}",
        caller.role,
        caller.customer_id.as_deref().unwrap_or("-")
    );
    let session = parts
        .headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(id) = &session {
        let owners = auth.owners.lock();
        if owners.iter().any(|(s, owner)| s == id && *owner != who) {
            return ApiError::Forbidden(
                "this MCP session was opened with another key; open your own session".into(),
            )
            .into_response();
        }
    }
    let closing = parts.method == Method::DELETE;
    parts.extensions.insert(McpCaller {
        customer_id: caller.customer_id,
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    let mut owners = auth.owners.lock();
    match (&session, response.headers().get(SESSION_HEADER)) {
        (Some(id), _) if closing && response.status().is_success() => {
            owners.retain(|(s, _)| s != id);
        }
        (None, Some(opened)) => {
            if let Ok(opened) = opened.to_str() {
                if owners.len() >= MAX_SESSIONS {
                    owners.remove(0);
                }
                owners.push((opened.to_string(), who));
            }
        }
        _ => {}
    }
    response
}
