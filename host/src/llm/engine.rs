//! The generation engine: one worker thread that owns the model, a bounded
//! queue in front of it, and a prefix cache of key/value states.
//!
//! Requests are queued (at most `queue_limit` waiting; more is
//! [`LlmError::Busy`]) and run one at a time, off the async runtime. Each
//! request streams [`Event`]s back and can be cancelled.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc as events;

use super::constraint::ConstraintCompiler;
use super::error::LlmError;
use super::generation::{Choice, Generation, GenerationStats, Output, Prompt};
use super::gguf::{Architecture, GgufFile};
use super::model::{Backend, Transformer};
use super::sampler::SamplingParams;
use super::template::{ChatMessage, ChatTemplate};
use super::tokenizer::ModelTokenizer;
use super::worker::{Job, Worker};

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The GGUF model file.
    pub model: PathBuf,
    /// How many requests may wait for the model (default 8).
    pub queue_limit: usize,
    /// How many prefix states are kept (default 4).
    pub prefix_cache_entries: usize,
    /// What runs the forward pass (default [`Backend::detect`]).
    pub backend: Backend,
    /// A LoRA adapter (PEFT folder or GGUF LoRA file) added to the model.
    pub adapter: Option<PathBuf>,
}

impl EngineConfig {
    /// Defaults for `model`.
    pub fn new(model: impl Into<PathBuf>) -> Self {
        EngineConfig {
            model: model.into(),
            queue_limit: 8,
            prefix_cache_entries: 4,
            backend: Backend::detect(),
            adapter: None,
        }
    }
}

/// What was loaded.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub architecture: &'static str,
    /// `general.name`, if the file has one.
    pub name: Option<String>,
    pub context_length: usize,
    pub vocab_size: usize,
    /// Whether the chat template came from the file (rather than a fallback).
    pub template_from_model: bool,
    /// Whether fixed prefixes are cached (not possible for Qwen 2 on candle).
    pub prefix_cache: bool,
    /// What runs the forward pass, e.g. "native avx512, 2 threads".
    pub engine: String,
    /// The LoRA adapter added to the model, if any.
    pub adapter: Option<PathBuf>,
}

/// The language model: tokenizer, chat template and a worker thread.
pub struct Engine {
    jobs: mpsc::SyncSender<Job>,
    waiting: Arc<AtomicUsize>,
    queue_limit: usize,
    info: ModelInfo,
    tokenizer: Arc<ModelTokenizer>,
    template: ChatTemplate,
}

impl Engine {
    /// Loads the model, its tokenizer and chat template, and starts the worker.
    pub fn load(config: EngineConfig) -> Result<Self, LlmError> {
        let file = GgufFile::open(&config.model)?;
        let tokenizer = Arc::new(ModelTokenizer::from_gguf(&file)?);
        let token_text =
            |id: Option<u32>| id.and_then(|i| tokenizer.token_text(i)).unwrap_or_default();
        let template = ChatTemplate::new(
            file.str("tokenizer.chat_template"),
            file.architecture,
            token_text(tokenizer.bos()),
            token_text(Some(tokenizer.eos())),
        )?;
        let architecture: Architecture = file.architecture;
        let name = file.str("general.name").map(str::to_string);
        let context_length = file.context_length().unwrap_or(2048);
        let mut model = Transformer::load_with(file, config.backend)?;
        if let Some(adapter) = &config.adapter {
            model.apply_adapter(adapter)?;
        }
        let context_length = model
            .max_positions()
            .map_or(context_length, |cap| context_length.min(cap));
        let info = ModelInfo {
            path: config.model.clone(),
            architecture: architecture.as_str(),
            name,
            context_length,
            vocab_size: tokenizer.vocab_size(),
            template_from_model: template.from_model,
            prefix_cache: model.snapshot().is_some(),
            engine: model.engine(),
            adapter: config.adapter.clone(),
        };
        let constraints = ConstraintCompiler::new(tokenizer.clone())?;
        let (jobs, queue) = mpsc::sync_channel(config.queue_limit.max(1));
        let waiting = Arc::new(AtomicUsize::new(0));
        let worker = Worker::new(
            model,
            tokenizer.clone(),
            constraints,
            context_length,
            config.prefix_cache_entries,
            waiting.clone(),
        );
        std::thread::Builder::new()
            .name("deskhand-llm".into())
            .spawn(move || worker.run(queue))
            .map_err(|e| LlmError::Inference(format!("starting the model thread: {e}")))?;
        tracing::info!(model = %config.model.display(), arch = architecture.as_str(), "language model loaded");
        Ok(Engine {
            jobs,
            waiting,
            queue_limit: config.queue_limit.max(1),
            info,
            tokenizer,
            template,
        })
    }

