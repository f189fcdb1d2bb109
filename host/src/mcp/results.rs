//! What an [`Answer`] becomes on the wire: a `CallToolResult` whose text a
//! person or a model reads, and whose structured content says what happened
//! and what to do next.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::CONFIRMATION_ARGUMENT;
use super::gateway::Answer;
use crate::plugins::ToolError;

/// The MCP result of an answer.
pub fn result_of(tool: &str, answer: Answer, token_argument: bool) -> CallToolResult {
    let summary = answer_summary(tool, &answer, token_argument);
    match answer {
        Answer::Done(value) => {
            let text = value.to_string();
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(if value.is_object() {
                value
            } else {
                json!({ "result": value })
            });
            result
        }
        Answer::Failed(error) => {
            let text = match &error {
                e if e.is_business_failure() => {
                    format!("{tool} refused: {}", error.customer_message())
                }
                // About the caller's own request: the detail helps it mend it.
                ToolError::InvalidArguments { .. } | ToolError::UnknownTool { .. } => {
                    error.to_string()
                }
                // A fault on our side: the detail is for the log, not the client.
                _ => {
                    tracing::warn!(tool, "MCP tool call failed: {error}");
                    error.customer_message()
                }
            };
            let mut result = error_text(&text);
            result.structured_content =
                Some(json!({"status": "failed", "code": error.code(), "message": text}));
            result
        }
        Answer::Denied { reason, .. } => {
            let mut result = error_text(&format!("Denied by the desk's policies: {reason}"));
            result.structured_content = Some(summary);
            result
        }
        Answer::BadToken(error) => {
            let mut result = error_text(&format!("Not confirmed: {error}"));
            result.structured_content = Some(summary);
            result
        }
        Answer::Escalated {
            reason, handoff_id, ..
        } => {
            let text = format!(
                "Not done: {reason} A colleague at the desk takes it from here (handoff #{handoff_id})."
            );
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(summary);
            result
        }
        Answer::NeedsConfirmation { reason, token, .. } => {
            let text = format!(
                "Nothing was done yet: {reason} To go ahead once the customer agrees, call {tool} \
                 again with the same arguments and {} (valid once, for {} minutes).",
                token_route(token_argument, &token),
                super::confirmations::TOKEN_LIFETIME.as_secs() / 60
            );
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(summary);
            result
        }
    }
}

/// Where the token goes on the second call: an argument, or the request's
/// `_meta` for a tool with an argument of that name of its own.
fn token_route(token_argument: bool, token: &str) -> String {
    if token_argument {
        format!("\"{CONFIRMATION_ARGUMENT}\": \"{token}\"")
    } else {
        format!(
            "\"{}\": \"{token}\" in the request's _meta",
            super::CONFIRMATION_META
        )
    }
}

pub fn error_text(text: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.to_string())])
}

/// The JSON an answer's structured content carries besides a tool's own
/// result: what happened, and what to do next.
fn answer_summary(tool: &str, answer: &Answer, token_argument: bool) -> Value {
    match answer {
        Answer::Done(_) => json!({"status": "done"}),
        Answer::Failed(error) => json!({"status": "failed", "code": error.code()}),
        Answer::Denied { reason, decision } => json!({
            "status": "denied", "reason": reason, "code": decision.code,
            "revision": decision.revision,
        }),
        Answer::Escalated {
            reason, handoff_id, ..
        } => json!({
            "status": "escalated", "reason": reason, "handoff_id": handoff_id,
            "next": "a colleague at the desk takes it from here; nothing was done yet",
        }),
        Answer::NeedsConfirmation { reason, token, .. } => json!({
            "status": "needs_confirmation",
            "reason": reason,
            "confirmation_token": token,
            "expires_in_seconds": super::confirmations::TOKEN_LIFETIME.as_secs(),
            "next": format!(
                "nothing was done yet; once the customer agrees, call {tool} again with the same \
                 arguments and {}", token_route(token_argument, token)
            ),
        }),
        Answer::BadToken(error) => json!({"status": "not_confirmed", "reason": error.to_string()}),
    }
}
