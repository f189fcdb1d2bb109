//! A grid of settings trained one after another on the same data; the one
//! with the lowest validation loss wins.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::encode::Encoded;
use super::error::TuneError;
use super::lora::Lora;
use super::network::Network;
use super::trainer::{self, Progress, TrainSettings};

/// One point of the grid and how it did.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    pub learning_rate: f64,
    pub rank: usize,
    pub alpha: f32,
    pub dropout: f32,
    pub validation_before: f64,
    pub validation_after: f64,
    pub tokens_per_second: f64,
}

/// Every combination of `rates` and `ranks` on top of `base` (alpha kept at
/// twice the rank, as PEFT's examples do), in order.
pub fn grid(base: &TrainSettings, rates: &[f64], ranks: &[usize]) -> Vec<TrainSettings> {
    let mut settings = Vec::new();
    for &rate in rates {
        for &rank in ranks {
            let mut s = base.clone();
            s.learning_rate = rate;
            s.lora.rank = rank;
            s.lora.alpha = 2.0 * rank as f32;
            settings.push(s);
        }
    }
    settings
}

/// Trains every point; returns the rows and the index of the best.
pub fn run(
    network: &Network,
    points: &[TrainSettings],
    train: &[Encoded],
    validation: &[Encoded],
    stop: &AtomicBool,
    progress: &mut dyn FnMut(usize, Progress<'_>),
) -> Result<(Vec<SweepRow>, usize), TuneError> {
    let mut rows = Vec::new();
    for (i, settings) in points.iter().enumerate() {
        let lora = Lora::new(&network.config, settings.lora.clone(), settings.seed)?;
        let report = trainer::train(
            network,
            &lora,
            train,
            validation,
            settings,
            stop,
            &mut |p| progress(i, p),
            &mut |_, _| Ok(()),
        )?;
        rows.push(SweepRow {
            learning_rate: settings.learning_rate,
            rank: settings.lora.rank,
            alpha: settings.lora.alpha,
            dropout: settings.lora.dropout,
            validation_before: report.validation_before,
            validation_after: report.validation_after(),
            tokens_per_second: report.tokens as f64 / report.seconds.max(1e-9),
        });
        if report.stopped {
            break;
        }
    }
    let best = rows
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.validation_after.total_cmp(&b.1.validation_after))
        .map(|(i, _)| i)
        .ok_or_else(|| TuneError::Settings("the sweep has no settings".into()))?;
    Ok((rows, best))
}

/// The rows as a Markdown table, the best marked.
pub fn table(rows: &[SweepRow], best: usize) -> String {
    let mut text = String::from(
        "| learning rate | rank | alpha | dropout | validation loss before | after | tokens/s |  |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (i, r) in rows.iter().enumerate() {
        text.push_str(&format!(
            "| {:e} | {} | {} | {} | {:.4} | {:.4} | {:.0} | {} |\n",
            r.learning_rate,
            r.rank,
            r.alpha,
            r.dropout,
            r.validation_before,
            r.validation_after,
            r.tokens_per_second,
            if i == best { "chosen" } else { "" }
        ));
    }
    text
}
