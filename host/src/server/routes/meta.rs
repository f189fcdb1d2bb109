//! Routes about the server itself: the web page, health, metrics, the
//! caller's identity and the demo keys.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};

use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// The web chat page: one self-contained file, no build step.
const INDEX_HTML: &str = include_str!("../../../web/index.html");

/// `GET /`.
pub async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// `GET /healthz`: the process is up (liveness), and what it runs.
pub async fn healthz(State(state): State<Arc<AppState>>) -> Json<Value> {
    let gate = state.agent.gate();
    Json(json!({
        "status": "ok",
        "host": state.host_id,
        "model": state.agent.model().describe(),
        "policy_revision": gate.policies().current().revision(),
        "plugins": gate.tools().catalog().plugins().count(),
        "queue_depth": state.admission.queue_depth(),
        "running_turns": state.admission.running(),
    }))
}

/// `GET /readyz`: whether this host can serve turns now (readiness): the
/// store answers a round trip and the policies are loaded. 503 otherwise,
/// so a load balancer sends the customers to another host.
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let agent = state.agent.clone();
    let probe = tokio::task::spawn_blocking(move || agent.records().check());
    // A probe answers quickly: a store slower than this is not ready.
    let store = match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) => {
            tracing::warn!(%error, "readiness: the store failed");
            Err("the store failed (see the log)")
        }
        Ok(Err(_)) => Err("the store check failed (see the log)"),
        Err(_) => Err("the store did not answer within 2 s"),
    };
    let revision = state
        .agent
        .gate()
        .policies()
        .current()
        .revision()
        .to_string();
    let body = json!({
        "host": state.host_id,
        "store": store.as_ref().err().copied().unwrap_or("ok"),
        "policy_revision": revision,
        "queue_depth": state.admission.queue_depth(),
    });
    match store {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "checks": body})),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "checks": body})),
        ),
    }
}

/// `GET /metrics`, in the Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.gauges()),
    )
}

/// `GET /v1/me`: who the key logs in as.
pub async fn me(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "role": caller.role,
        "customer_id": caller.customer_id,
        "name": display_name(&state, caller.customer_id.as_deref())?,
    })))
}

/// `GET /demo-keys`: the public demo keys in force (none in a real
/// deployment), so the page can offer them.
pub async fn demo_keys(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let keys: Vec<Value> = state
        .demo_keys
        .iter()
        .map(|key| {
            let name = display_name(&state, key.customer.as_deref())?;
            Ok(json!({"key": key.key, "role": key.role, "customer_id": key.customer, "name": name}))
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(json!({ "keys": keys })))
}

/// How the page greets a key's owner: the customer's name (their id if
/// the store does not know them), or "Staff".
fn display_name(state: &AppState, customer_id: Option<&str>) -> Result<String, ApiError> {
    Ok(match customer_id {
        Some(id) => state
            .agent
            .records()
            .customer(id)?
            .map(|c| c.name)
            .unwrap_or_else(|| id.to_string()),
        None => "Staff".into(),
    })
}

/// A known route with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Anything else.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /docs for the API".into())
}