    /// What was loaded.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &Arc<ModelTokenizer> {
        &self.tokenizer
    }

    /// How many requests are waiting for the model.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Renders a conversation into a prompt ending with the assistant's turn.
    /// The first `fixed_messages` messages (the system prompt, say) form the
    /// cacheable prefix.
    pub fn chat_prompt(
        &self,
        messages: &[ChatMessage],
        fixed_messages: usize,
    ) -> Result<Prompt, LlmError> {
        let full = self.template.render(messages, true)?;
        let mut tokens: Vec<u32> = Vec::new();
        if self.tokenizer.add_bos()
            && let Some(bos) = self.tokenizer.bos()
        {
            tokens.push(bos);
        }
        let bos_text = self
            .tokenizer
            .bos()
            .and_then(|b| self.tokenizer.token_text(b))
            .unwrap_or_default();
        let strip_bos = |text: &str| -> String {
            if !bos_text.is_empty() && tokens.first() == self.tokenizer.bos().as_ref() {
                text.strip_prefix(bos_text.as_str())
                    .unwrap_or(text)
                    .to_string()
            } else {
                text.to_string()
            }
        };
        let full = strip_bos(&full);
        let fixed = fixed_messages.min(messages.len());
        let prefix = if fixed > 0 {
            strip_bos(&self.template.render(&messages[..fixed], false)?)
        } else {
            String::new()
        };
        let cache_prefix;
        match full
            .strip_prefix(prefix.as_str())
            .filter(|_| !prefix.is_empty())
        {
            Some(rest) => {
                tokens.extend(self.tokenizer.encode(&prefix)?);
                cache_prefix = tokens.len();
                tokens.extend(self.tokenizer.encode(rest)?);
            }
            None => {
                cache_prefix = 0;
                tokens.extend(self.tokenizer.encode(&full)?);
            }
        }
        Ok(Prompt {
            tokens,
            cache_prefix,
        })
    }

    /// A prompt of raw text, without a chat template.
    pub fn text_prompt(&self, text: &str) -> Result<Prompt, LlmError> {
        let mut tokens = Vec::new();
        if self.tokenizer.add_bos()
            && let Some(bos) = self.tokenizer.bos()
        {
            tokens.push(bos);
        }
        tokens.extend(self.tokenizer.encode(text)?);
        Ok(Prompt {
            tokens,
            cache_prefix: 0,
        })
    }

    fn submit(&self, job: impl FnOnce(Instant) -> Job) -> Result<(), LlmError> {
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        if waiting >= self.queue_limit {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(LlmError::Busy { waiting });
        }
        self.jobs.try_send(job(Instant::now())).map_err(|e| {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            match e {
                mpsc::TrySendError::Full(_) => LlmError::Busy { waiting },
                mpsc::TrySendError::Disconnected(_) => LlmError::Stopped,
            }
        })
    }

    /// Starts generating; events stream back as they happen.
    pub fn generate(
        &self,
        prompt: Prompt,
        params: SamplingParams,
        output: Output,
    ) -> Result<Generation, LlmError> {
        if prompt.tokens.len() >= self.info.context_length {
            return Err(LlmError::PromptTooLong {
                tokens: prompt.tokens.len(),
                context: self.info.context_length,
            });
        }
        let (sender, receiver) = events::unbounded_channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        self.submit(move |queued_at| Job::Generate {
            prompt,
            params,
            output,
            events: sender,
            cancel: flag,
            queued_at,
        })?;
        Ok(Generation {
            events: receiver,
            cancel,
        })
    }

    /// Generates JSON valid against `schema` (blocking) and parses it.
    pub fn generate_json(
        &self,
        prompt: Prompt,
        schema: &Value,
        params: SamplingParams,
    ) -> Result<(Value, GenerationStats), LlmError> {
        let (text, stats) = self
            .generate(prompt, params, Output::Json(schema.clone()))?
            .collect_blocking()?;
        let value = serde_json::from_str(&text).map_err(|e| {
            LlmError::Constraint(format!("the constrained output is not JSON ({e}): {text}"))
        })?;
        Ok((value, stats))
    }

    /// The log-probability of `text` as the continuation of `prompt`
    /// (blocking), with its number of tokens: the perplexity of a reference
    /// reply is `exp(-log_prob / tokens)`.
    pub fn log_likelihood(&self, prompt: Prompt, text: &str) -> Result<(f32, usize), LlmError> {
        let tokens = self.tokenizer.encode(text)?;
        if tokens.is_empty() {
            return Ok((0.0, 0));
        }
        let count = tokens.len();
        if prompt.tokens.len() + count > self.info.context_length {
            return Err(LlmError::PromptTooLong {
                tokens: prompt.tokens.len() + count,
                context: self.info.context_length,
            });
        }
        let (reply, answer) = mpsc::channel();
        self.submit(move |_| Job::Score {
            prompt,
            options: vec![tokens],
            reply,
        })?;
        let log_probs = answer.recv().map_err(|_| LlmError::Stopped)??;
        Ok((log_probs.first().copied().unwrap_or(0.0), count))
    }

    /// Scores each option as a continuation of `prompt` (blocking) and picks
    /// the most likely.
    pub fn choose(&self, prompt: Prompt, options: &[&str]) -> Result<Choice, LlmError> {
        if options.is_empty() {
            return Err(LlmError::Constraint(
                "choose needs at least one option".into(),
            ));
        }
        let option_tokens = options
            .iter()
            .map(|o| self.tokenizer.encode(o))
            .collect::<Result<Vec<_>, _>>()?;
        let (reply, answer) = mpsc::channel();
        self.submit(move |_| Job::Score {
            prompt,
            options: option_tokens,
            reply,
        })?;
        let log_probs = answer.recv().map_err(|_| LlmError::Stopped)??;
        let max = log_probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = log_probs.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let best = super::sampler::argmax(&log_probs) as usize;
        Ok(Choice {
            best,
            probabilities: exp.iter().map(|e| e / sum).collect(),
            log_probs,
        })
    }
}
