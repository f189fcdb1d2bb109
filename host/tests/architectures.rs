//! Architectures other than llama: tiny Qwen 3 and Qwen 2 models with random
//! weights, written as GGUF files by the test itself (speed and validity do
//! not depend on the weights' values). They exercise detection from the
//! metadata, a byte-level tokenizer rebuilt from it, the prefix cache (Qwen 3)
//! and the path without one (Qwen 2), and constrained JSON on a model that
//! knows nothing.

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value as Gguf};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use deskhand::llm::{ChatMessage, Engine, EngineConfig, Output, SamplingParams};
use serde_json::json;

const HIDDEN: usize = 64;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const HEAD_DIM: usize = 16;
const FFN: usize = 128;
const LAYERS: usize = 2;
const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// GPT-2's byte-to-character table: the 256 byte-level tokens.
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
        .zip(chars.into_iter().map(|c| char::from_u32(c).unwrap()))
        .collect();
    table.sort();
    table.into_iter().map(|(_, c)| c.to_string()).collect()
}

fn weight(shape: &[usize]) -> QTensor {
    let tensor = Tensor::randn(0f32, 0.5, shape, &Device::Cpu).unwrap();
    QTensor::quantize(&tensor, GgmlDType::F32).unwrap()
}

fn ones(size: usize) -> QTensor {
    QTensor::quantize(
        &Tensor::ones(size, candle_core::DType::F32, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap()
}

/// Writes a tiny random `arch` ("qwen2" or "qwen3") model to `path`.
fn write_tiny_model(path: &Path, arch: &str) {
    let mut tokens = byte_tokens();
    tokens.push("\u{120}t".into()); // "Ġt": one merge, so the BPE has something to do
    let merges = vec![Gguf::String("\u{120} t".into())];
    let mut types = vec![Gguf::I32(1); tokens.len()];
    for special in SPECIALS {
        tokens.push(special.into());
        types.push(Gguf::I32(3));
    }
    let vocab = tokens.len();
    let eos = (vocab - 1) as u32; // <|im_end|>

    let key = |name: &str| format!("{arch}.{name}");
    let metadata: Vec<(String, Gguf)> = vec![
        ("general.architecture".into(), Gguf::String(arch.into())),
        ("general.name".into(), Gguf::String(format!("tiny-{arch}"))),
        (key("block_count"), Gguf::U32(LAYERS as u32)),
        (key("context_length"), Gguf::U32(512)),
        (key("embedding_length"), Gguf::U32(HIDDEN as u32)),
        (key("feed_forward_length"), Gguf::U32(FFN as u32)),
        (key("attention.head_count"), Gguf::U32(HEADS as u32)),
        (key("attention.head_count_kv"), Gguf::U32(KV_HEADS as u32)),
        (key("attention.key_length"), Gguf::U32(HEAD_DIM as u32)),
        (key("attention.layer_norm_rms_epsilon"), Gguf::F32(1e-6)),
        (key("rope.freq_base"), Gguf::F32(10_000.0)),
        ("tokenizer.ggml.model".into(), Gguf::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Gguf::String("qwen2".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Gguf::Array(tokens.iter().map(|t| Gguf::String(t.clone())).collect()),
        ),
        ("tokenizer.ggml.token_type".into(), Gguf::Array(types)),
        ("tokenizer.ggml.merges".into(), Gguf::Array(merges)),
        ("tokenizer.ggml.eos_token_id".into(), Gguf::U32(eos)),
        (
            "tokenizer.ggml.bos_token_id".into(),
            Gguf::U32((vocab - 3) as u32),
        ),
        ("tokenizer.ggml.add_bos_token".into(), Gguf::Bool(false)),
    ];
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), weight(&[vocab, HIDDEN])),
        ("output_norm.weight".into(), ones(HIDDEN)),
        ("output.weight".into(), weight(&[vocab, HIDDEN])),
    ];
    for layer in 0..LAYERS {
        let name = |part: &str| format!("blk.{layer}.{part}");
        tensors.extend([
            (name("attn_q.weight"), weight(&[HEADS * HEAD_DIM, HIDDEN])),
            (
                name("attn_k.weight"),
                weight(&[KV_HEADS * HEAD_DIM, HIDDEN]),
            ),
            (
                name("attn_v.weight"),
                weight(&[KV_HEADS * HEAD_DIM, HIDDEN]),
            ),
            (
                name("attn_output.weight"),
                weight(&[HIDDEN, HEADS * HEAD_DIM]),
            ),
            (name("attn_norm.weight"), ones(HIDDEN)),
            (name("ffn_norm.weight"), ones(HIDDEN)),
            (name("ffn_gate.weight"), weight(&[FFN, HIDDEN])),
            (name("ffn_up.weight"), weight(&[FFN, HIDDEN])),
            (name("ffn_down.weight"), weight(&[HIDDEN, FFN])),
        ]);
        if arch == "qwen3" {
            tensors.push((name("attn_q_norm.weight"), ones(HEAD_DIM)));
            tensors.push((name("attn_k_norm.weight"), ones(HEAD_DIM)));
        } else {
            tensors.push((name("attn_q.bias"), weight(&[HEADS * HEAD_DIM])));
            tensors.push((name("attn_k.bias"), weight(&[KV_HEADS * HEAD_DIM])));
            tensors.push((name("attn_v.bias"), weight(&[KV_HEADS * HEAD_DIM])));
        }
    }
    let metadata: Vec<(&str, &Gguf)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &metadata, &tensors).unwrap();
}

