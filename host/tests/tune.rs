//! LoRA training on tiny random models written by the test: the loss falls,
//! gradients match finite differences, adapters round-trip through PEFT's
//! safetensors and llama.cpp's GGUF, an adapter of zeros leaves the native
//! engine's logits unchanged bit for bit, and a trained one gives the same
//! logits in the native engine as in the training graph.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use candle_core::Var;
use deskhand::llm::adapter::{self, Adapter, LowRank, Target};
use deskhand::llm::{Architecture, Backend, GgufFile, Isa, SyntheticModel, Transformer};
use deskhand::tune::Model;
use deskhand::tune::data::Example;
use deskhand::tune::encode::Encoded;
use deskhand::tune::lora::{Lora, LoraSettings, LoraWeights};
use deskhand::tune::trainer::{self, TrainSettings};

fn tiny(dir: &tempfile::TempDir, architecture: Architecture) -> std::path::PathBuf {
    let path = dir
        .path()
        .join(format!("tiny-{}.gguf", architecture.as_str()));
    // Weights of modest size: with large random ones the network is chaotic
    // and amplifies the native engine's 8-bit rounding of activations.
    let model = SyntheticModel {
        scale: 0.15,
        ..SyntheticModel::tiny(architecture)
    };
    model.write(&path).unwrap();
    path
}

fn examples() -> Vec<Example> {
    (0..12)
        .map(|i| Example::exchange("test", "Say pong.", &format!("ping {i}"), "pong"))
        .collect()
}

fn settings(rank: usize) -> LoraSettings {
    LoraSettings {
        rank,
        alpha: 2.0 * rank as f32,
        dropout: 0.0,
        targets: Target::ALL.to_vec(),
    }
}

/// An adapter of this model's shape with seeded values (`b_scale` 0 for zeros).
fn random_adapter(model: &Model, rank: usize, scale: f32, seed: u32) -> Adapter {
    let c = &model.network.config;
    let mut layers = BTreeMap::new();
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32 - 0.5) * scale
    };
    for layer in 0..c.layers {
        for target in Target::ALL {
            let (outputs, inputs) = c.projection_shape(target);
            layers.insert(
                (layer, target),
                LowRank {
                    inputs,
                    outputs,
                    a: (0..rank * inputs).map(|_| next()).collect(),
                    b: (0..outputs * rank).map(|_| next()).collect(),
                },
            );
        }
    }
    Adapter {
        rank,
        alpha: 2.0 * rank as f32,
        dropout: 0.0,
        layers,
        base_model: Some("tiny".into()),
    }
}

fn native(path: &std::path::Path) -> Transformer {
    let backend = Backend::Native {
        isa: Isa::best_supported(),
        threads: 1,
    };
    Transformer::load_with(GgufFile::open(path).unwrap(), backend).unwrap()
}

#[test]
fn training_lowers_the_loss_and_the_adapter_round_trips_through_peft_and_gguf() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny(&dir, Architecture::Llama);
    let model = Model::load(&path, 160, 2).unwrap();
    let (encoded, skipped) = model.encode(&examples(), 160).unwrap();
    assert_eq!(skipped, 0);
    assert!(encoded.iter().all(|e| e.trained_tokens() > 0));
    let lora = Lora::new(
        &model.network.config,
        LoraSettings {
            dropout: 0.1,
            ..settings(4)
        },
        1,
    )
    .unwrap();
    let train = TrainSettings {
        lora: lora.settings.clone(),
        learning_rate: 1e-2,
        epochs: 6,
        batch_size: 2,
        accumulation: 2,
        max_len: 160,
        warmup_ratio: 0.0,
        ..TrainSettings::default()
    };
    let report = trainer::train(
        &model.network,
        &lora,
        &encoded,
        &encoded,
        &train,
        &AtomicBool::new(false),
        &mut |_| {},
        &mut |_, _| Ok(()),
    )
    .unwrap();
    assert!(
        report.validation_after() < 0.5 * report.validation_before,
        "loss {} → {}",
        report.validation_before,
        report.validation_after()
    );
    assert_eq!(report.epochs.len(), 6);

    let out = dir.path().join("adapter");
    model.save(&lora, &out).unwrap();
    let trained = lora.to_adapter(None).unwrap();
    let from_peft = Adapter::load(&out, &model.layout()).unwrap();
    assert_eq!(
        from_peft.layers, trained.layers,
        "PEFT files hold the same numbers"
    );
    assert_eq!((from_peft.rank, from_peft.alpha), (4, 8.0));
    let from_gguf =
        Adapter::load(&out.join(deskhand::tune::GGUF_ADAPTER), &model.layout()).unwrap();
    assert_eq!(
        from_gguf.layers, trained.layers,
        "the GGUF adapter holds the same numbers"
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("adapter_config.json")).unwrap())
            .unwrap();
    assert_eq!(config["peft_type"], "LORA");
    assert_eq!(config["r"], 4);
}

#[test]
fn stopping_keeps_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny(&dir, Architecture::Qwen3);
    let model = Model::load(&path, 160, 1).unwrap();
    let (encoded, _) = model.encode(&examples(), 160).unwrap();
    let lora = Lora::new(&model.network.config, settings(2), 1).unwrap();
    let mut saved = Vec::new();
    let report = trainer::train(
        &model.network,
        &lora,
        &encoded,
        &encoded,
        &TrainSettings {
            lora: settings(2),
            epochs: 3,
            ..TrainSettings::default()
        },
        &AtomicBool::new(true),
        &mut |_| {},
        &mut |_, name| {
            saved.push(name.to_string());
            Ok(())
        },
    )
    .unwrap();
    assert!(report.stopped);
    assert_eq!(report.steps, 0);
    assert_eq!(saved, ["last"]);
}

