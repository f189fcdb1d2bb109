//! The model as a differentiable candle graph for training: the GGUF's
//! weights dequantised to f32 and frozen ([`Frozen`]), the forward pass of
//! the native engine (RMSNorm, rotary embeddings in the file's style,
//! grouped-query causal attention, SiLU-gated feed-forward), and LoRA
//! deltas on the projections an [`Lora`] adapts.
//!
//! A batch is several sequences laid end to end: the projections run on
//! all their rows at once, attention runs per sequence, so no position is
//! padding.

use std::collections::BTreeMap;
use std::sync::Arc;

use candle_core::quantized::QTensor;
use candle_core::{D, DType, Device, Tensor};

use super::activation::SiluMul;
use super::error::TuneError;
use super::frozen::{Frozen, Kernels};
use super::lora::LoraWeights;
use super::norm::RmsNorm;
use super::rope::Rope;
use crate::llm::adapter::Target;
use crate::llm::{GgufFile, NativeConfig};

struct Block {
    attention_norm: RmsNorm,
    ffn_norm: RmsNorm,
    projections: BTreeMap<Target, Frozen>,
    biases: BTreeMap<Target, Tensor>,
    query_norm: Option<RmsNorm>,
    key_norm: Option<RmsNorm>,
}

/// The frozen model.
pub struct Network {
    pub config: NativeConfig,
    embeddings: Tensor,
    blocks: Vec<Block>,
    output_norm: RmsNorm,
    output: Frozen,
    rope: Rope,
    silu_mul: SiluMul,
    kernels: Arc<Kernels>,
}

fn read(file: &mut GgufFile, name: &str) -> Result<QTensor, TuneError> {
    let GgufFile {
        content, reader, ..
    } = file;
    content
        .tensor(reader, name, &Device::Cpu)
        .map_err(|e| TuneError::Model(format!("reading {name}: {e}")))
}

fn values(file: &mut GgufFile, name: &str) -> Result<Tensor, TuneError> {
    read(file, name)?
        .dequantize(&Device::Cpu)
        .map_err(|e| TuneError::Model(format!("reading {name}: {e}")))
}

fn has(file: &GgufFile, name: &str) -> bool {
    file.content.tensor_infos.contains_key(name)
}

impl Network {
    /// Reads every tensor of `file` (a llama, Qwen 2 or Qwen 3 GGUF) for
    /// training on `kernels`, with rotary tables for `positions`.
    pub fn load(
        mut file: GgufFile,
        kernels: Arc<Kernels>,
        positions: usize,
    ) -> Result<Network, TuneError> {
        let config = NativeConfig::from_gguf(&file).map_err(|e| {
            TuneError::Model(format!(
                "{}: deskhand tunes llama, Qwen 2 and Qwen 3 models ({e})",
                file.path.display()
            ))
        })?;
        let frozen = |file: &mut GgufFile, name: &str| -> Result<Frozen, TuneError> {
            let t = values(file, name)?;
            let (outputs, inputs) = t.dims2()?;
            let rows = t.flatten_all()?.to_vec1::<f32>()?;
            Ok(Frozen::new(outputs, inputs, &rows, kernels.clone()))
        };
        let embeddings = values(&mut file, "token_embd.weight")?;
        let output = if has(&file, "output.weight") {
            frozen(&mut file, "output.weight")?
        } else {
            let (outputs, inputs) = embeddings.dims2()?;
            let rows = embeddings.flatten_all()?.to_vec1::<f32>()?;
            Frozen::new(outputs, inputs, &rows, kernels.clone())
        };
        let mut blocks = Vec::with_capacity(config.layers);
        for layer in 0..config.layers {
            let name = |part: &str| format!("blk.{layer}.{part}");
            let mut projections = BTreeMap::new();
            let mut biases = BTreeMap::new();
            for target in Target::ALL {
                projections.insert(
                    target,
                    frozen(&mut file, &name(&format!("{}.weight", target.gguf_name())))?,
                );
                let bias = name(&format!("{}.bias", target.gguf_name()));
                if has(&file, &bias) {
                    biases.insert(target, values(&mut file, &bias)?);
                }
            }
            let norm = |file: &mut GgufFile, part: &str| -> Result<RmsNorm, TuneError> {
                Ok(RmsNorm::new(
                    &values(file, &name(part))?,
                    config.rms_eps,
                    kernels.clone(),
                )?)
            };
            let optional =
                |file: &mut GgufFile, part: &str| -> Result<Option<RmsNorm>, TuneError> {
                    if has(file, &name(part)) {
                        norm(file, part).map(Some)
                    } else {
                        Ok(None)
                    }
                };
            blocks.push(Block {
                attention_norm: norm(&mut file, "attn_norm.weight")?,
                ffn_norm: norm(&mut file, "ffn_norm.weight")?,
                query_norm: optional(&mut file, "attn_q_norm.weight")?,
                key_norm: optional(&mut file, "attn_k_norm.weight")?,
                projections,
                biases,
            });
        }
        let output_norm = RmsNorm::new(
            &values(&mut file, "output_norm.weight")?,
            config.rms_eps,
            kernels.clone(),
        )?;
        let positions = positions.min(config.context_length).max(1);
        let rope = Rope::new(
            config.head_dim,
            config.rope_base,
            positions,
            config.rope_style,
            kernels.clone(),
        );
        Ok(Network {
            rope,
            config,
            embeddings,
            blocks,
            output_norm,
            output,
            silu_mul: SiluMul::new(kernels.clone()),
            kernels,
        })
    }

