//! Models with random weights, written as GGUF files with candle's writer.
//!
//! Speed does not depend on the weights' values, so `deskhand bench llm`
//! measures a second architecture (Qwen 3, in the shape of Qwen3-0.6B) on a
//! file it writes itself, and the tests get tiny models of every family.
//! The tokenizer is byte-level BPE (GPT-2's 256 byte tokens, one merge,
//! filler tokens up to the vocabulary size, ChatML's special tokens).

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value as Gguf};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::LlmError;
use super::gguf::Architecture;

/// ChatML's special tokens, last in the vocabulary.
const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The shape and storage of a random model.
#[derive(Debug, Clone)]
pub struct SyntheticModel {
    pub architecture: Architecture,
    pub name: String,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub feed_forward: usize,
    pub vocab: usize,
    pub context_length: usize,
    /// The type of the layers' matrices.
    pub weights: GgmlDType,
    /// The type of the token embeddings (tied to the output).
    pub embeddings: GgmlDType,
    /// Standard deviation of the random values.
    pub scale: f32,
    /// Seed of the random values: the same seed writes the same file.
    pub seed: u64,
    /// Words that get tokens of their own (with and without a leading
    /// space), so that text splits about as a trained tokenizer splits it;
    /// see [`SyntheticModel::with_words_from`].
    pub words: Vec<String>,
}

impl SyntheticModel {
    /// Qwen3-0.6B's shape (28 layers, 1024 wide, 16/8 heads of 128, a
    /// 151 936-token vocabulary), Q4_1 layers and Q8_0 embeddings like the
    /// default chat model's file.
    pub fn qwen3_0_6b() -> Self {
        SyntheticModel {
            architecture: Architecture::Qwen3,
            name: "random-qwen3-0.6b".into(),
            hidden: 1024,
            layers: 28,
            heads: 16,
            kv_heads: 8,
            head_dim: 128,
            feed_forward: 3072,
            vocab: 151_936,
            context_length: 4096,
            weights: GgmlDType::Q4_1,
            embeddings: GgmlDType::Q8_0,
            scale: 0.02,
            seed: 0,
            words: Vec::new(),
        }
    }

    /// A model small enough for a unit test, in f32.
    pub fn tiny(architecture: Architecture) -> Self {
        SyntheticModel {
            architecture,
            name: format!("tiny-{}", architecture.as_str()),
            hidden: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 16,
            feed_forward: 128,
            vocab: 256 + 1 + SPECIALS.len(),
            context_length: 512,
            weights: GgmlDType::F32,
            embeddings: GgmlDType::F32,
            scale: 0.5,
            seed: 0,
            words: Vec::new(),
        }
    }

