//! The one interface to a language model that the agent, `generate`, the
//! evaluator and the tuner's evaluation use: [`ModelBackend`], implemented
//! by the local [`Engine`] (native kernels or candle) and by
//! [`RemoteModel`](super::RemoteModel), an OpenAI-compatible
//! chat-completions server (llama.cpp's server, vLLM, Ollama).
//!
//! A backend takes a [`ModelPrompt`] (messages, or raw text), not tokens:
//! a local engine renders and tokenizes it with the model's own chat
//! template, a server does the same on its side.

use serde_json::Value;

use super::engine::Engine;
use super::error::LlmError;
use super::generation::{Choice, Generation, GenerationStats, Output};
use super::sampler::SamplingParams;
use super::template::ChatMessage;

/// What the model is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelPrompt {
    /// A conversation, answered as the assistant's next turn. The first
    /// `fixed_messages` (the system prompt, say) are the same from turn to
    /// turn, so a local engine keeps their state cached.
    Chat {
        messages: Vec<ChatMessage>,
        fixed_messages: usize,
    },
    /// Raw text to continue, without a chat template.
    Text(String),
}

impl ModelPrompt {
    /// A conversation whose first `fixed_messages` are a stable prefix.
    pub fn chat(messages: &[ChatMessage], fixed_messages: usize) -> Self {
        ModelPrompt::Chat {
            messages: messages.to_vec(),
            fixed_messages,
        }
    }

    /// Raw text.
    pub fn text(text: impl Into<String>) -> Self {
        ModelPrompt::Text(text.into())
    }
}

/// A language model, local or remote.
pub trait ModelBackend: Send + Sync {
    /// What runs the model, for logs and reports: the file and engine, or
    /// the server and model name.
    fn describe(&self) -> String;

    /// How many requests wait for the model (0 when unknown).
    fn queue_depth(&self) -> usize;

    /// Starts generating; events stream back as they happen. Generation
    /// stops before any of `params.stop`, and `Output::Json` output is
    /// valid against its schema.
    fn generate(
        &self,
        prompt: &ModelPrompt,
        params: SamplingParams,
        output: Output,
    ) -> Result<Generation, LlmError>;

    /// Generates JSON valid against `schema` (blocking) and parses it.
    fn generate_json(
        &self,
        prompt: &ModelPrompt,
        schema: &Value,
        params: SamplingParams,
    ) -> Result<(Value, GenerationStats), LlmError>;

    /// Picks the most likely of `options` as the reply to `prompt`
    /// (blocking), with a probability for each.
    fn choose(&self, prompt: &ModelPrompt, options: &[&str]) -> Result<Choice, LlmError>;

    /// The log-probability of `text` as the reply to `prompt` (blocking),
    /// with its number of tokens. [`LlmError::Unsupported`] where the
    /// backend cannot score a given text.
    fn log_likelihood(&self, prompt: &ModelPrompt, text: &str) -> Result<(f32, usize), LlmError>;
}

impl Engine {
    /// The prompt in tokens, with the model's chat template.
    fn tokens_for(&self, prompt: &ModelPrompt) -> Result<super::generation::Prompt, LlmError> {
        match prompt {
            ModelPrompt::Chat {
                messages,
                fixed_messages,
            } => self.chat_prompt(messages, *fixed_messages),
            ModelPrompt::Text(text) => self.text_prompt(text),
        }
    }
}

impl ModelBackend for Engine {
    fn describe(&self) -> String {
        let info = self.info();
        format!(
            "{} ({}, {})",
            info.path.display(),
            info.architecture,
            info.engine
        )
    }

    fn queue_depth(&self) -> usize {
        Engine::queue_depth(self)
    }

    fn generate(
        &self,
        prompt: &ModelPrompt,
        params: SamplingParams,
        output: Output,
    ) -> Result<Generation, LlmError> {
        Engine::generate(self, self.tokens_for(prompt)?, params, output)
    }

    fn generate_json(
        &self,
        prompt: &ModelPrompt,
        schema: &Value,
        params: SamplingParams,
    ) -> Result<(Value, GenerationStats), LlmError> {
        Engine::generate_json(self, self.tokens_for(prompt)?, schema, params)
    }

    fn choose(&self, prompt: &ModelPrompt, options: &[&str]) -> Result<Choice, LlmError> {
        Engine::choose(self, self.tokens_for(prompt)?, options)
    }

    fn log_likelihood(&self, prompt: &ModelPrompt, text: &str) -> Result<(f32, usize), LlmError> {
        Engine::log_likelihood(self, self.tokens_for(prompt)?, text)
    }
}
