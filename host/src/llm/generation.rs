//! What a generation is made of: the prompt going in, the kind of output,
//! the events coming out, and the numbers at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc as events;

use super::error::LlmError;

/// A prompt, ready for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub tokens: Vec<u32>,
    /// `tokens[..cache_prefix]` is a fixed prefix (system prompt, tool list)
    /// worth keeping in the prefix cache.
    pub cache_prefix: usize,
}

/// What kind of output to produce.
#[derive(Debug, Clone)]
pub enum Output {
    /// Free text.
    Text,
    /// JSON valid against this schema.
    Json(Value),
}

/// One piece of a generation, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// New text.
    Text(String),
    /// The end, with the numbers.
    Done(GenerationStats),
    /// The generation failed.
    Failed(String),
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FinishReason {
    /// An end-of-turn token, a stop string, or a complete constrained value.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The caller cancelled.
    Cancelled,
}

/// The numbers of one generation.
#[derive(Debug, Clone, Serialize)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Prompt tokens whose state came from the prefix cache.
    pub cached_tokens: usize,
    pub generated_tokens: usize,
    /// Time spent waiting in the queue.
    pub queue_ms: f64,
    /// Time to run the uncached part of the prompt.
    pub prefill_ms: f64,
    /// From the start of the request to the first generated token.
    pub first_token_ms: f64,
    pub total_ms: f64,
    pub finish: FinishReason,
}

impl GenerationStats {
    /// Prompt tokens per second over the uncached part.
    pub fn prefill_tokens_per_second(&self) -> f64 {
        (self.prompt_tokens - self.cached_tokens) as f64 / (self.prefill_ms / 1e3).max(1e-9)
    }

    /// Generated tokens per second after the first.
    pub fn decode_tokens_per_second(&self) -> f64 {
        let decode_ms = self.total_ms - self.first_token_ms;
        self.generated_tokens.saturating_sub(1) as f64 / (decode_ms / 1e3).max(1e-9)
    }
}

/// A running generation: its events, and a way to stop it.
pub struct Generation {
    pub(super) events: events::UnboundedReceiver<Event>,
    pub(super) cancel: Arc<AtomicBool>,
}

impl Generation {
    /// The next event (async).
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// The next event, blocking; for code outside the async runtime.
    pub fn next_blocking(&mut self) -> Option<Event> {
        self.events.blocking_recv()
    }

    /// Asks the worker to stop; the stream then ends with `Done(cancelled)`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// A handle that cancels this generation from elsewhere.
    pub fn cancel_handle(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Waits for the end (blocking) and returns the whole text.
    pub fn collect_blocking(mut self) -> Result<(String, GenerationStats), LlmError> {
        let mut text = String::new();
        while let Some(event) = self.next_blocking() {
            match event {
                Event::Text(piece) => text.push_str(&piece),
                Event::Done(stats) => return Ok((text, stats)),
                Event::Failed(reason) => return Err(LlmError::Inference(reason)),
            }
        }
        Err(LlmError::Stopped)
    }
}

impl Drop for Generation {
    /// A generation nobody reads any more stops, and frees the model (or
    /// the server's slot) for the next.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// The model's scores for a fixed set of options.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// Index of the most likely option.
    pub best: usize,
    /// Log-probability of each option's tokens after the prompt.
    pub log_probs: Vec<f32>,
    /// The same, normalised over the options (they add up to 1).
    pub probabilities: Vec<f32>,
}