#[test]
fn an_adapter_of_zeros_leaves_the_logits_unchanged_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    for architecture in [
        Architecture::Llama,
        Architecture::Qwen2,
        Architecture::Qwen3,
    ] {
        let path = tiny(&dir, architecture);
        let model = Model::load(&path, 160, 1).unwrap();
        let zeros = random_adapter(&model, 4, 0.0, 1);
        let file = dir.path().join(format!("zeros-{}", architecture.as_str()));
        adapter::peft::save(&zeros, &file, &model.layout()).unwrap();
        let tokens: Vec<u32> = (5..40).collect();
        for prompt in [&tokens[..1], &tokens[..]] {
            let plain = native(&path).forward(prompt, 0).unwrap();
            let mut adapted = native(&path);
            adapted.apply_adapter(&file).unwrap();
            let with_zeros = adapted.forward(prompt, 0).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&plain),
                bits(&with_zeros),
                "{architecture:?}, {} tokens",
                prompt.len()
            );
        }
    }
}

#[test]
fn the_native_engine_runs_an_adapter_as_the_training_graph_computes_it() {
    // The native engine rounds weights and some activations to 8 bits, so it
    // is never bit-equal to the f32 graph; an adapter applied right keeps
    // that gap where it was without one, while it moves the logits far more.
    let dir = tempfile::tempdir().unwrap();
    let gap = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    };
    for architecture in [
        Architecture::Llama,
        Architecture::Qwen2,
        Architecture::Qwen3,
    ] {
        let path = tiny(&dir, architecture);
        let model = Model::load(&path, 64, 1).unwrap();
        let adapter = random_adapter(&model, 4, 0.3, 7);
        let weights = LoraWeights::from_adapter(&adapter).unwrap();
        for tokens in [vec![17u32], (10..30).collect::<Vec<u32>>()] {
            let last = |lora: Option<&LoraWeights>| {
                let logits = model.network.logits(&tokens, lora).unwrap();
                logits
                    .get(tokens.len() - 1)
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            };
            let (graph_plain, graph_adapted) = (last(None), last(Some(&weights)));
            let native_plain = native(&path).forward(&tokens, 0).unwrap();
            let base_gap = gap(&native_plain, &graph_plain);
            let moved = gap(&graph_adapted, &graph_plain);
            assert!(
                moved > 5.0 * base_gap,
                "{architecture:?}: the adapter moves the logits by {moved}, the engines differ by {base_gap}"
            );
            for (format, file) in [
                ("peft", dir.path().join("a")),
                ("gguf", dir.path().join("a.gguf")),
            ] {
                if format == "peft" {
                    adapter::peft::save(&adapter, &file, &model.layout()).unwrap();
                } else {
                    adapter::gguf::save(&adapter, &file, architecture).unwrap();
                }
                let mut adapted = native(&path);
                adapted.apply_adapter(&file).unwrap();
                let off = gap(&adapted.forward(&tokens, 0).unwrap(), &graph_adapted);
                assert!(
                    off <= 2.0 * base_gap + 0.02 * moved,
                    "{architecture:?} {format}, {} tokens: {off} from the graph with the adapter, {base_gap} without; the adapter moves the logits by {moved}",
                    tokens.len()
                );
            }
        }
    }
}

fn loss_of(model: &Model, lora: &Lora, batch: &[Encoded]) -> f64 {
    let batch: Vec<(&[u32], &[bool])> = batch
        .iter()
        .map(|e| (e.tokens.as_slice(), e.trained.as_slice()))
        .collect();
    let weights = lora.inference().unwrap();
    let (loss, _) = model.network.loss(&batch, Some(&weights)).unwrap();
    loss.to_scalar::<f32>().unwrap() as f64
}

#[test]
fn lora_gradients_match_finite_differences() {
    let dir = tempfile::tempdir().unwrap();
    for architecture in [Architecture::Llama, Architecture::Qwen3] {
        let path = tiny(&dir, architecture);
        let model = Model::load(&path, 160, 1).unwrap();
        let (encoded, _) = model.encode(&examples()[..2], 160).unwrap();
        let lora = Lora::new(&model.network.config, settings(2), 3).unwrap();
        // Non-zero B, so that A's gradients are not zero.
        lora.load(&random_adapter(&model, 2, 0.2, 11)).unwrap();
        let batch: Vec<(&[u32], &[bool])> = encoded
            .iter()
            .map(|e| (e.tokens.as_slice(), e.trained.as_slice()))
            .collect();
        let weights = lora.training(rand::SeedableRng::seed_from_u64(0));
        let (loss, _) = model.network.loss(&batch, Some(&weights)).unwrap();
        let grads = loss.backward().unwrap();
        let vars: Vec<Var> = lora.vars();
        let mut checked = 0;
        for (v, var) in vars.iter().enumerate().step_by(5) {
            let analytic = grads
                .get(var)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let original = var
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            // The entry with the largest gradient, where f32 differences are meaningful.
            let (i, &g) = analytic
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap();
            let eps = 1e-2f32;
            let at = |delta: f32| {
                let mut values = original.clone();
                values[i] += delta;
                var.set(
                    &candle_core::Tensor::from_vec(values, var.dims(), &candle_core::Device::Cpu)
                        .unwrap(),
                )
                .unwrap();
                loss_of(&model, &lora, &encoded)
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
            at(0.0);
            let error = (numeric - g as f64).abs();
            assert!(
                error <= 0.03 * (g as f64).abs().max(1e-2),
                "{architecture:?} variable {v}, entry {i}: analytic {g}, finite differences {numeric}"
            );
            checked += 1;
        }
        assert!(checked >= 4);
    }
}
