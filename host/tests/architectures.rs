//! Architectures other than the default model's: tiny Qwen 3, Qwen 2 and
//! llama models with random weights, written as GGUF files by the test
//! itself ([`SyntheticModel`]; validity does not depend on the weights'
//! values). They exercise detection from the metadata, a byte-level
//! tokenizer rebuilt from it, the prefix cache (native Qwen 2 and 3) and the
//! path without one (Qwen 2 on candle), constrained JSON on a model that
//! knows nothing, and the native engine against candle's models.

use deskhand::llm::{
    Architecture, Backend, ChatMessage, Engine, EngineConfig, GgufFile, Isa, Output,
    SamplingParams, SyntheticModel, Transformer,
};
use serde_json::json;

fn architecture(arch: &str) -> Architecture {
    match arch {
        "qwen2" => Architecture::Qwen2,
        "qwen3" => Architecture::Qwen3,
        "llama" => Architecture::Llama,
        other => panic!("no tiny {other}"),
    }
}

fn write_tiny_model(dir: &tempfile::TempDir, arch: &str) -> std::path::PathBuf {
    let path = dir.path().join(format!("tiny-{arch}.gguf"));
    SyntheticModel::tiny(architecture(arch))
        .write(&path)
        .unwrap();
    path
}

fn tiny_engine(arch: &str) -> (tempfile::TempDir, Engine) {
    let backend = Backend::Native {
        isa: Isa::best_supported(),
        threads: 2,
    };
    tiny_engine_on(arch, backend)
}

fn tiny_engine_on(arch: &str, backend: Backend) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_tiny_model(&dir, arch);
    let config = EngineConfig {
        backend,
        ..EngineConfig::new(&path)
    };
    let engine = Engine::load(config).unwrap_or_else(|e| panic!("loading tiny {arch}: {e}"));
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
fn a_qwen2_model_runs_natively_with_a_prefix_cache() {
    let (_dir, engine) = tiny_engine("qwen2");
    assert_eq!(engine.info().architecture, "qwen2");
    assert!(engine.info().prefix_cache);
    assert!(
        engine.info().engine.starts_with("native"),
        "{}",
        engine.info().engine
    );
    let prompt = turn(&engine, "Hi");
    let prefix = prompt.cache_prefix;
    let run = |prompt| {
        engine
            .generate(prompt, greedy(8), Output::Text)
            .unwrap()
            .collect_blocking()
            .unwrap()
    };
    let (first, _) = run(prompt);
    let (again, stats) = run(turn(&engine, "Hi"));
    assert_eq!(stats.cached_tokens, prefix);
    assert_eq!(first, again);
}

#[test]
fn on_candle_a_qwen2_model_runs_without_a_prefix_cache() {
    let (_dir, engine) = tiny_engine_on("qwen2", Backend::Candle);
    assert_eq!(engine.info().engine, "candle");
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

/// The native engine computes what candle computes, for every family it
/// covers, on every instruction set this CPU has. Stated tolerance: the
/// native engine stores f32 weights as 8-bit blocks and quantises a decoded
/// token's activations to 8 bits, so logits agree within 3 % of their range.
#[test]
fn native_logits_match_candle_for_llama_qwen2_and_qwen3() {
    for arch in ["llama", "qwen2", "qwen3"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        // Q8_0 blocks, which both engines read without loss, and weights of a
        // trained model's magnitude (with large random ones attention is
        // nearly one-hot and any rounding flips it).
        let mut spec = SyntheticModel::tiny(architecture(arch));
        spec.scale = 0.1;
        spec.weights = candle_core::quantized::GgmlDType::Q8_0;
        spec.embeddings = candle_core::quantized::GgmlDType::Q8_0;
        spec.write(&path).unwrap();
        let load =
            |backend| Transformer::load_with(GgufFile::open(&path).unwrap(), backend).unwrap();
        let prompt: Vec<u32> = (0..40).map(|i| (i * 37 + 5) % 250).collect();
        let mut candle = load(Backend::Candle);
        let want_prefill = candle.forward(&prompt, 0).unwrap();
        let want_decode = candle.forward(&[17], prompt.len()).unwrap();
        for isa in Isa::all_supported() {
            let mut native = load(Backend::Native { isa, threads: 2 });
            assert_eq!(native.engine(), format!("native {isa}, 2 threads"));
            let prefill = native.forward(&prompt, 0).unwrap();
            let decode = native.forward(&[17], prompt.len()).unwrap();
            for (stage, got, want) in [
                ("prefill", &prefill, &want_prefill),
                ("decode", &decode, &want_decode),
            ] {
                let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
                let diff = got
                    .iter()
                    .zip(want.iter())
                    .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(
                    diff <= 0.03 * scale,
                    "{arch} {isa} {stage}: max |Δ| {diff}, scale {scale}"
                );
            }
        }
    }
}

/// A file whose tensors contradict its metadata is refused with an error
/// that names the tensor, on load, rather than failing in the middle of a
/// turn; a model the native engine does not cover runs on candle instead.
#[test]
fn a_file_that_contradicts_itself_is_refused_and_an_uncovered_one_runs_on_candle() {
    use candle_core::quantized::gguf_file::{self, Value};

    let dir = tempfile::tempdir().unwrap();
    let original = write_tiny_model(&dir, "llama");
    let rewrite = |name: &str, key: &str, value: Value| {
        let mut reader = std::fs::File::open(&original).unwrap();
        let content = gguf_file::Content::read(&mut reader).unwrap();
        let mut metadata = content.metadata.clone();
        metadata.insert(key.to_string(), value);
        let tensors: Vec<(String, _)> = content
            .tensor_infos
            .keys()
            .map(|name| {
                (
                    name.clone(),
                    content
                        .tensor(&mut reader, name, &candle_core::Device::Cpu)
                        .unwrap(),
                )
            })
            .collect();
        let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let tensors: Vec<(&str, _)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let path = dir.path().join(name);
        gguf_file::write(
            &mut std::fs::File::create(&path).unwrap(),
            &metadata,
            &tensors,
        )
        .unwrap();
        path
    };
    let native = Backend::Native {
        isa: Isa::best_supported(),
        threads: 2,
    };

    let wrong = rewrite("wrong.gguf", "llama.feed_forward_length", Value::U32(96));
    let error = Transformer::load_with(GgufFile::open(&wrong).unwrap(), native)
        .err()
        .expect("a contradictory file is refused")
        .to_string();
    assert!(
        error.contains("ffn_gate.weight") && error.contains("96"),
        "{error}"
    );

    // Linear rotary scaling: not implemented natively, ignored by candle.
    let scaled = rewrite(
        "scaled.gguf",
        "llama.rope.scaling.type",
        Value::String("linear".into()),
    );
    let model = Transformer::load_with(GgufFile::open(&scaled).unwrap(), native).unwrap();
    assert_eq!(model.engine(), "candle");
}
