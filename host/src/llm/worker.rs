//! The model thread: runs queued jobs one at a time, reusing cached prefix
//! states so a routine turn pays only for its own new tokens.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use tokio::sync::mpsc as events;
use tracing::field::Empty;

use super::constraint::{ConstraintCompiler, apply_mask};
use super::error::LlmError;
use super::generation::{Event, FinishReason, GenerationStats, Output, Prompt};
use super::model::Transformer;
use super::sampler::{Sampler, SamplingParams, log_prob};
use super::stream::TextStream;
use super::tokenizer::ModelTokenizer;

/// A request for the worker.
pub(crate) enum Job {
    Generate {
        prompt: Prompt,
        params: SamplingParams,
        output: Output,
        events: events::UnboundedSender<Event>,
        cancel: Arc<AtomicBool>,
        queued_at: Instant,
    },
    Score {
        prompt: Prompt,
        options: Vec<Vec<u32>>,
        reply: mpsc::Sender<Result<Vec<f32>, LlmError>>,
    },
}

/// A model state after some tokens, with the logits of the last one.
struct CachedPrefix {
    tokens: Vec<u32>,
    model: Transformer,
    logits: Vec<f32>,
    last_used: Instant,
}

/// A model state ready to continue a prompt.
struct Primed {
    model: Option<Transformer>,
    logits: Vec<f32>,
    position: usize,
    cached_tokens: usize,
}

pub(crate) struct Worker {
    /// The clean model: copied for each request when the architecture allows,
    /// used in place (and cleared) otherwise.
    base: Transformer,
    tokenizer: Arc<ModelTokenizer>,
    constraints: ConstraintCompiler,
    context_length: usize,
    cache: Vec<CachedPrefix>,
    cache_entries: usize,
    waiting: Arc<AtomicUsize>,
}

impl Worker {
    pub(crate) fn new(
        base: Transformer,
        tokenizer: Arc<ModelTokenizer>,
        constraints: ConstraintCompiler,
        context_length: usize,
        cache_entries: usize,
        waiting: Arc<AtomicUsize>,
    ) -> Self {
        Worker {
            base,
            tokenizer,
            constraints,
            context_length,
            cache: Vec::new(),
            cache_entries,
            waiting,
        }
    }

