//! LoRA adapters: low-rank deltas `ΔW = (α/r)·B·A` on a model's projections.
//!
//! * this file: the adapter as plain numbers, in the model's own (GGUF)
//!   layout, and how the native engine adds it to a projection's output;
//! * [`peft`]: PEFT's files (`adapter_model.safetensors` with
//!   `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`
//!   names, and `adapter_config.json`), read and written;
//! * [`gguf`]: llama.cpp's GGUF LoRA adapter (`general.type = adapter`,
//!   `blk.N.attn_q.weight.lora_a`), read and written.
//!
//! llama GGUF files store the query and key rows permuted for interleaved
//! rotary embeddings; PEFT's tensors are in Hugging Face's order. The
//! adapter keeps the GGUF order, and [`peft`] converts `B` of `q_proj` and
//! `k_proj` on the way in and out.

pub mod gguf;
pub mod peft;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::gguf::Architecture;

/// A projection that LoRA can adapt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Query,
    Key,
    Value,
    Output,
    Gate,
    Up,
    Down,
}

impl Target {
    /// Every target, attention first.
    pub const ALL: [Target; 7] = [
        Target::Query,
        Target::Key,
        Target::Value,
        Target::Output,
        Target::Gate,
        Target::Up,
        Target::Down,
    ];
    /// The attention projections: PEFT's usual choice.
    pub const ATTENTION: [Target; 4] = [Target::Query, Target::Key, Target::Value, Target::Output];

    /// The module's name in Hugging Face models (and PEFT's `target_modules`).
    pub fn hf_name(self) -> &'static str {
        match self {
            Target::Query => "q_proj",
            Target::Key => "k_proj",
            Target::Value => "v_proj",
            Target::Output => "o_proj",
            Target::Gate => "gate_proj",
            Target::Up => "up_proj",
            Target::Down => "down_proj",
        }
    }

    /// The Hugging Face sub-module holding it.
    pub fn hf_block(self) -> &'static str {
        match self {
            Target::Query | Target::Key | Target::Value | Target::Output => "self_attn",
            _ => "mlp",
        }
    }

    /// The tensor's name in GGUF files, without `blk.N.` and `.weight`.
    pub fn gguf_name(self) -> &'static str {
        match self {
            Target::Query => "attn_q",
            Target::Key => "attn_k",
            Target::Value => "attn_v",
            Target::Output => "attn_output",
            Target::Gate => "ffn_gate",
            Target::Up => "ffn_up",
            Target::Down => "ffn_down",
        }
    }

    /// The target named `name` in either convention (`q_proj`, `attn_q`, `q`).
    pub fn from_name(name: &str) -> Option<Target> {
        let name = name.trim();
        Target::ALL.into_iter().find(|t| {
            name == t.hf_name()
                || name == t.gguf_name()
                || name == t.hf_name().trim_end_matches("_proj")
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hf_name())
    }
}

/// One adapted projection: `A` is `rank × inputs`, `B` is `outputs × rank`,
/// both row-major, in the model's GGUF row order.
#[derive(Debug, Clone, PartialEq)]
pub struct LowRank {
    pub inputs: usize,
    pub outputs: usize,
    pub a: Vec<f32>,
    pub b: Vec<f32>,
}

impl LowRank {
    /// The rank: rows of `A`.
    pub fn rank(&self) -> usize {
        self.a.len() / self.inputs.max(1)
    }

    /// `y[row] += scale · B·(A·x[row])` for every `inputs`-wide row of `x`,
    /// writing into the `outputs` values of each `y` row that start at
    /// `offset` (a stacked projection's slice), rows `stride` apart.
    pub fn add_to(&self, x: &[f32], y: &mut [f32], stride: usize, offset: usize, scale: f32) {
        let rank = self.rank();
        let mut low = vec![0f32; rank];
        for (row, out) in x.chunks_exact(self.inputs).zip(y.chunks_mut(stride)) {
            for (l, a) in low.iter_mut().zip(self.a.chunks_exact(self.inputs)) {
                *l = a.iter().zip(row).map(|(a, x)| a * x).sum::<f32>() * scale;
            }
            for (o, b) in out[offset..offset + self.outputs]
                .iter_mut()
                .zip(self.b.chunks_exact(rank))
            {
                *o += b.iter().zip(&low).map(|(b, l)| b * l).sum::<f32>();
            }
        }
    }
}

/// A LoRA adapter for one base model.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    /// The rank `r` every projection was trained with.
    pub rank: usize,
    /// `lora_alpha`: the delta is scaled by `alpha / rank`.
    pub alpha: f32,
    /// The dropout it was trained with (recorded, not applied at inference).
    pub dropout: f32,
    /// The adapted projections, by layer and target.
    pub layers: BTreeMap<(usize, Target), LowRank>,
    /// The base model's name or path, for `adapter_config.json`.
    pub base_model: Option<String>,
}

impl Adapter {
    /// The factor of every delta.
    pub fn scale(&self) -> f32 {
        self.alpha / self.rank.max(1) as f32
    }

