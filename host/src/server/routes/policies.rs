//! `GET /v1/policies` and `GET /v1/handoffs`: what the shop's rules are now,
//! and what they passed on to people.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// `GET /v1/policies`: the active revision, each policy's parameters, and
/// the last change that was refused.
pub async fn policies(State(state): State<Arc<AppState>>, _caller: Caller) -> Json<Value> {
    let engine = state.agent.gate().policies();
    let status = engine.status();
    let set = engine.current();
    Json(json!({
        "revision": set.revision(),
        "loaded_at": status.loaded_at,
        "reloads": status.reloads,
        "rejected": status.rejected,
        "last_rejected": status.last_rejected,
        "policies": set.summaries(),
    }))
}

/// `GET /v1/handoffs`: every escalation, for staff.
pub async fn handoffs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require_staff()?;
    let handoffs = state.agent.conversations().handoffs()?;
    Ok(Json(json!({ "handoffs": handoffs })))
}
