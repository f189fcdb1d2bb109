//! Sentence embeddings with all-MiniLM-L6-v2 run by candle, computed the way
//! sentence-transformers does: BERT, mean pooling over the attention mask,
//! then L2 normalisation. The encoder is [`QuantizedBert`], most of whose
//! linear layers run as 8-bit matmuls so that a query embeds in about 5 ms.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::bert::QuantizedBert;
use super::error::RetrievalError;

/// Names how embeddings are computed; bump it when the encoder's arithmetic
/// changes so that stored vectors are recomputed.
const ENCODER_REVISION: &str = "bert-qkv_f32-q8_0-mean-l2/1";

/// sentence-transformers' `max_seq_length` for all-MiniLM-L6-v2.
const MAX_TOKENS: usize = 256;

/// A sentence embedder.
pub struct Embedder {
    model: QuantizedBert,
    tokenizer: Tokenizer,
    dimension: usize,
    fingerprint: String,
}

impl Embedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, RetrievalError> {
        let load_error = |reason: String| RetrievalError::LoadEmbedder {
            path: dir.to_path_buf(),
            reason,
        };
        let config_text = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| load_error(format!("config.json: {e}")))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| load_error(format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| load_error(format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| load_error(format!("tokenizer truncation: {e}")))?;
        let weights = dir.join("model.safetensors");
        // SAFETY: the file is memory-mapped read-only and not modified while mapped.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &Device::Cpu) }
                .map_err(|e| load_error(format!("model.safetensors: {e}")))?;
        let model = QuantizedBert::load(vb, &config)
            .map_err(|e| load_error(format!("the BERT weights: {e}")))?;
        let fingerprint = fingerprint(&config_text, &weights)
            .map_err(|e| load_error(format!("model.safetensors: {e}")))?;
        Ok(Embedder {
            model,
            tokenizer,
            dimension: config.hidden_size,
            fingerprint,
        })
    }

    /// The length of every embedding (384 for all-MiniLM-L6-v2).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Identifies the model and how it is run: equal fingerprints give equal
    /// vectors for equal texts.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Embeds `texts` in one batch; each vector has unit length.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, RetrievalError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| RetrievalError::Embed(format!("tokenizing: {e}")))?;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, RetrievalError> {
            let rows: Vec<Tensor> = encodings
                .iter()
                .map(|e| Tensor::new(f(e), &Device::Cpu))
                .collect::<Result<_, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(&|e| e.get_ids())?;
        let type_ids = rows(&|e| e.get_type_ids())?;
        let mask = rows(&|e| e.get_attention_mask())?;
        let hidden = self.model.forward(&ids, &type_ids, &mask)?;
        // Mean over the real tokens only.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }

    /// The contextual embedding of each of `text`'s tokens, without the
    /// special tokens ([CLS], [SEP]), each of unit length: what a
    /// BERTScore-style comparison of two texts matches greedily.
    pub fn token_embeddings(&self, text: &str) -> Result<Vec<Vec<f32>>, RetrievalError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| RetrievalError::Embed(format!("tokenizing: {e}")))?;
        let row = |ids: &[u32]| -> Result<Tensor, RetrievalError> {
            Ok(Tensor::new(ids, &Device::Cpu)?.unsqueeze(0)?)
        };
        let ids = row(encoding.get_ids())?;
        let type_ids = row(encoding.get_type_ids())?;
        let mask = row(encoding.get_attention_mask())?;
        let hidden = self.model.forward(&ids, &type_ids, &mask)?.squeeze(0)?;
        let rows = hidden.to_vec2::<f32>()?;
        Ok(rows
            .into_iter()
            .zip(encoding.get_special_tokens_mask())
            .filter(|(_, special)| **special == 0)
            .map(|(mut v, _)| {
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect())
    }

    /// Embeds one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, RetrievalError> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }
}

/// What identifies the vectors an embedder makes: how it runs, its
/// configuration, and a sample of its weights (the first and last MiB, and
/// the size: any fine-tune changes them), without reading 90 MB at startup.
fn fingerprint(config: &str, weights: &Path) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    const SAMPLE: u64 = 1 << 20;
    let mut file = std::fs::File::open(weights)?;
    let size = file.metadata()?.len();
    let mut sample = Vec::with_capacity(2 * SAMPLE as usize);
    file.by_ref().take(SAMPLE).read_to_end(&mut sample)?;
    file.seek(SeekFrom::Start(size.saturating_sub(SAMPLE)))?;
    file.take(SAMPLE).read_to_end(&mut sample)?;
    sample.extend_from_slice(config.as_bytes());
    sample.extend_from_slice(&size.to_le_bytes());
    Ok(format!(
        "{ENCODER_REVISION} {}",
        crate::digest::sha256_hex(&sample)
    ))
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}
