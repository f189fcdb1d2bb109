//! `/mcp`: the desk as an MCP server over streamable HTTP, behind the same
//! bearer keys as the API. Every request is checked; the key's customer is
//! who the calls act for.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::mcp::{DeskGateway, McpCaller};
use crate::server::auth::Caller;
use crate::server::state::AppState;

/// The `/mcp` routes of `state`'s agent.
pub fn router(state: Arc<AppState>, allowed_hosts: Vec<String>) -> Router<Arc<AppState>> {
    let gateway = Arc::new(DeskGateway::for_agent(&state.agent));
    Router::new()
        .nest_service("/mcp", crate::mcp::http::service(gateway, allowed_hosts))
        .layer(middleware::from_fn_with_state(state, authenticate))
}

/// Refuses a request without a known key (401), and tells the MCP server
/// whom the others act for.
async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => {
            parts.extensions.insert(McpCaller {
                customer_id: caller.customer_id,
            });
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refusal.into_response(),
    }
}