fn tiny_engine(arch: &str) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("tiny-{arch}.gguf"));
    write_tiny_model(&path, arch);
    let engine = Engine::load(EngineConfig::new(&path))
        .unwrap_or_else(|e| panic!("loading tiny {arch}: {e}"));
    (dir, engine)
}

fn turn(engine: &Engine, question: &str) -> deskhand::llm::Prompt {
    engine
        .chat_prompt(
            &[
                ChatMessage::new("system", "You help customers of a shop."),
                ChatMessage::new("user", question),
            ],
            1,
        )
        .unwrap()
}

fn greedy(max_tokens: usize) -> SamplingParams {
    SamplingParams {
        max_tokens,
        ..SamplingParams::default()
    }
}

#[test]
fn a_qwen3_model_is_detected_tokenized_and_cached() {
    let (_dir, engine) = tiny_engine("qwen3");
    assert_eq!(engine.info().architecture, "qwen3");
    assert_eq!(engine.info().name.as_deref(), Some("tiny-qwen3"));
    assert!(engine.info().prefix_cache);
    assert!(
        !engine.info().template_from_model,
        "no template in the file: the ChatML fallback"
    );
    let text = "Héllo, order 1001 🙂 <|im_start|>";
    let ids = engine.tokenizer().encode(text).unwrap();
    assert_eq!(engine.tokenizer().decode(&ids).unwrap(), text);

    let prompt = turn(&engine, "Where is my parcel?");
    let prefix = prompt.cache_prefix;
    let (first, stats) = engine
        .generate(prompt, greedy(8), Output::Text)
        .unwrap()
        .collect_blocking()
        .unwrap();
    assert_eq!(stats.cached_tokens, 0);
    let (again, stats) = engine
        .generate(
            turn(&engine, "Where is my parcel?"),
            greedy(8),
            Output::Text,
        )
        .unwrap()
        .collect_blocking()
        .unwrap();
    assert_eq!(stats.cached_tokens, prefix);
    assert_eq!(first, again);
}

#[test]
fn a_qwen2_model_runs_without_a_prefix_cache() {
    let (_dir, engine) = tiny_engine("qwen2");
    assert_eq!(engine.info().architecture, "qwen2");
    assert!(!engine.info().prefix_cache);
    let run = || {
        engine
            .generate(turn(&engine, "Hi"), greedy(8), Output::Text)
            .unwrap()
            .collect_blocking()
            .unwrap()
    };
    let (first, stats) = run();
    let (again, stats_again) = run();
    assert_eq!(stats.cached_tokens, 0);
    assert_eq!(stats_again.cached_tokens, 0);
    assert_eq!(first, again, "the model is cleared between requests");
}

#[test]
fn constrained_json_is_valid_even_from_random_weights() {
    let schema = json!({
        "type": "object",
        "required": ["intent", "order_id"],
        "additionalProperties": false,
        "properties": {
            "intent": {"enum": ["track_order", "cancel_order", "question"]},
            "order_id": {"type": "string", "pattern": "^[0-9]{4}$"},
            "urgent": {"type": "boolean"}
        }
    });
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for arch in ["qwen3", "qwen2"] {
        let (_dir, engine) = tiny_engine(arch);
        for seed in 0..10 {
            let params = SamplingParams {
                // Byte-level tokens: room for the longest valid object, and then some.
                max_tokens: 200,
                temperature: 1.0,
                seed,
                ..SamplingParams::default()
            };
            let (value, _) = engine
                .generate_json(turn(&engine, "cancel order 1001"), &schema, params)
                .unwrap_or_else(|e| panic!("{arch} seed {seed}: {e}"));
            assert!(validator.is_valid(&value), "{arch} seed {seed}: {value}");
        }
    }
}
