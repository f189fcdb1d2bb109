//! JSON that must fit a schema, from a chat server: asked with the
//! structured-output form the server takes, validated here, asked again.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use super::client::{Client, reply_text};
use super::request::{StructuredOutput, body, constrain, json_in, messages};
use super::{RemoteConfig, remote_error, sse};
use crate::llm::backend::ModelPrompt;
use crate::llm::error::LlmError;
use crate::llm::generation::{FinishReason, GenerationStats};
use crate::llm::sampler::SamplingParams;

/// Asks for JSON valid against `schema`: with the structured-output form
/// the server takes (trying the next when it refuses one), validated here,
/// and asked again (with another seed) when the reply does not fit.
pub(super) async fn json_reply(
    client: Arc<Client>,
    config: RemoteConfig,
    prompt: ModelPrompt,
    schema: Value,
    params: SamplingParams,
) -> Result<(Value, GenerationStats), LlmError> {
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| LlmError::Constraint(format!("the schema is not valid: {e}")))?;
    let started = std::time::Instant::now();
    let mut problem = String::new();
    let mut attempt = 0;
    while attempt < config.json_attempts.max(1) {
        let form_index = client
            .structured
            .load(Ordering::SeqCst)
            .min(StructuredOutput::ALL.len() - 1);
        let form = StructuredOutput::ALL[form_index];
        let mut asked = params.clone();
        if attempt > 0 {
            asked.seed = params.seed.wrapping_add(attempt as u64);
            asked.temperature = params.temperature.max(0.5);
        }
        let mut request = body(config.model.as_deref(), messages(&prompt), &asked, false);
        constrain(&mut request, &schema, form);
        let reply = match client.complete(&request).await {
            Ok(reply) => reply,
            Err(error)
                if error.is_refusal_of(&["response_format", "json_schema", "schema"])
                    && form != StructuredOutput::PromptOnly =>
            {
                tracing::info!(server = %config.shown_url(), refused = form.label(), reason = %error.describe(),
                    "the model server does not take this structured-output form; trying the next");
                let _ = client.structured.compare_exchange(
                    form_index,
                    form_index + 1,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                continue;
            }
            Err(error) => return Err(remote_error(&config.shown_url(), &error)),
        };
        attempt += 1;
        let text = reply_text(&reply).map_err(|e| remote_error(&config.shown_url(), &e))?;
        match json_in(&text) {
            Some(value) if validator.is_valid(&value) => {
                let total_ms = started.elapsed().as_secs_f64() * 1e3;
                let usage = |key: &str| {
                    reply
                        .pointer(&format!("/usage/{key}"))
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as usize
                };
                let stats = GenerationStats {
                    prompt_tokens: usage("prompt_tokens"),
                    cached_tokens: 0,
                    generated_tokens: usage("completion_tokens"),
                    queue_ms: 0.0,
                    prefill_ms: total_ms,
                    first_token_ms: total_ms,
                    total_ms,
                    finish: FinishReason::Stop,
                };
                return Ok((value, stats));
            }
            Some(value) => {
                let why = validator
                    .iter_errors(&value)
                    .next()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                problem = format!("{value} does not fit the schema ({why})");
            }
            None => problem = format!("{:?} is not JSON", sse::excerpt(&text)),
        }
        tracing::warn!(server = %config.shown_url(), attempt, %problem, "the model's JSON does not fit; asking again");
    }
    Err(LlmError::Remote {
        url: config.shown_url(),
        reason: format!(
            "its reply did not fit the schema after {} tries: {problem}",
            config.json_attempts.max(1)
        ),
    })
}
