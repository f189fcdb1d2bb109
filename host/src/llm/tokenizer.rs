//! A tokenizer built from a GGUF file's own metadata (`tokenizer.ggml.*`),
//! with the `tokenizers` crate: no tokenizer.json is needed.
//!
//! Two vocabulary styles are supported, as llama.cpp names them:
//!
//! * `gpt2`: byte-level BPE with merges (SmolLM2, Qwen, Llama 3). The
//!   pre-tokenizer follows `tokenizer.ggml.pre` (`smollm`, `qwen2`,
//!   `llama-bpe`, or GPT-2's default).
//! * `llama`: SentencePiece BPE with byte fallback (TinyLlama, Gemma). When
//!   the file has no merges they are derived from the pieces' scores.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::replace::Replace;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    AddedToken, DecoderWrapper, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer,
};

use super::error::LlmError;
use super::gguf::{GgufFile, value_int};

/// GGUF token types (llama.cpp's `llama_token_type`).
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;
const TYPE_BYTE: i64 = 6;

/// The marker toktrie uses for special tokens, so they never match text.
const SPECIAL_MARKER: u8 = 0xFF;

const QWEN2_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const LLAMA3_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The model's tokenizer and the facts about its special tokens.
pub struct ModelTokenizer {
    inner: Tokenizer,
    bos: Option<u32>,
    eos: u32,
    /// Tokens that end a turn or the text (EOS, `<|im_end|>`, `<end_of_turn>`, …).
    stop_tokens: Vec<u32>,
    /// Whether prompts start with BOS.
    add_bos: bool,
    /// Each token's bytes, special tokens prefixed with 0xFF (for toktrie).
    token_bytes: Vec<Vec<u8>>,
    /// The text of each special (control) token, e.g. `<|im_start|>`.
    special_texts: Vec<String>,
}

fn string_array(file: &GgufFile, key: &str) -> Result<Vec<String>, LlmError> {
    let values = file
        .content
        .metadata
        .get(key)
        .ok_or_else(|| LlmError::Tokenizer(format!("{key} is missing")))?
        .to_vec()
        .map_err(|e| LlmError::Tokenizer(format!("{key}: {e}")))?;
    values
        .iter()
        .map(|v| {
            v.to_string()
                .cloned()
                .map_err(|e| LlmError::Tokenizer(format!("{key}: {e}")))
        })
        .collect()
}

fn number_array(file: &GgufFile, key: &str) -> Option<Vec<f64>> {
    let values = file.content.metadata.get(key)?.to_vec().ok()?;
    values
        .iter()
        .map(|v| match v {
            Value::F32(f) => Some(f64::from(*f)),
            Value::F64(f) => Some(*f),
            other => value_int(other).map(|i| i as f64),
        })
        .collect()
}

/// GPT-2's byte-to-character table, inverted: which byte each character stands for.
fn gpt2_byte_decoder() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~'))
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut extra = 0;
    for byte in 0..=255u32 {
        if !printable.contains(&byte) {
            printable.push(byte);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    printable
        .into_iter()
        .zip(chars)
        .map(|(byte, ch)| (char::from_u32(ch).unwrap(), byte as u8))
        .collect()
}

/// The bytes of a SentencePiece piece: `▁` is a space, `<0xAB>` a raw byte.
fn spm_piece_bytes(piece: &str, token_type: i64) -> Vec<u8> {
    if token_type == TYPE_BYTE
        && let Some(hex) = piece.strip_prefix("<0x").and_then(|p| p.strip_suffix('>'))
        && let Ok(byte) = u8::from_str_radix(hex, 16)
    {
        return vec![byte];
    }
    piece.replace('\u{2581}', " ").into_bytes()
}

/// Merges for a SentencePiece BPE vocabulary that ships scores, not merges:
/// every split of a piece into two pieces of the vocabulary, ranked by the
/// score of the whole piece (higher merges first).
fn merges_from_scores(tokens: &[String], scores: &[f64], types: &[i64]) -> Vec<(String, String)> {
    let index: HashMap<&str, usize> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut merges: Vec<(f64, usize, usize, (String, String))> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        if types.get(id).copied().unwrap_or(1) != 1 || piece.chars().count() < 2 {
            continue;
        }
        for (split, _) in piece.char_indices().skip(1) {
            let (left, right) = piece.split_at(split);
            if let (Some(&l), Some(&r)) = (index.get(left), index.get(right)) {
                merges.push((
                    scores.get(id).copied().unwrap_or(0.0),
                    l,
                    r,
                    (left.to_string(), right.to_string()),
                ));
            }
        }
    }
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    merges.into_iter().map(|m| m.3).collect()
}

