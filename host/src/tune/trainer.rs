//! The training loop: seeded shuffles, batches of whole sequences,
//! gradient accumulation, AdamW on a warm-up-then-linear schedule with
//! gradients clipped to norm 1 (Hugging Face's trainer's defaults), the
//! validation loss before training and after every epoch, checkpoints,
//! and a stop flag (Ctrl-C) that keeps the last checkpoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::Tensor;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::encode::Encoded;
use super::error::TuneError;
use super::lora::{Lora, LoraSettings};
use super::network::Network;
use super::optimizer::{AdamW, AdamWSettings, scheduled_rate};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainSettings {
    #[serde(skip)]
    pub lora: LoraSettings,
    pub learning_rate: f64,
    pub epochs: usize,
    /// Sequences per forward pass.
    pub batch_size: usize,
    /// Forward passes per optimiser step.
    pub accumulation: usize,
    /// Tokens per sequence at most (longer ones are cut).
    pub max_len: usize,
    pub seed: u64,
    /// Share of the steps spent warming the learning rate up.
    pub warmup_ratio: f64,
    pub weight_decay: f64,
    /// Stop after this many optimiser steps (all when `None`).
    pub max_steps: Option<usize>,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            lora: LoraSettings::default(),
            learning_rate: 1e-4,
            epochs: 1,
            batch_size: 4,
            accumulation: 2,
            max_len: 256,
            seed: 42,
            warmup_ratio: 0.03,
            weight_decay: 0.0,
            max_steps: None,
        }
    }
}

/// What happened in one epoch.
#[derive(Debug, Clone, Serialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
    pub tokens_per_second: f64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub validation_before: f64,
    pub epochs: Vec<EpochReport>,
    pub steps: usize,
    /// Tokens through the model (forward and backward), all positions.
    pub tokens: usize,
    pub seconds: f64,
    /// Whether the stop flag ended the run before its last step.
    pub stopped: bool,
}

impl TrainReport {
    /// The validation loss after the last epoch (or before, if none ran).
    pub fn validation_after(&self) -> f64 {
        self.epochs
            .last()
            .map_or(self.validation_before, |e| e.validation_loss)
    }
}

/// What the loop tells its caller as it goes.
pub enum Progress<'a> {
    Started {
        steps: usize,
    },
    Step {
        step: usize,
        loss: f64,
        tokens_per_second: f64,
        learning_rate: f64,
    },
    Epoch(&'a EpochReport),
}

/// The mean negative log-likelihood per trained token of `examples`.
pub fn mean_loss(
    network: &Network,
    lora: Option<&Lora>,
    examples: &[Encoded],
) -> Result<f64, TuneError> {
    let weights = lora.map(Lora::inference).transpose()?;
    network.install(move || {
        let (mut total, mut count) = (0f64, 0usize);
        for chunk in examples.chunks(8) {
            let batch: Vec<(&[u32], &[bool])> = chunk
                .iter()
                .map(|e| (e.tokens.as_slice(), e.trained.as_slice()))
                .collect();
            let (loss, n) = network.loss(&batch, weights.as_ref())?;
            total += loss.to_scalar::<f32>()? as f64;
            count += n;
        }
        Ok(if count == 0 {
            f64::NAN
        } else {
            total / count as f64
        })
    })
}

