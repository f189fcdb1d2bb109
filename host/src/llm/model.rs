//! The transformer of a loaded GGUF model, whatever its architecture.
//!
//! This is the one place where forward passes run. Llama and Qwen models
//! run natively on deskhand's kernels ([`super::native`]); Gemma 3, and any
//! model when [`Backend::Candle`] is asked for, run on candle's models.

use std::path::Path;
use std::sync::Arc;

use candle_core::{Device, Tensor};
use candle_transformers::models::{
    quantized_gemma3, quantized_llama, quantized_qwen2, quantized_qwen3,
};
use deskhand_kernels::Isa;

use super::adapter::{Adapter, QkLayout};
use super::error::LlmError;
use super::gguf::{Architecture, GgufFile};
use super::native::{Compute, NativeError, NativeModel};

/// Which implementation runs the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// deskhand's kernels with this instruction set and number of threads
    /// (architectures they do not cover fall back to candle).
    Native { isa: Isa, threads: usize },
    /// candle-transformers' quantised models.
    Candle,
}

impl Backend {
    /// The default: native, with the fastest kernels this CPU runs
    /// (`DESKHAND_KERNELS=scalar` forces the reference) on candle's thread
    /// count; `DESKHAND_ENGINE=candle` picks candle instead.
    pub fn detect() -> Backend {
        let engine = std::env::var("DESKHAND_ENGINE").unwrap_or_default();
        match engine.trim() {
            "candle" => return Backend::Candle,
            "" | "native" => {}
            other => tracing::warn!(
                engine = other,
                "DESKHAND_ENGINE is neither native nor candle; using native"
            ),
        }
        let isa = match std::env::var("DESKHAND_KERNELS") {
            Ok(name) => Isa::from_name(&name).unwrap_or_else(|| {
                tracing::warn!(
                    kernels = %name,
                    "DESKHAND_KERNELS names no kernels this CPU runs (auto, avx512, scalar); using the fastest"
                );
                Isa::best_supported()
            }),
            Err(_) => Isa::best_supported(),
        };
        Backend::Native {
            isa,
            threads: candle_core::utils::get_num_threads(),
        }
    }
}

/// A loaded model with its key/value cache.
///
/// Cloning is cheap (weights are shared) and copies the cache's current
/// state, which is how the prefix cache keeps the state after a fixed
/// prefix. On candle, Qwen 2 models cannot be cloned and so are not cached.
pub enum Transformer {
    Native(Box<NativeModel>),
    Llama(quantized_llama::ModelWeights),
    Qwen2(Box<quantized_qwen2::ModelWeights>),
    Qwen3(quantized_qwen3::ModelWeights),
    Gemma3(quantized_gemma3::ModelWeights),
}

impl Transformer {
    /// Loads the weights of an opened GGUF file onto the CPU, with the
    /// default [`Backend`].
    pub fn load(file: GgufFile) -> Result<Self, LlmError> {
        Transformer::load_with(file, Backend::detect())
    }

    /// Loads the weights of an opened GGUF file with `backend`.
    pub fn load_with(mut file: GgufFile, backend: Backend) -> Result<Self, LlmError> {
        if let Backend::Native { isa, threads } = backend {
            match NativeModel::config_of(&file) {
                Ok(config) => {
                    let compute = Arc::new(Compute::new(isa, threads)?);
                    return NativeModel::load(&mut file, config, compute)
                        .map(|m| Transformer::Native(Box::new(m)));
                }
                Err(NativeError::Unsupported(reason)) => tracing::info!(
                    model = %file.path.display(),
                    %reason,
                    "the native engine does not cover this model; running it on candle"
                ),
                Err(NativeError::Invalid(reason)) => {
                    return Err(LlmError::Load {
                        path: file.path.clone(),
                        reason,
                    });
                }
            }
        }
        let GgufFile {
            path,
            content,
            mut reader,
            architecture,
        } = file;
        let device = Device::Cpu;
        let loaded = match architecture {
            Architecture::Llama => {
                quantized_llama::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map(Transformer::Llama)
            }
            Architecture::Qwen2 => {
                quantized_qwen2::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map(|m| Transformer::Qwen2(Box::new(m)))
            }
            Architecture::Qwen3 => {
                quantized_qwen3::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map(Transformer::Qwen3)
            }
            Architecture::Gemma3 => {
                quantized_gemma3::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map(Transformer::Gemma3)
            }
        };
        loaded.map_err(|e| LlmError::Load {
            path,
            reason: format!("reading the weights: {e}"),
        })
    }

