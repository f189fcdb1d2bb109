//! The hyperparameters of a native model, read from GGUF metadata.

use deskhand_kernels::RopeStyle;

use super::error::NativeError;
use crate::llm::adapter::Target;
use crate::llm::gguf::{Architecture, GgufFile};

/// Positions the rotary tables cover at most: longer prompts get a clear
/// error rather than tables for a million positions that a small CPU model
/// will never see.
pub const MAX_POSITIONS: usize = 32_768;

/// Tensors of layer 0 that mean a variant the native engine does not run
/// (experts, biased feed-forward layers).
const UNSUPPORTED_TENSORS: [&str; 4] = [
    "ffn_gate_inp.weight",
    "ffn_up.bias",
    "ffn_gate.bias",
    "ffn_down.bias",
];

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
    /// Reads the metadata of `file`: [`NativeError::Unsupported`] for what
    /// the native engine does not cover (the caller falls back to candle),
    /// [`NativeError::Invalid`] for what is missing.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, NativeError> {
        let unsupported = |what: String| Err(NativeError::Unsupported(what));
        let architecture = file.architecture;
        let rope_style = match architecture {
            Architecture::Llama => RopeStyle::Interleaved,
            Architecture::Qwen2 | Architecture::Qwen3 => RopeStyle::Halves,
            Architecture::Gemma3 => return unsupported("gemma3".into()),
        };
        let arch = architecture.as_str();
        let int = |key: &str| -> Result<usize, NativeError> {
            file.int(&format!("{arch}.{key}"))
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| NativeError::Invalid(format!("no {arch}.{key} in the metadata")))
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
            return unsupported(format!(
                "partial rotary embedding ({rope_dim} of {head_dim})"
            ));
        }
        if int("expert_count").is_ok_and(|experts| experts > 0) {
            return unsupported("a mixture of experts".into());
        }
        if let Some(scaling) = file.str(&format!("{arch}.rope.scaling.type"))
            && scaling != "none"
        {
            return unsupported(format!("{scaling} rotary scaling"));
        }
        let tensors = &file.content.tensor_infos;
        if tensors.contains_key("rope_freqs.weight") {
            return unsupported("scaled rotary frequencies (rope_freqs.weight)".into());
        }
        if let Some(part) = UNSUPPORTED_TENSORS
            .iter()
            .find(|part| tensors.contains_key(&format!("blk.0.{part}")))
        {
            return unsupported(format!("tensor blk.0.{part}"));
        }
        if heads == 0 || kv_heads == 0 || !heads.is_multiple_of(kv_heads) || head_dim % 2 != 0 {
            return unsupported(format!(
                "{heads} query heads over {kv_heads} key/value heads of {head_dim} values"
            ));
        }
        let layers = int("block_count")?;
        let feed_forward = int("feed_forward_length")?;
        if hidden == 0 || layers == 0 || feed_forward == 0 {
            return Err(NativeError::Invalid(format!(
                "{layers} layers of width {hidden} and feed-forward {feed_forward}"
            )));
        }
        Ok(NativeConfig {
            architecture,
            layers,
            hidden,
            feed_forward,
            heads,
            kv_heads,
            head_dim,
            rms_eps: float("attention.layer_norm_rms_epsilon").unwrap_or(1e-6),
            rope_base: float("rope.freq_base").unwrap_or(10_000.0),
            rope_style,
            context_length: file.context_length().unwrap_or(2048).min(MAX_POSITIONS),
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

    /// `(outputs, inputs)` of a projection.
    pub fn projection_shape(&self, target: Target) -> (usize, usize) {
        match target {
            Target::Query => (self.query_width(), self.hidden),
            Target::Key | Target::Value => (self.kv_width(), self.hidden),
            Target::Output => (self.hidden, self.query_width()),
            Target::Gate | Target::Up => (self.feed_forward, self.hidden),
            Target::Down => (self.hidden, self.feed_forward),
        }
    }
}
