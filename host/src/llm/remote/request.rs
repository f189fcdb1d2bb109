//! The bodies of chat-completions requests: messages, sampling, stop
//! strings, and the structured-output parameter in the dialect the server
//! speaks.

use serde_json::{Map, Value, json};

use crate::llm::backend::ModelPrompt;
use crate::llm::sampler::SamplingParams;

/// How a server is asked for JSON that fits a schema, most standard first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredOutput {
    /// `response_format: {type: json_schema, json_schema: {schema}}`: the
    /// OpenAI form, spoken by vLLM, Ollama and llama.cpp's own server.
    JsonSchema,
    /// `response_format: {type: json_object, schema}`: llama-cpp-python's
    /// server.
    JsonObject,
    /// None: the schema goes into the prompt, and the reply is validated
    /// and asked again when it does not fit.
    PromptOnly,
}

impl StructuredOutput {
    /// Every form, in the order they are tried.
    pub const ALL: [StructuredOutput; 3] = [
        StructuredOutput::JsonSchema,
        StructuredOutput::JsonObject,
        StructuredOutput::PromptOnly,
    ];

    /// What the form is called in messages.
    pub fn label(self) -> &'static str {
        match self {
            StructuredOutput::JsonSchema => "response_format json_schema",
            StructuredOutput::JsonObject => "response_format json_object with a schema",
            StructuredOutput::PromptOnly => "the schema in the prompt",
        }
    }
}

/// The chat-completions endpoint under `base`: `…/v1/chat/completions`,
/// whether or not `base` already ends in `/v1`.
pub fn endpoint(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/{path}")
    } else {
        format!("{base}/v1/{path}")
    }
}

/// The `messages` of a request. A raw-text prompt becomes one user message:
/// a chat server has no way to continue text without its template.
pub fn messages(prompt: &ModelPrompt) -> Vec<Value> {
    match prompt {
        ModelPrompt::Chat { messages, .. } => messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect(),
        ModelPrompt::Text(text) => vec![json!({"role": "user", "content": text})],
    }
}

/// A request body for `model` with these sampling settings.
pub fn body(
    model: Option<&str>,
    messages: Vec<Value>,
    params: &SamplingParams,
    stream: bool,
) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(model) = model {
        body.insert("model".into(), json!(model));
    }
    body.insert("messages".into(), Value::Array(messages));
    body.insert("max_tokens".into(), json!(params.max_tokens.max(1)));
    body.insert("temperature".into(), json!(params.temperature.max(0.0)));
    if params.temperature > 0.0 {
        body.insert("top_p".into(), json!(params.top_p.clamp(0.0, 1.0)));
    }
    body.insert("seed".into(), json!(params.seed));
    // The API takes at most four; the rest are cut on this side too.
    let stop: Vec<&String> = params
        .stop
        .iter()
        .filter(|s| !s.is_empty())
        .take(4)
        .collect();
    if !stop.is_empty() {
        body.insert("stop".into(), json!(stop));
    }
    body.insert("stream".into(), json!(stream));
    body
}

/// Adds the structured-output parameter for `schema` in `form`; for
/// [`StructuredOutput::PromptOnly`] the schema is appended to the last
/// message instead.
pub fn constrain(body: &mut Map<String, Value>, schema: &Value, form: StructuredOutput) {
    match form {
        StructuredOutput::JsonSchema => {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema",
                       "json_schema": {"name": "reply", "schema": schema, "strict": true}}),
            );
        }
        StructuredOutput::JsonObject => {
            body.insert(
                "response_format".into(),
                json!({"type": "json_object", "schema": schema}),
            );
        }
        StructuredOutput::PromptOnly => {
            if let Some(Value::Array(messages)) = body.get_mut("messages")
                && let Some(last) = messages.last_mut()
                && let Some(Value::String(content)) = last.get_mut("content")
            {
                content.push_str(&format!(
                    "\n\nReply with one JSON value only, no other text, valid against this JSON Schema:\n{schema}"
                ));
            }
        }
    }
}

/// The JSON inside a reply: the reply itself, or the first fenced or
/// braced block in it (a server without structured output may wrap it).
pub fn json_in(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let unfenced = text
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    if let Ok(value) = serde_json::from_str(unfenced) {
        return Some(value);
    }
    let start = text.find(['{', '['])?;
    let end = text.rfind(['}', ']'])?;
    (end > start)
        .then(|| serde_json::from_str(&text[start..=end]).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;

    #[test]
    fn the_endpoint_is_found_with_or_without_v1() {
        assert_eq!(
            endpoint("http://127.0.0.1:8081", "chat/completions"),
            "http://127.0.0.1:8081/v1/chat/completions"
        );
        assert_eq!(endpoint("http://h:1/v1/", "models"), "http://h:1/v1/models");
    }

    #[test]
    fn a_body_carries_sampling_stop_strings_and_the_schema() {
        let prompt = ModelPrompt::chat(
            &[
                ChatMessage::new("system", "be brief"),
                ChatMessage::new("user", "hi"),
            ],
            1,
        );
        let params = SamplingParams {
            max_tokens: 12,
            stop: vec!["\n".into(), String::new()],
            ..SamplingParams::default()
        };
        let mut body = body(Some("smol"), messages(&prompt), &params, true);
        assert_eq!(body["model"], "smol");
        assert_eq!(body["max_tokens"], 12);
        assert_eq!(body["stop"], json!(["\n"]));
        assert_eq!(body["temperature"], 0.0);
        assert!(body.get("top_p").is_none(), "greedy needs no nucleus");
        let schema = json!({"type": "object"});
        constrain(&mut body, &schema, StructuredOutput::JsonSchema);
        assert_eq!(body["response_format"]["json_schema"]["schema"], schema);
        let mut plain = super::body(None, messages(&prompt), &params, false);
        constrain(&mut plain, &schema, StructuredOutput::PromptOnly);
        assert!(plain.get("response_format").is_none());
        assert!(
            plain["messages"][1]["content"]
                .as_str()
                .unwrap()
                .contains("JSON Schema")
        );
    }

    #[test]
    fn json_is_found_inside_chatter_and_fences() {
        assert_eq!(json_in(" {\"a\":1} "), Some(json!({"a": 1})));
        assert_eq!(json_in("```json\n{\"a\":2}\n```"), Some(json!({"a": 2})));
        assert_eq!(
            json_in("Sure! {\"a\":3} Hope it helps"),
            Some(json!({"a": 3}))
        );
        assert_eq!(json_in("no json here"), None);
    }
}