/// Trains `lora` on `train`, validating on `validation`; `checkpoint` is
/// called with a name ("epoch-1", "step-200", "last") whenever the current
/// state should be kept.
#[allow(clippy::too_many_arguments)]
pub fn train(
    network: &Network,
    lora: &Lora,
    train: &[Encoded],
    validation: &[Encoded],
    settings: &TrainSettings,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Progress<'_>),
    checkpoint: &mut dyn FnMut(&Lora, &str) -> Result<(), TuneError>,
) -> Result<TrainReport, TuneError> {
    if train.is_empty() {
        return Err(TuneError::Data("no training examples".into()));
    }
    if settings.batch_size == 0 || settings.accumulation == 0 || settings.epochs == 0 {
        return Err(TuneError::Settings(
            "--batch-size, --grad-accum and --epochs must be at least 1".into(),
        ));
    }
    let per_step = settings.batch_size * settings.accumulation;
    let steps_per_epoch = train.len().div_ceil(per_step);
    let mut total_steps = steps_per_epoch * settings.epochs;
    if let Some(max) = settings.max_steps {
        total_steps = total_steps.min(max);
    }
    let warmup = (total_steps as f64 * settings.warmup_ratio).ceil() as usize;
    let validation_before = mean_loss(network, Some(lora), validation)?;
    progress(Progress::Started { steps: total_steps });
    let vars = lora.vars();
    let mut optimizer = AdamW::new(
        vars.clone(),
        AdamWSettings {
            weight_decay: settings.weight_decay,
            ..AdamWSettings::new(settings.learning_rate)
        },
    )?;
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let started = Instant::now();
    let (mut step, mut tokens) = (0usize, 0usize);
    let mut epochs = Vec::new();
    let mut stopped = false;
    'epochs: for epoch in 1..=settings.epochs {
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let epoch_started = Instant::now();
        let (mut epoch_loss, mut epoch_trained, mut epoch_tokens) = (0f64, 0usize, 0usize);
        for group in order.chunks(per_step) {
            if step >= total_steps {
                break;
            }
            if stop.load(Ordering::SeqCst) {
                stopped = true;
                break 'epochs;
            }
            let trained: usize = group.iter().map(|&i| train[i].trained_tokens()).sum();
            let mut gradients: Vec<Option<Tensor>> = vec![None; vars.len()];
            let mut step_loss = 0f64;
            for micro in group.chunks(settings.batch_size) {
                let batch: Vec<(&[u32], &[bool])> = micro
                    .iter()
                    .map(|&i| (train[i].tokens.as_slice(), train[i].trained.as_slice()))
                    .collect();
                tokens += batch.iter().map(|(t, _)| t.len()).sum::<usize>();
                epoch_tokens += batch.iter().map(|(t, _)| t.len()).sum::<usize>();
                let weights = lora.training(StdRng::seed_from_u64(
                    settings.seed ^ (step as u64) << 20 ^ micro[0] as u64,
                ));
                // One pool of threads for the projections and candle alike.
                let (loss, grads) = network.install(move || -> Result<_, TuneError> {
                    let (loss, _) = network.loss(&batch, Some(&weights))?;
                    let value = loss.to_scalar::<f32>()? as f64;
                    Ok((value, (loss / trained.max(1) as f64)?.backward()?))
                })?;
                step_loss += loss;
                for (slot, var) in gradients.iter_mut().zip(&vars) {
                    if let Some(g) = grads.get(var) {
                        *slot = Some(match slot.take() {
                            Some(sum) => (sum + g)?,
                            None => g.clone(),
                        });
                    }
                }
            }
            let mut gradients: Vec<Tensor> = gradients
                .into_iter()
                .zip(&vars)
                .map(|(g, v)| g.map_or_else(|| v.zeros_like(), Ok))
                .collect::<Result<_, _>>()?;
            clip(&mut gradients, 1.0)?;
            let lr = scheduled_rate(settings.learning_rate, step, total_steps, warmup);
            optimizer.step(&gradients, lr)?;
            step += 1;
            epoch_loss += step_loss;
            epoch_trained += trained;
            progress(Progress::Step {
                step,
                loss: step_loss / trained.max(1) as f64,
                tokens_per_second: tokens as f64 / started.elapsed().as_secs_f64().max(1e-9),
                learning_rate: lr,
            });
        }
        let report = EpochReport {
            epoch,
            train_loss: epoch_loss / epoch_trained.max(1) as f64,
            validation_loss: mean_loss(network, Some(lora), validation)?,
            tokens_per_second: epoch_tokens as f64
                / epoch_started.elapsed().as_secs_f64().max(1e-9),
        };
        progress(Progress::Epoch(&report));
        epochs.push(report);
        checkpoint(lora, &format!("epoch-{epoch}"))?;
        if step >= total_steps {
            break;
        }
    }
    if stopped || epochs.is_empty() {
        checkpoint(lora, "last")?;
    }
    Ok(TrainReport {
        validation_before,
        epochs,
        steps: step,
        tokens,
        seconds: started.elapsed().as_secs_f64(),
        stopped,
    })
}

/// Scales `gradients` so that their global L2 norm is at most `max_norm`.
fn clip(gradients: &mut [Tensor], max_norm: f64) -> Result<(), TuneError> {
    let mut square = 0f64;
    for g in gradients.iter() {
        square += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    let norm = square.sqrt();
    if norm > max_norm {
        let factor = max_norm / (norm + 1e-6);
        for g in gradients.iter_mut() {
            *g = (&*g * factor)?;
        }
    }
    Ok(())
}