    /// Runs `work` on the kernels' worker threads, so that candle's parallel
    /// operations share those threads with the projections instead of
    /// spinning up a second pool that competes for the same cores.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.kernels.pool.install(work)
    }

    /// The longest sequence the rotary tables cover.
    pub fn max_positions(&self) -> usize {
        self.rope.positions()
    }

    /// The final hidden states (after the output norm) of every position of
    /// every sequence, end to end: `Σ len × hidden`.
    pub fn hidden(
        &self,
        sequences: &[&[u32]],
        lora: Option<&LoraWeights>,
    ) -> Result<Tensor, TuneError> {
        let lengths: Vec<usize> = sequences.iter().map(|s| s.len()).collect();
        if let Some(&long) = lengths
            .iter()
            .find(|&&l| l > self.max_positions() || l == 0)
        {
            return Err(TuneError::Data(format!(
                "a sequence of {long} tokens; training takes 1 to {} (--max-seq-len)",
                self.max_positions()
            )));
        }
        let ids: Vec<u32> = sequences.iter().flat_map(|s| s.iter().copied()).collect();
        let ids = Tensor::new(ids.as_slice(), &Device::Cpu)?;
        let mut h = self.embeddings.index_select(&ids, 0)?;
        for (index, block) in self.blocks.iter().enumerate() {
            let project = |target: Target, x: &Tensor| -> Result<Tensor, TuneError> {
                let mut y = block.projections[&target].forward(x)?;
                if let Some(bias) = block.biases.get(&target) {
                    y = y.broadcast_add(bias)?;
                }
                if let Some(lora) = lora {
                    y = lora.add_delta(index, target, x, y)?;
                }
                Ok(y)
            };
            let x = block.attention_norm.forward(&h)?;
            let q = project(Target::Query, &x)?;
            let k = project(Target::Key, &x)?;
            let v = project(Target::Value, &x)?;
            let mut attended = Vec::with_capacity(lengths.len());
            let mut start = 0;
            for &len in &lengths {
                attended.push(self.attention(
                    block,
                    &q.narrow(0, start, len)?,
                    &k.narrow(0, start, len)?,
                    &v.narrow(0, start, len)?,
                )?);
                start += len;
            }
            let attended = Tensor::cat(&attended, 0)?;
            h = (h + project(Target::Output, &attended)?)?;
            let x = block.ffn_norm.forward(&h)?;
            let gate = project(Target::Gate, &x)?;
            let up = project(Target::Up, &x)?;
            let activated = self.silu_mul.forward(&gate, &up)?;
            h = (h + project(Target::Down, &activated)?)?;
        }
        Ok(self.output_norm.forward(&h)?)
    }

    /// Causal attention of one sequence: `q` is `len × heads·dim`, `k` and
    /// `v` `len × kv_heads·dim`; returns `len × heads·dim`.
    fn attention(
        &self,
        block: &Block,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
    ) -> Result<Tensor, TuneError> {
        let c = &self.config;
        let len = q.dims()[0];
        let heads = |t: &Tensor, n: usize, norm: &Option<RmsNorm>| -> Result<Tensor, TuneError> {
            let mut t = t.reshape((len, n, c.head_dim))?;
            if let Some(norm) = norm {
                t = norm.forward(&t)?;
            }
            Ok(t.transpose(0, 1)?.contiguous()?)
        };
        let q = self.rope.forward(&heads(q, c.heads, &block.query_norm)?)?;
        let k = self.rope.forward(&heads(k, c.kv_heads, &block.key_norm)?)?;
        let v = heads(v, c.kv_heads, &None)?;
        let group = c.heads / c.kv_heads;
        let repeat = |t: Tensor| -> Result<Tensor, TuneError> {
            if group == 1 {
                return Ok(t);
            }
            Ok(t.unsqueeze(1)?
                .broadcast_as((c.kv_heads, group, len, c.head_dim))?
                .reshape((c.heads, len, c.head_dim))?)
        };
        let (k, v) = (repeat(k)?, repeat(v)?);
        let scores = (q.matmul(&k.t()?)? * (1.0 / (c.head_dim as f64).sqrt()))?;
        let mask: Vec<f32> = (0..len)
            .flat_map(|i| (0..len).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (len, len), &Device::Cpu)?;
        let scores = scores.broadcast_add(&mask)?;
        let shift = scores.max_keepdim(D::Minus1)?.detach();
        let weights = scores.broadcast_sub(&shift)?.exp()?;
        let weights = weights.broadcast_div(&weights.sum_keepdim(D::Minus1)?)?;
        let out = weights.matmul(&v)?;
        Ok(out.transpose(0, 1)?.reshape((len, c.heads * c.head_dim))?)
    }

    /// Rotary embeddings of `heads × len × dim` at positions `0..len`.
    pub fn logits(&self, tokens: &[u32], lora: Option<&LoraWeights>) -> Result<Tensor, TuneError> {
        let h = self.hidden(&[tokens], lora)?;
        Ok(self.output.forward(&h)?)
    }

    /// The summed negative log-likelihood of every trained token of the
    /// batch (a token is trained when `mask` says the assistant wrote it),
    /// and how many there were.
    pub fn loss(
        &self,
        batch: &[(&[u32], &[bool])],
        lora: Option<&LoraWeights>,
    ) -> Result<(Tensor, usize), TuneError> {
        let sequences: Vec<&[u32]> = batch.iter().map(|(t, _)| *t).collect();
        let h = self.hidden(&sequences, lora)?;
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        let mut start = 0u32;
        for (tokens, mask) in batch {
            for t in 1..tokens.len() {
                if mask[t] {
                    rows.push(start + t as u32 - 1);
                    targets.push(tokens[t]);
                }
            }
            start += tokens.len() as u32;
        }
        if rows.is_empty() {
            return Ok((Tensor::zeros((), DType::F32, &Device::Cpu)?, 0));
        }
        let count = rows.len();
        let rows = Tensor::new(rows.as_slice(), &Device::Cpu)?;
        let logits = self.output.forward(&h.index_select(&rows, 0)?)?;
        let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let targets = Tensor::new(targets.as_slice(), &Device::Cpu)?.unsqueeze(1)?;
        let picked = log_probs.gather(&targets, 1)?;
        Ok((picked.sum_all()?.neg()?, count))
    }
}