    /// Runs `tokens` at positions `position..`, extending the cache, and
    /// returns the logits of the last one as f32 (vocabulary-sized).
    pub fn forward(&mut self, tokens: &[u32], position: usize) -> Result<Vec<f32>, LlmError> {
        if let Transformer::Native(m) = self {
            return m.forward(tokens, position);
        }
        let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
        let logits = match self {
            Transformer::Llama(m) => m.forward(&input, position)?,
            Transformer::Qwen2(m) => m.forward(&input, position)?,
            Transformer::Qwen3(m) => m.forward(&input, position)?,
            Transformer::Gemma3(m) => m.forward(&input, position)?,
            Transformer::Native(_) => unreachable!("handled above"),
        };
        Ok(logits
            .squeeze(0)?
            .to_dtype(candle_core::DType::F32)?
            .to_vec1::<f32>()?)
    }

    /// Adds the LoRA adapter at `path` (a PEFT folder or a GGUF LoRA file)
    /// to the model's projections, as a low-rank delta beside the base
    /// weights. Only the native engine runs adapters.
    pub fn apply_adapter(&mut self, path: &Path) -> Result<(), LlmError> {
        let Transformer::Native(model) = self else {
            return Err(LlmError::Adapter(super::adapter::AdapterError::Mismatch(
                "adapters run on the native engine (llama, Qwen 2, Qwen 3); this model runs on candle".into(),
            )));
        };
        let config = model.config();
        let layout = QkLayout {
            architecture: config.architecture,
            heads: config.heads,
            kv_heads: config.kv_heads,
        };
        let adapter = Adapter::load(path, &layout)?;
        model.set_adapter(adapter)?;
        Ok(())
    }

    /// A copy of the model and its cache as they are now, if the architecture
    /// allows it.
    pub fn snapshot(&self) -> Option<Self> {
        match self {
            Transformer::Native(m) => Some(Transformer::Native(m.clone())),
            Transformer::Llama(m) => Some(Transformer::Llama(m.clone())),
            Transformer::Qwen3(m) => Some(Transformer::Qwen3(m.clone())),
            Transformer::Gemma3(m) => Some(Transformer::Gemma3(m.clone())),
            Transformer::Qwen2(_) => None,
        }
    }

    /// What runs the forward pass, e.g. "native avx512, 2 threads".
    pub fn engine(&self) -> String {
        match self {
            Transformer::Native(m) => format!(
                "native {}, {} threads",
                m.compute().isa,
                m.compute().pool.threads()
            ),
            _ => "candle".to_string(),
        }
    }

    /// The most positions the model can hold, if the engine caps it below
    /// the file's context length.
    pub fn max_positions(&self) -> Option<usize> {
        match self {
            Transformer::Native(m) => Some(m.max_positions()),
            _ => None,
        }
    }

    /// Empties the cache, for a new sequence.
    pub fn clear(&mut self) {
        match self {
            Transformer::Native(m) => m.clear(),
            Transformer::Llama(m) => m.clear_kv_cache(),
            Transformer::Qwen2(m) => m.clear_kv_cache(),
            Transformer::Qwen3(m) => m.clear_kv_cache(),
            // candle's Gemma 3 has no reset, but it can be snapshotted, so the
            // engine always works on copies of a clean model and never needs one.
            Transformer::Gemma3(_) => {}
        }
    }
}
