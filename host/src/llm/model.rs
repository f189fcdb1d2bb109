//! The transformer of a loaded GGUF model, whatever its architecture.
//!
//! This is the one place where forward passes run; faster kernels replace
//! what is behind [`Transformer::forward`] without touching the engine.

use candle_core::{Device, Tensor};
use candle_transformers::models::{
    quantized_gemma3, quantized_llama, quantized_qwen2, quantized_qwen3,
};

use super::error::LlmError;
use super::gguf::{Architecture, GgufFile};

/// A loaded model with its key/value cache.
///
/// Cloning is cheap (weights are shared) and copies the cache's current
/// state, which is how the prefix cache keeps the state after a fixed
/// prefix. Qwen 2 models cannot be cloned by candle and so are not cached.
pub enum Transformer {
    Llama(quantized_llama::ModelWeights),
    Qwen2(Box<quantized_qwen2::ModelWeights>),
    Qwen3(quantized_qwen3::ModelWeights),
    Gemma3(quantized_gemma3::ModelWeights),
}

impl Transformer {
    /// Loads the weights of an opened GGUF file onto the CPU.
    pub fn load(file: GgufFile) -> Result<Self, LlmError> {
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
        let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
        let logits = match self {
            Transformer::Llama(m) => m.forward(&input, position)?,
            Transformer::Qwen2(m) => m.forward(&input, position)?,
            Transformer::Qwen3(m) => m.forward(&input, position)?,
            Transformer::Gemma3(m) => m.forward(&input, position)?,
        };
        Ok(logits
            .squeeze(0)?
            .to_dtype(candle_core::DType::F32)?
            .to_vec1::<f32>()?)
    }

    /// A copy of the model and its cache as they are now, if the architecture
    /// allows it.
    pub fn snapshot(&self) -> Option<Self> {
        match self {
            Transformer::Llama(m) => Some(Transformer::Llama(m.clone())),
            Transformer::Qwen3(m) => Some(Transformer::Qwen3(m.clone())),
            Transformer::Gemma3(m) => Some(Transformer::Gemma3(m.clone())),
            Transformer::Qwen2(_) => None,
        }
    }

    /// Empties the cache, for a new sequence.
    pub fn clear(&mut self) {
        match self {
            Transformer::Llama(m) => m.clear_kv_cache(),
            Transformer::Qwen2(m) => m.clear_kv_cache(),
            Transformer::Qwen3(m) => m.clear_kv_cache(),
            // candle's Gemma 3 has no reset, but it can be snapshotted, so the
            // engine always works on copies of a clean model and never needs one.
            Transformer::Gemma3(_) => {}
        }
    }
}
