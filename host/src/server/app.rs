//! The axum application: routes, body limit, request metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::routes::{chat, conversations, mcp, meta, openapi, policies, tools};
use super::state::AppState;

/// The whole application over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let address = state.address;
    let hosts = if address.ip().is_unspecified() {
        Vec::new()
    } else {
        vec![address.ip().to_string(), address.to_string()]
    };
    Router::new()
        .merge(mcp::router(state.clone(), hosts))
        .route("/", get(meta::index))
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/demo-keys", get(meta::demo_keys))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::docs))
        .route("/v1/me", get(meta::me))
        .route("/v1/chat", post(chat::chat))
        .route("/v1/conversations", get(conversations::list))
        .route("/v1/conversations/{id}", get(conversations::get))
        .route("/v1/history", get(conversations::history))
        .route("/v1/feedback", post(conversations::feedback))
        .route("/v1/tools", get(tools::list))
        .route("/v1/tools/{name}/invoke", post(tools::invoke))
        .route("/v1/policies", get(policies::policies))
        .route("/v1/handoffs", get(policies::handoffs))
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_request,
        ))
        .with_state(state)
}

/// Counts every request by route template and status, with its latency.
async fn record_request(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // Only standard methods become label values, so clients cannot create series.
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
