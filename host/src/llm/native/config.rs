//! The hyperparameters of a native model, read from GGUF metadata.

use deskhand_kernels::RopeStyle;

use crate::llm::gguf::{Architecture, GgufFile};

/// What the forward pass needs to know about the model's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeConfig {
    pub architecture: Architecture,
    pub layers: usize,
    pub hidden: usize,
    pub feed_forward: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub rms_eps: f32,
    pub rope_base: f32,
    pub rope_style: RopeStyle,
    pub context_length: usize,
}

impl NativeConfig {
    /// Reads the metadata of `file`; `Err` names what is missing or what
    /// the native engine does not cover (the caller falls back to candle).
    pub fn from_gguf(file: &GgufFile) -> Result<Self, String> {
        let architecture = file.architecture;
        let rope_style = match architecture {
            Architecture::Llama => RopeStyle::Interleaved,
            Architecture::Qwen2 | Architecture::Qwen3 => RopeStyle::Halves,
            Architecture::Gemma3 => return Err("gemma3 runs on candle".into()),
        };
        let arch = architecture.as_str();
        let int = |key: &str| -> Result<usize, String> {
            file.int(&format!("{arch}.{key}"))
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| format!("no {arch}.{key} in the metadata"))
        };
        let float = |key: &str| -> Option<f32> {
            file.content
                .metadata
                .get(&format!("{arch}.{key}"))
                .and_then(|v| v.to_f32().ok())
        };
        let hidden = int("embedding_length")?;
        let heads = int("attention.head_count")?;
        let kv_heads = int("attention.head_count_kv").unwrap_or(heads);
        let head_dim = int("attention.key_length").unwrap_or(hidden / heads.max(1));
        if let Ok(rope_dim) = int("rope.dimension_count")
            && rope_dim != head_dim
        {
            return Err(format!(
                "partial rotary embedding ({rope_dim} of {head_dim})"
            ));
        }
        if file.content.tensor_infos.contains_key("rope_freqs.weight") {
            return Err("scaled rotary frequencies (rope_freqs.weight)".into());
        }
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 || head_dim % 2 != 0 {
            return Err(format!(
                "{heads} query heads over {kv_heads} key/value heads of {head_dim} values"
            ));
        }
        Ok(NativeConfig {
            architecture,
            layers: int("block_count")?,
            hidden,
            feed_forward: int("feed_forward_length")?,
            heads,
            kv_heads,
            head_dim,
            rms_eps: float("attention.layer_norm_rms_epsilon").unwrap_or(1e-6),
            rope_base: float("rope.freq_base").unwrap_or(10_000.0),
            rope_style,
            context_length: file.context_length().unwrap_or(2048),
        })
    }

    /// Width of the query projection.
    pub fn query_width(&self) -> usize {
        self.heads * self.head_dim
    }

    /// Width of the key (and of the value) projection.
    pub fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
}