    /// Serves jobs until every sender is gone.
    pub(crate) fn run(mut self, jobs: mpsc::Receiver<Job>) {
        while let Ok(job) = jobs.recv() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            match job {
                Job::Generate {
                    prompt,
                    params,
                    output,
                    events,
                    cancel,
                    queued_at,
                } => {
                    let sent = events.clone();
                    if let Err(error) =
                        self.generate(prompt, params, output, &events, &cancel, queued_at)
                    {
                        tracing::error!("generation failed: {error}");
                        let _ = sent.send(Event::Failed(error.to_string()));
                    }
                }
                Job::Score {
                    prompt,
                    options,
                    reply,
                } => {
                    let _ = reply.send(self.score(&prompt, &options));
                }
            }
        }
    }

    /// Runs the prompt, starting from the longest cached prefix, and caches
    /// the state at the prompt's fixed prefix.
    fn prime(&mut self, prompt: &Prompt) -> Result<Primed, LlmError> {
        let tokens = &prompt.tokens;
        let hit = self
            .cache
            .iter_mut()
            .filter(|c| c.tokens.len() <= tokens.len() && tokens.starts_with(&c.tokens))
            .max_by_key(|c| c.tokens.len());
        let (mut model, mut logits, mut position) = match hit {
            Some(entry) => {
                entry.last_used = Instant::now();
                (
                    entry.model.snapshot(),
                    entry.logits.clone(),
                    entry.tokens.len(),
                )
            }
            None => (self.base.snapshot(), Vec::new(), 0),
        };
        let cached_tokens = position;
        if model.is_none() {
            self.base.clear();
        }
        let forward = |model: &mut Option<Transformer>,
                       base: &mut Transformer,
                       chunk: &[u32],
                       at: usize| match model {
            Some(m) => m.forward(chunk, at),
            None => base.forward(chunk, at),
        };
        let boundary = prompt.cache_prefix.min(tokens.len());
        if boundary > position {
            logits = forward(
                &mut model,
                &mut self.base,
                &tokens[position..boundary],
                position,
            )?;
            position = boundary;
            if let Some(state) = model.as_ref().and_then(Transformer::snapshot) {
                self.remember(tokens[..boundary].to_vec(), state, logits.clone());
            }
        }
        if tokens.len() > position {
            logits = forward(&mut model, &mut self.base, &tokens[position..], position)?;
            position = tokens.len();
        }
        Ok(Primed {
            model,
            logits,
            position,
            cached_tokens,
        })
    }

    fn remember(&mut self, tokens: Vec<u32>, model: Transformer, logits: Vec<f32>) {
        if self.cache_entries == 0 || self.cache.iter().any(|c| c.tokens == tokens) {
            return;
        }
        if self.cache.len() >= self.cache_entries
            && let Some(oldest) = self
                .cache
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(i, _)| i)
        {
            self.cache.swap_remove(oldest);
        }
        self.cache.push(CachedPrefix {
            tokens,
            model,
            logits,
            last_used: Instant::now(),
        });
    }

    fn step(&mut self, primed: &mut Primed, tokens: &[u32]) -> Result<(), LlmError> {
        primed.logits = match &mut primed.model {
            Some(model) => model.forward(tokens, primed.position)?,
            None => self.base.forward(tokens, primed.position)?,
        };
        primed.position += tokens.len();
        Ok(())
    }

    fn generate(
        &mut self,
        prompt: Prompt,
        params: SamplingParams,
        output: Output,
        events: &events::UnboundedSender<Event>,
        cancel: &AtomicBool,
        queued_at: Instant,
    ) -> Result<(), LlmError> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "llm.generate",
            prompt_tokens = prompt.tokens.len(),
            cached_tokens = Empty,
            generated_tokens = Empty,
            first_token_ms = Empty,
        );
        let _entered = span.enter();
        let mut matcher = match &output {
            Output::Json(schema) => Some(self.constraints.json(schema)?),
            Output::Text => None,
        };
        let mut primed = self.prime(&prompt)?;
        let prefill_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut sampler = Sampler::new(&params);
        let mut stream = TextStream::new(params.stop.clone());
        let mut generated = 0;
        let mut first_token_ms = None;
        let budget = params
            .max_tokens
            .min(self.context_length.saturating_sub(primed.position));
        let mut finish = FinishReason::Length;
        while generated < budget {
            if cancel.load(Ordering::SeqCst) || events.is_closed() {
                finish = FinishReason::Cancelled;
                break;
            }
            // Tokens the grammar forces need no sampling: run them as a batch.
            let forced = matcher
                .as_mut()
                .map(|m| m.consume_ff_tokens())
                .unwrap_or_default();
            let chosen: Vec<u32> = if forced.is_empty() {
                // The logits are replaced by the next forward pass: mask them in place.
                let mut logits = std::mem::take(&mut primed.logits);
                if let Some(matcher) = matcher.as_mut() {
                    apply_mask(matcher, &mut logits)?;
                }
                let token = sampler.sample(&logits);
                if self.tokenizer.stop_tokens().contains(&token) {
                    finish = FinishReason::Stop;
                    break;
                }
                if let Some(matcher) = matcher.as_mut() {
                    matcher
                        .consume_token(token)
                        .map_err(|e| LlmError::Constraint(e.to_string()))?;
                }
                vec![token]
            } else {
                forced
            };
            for &token in &chosen {
                if let Some(text) = stream.push(&self.tokenizer, token)? {
                    let _ = events.send(Event::Text(text));
                }
            }
            generated += chosen.len();
            first_token_ms.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1e3);
            if stream.stopped() || matcher.as_ref().is_some_and(|m| m.is_stopped()) {
                finish = FinishReason::Stop;
                break;
            }
            self.step(&mut primed, &chosen)?;
        }
        if let Some(rest) = stream.finish() {
            let _ = events.send(Event::Text(rest));
        }
        let total_ms = started.elapsed().as_secs_f64() * 1e3;
        let first_token_ms = first_token_ms.unwrap_or(total_ms);
        span.record("cached_tokens", primed.cached_tokens);
        span.record("generated_tokens", generated);
        span.record("first_token_ms", first_token_ms);
        let _ = events.send(Event::Done(GenerationStats {
            prompt_tokens: prompt.tokens.len(),
            cached_tokens: primed.cached_tokens,
            generated_tokens: generated,
            queue_ms: started.duration_since(queued_at).as_secs_f64() * 1e3,
            prefill_ms,
            first_token_ms,
            total_ms,
            finish,
        }));
        Ok(())
    }

    /// The log-probability of each option's tokens after the prompt.
    fn score(&mut self, prompt: &Prompt, options: &[Vec<u32>]) -> Result<Vec<f32>, LlmError> {
        let _span = tracing::info_span!("llm.choose", options = options.len()).entered();
        let mut scores = Vec::with_capacity(options.len());
        let first = self.prime(prompt)?;
        for option in options {
            // Every option continues the same prompt state: copy it when the
            // architecture allows, run the prompt again otherwise.
            let mut primed = match first.model.as_ref().and_then(Transformer::snapshot) {
                Some(model) => Primed {
                    model: Some(model),
                    logits: first.logits.clone(),
                    position: first.position,
                    cached_tokens: first.cached_tokens,
                },
                None => self.prime(prompt)?,
            };
            let mut total = 0.0;
            for (i, &token) in option.iter().enumerate() {
                total += log_prob(&primed.logits, token);
                if i + 1 < option.len() {
                    self.step(&mut primed, &[token])?;
                }
            }
            scores.push(total);
        }
        Ok(scores)
    }
}