    /// Gives the words of `text` (letters only, most frequent first) whole
    /// tokens, built by BPE merges of their prefixes. Without them every
    /// byte is a token, and a prompt is four times as long as a trained
    /// tokenizer would make it.
    pub fn with_words_from(mut self, text: &str) -> Self {
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
            if word.len() >= 2 {
                *counts.entry(word).or_default() += 1;
            }
        }
        let mut words: Vec<(&str, usize)> = counts.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        self.words = words.into_iter().map(|(w, _)| w.to_string()).collect();
        self
    }

    /// Tokens and merges for [`SyntheticModel::words`], within `budget`
    /// tokens: every prefix of "Ġword" and of "word" is a token, each made
    /// by merging the previous prefix with the next letter; shorter
    /// results merge first, as in a trained BPE.
    fn word_merges(&self, budget: usize) -> (Vec<String>, Vec<String>) {
        let mut tokens: Vec<String> = Vec::new();
        // "Ġt" is always there (see `write`).
        let mut seen = std::collections::HashSet::from(["\u{120}t".to_string()]);
        let mut merges: Vec<(usize, String)> = Vec::new();
        for word in &self.words {
            for form in [format!("\u{120}{word}"), word.clone()] {
                let chars: Vec<char> = form.chars().collect();
                let new: Vec<usize> = (2..=chars.len())
                    .filter(|&n| !seen.contains(&chars[..n].iter().collect::<String>()))
                    .collect();
                if tokens.len() + new.len() > budget {
                    return (tokens, merges.into_iter().map(|(_, m)| m).collect());
                }
                for n in new {
                    let token: String = chars[..n].iter().collect();
                    let left: String = chars[..n - 1].iter().collect();
                    merges.push((n, format!("{left} {}", chars[n - 1])));
                    seen.insert(token.clone());
                    tokens.push(token);
                }
            }
        }
        merges.sort_by_key(|(n, _)| *n);
        (tokens, merges.into_iter().map(|(_, m)| m).collect())
    }

    /// The id of `<|im_end|>`, the end-of-turn token.
    pub fn eos(&self) -> u32 {
        (self.vocab - 1) as u32
    }

    /// Writes the model to `path`.
    pub fn write(&self, path: &Path) -> Result<(), LlmError> {
        let failed = |reason: String| LlmError::Load {
            path: path.to_path_buf(),
            reason,
        };
        let arch = self.architecture.as_str();
        if matches!(self.architecture, Architecture::Gemma3) {
            return Err(failed("random gemma3 models are not written".into()));
        }
        let base = 256 + 1 + SPECIALS.len();
        if self.vocab < base {
            return Err(failed(format!(
                "the vocabulary needs at least {base} tokens"
            )));
        }
        let mut tokens = byte_tokens();
        tokens.push("\u{120}t".into()); // "Ġt": one merge, so the BPE has something to do
        let mut merges = vec![Gguf::String("\u{120} t".into())];
        let (words, word_merges) = self.word_merges(self.vocab - base);
        tokens.extend(words);
        merges.extend(word_merges.into_iter().map(Gguf::String));
        let filler = self.vocab - SPECIALS.len() - tokens.len();
        tokens.extend((0..filler).map(|i| format!("[unused{i}]")));
        let mut types = vec![Gguf::I32(1); tokens.len()];
        for special in SPECIALS {
            tokens.push(special.into());
            types.push(Gguf::I32(3));
        }
        let key = |name: &str| format!("{arch}.{name}");
        let u32_of = |v: usize| Gguf::U32(v as u32);
        let mut metadata: Vec<(String, Gguf)> = vec![
            ("general.architecture".into(), Gguf::String(arch.into())),
            ("general.name".into(), Gguf::String(self.name.clone())),
            (key("block_count"), u32_of(self.layers)),
            (key("context_length"), u32_of(self.context_length)),
            (key("embedding_length"), u32_of(self.hidden)),
            (key("feed_forward_length"), u32_of(self.feed_forward)),
            (key("attention.head_count"), u32_of(self.heads)),
            (key("attention.head_count_kv"), u32_of(self.kv_heads)),
            (key("attention.key_length"), u32_of(self.head_dim)),
            (key("attention.value_length"), u32_of(self.head_dim)),
            (key("attention.layer_norm_rms_epsilon"), Gguf::F32(1e-6)),
            (key("rope.freq_base"), Gguf::F32(1_000_000.0)),
            ("tokenizer.ggml.model".into(), Gguf::String("gpt2".into())),
            ("tokenizer.ggml.pre".into(), Gguf::String("qwen2".into())),
            (
                "tokenizer.ggml.tokens".into(),
                Gguf::Array(tokens.into_iter().map(Gguf::String).collect()),
            ),
            ("tokenizer.ggml.token_type".into(), Gguf::Array(types)),
            ("tokenizer.ggml.merges".into(), Gguf::Array(merges)),
            ("tokenizer.ggml.eos_token_id".into(), Gguf::U32(self.eos())),
            (
                "tokenizer.ggml.bos_token_id".into(),
                Gguf::U32((self.vocab - 3) as u32),
            ),
            ("tokenizer.ggml.add_bos_token".into(), Gguf::Bool(false)),
        ];
        if self.architecture == Architecture::Llama {
            metadata.push((key("rope.dimension_count"), u32_of(self.head_dim)));
        }

        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut tensor = |shape: &[usize], dtype: GgmlDType| -> Result<QTensor, LlmError> {
            let count = shape.iter().product();
            // Irwin–Hall: the sum of four uniforms, scaled to unit variance.
            let values: Vec<f32> = (0..count)
                .map(|_| {
                    let sum: f32 = (0..4).map(|_| rng.random::<f32>() - 0.5).sum();
                    sum * 3f32.sqrt() * self.scale
                })
                .collect();
            let values = Tensor::from_vec(values, shape, &Device::Cpu)?;
            Ok(QTensor::quantize(&values, dtype)?)
        };
        let ones = |size: usize| -> Result<QTensor, LlmError> {
            let values = Tensor::ones(size, DType::F32, &Device::Cpu)?;
            Ok(QTensor::quantize(&values, GgmlDType::F32)?)
        };
        let (q, kv) = (self.heads * self.head_dim, self.kv_heads * self.head_dim);
        let mut tensors: Vec<(String, QTensor)> = vec![
            (
                "token_embd.weight".into(),
                tensor(&[self.vocab, self.hidden], self.embeddings)?,
            ),
            ("output_norm.weight".into(), ones(self.hidden)?),
        ];
        for layer in 0..self.layers {
            let name = |part: &str| format!("blk.{layer}.{part}");
            let w = self.weights;
            tensors.extend([
                (name("attn_norm.weight"), ones(self.hidden)?),
                (name("attn_q.weight"), tensor(&[q, self.hidden], w)?),
                (name("attn_k.weight"), tensor(&[kv, self.hidden], w)?),
                (name("attn_v.weight"), tensor(&[kv, self.hidden], w)?),
                (name("attn_output.weight"), tensor(&[self.hidden, q], w)?),
                (name("ffn_norm.weight"), ones(self.hidden)?),
                (
                    name("ffn_gate.weight"),
                    tensor(&[self.feed_forward, self.hidden], w)?,
                ),
                (
                    name("ffn_up.weight"),
                    tensor(&[self.feed_forward, self.hidden], w)?,
                ),
                (
                    name("ffn_down.weight"),
                    tensor(&[self.hidden, self.feed_forward], w)?,
                ),
            ]);
            match self.architecture {
                Architecture::Qwen3 => {
                    tensors.push((name("attn_q_norm.weight"), ones(self.head_dim)?));
                    tensors.push((name("attn_k_norm.weight"), ones(self.head_dim)?));
                }
                Architecture::Qwen2 => {
                    let f32 = GgmlDType::F32;
                    tensors.push((name("attn_q.bias"), tensor(&[q], f32)?));
                    tensors.push((name("attn_k.bias"), tensor(&[kv], f32)?));
                    tensors.push((name("attn_v.bias"), tensor(&[kv], f32)?));
                }
                Architecture::Llama | Architecture::Gemma3 => {}
            }
        }
        let metadata: Vec<(&str, &Gguf)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let partial = path.with_extension("gguf.partial");
        let mut file = std::fs::File::create(&partial).map_err(|e| failed(e.to_string()))?;
        gguf_file::write(&mut file, &metadata, &tensors).map_err(|e| failed(e.to_string()))?;
        drop(file);
        std::fs::rename(&partial, path).map_err(|e| failed(e.to_string()))
    }
}

/// GPT-2's byte-to-character table: the 256 byte-level tokens, in byte order.
fn byte_tokens() -> Vec<String> {
    let mut bytes: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut chars = bytes.clone();
    let mut extra = 0;
    for b in 0..256u32 {
        if !bytes.contains(&b) {
            bytes.push(b);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    let mut table: Vec<(u32, char)> = bytes
        .into_iter()
        .zip(
            chars
                .into_iter()
                .map(|c| char::from_u32(c).expect("a valid char")),
        )
        .collect();
    table.sort();
    table.into_iter().map(|(_, c)| c.to_string()).collect()
}
