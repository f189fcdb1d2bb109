//! LoRA fine-tuning of the chat model on CPU (`deskhand tune`).
//!
//! * [`data`]: examples in the chat JSONL format, and the validation split;
//! * [`desk_data`]: examples made from a desk (its tools' examples as
//!   routing and argument decoding, its help centre as grounded answers, its
//!   voice) and the shipped customer-service set;
//! * [`encode`]: token ids with the model's chat template, loss masked to
//!   the assistant's tokens;
//! * [`network`]: the model as a differentiable graph over frozen weights
//!   ([`frozen`]: projections on deskhand's GEMM, input gradients only);
//! * [`lora`]: the trained matrices; [`optimizer`]: AdamW and the schedule;
//! * [`trainer`]: the loop; [`sweep`]: a grid of settings;
//! * [`peer`]: the Python venv of PyTorch + PEFT that checks and races it;
//! * this file: a whole run, from a model file to the adapter's files (PEFT
//!   safetensors + `adapter_config.json`, and a GGUF LoRA for llama.cpp).

mod activation;
pub mod data;
pub mod desk_data;
pub mod encode;
mod error;
pub mod frozen;
pub mod lora;
pub mod network;
mod norm;
pub mod optimizer;
pub mod peer;
mod rope;
pub mod sweep;
#[cfg(test)]
mod test_support;
pub mod trainer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::TuneError;

use self::encode::{Encoded, Encoder};
use self::frozen::Kernels;
use self::lora::Lora;
use self::network::Network;
use crate::llm::adapter::{self, QkLayout};
use crate::llm::{GgufFile, Isa};

/// The file names of an adapter folder.
pub const GGUF_ADAPTER: &str = "adapter.gguf";
/// The run's settings and losses.
pub const REPORT_FILE: &str = "report.json";

/// Where `deskhand tune` writes a desk's adapter: `adapter/` in the desk's
/// data folder (`data/DESK/`), where `eval`'s tuned variants and
/// `models list` look for it.
pub fn trained_adapter_dir(desk_data_dir: &std::path::Path) -> std::path::PathBuf {
    desk_data_dir.join("adapter")
}

/// Threads of the training kernels when none are asked for: every core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A model ready to train: the network and its encoder.
pub struct Model {
    pub path: PathBuf,
    pub network: Network,
    pub encoder: Encoder,
}

impl Model {
    /// Loads the GGUF at `path` for training sequences of up to `max_len`
    /// tokens on `threads` threads.
    pub fn load(path: &Path, max_len: usize, threads: usize) -> Result<Model, TuneError> {
        let file = GgufFile::open(path)?;
        let encoder = Encoder::from_file(&file)?;
        let pool = deskhand_kernels::Pool::new(threads.max(1))
            .map_err(|e| TuneError::Model(format!("starting the kernel threads: {e}")))?;
        let kernels = Arc::new(Kernels {
            isa: Isa::best_supported(),
            pool,
        });
        let network = Network::load(file, kernels, max_len)?;
        Ok(Model {
            path: path.to_path_buf(),
            network,
            encoder,
        })
    }

    /// The examples as tokens (cut to `max_len`); how many had nothing left
    /// to train on.
    pub fn encode(
        &self,
        examples: &[data::Example],
        max_len: usize,
    ) -> Result<(Vec<Encoded>, usize), TuneError> {
        let mut encoded = Vec::with_capacity(examples.len());
        let mut skipped = 0;
        for example in examples {
            match self
                .encoder
                .encode(example, max_len.min(self.network.max_positions()))?
            {
                Some(e) => encoded.push(e),
                None => skipped += 1,
            }
        }
        Ok((encoded, skipped))
    }

    /// How the model's query and key rows are ordered, for PEFT's files.
    pub fn layout(&self) -> QkLayout {
        let c = &self.network.config;
        QkLayout {
            architecture: c.architecture,
            heads: c.heads,
            kv_heads: c.kv_heads,
        }
    }

    /// Writes `lora` into `dir` as a PEFT folder and a GGUF LoRA file.
    pub fn save(&self, lora: &Lora, dir: &Path) -> Result<(), TuneError> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let adapter = lora.to_adapter(name)?;
        adapter::peft::save(&adapter, dir, &self.layout())?;
        adapter::gguf::save(
            &adapter,
            &dir.join(GGUF_ADAPTER),
            self.network.config.architecture,
        )?;
        Ok(())
    }
}