impl ModelTokenizer {
    /// Builds the tokenizer described by the GGUF metadata.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, LlmError> {
        let model = file
            .str("tokenizer.ggml.model")
            .unwrap_or("gpt2")
            .to_string();
        let tokens = string_array(file, "tokenizer.ggml.tokens")?;
        let types: Vec<i64> = number_array(file, "tokenizer.ggml.token_type")
            .map(|t| t.into_iter().map(|v| v as i64).collect())
            .unwrap_or_else(|| vec![1; tokens.len()]);
        let merges: Vec<(String, String)> = match string_array(file, "tokenizer.ggml.merges") {
            Ok(merges) => merges
                .iter()
                .filter_map(|m| {
                    m.split_once(' ')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        let id = |key: &str| file.int(key).and_then(|v| u32::try_from(v).ok());
        let eos = id("tokenizer.ggml.eos_token_id")
            .ok_or_else(|| LlmError::Tokenizer("tokenizer.ggml.eos_token_id is missing".into()))?;
        let bos = id("tokenizer.ggml.bos_token_id");
        let unk = id("tokenizer.ggml.unknown_token_id");
        let spm = model == "llama";
        let add_bos = file
            .int("tokenizer.ggml.add_bos_token")
            .map_or(spm, |v| v != 0);
        let add_space_prefix = file
            .int("tokenizer.ggml.add_space_prefix")
            .map_or(spm, |v| v != 0);

        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges = if spm && merges.is_empty() {
            let scores = number_array(file, "tokenizer.ggml.scores").unwrap_or_default();
            merges_from_scores(&tokens, &scores, &types)
        } else {
            merges
        };
        let mut bpe = BPE::builder().vocab_and_merges(vocab, merges);
        if spm {
            bpe = bpe.byte_fallback(true).fuse_unk(true);
            if let Some(unk) = unk.and_then(|u| tokens.get(u as usize)) {
                bpe = bpe.unk_token(unk.clone());
            }
        }
        let bpe = bpe
            .build()
            .map_err(|e| LlmError::Tokenizer(format!("building BPE: {e}")))?;
        let mut inner = Tokenizer::new(bpe);

        if spm {
            let prepend = if add_space_prefix {
                PrependScheme::First
            } else {
                PrependScheme::Never
            };
            inner.with_pre_tokenizer(Some(Metaspace::new('\u{2581}', prepend, false)));
            let mut decoders: Vec<DecoderWrapper> = vec![
                Replace::new("\u{2581}", " ")
                    .map_err(|e| LlmError::Tokenizer(e.to_string()))?
                    .into(),
                ByteFallback::new().into(),
                Fuse::new().into(),
            ];
            if add_space_prefix {
                decoders.push(Strip::new(' ', 1, 0).into());
            }
            inner.with_decoder(Some(DecoderSequence::new(decoders)));
        } else {
            let pre = file.str("tokenizer.ggml.pre").unwrap_or("default");
            let split = |pattern: &str| -> Result<PreTokenizerWrapper, LlmError> {
                Split::new(
                    SplitPattern::Regex(pattern.into()),
                    SplitDelimiterBehavior::Isolated,
                    false,
                )
                .map(Into::into)
                .map_err(|e| LlmError::Tokenizer(format!("pre-tokenizer regex: {e}")))
            };
            let pre_tokenizer: PreTokenizerWrapper = match pre {
                "smollm" => PreSequence::new(vec![
                    Digits::new(true).into(),
                    ByteLevel::new(false, true, true).into(),
                ])
                .into(),
                "qwen2" => PreSequence::new(vec![
                    split(QWEN2_PATTERN)?,
                    ByteLevel::new(false, false, false).into(),
                ])
                .into(),
                "llama-bpe" | "llama3" => PreSequence::new(vec![
                    split(LLAMA3_PATTERN)?,
                    ByteLevel::new(false, false, false).into(),
                ])
                .into(),
                _ => ByteLevel::new(false, true, true).into(),
            };
            inner.with_pre_tokenizer(Some(pre_tokenizer));
            inner.with_decoder(Some(ByteLevel::default()));
        }

        let special: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| matches!(**t, TYPE_CONTROL | TYPE_USER_DEFINED))
            .map(|(text, t)| AddedToken::from(text.clone(), *t == TYPE_CONTROL))
            .collect();
        inner
            .add_special_tokens(special)
            .map_err(|e| LlmError::Tokenizer(format!("special tokens: {e}")))?;
        let special_texts: Vec<String> = tokens
            .iter()
            .zip(&types)
            .filter(|(text, t)| **t == TYPE_CONTROL && !text.is_empty())
            .map(|(text, _)| text.clone())
            .collect();

        let byte_decoder = gpt2_byte_decoder();
        let token_bytes = tokens
            .iter()
            .zip(&types)
            .map(|(text, &t)| {
                if t == TYPE_CONTROL {
                    let mut bytes = vec![SPECIAL_MARKER];
                    bytes.extend_from_slice(text.as_bytes());
                    bytes
                } else if spm {
                    spm_piece_bytes(text, t)
                } else if t == TYPE_USER_DEFINED {
                    text.as_bytes().to_vec()
                } else {
                    text.chars()
                        .map(|c| byte_decoder.get(&c).copied().unwrap_or(b'?'))
                        .collect()
                }
            })
            .collect();

        let mut stop_tokens = vec![eos];
        for name in [
            "<|im_end|>",
            "<|eot_id|>",
            "<end_of_turn>",
            "<|endoftext|>",
            "</s>",
        ] {
            if let Some(id) = tokens.iter().position(|t| t == name).map(|i| i as u32)
                && !stop_tokens.contains(&id)
            {
                stop_tokens.push(id);
            }
        }
        Ok(ModelTokenizer {
            inner,
            bos,
            eos,
            stop_tokens,
            add_bos,
            token_bytes,
            special_texts,
        })
    }

    /// Encodes text; special tokens written in it (e.g. `<|im_start|>`) are
    /// recognised. Only trusted text (templates) may contain them: see
    /// [`neutralize`](ModelTokenizer::neutralize).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| LlmError::Tokenizer(format!("encoding: {e}")))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Decodes tokens back to text, special tokens included.
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.inner
            .decode(ids, false)
            .map_err(|e| LlmError::Tokenizer(format!("decoding: {e}")))
    }

    /// Removes special-token markup from untrusted text (a customer's
    /// message, a document), so it cannot open or close a turn.
    pub fn neutralize(&self, text: &str) -> String {
        let mut clean = text.to_string();
        for special in &self.special_texts {
            while clean.contains(special.as_str()) {
                clean = clean.replace(special.as_str(), "");
            }
        }
        clean
    }

    /// The beginning-of-sequence token, if the model has one.
    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// Whether prompts start with BOS.
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }

    /// The end-of-sequence token.
    pub fn eos(&self) -> u32 {
        self.eos
    }

    /// Tokens that end generation: EOS and end-of-turn markers.
    pub fn stop_tokens(&self) -> &[u32] {
        &self.stop_tokens
    }

    /// The text of a token, for display.
    pub fn token_text(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Each token's bytes (special tokens prefixed with 0xFF).
    pub fn token_bytes(&self) -> &[Vec<u8>] {
        &self.token_bytes
    }

    /// How many tokens the vocabulary has.
    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }
}
