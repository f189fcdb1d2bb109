//! The tools: their manifests, and direct calls through the same schema
//! validation and policies the agent uses.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::agent::ToolOutcome;
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{GatedCall, ToolCall};
use crate::server::auth::Caller;
use crate::server::body::{ApiJson, ApiPath};
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// `GET /v1/tools`: every loaded tool's manifest.
pub async fn list(State(state): State<Arc<AppState>>, _caller: Caller) -> Json<Value> {
    let catalog = state.agent.gate().tools().catalog();
    let tools: Vec<Value> = catalog
        .plugins()
        .map(|plugin| {
            let manifest = plugin.manifest();
            json!({
                "name": manifest.name,
                "description": manifest.description,
                "version": manifest.version,
                "effect": manifest.effect,
                "params_schema": manifest.params.source(),
                "result_schema": manifest.result.source(),
                "examples": manifest.examples,
                "policies": state.agent.gate().policies().current().applies_to(&manifest.name),
            })
        })
        .collect();
    Json(json!({ "tools": tools }))
}

/// The body of `POST /v1/tools/{name}/invoke`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvokeRequest {
    /// The tool's arguments, checked against its `params-schema`.
    pub args: Value,
    /// The customer confirms a call a policy wants confirmed.
    #[serde(default)]
    pub confirmed: bool,
}

/// `POST /v1/tools/{name}/invoke`: runs for the caller's customer only. A
/// policy's deny, escalate or confirm is an answer (200, `executed: false`),
/// like a tool's own refusal; bad arguments are a 400.
pub async fn invoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(name): ApiPath,
    ApiJson(request): ApiJson<InvokeRequest>,
) -> Result<Json<ToolOutcome>, ApiError> {
    let customer = caller.customer()?.to_string();
    let agent = state.agent.clone();
    if agent.gate().tools().get(&name).is_none() {
        return Err(unknown_tool(&name));
    }
    if !request.args.is_object() {
        return Err(ApiError::field(
            "args",
            "must be a JSON object of the tool's arguments",
        ));
    }
    let ticket = state.tool_admission.admit().await?;
    let args = request.args.clone();
    let confirmed = request.confirmed;
    let tool = name.clone();
    let gated = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let scope = CustomerScope::new(customer, agent.records().clone(), agent.clock().clone());
        agent.gate().call(
            &scope,
            ToolCall {
                tool: &tool,
                args: &args,
                conversation_id: None,
                confirmed,
            },
        )
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the tool call stopped: {e}")))?;
    let failed = match &gated {
        Ok(GatedCall::Ran {
            result: Err(error), ..
        })
        | Err(error) => Some(error),
        _ => None,
    };
    if let Some(error) = failed.and_then(request_error) {
        return Err(error);
    }
    let outcome = ToolOutcome::from_call(&name, &request.args, &gated);
    state.metrics.tool_call(&outcome);
    Ok(Json(outcome))
}

/// The errors that are the request's fault (400, 404) or a broken plugin's
/// (502); `None` for a tool's business refusal, which is part of the answer.
fn request_error(error: &ToolError) -> Option<ApiError> {
    match error {
        ToolError::InvalidArguments { violations, .. } => {
            let field = violations
                .first()
                .map(|v| {
                    if v.field.is_empty() {
                        "args".to_string()
                    } else {
                        format!("args.{}", v.field)
                    }
                })
                .unwrap_or_else(|| "args".into());
            Some(ApiError::BadRequest {
                message: format!("{field}: {}", crate::plugins::schema_describe(violations)),
                field: Some(field),
            })
        }
        // Removed by a hot reload since the check above.
        ToolError::UnknownTool { name, .. } => Some(unknown_tool(name)),
        ToolError::Failed { .. } => None,
        other => Some(ApiError::ToolFailed(other.to_string())),
    }
}

fn unknown_tool(name: &str) -> ApiError {
    ApiError::NotFound(format!(
        "there is no tool named {name:?}; GET /v1/tools lists them"
    ))
}
