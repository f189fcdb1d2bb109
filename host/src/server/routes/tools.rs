//! The tools: their manifests, and direct calls through the same schema
//! validation and policies the agent uses.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::agent::{ToolFailure, ToolOutcome};
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{GatedCall, ToolCall};
use crate::server::auth::Caller;
use crate::server::body::ApiJson;
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
    Path(name): Path<String>,
    ApiJson(request): ApiJson<InvokeRequest>,
) -> Result<Json<ToolOutcome>, ApiError> {
    let customer = caller.customer()?.to_string();
    let agent = state.agent.clone();
    if agent.gate().tools().get(&name).is_none() {
        return Err(ApiError::NotFound(format!(
            "there is no tool named {name:?}; GET /v1/tools lists them"
        )));
    }
    if !request.args.is_object() {
        return Err(ApiError::field(
            "args",
            "must be a JSON object of the tool's arguments",
        ));
    }
    let args = request.args.clone();
    let confirmed = request.confirmed;
    let tool = name.clone();
    let gated = tokio::task::spawn_blocking(move || {
        let scope = CustomerScope::new(customer, agent.orders().clone(), agent.clock().clone());
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
    let outcome = match gated {
        Ok(GatedCall::Ran { decision, result }) => match result {
            Ok(result) => outcome(&name, &request.args, decision, true, Some(result), None),
            Err(error) => {
                let error = refusal(error)?;
                outcome(&name, &request.args, decision, true, None, Some(error))
            }
        },
        Ok(GatedCall::Stopped { decision }) => {
            outcome(&name, &request.args, Some(decision), false, None, None)
        }
        Err(error) => {
            let error = refusal(error)?;
            outcome(&name, &request.args, None, false, None, Some(error))
        }
    };
    state.metrics.tool_call(&outcome);
    Ok(Json(outcome))
}

fn outcome(
    tool: &str,
    args: &Value,
    decision: Option<crate::policy::Decision>,
    executed: bool,
    result: Option<Value>,
    error: Option<ToolFailure>,
) -> ToolOutcome {
    ToolOutcome {
        tool: tool.to_string(),
        args: args.clone(),
        decision,
        executed,
        lookup: false,
        result,
        error,
    }
}

/// A tool's business refusal is part of the answer; bad arguments are the
/// caller's 400; a plugin that crashed or ran out of time is a 502.
fn refusal(error: ToolError) -> Result<ToolFailure, ApiError> {
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
            Err(ApiError::BadRequest {
                message: format!("{field}: {}", crate::plugins::schema_describe(&violations)),
                field: Some(field),
            })
        }
        ToolError::UnknownTool { name, .. } => Err(ApiError::NotFound(format!(
            "there is no tool named {name:?}; GET /v1/tools lists them"
        ))),
        ToolError::Failed { code, message, .. } => Ok(ToolFailure { code, message }),
        other => Err(ApiError::ToolFailed(other.to_string())),
    }
}
