//! What can go wrong in the language-model engine.

use std::path::PathBuf;

/// Why a model could not be fetched, loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The model file is missing, unreadable or not GGUF.
    #[error("cannot load the model {path}: {reason}")]
    Load { path: PathBuf, reason: String },
    /// The GGUF file's architecture is not one deskhand runs.
    #[error(
        "{path}: architecture {arch:?} is not supported; deskhand runs llama, qwen2, qwen3 and gemma3 GGUF models"
    )]
    UnsupportedArchitecture { path: PathBuf, arch: String },
    /// The GGUF metadata lacks what a tokenizer needs.
    #[error("cannot build the tokenizer from the model's metadata: {0}")]
    Tokenizer(String),
    /// The chat template does not render.
    #[error("the chat template failed: {0}")]
    Template(String),
    /// A JSON Schema or choice list cannot be turned into a constraint.
    #[error("cannot constrain the output: {0}")]
    Constraint(String),
    /// The prompt does not fit in the model's context.
    #[error("the prompt has {tokens} tokens but the model's context holds {context}")]
    PromptTooLong { tokens: usize, context: usize },
    /// Too many requests are waiting; try again shortly.
    #[error("the model is busy: {waiting} requests are already waiting")]
    Busy { waiting: usize },
    /// The engine's worker stopped (a bug, or the process is shutting down).
    #[error("the model engine has stopped")]
    Stopped,
    /// The forward pass failed.
    #[error("the model failed while generating: {0}")]
    Inference(String),
    /// A LoRA adapter could not be read or does not fit the model.
    #[error(transparent)]
    Adapter(#[from] super::adapter::AdapterError),
    /// Fetching a model package failed; the message says how to do it by hand.
    #[error("{0}")]
    Fetch(String),
    /// The model server is down, too slow, or answered something that is
    /// not a chat completion.
    #[error("the model server at {url} failed: {reason}")]
    Remote { url: String, reason: String },
    /// The backend cannot do this; the text says what to use instead.
    #[error("not possible with this model backend: {0}")]
    Unsupported(String),
}

impl From<candle_core::Error> for LlmError {
    fn from(error: candle_core::Error) -> Self {
        LlmError::Inference(error.to_string())
    }
}
