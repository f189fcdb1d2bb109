//! What an [`Answer`] becomes on the wire: a `CallToolResult` whose text a
//! person or a model reads, and whose structured content says what happened
//! and what to do next.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::CONFIRMATION_ARGUMENT;
use super::gateway::Answer;

/// The MCP result of an answer.
pub fn result_of(tool: &str, answer: Answer) -> CallToolResult {
    let summary = answer_summary(tool, &answer);
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
            let text = if error.is_business_failure() {
                format!("{tool} refused: {}", error.customer_message())
            } else {
                error.to_string()
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
                 again with the same arguments and \"{CONFIRMATION_ARGUMENT}\": \"{token}\" \
                 (valid once, for {} minutes).",
                super::confirmations::TOKEN_LIFETIME.as_secs() / 60
            );
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(summary);
            result
        }
    }
}

pub fn error_text(text: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.to_string())])
}

/// The JSON an answer's structured content carries besides a tool's own
/// result: what happened, and what to do next.
fn answer_summary(tool: &str, answer: &Answer) -> Value {
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
                 arguments and \"{}\": \"{token}\"", super::CONFIRMATION_ARGUMENT
            ),
        }),
        Answer::BadToken(error) => json!({"status": "not_confirmed", "reason": error.to_string()}),
    }
}