    /// The targets adapted in any layer.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = self.layers.keys().map(|(_, t)| *t).collect();
        targets.sort();
        targets.dedup();
        targets
    }

    /// Trainable numbers.
    pub fn parameters(&self) -> usize {
        self.layers.values().map(|l| l.a.len() + l.b.len()).sum()
    }

    /// The delta for `target` of `layer`, if adapted.
    pub fn get(&self, layer: usize, target: Target) -> Option<&LowRank> {
        self.layers.get(&(layer, target))
    }

    /// Reads an adapter from `path`: a PEFT folder (or its
    /// `adapter_model.safetensors`), or a GGUF LoRA file.
    pub fn load(path: &Path, layout: &QkLayout) -> Result<Adapter, AdapterError> {
        if path.is_dir() || path.extension().is_some_and(|e| e == "safetensors") {
            peft::load(path, layout)
        } else {
            gguf::load(path)
        }
    }

    /// Checks that every delta fits the model: layers and shapes.
    pub fn check_against(
        &self,
        shapes: &dyn Fn(Target) -> (usize, usize),
        layers: usize,
    ) -> Result<(), AdapterError> {
        for (&(layer, target), delta) in &self.layers {
            if layer >= layers {
                return Err(AdapterError::Mismatch(format!(
                    "the adapter has layer {layer}, the model only {layers}"
                )));
            }
            let (outputs, inputs) = shapes(target);
            if (delta.outputs, delta.inputs) != (outputs, inputs)
                || delta.a.len() != self.rank * inputs
                || delta.b.len() != outputs * self.rank
            {
                return Err(AdapterError::Mismatch(format!(
                    "{target} of layer {layer} is {}×{} of rank {}, the model's is {outputs}×{inputs} (rank {})",
                    delta.outputs,
                    delta.inputs,
                    delta.rank(),
                    self.rank
                )));
            }
        }
        Ok(())
    }
}

/// What converting between GGUF's and Hugging Face's query/key row order
/// needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QkLayout {
    pub architecture: Architecture,
    pub heads: usize,
    pub kv_heads: usize,
}

impl QkLayout {
    /// Whether the GGUF rows of `target` are permuted (llama's q and k).
    fn permuted(&self, target: Target) -> bool {
        self.architecture == Architecture::Llama && matches!(target, Target::Query | Target::Key)
    }

    fn heads_of(&self, target: Target) -> usize {
        if target == Target::Key {
            self.kv_heads
        } else {
            self.heads
        }
    }

    /// Rows of `B` (`outputs × rank`) from Hugging Face's order to GGUF's:
    /// within each head, row `half·d/2 + j` goes to `2j + half`.
    pub fn to_gguf(&self, target: Target, b: &[f32], outputs: usize) -> Vec<f32> {
        self.permute(target, b, outputs, true)
    }

    /// Rows of `B` from GGUF's order to Hugging Face's.
    pub fn to_hf(&self, target: Target, b: &[f32], outputs: usize) -> Vec<f32> {
        self.permute(target, b, outputs, false)
    }

    fn permute(&self, target: Target, b: &[f32], outputs: usize, to_gguf: bool) -> Vec<f32> {
        if !self.permuted(target) || outputs == 0 {
            return b.to_vec();
        }
        let width = b.len() / outputs;
        let heads = self.heads_of(target).max(1);
        let dim = outputs / heads;
        let half = dim / 2;
        let mut out = vec![0f32; b.len()];
        for h in 0..heads {
            for which in 0..2 {
                for j in 0..half {
                    let hf = h * dim + which * half + j;
                    let gg = h * dim + 2 * j + which;
                    let (from, to) = if to_gguf { (hf, gg) } else { (gg, hf) };
                    out[to * width..(to + 1) * width]
                        .copy_from_slice(&b[from * width..(from + 1) * width]);
                }
            }
        }
        out
    }
}

/// Why an adapter could not be read, written or applied.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The file or folder could not be read or written.
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// The files are not an adapter deskhand reads.
    #[error("{path} is not a LoRA adapter deskhand reads: {reason}")]
    Format { path: PathBuf, reason: String },
    /// The adapter was made for another model.
    #[error("the adapter does not fit this model: {0}")]
    Mismatch(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_rows_round_trip_between_hf_and_gguf_order() {
        let layout = QkLayout {
            architecture: Architecture::Llama,
            heads: 2,
            kv_heads: 1,
        };
        // 2 heads of 4 rows, rank 1: row i holds i.
        let b: Vec<f32> = (0..8).map(|i| i as f32).collect();
        let gguf = layout.to_gguf(Target::Query, &b, 8);
        // Head 0 in HF order is [x0, x1 | y0, y1]; GGUF interleaves them.
        assert_eq!(&gguf[..4], &[0.0, 2.0, 1.0, 3.0]);
        assert_eq!(layout.to_hf(Target::Query, &gguf, 8), b);
        // Values are never permuted.
        assert_eq!(layout.to_gguf(Target::Value, &b, 8), b);
    }

    #[test]
    fn a_delta_adds_the_scaled_low_rank_product_into_its_slice() {
        let delta = LowRank {
            inputs: 2,
            outputs: 2,
            a: vec![1.0, 2.0],  // rank 1
            b: vec![1.0, -1.0], // 2 × 1
        };
        let x = [1.0, 1.0];
        let mut y = [10.0, 0.0, 0.0];
        delta.add_to(&x, &mut y, 3, 1, 0.5);
        assert_eq!(y, [10.0, 1.5, -1.5]);
    }
}
