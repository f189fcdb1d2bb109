//! PEFT reads deskhand's adapters: Hugging Face transformers + PEFT (in
//! the peer venv under ~/.cache/deskhand, made on first use) load a tiny
//! random model written as GGUF by the test and the safetensors adapter
//! deskhand trained on it, and give the same logits as deskhand's training
//! graph at every position, within 1e-4 of the largest logit.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::AtomicBool;

use deskhand::llm::adapter::Target;
use deskhand::llm::{Architecture, SyntheticModel};
use deskhand::tune::Model;
use deskhand::tune::data::Example;
use deskhand::tune::lora::{Lora, LoraSettings, LoraWeights};
use deskhand::tune::trainer::{self, TrainSettings};

fn peft_logits(
    model: &std::path::Path,
    adapter: &std::path::Path,
    tokens: &[u32],
) -> BTreeMap<String, Vec<Vec<f32>>> {
    let python = deskhand::tune::peer::python().expect("the peer venv");
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let out = dir.path().join("out.json");
    std::fs::write(&tokens_path, serde_json::to_string(tokens).unwrap()).unwrap();
    let script = deskhand::tune::peer::scripts_dir().join("peft_logits.py");
    let run = Command::new(python)
        .arg(script)
        .args([
            model.as_os_str(),
            adapter.as_os_str(),
            tokens_path.as_os_str(),
            out.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "PEFT failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn peft_loads_the_adapter_and_gives_the_same_logits() {
    for architecture in [Architecture::Llama, Architecture::Qwen2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        SyntheticModel {
            scale: 0.15,
            ..SyntheticModel::tiny(architecture)
        }
        .write(&path)
        .unwrap();
        let model = Model::load(&path, 160, 1).unwrap();
        let examples: Vec<Example> = (0..8)
            .map(|i| Example::exchange("t", "Say pong.", &format!("ping {i}"), "pong"))
            .collect();
        let (encoded, _) = model.encode(&examples, 160).unwrap();
        let settings = LoraSettings {
            rank: 4,
            alpha: 8.0,
            dropout: 0.0,
            targets: Target::ALL.to_vec(),
        };
        let lora = Lora::new(&model.network.config, settings.clone(), 5).unwrap();
        trainer::train(
            &model.network,
            &lora,
            &encoded,
            &encoded,
            &TrainSettings {
                lora: settings,
                learning_rate: 1e-2,
                epochs: 3,
                batch_size: 2,
                accumulation: 1,
                max_len: 160,
                ..TrainSettings::default()
            },
            &AtomicBool::new(false),
            &mut |_| {},
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let out = dir.path().join("adapter");
        model.save(&lora, &out).unwrap();
        let tokens: Vec<u32> = encoded[0].tokens.clone();
        let reference = peft_logits(&path, &out, &tokens);
        let weights = LoraWeights::from_adapter(&lora.to_adapter(None).unwrap()).unwrap();
        for (name, lora) in [("base", None), ("adapted", Some(&weights))] {
            let ours = model
                .network
                .logits(&tokens, lora)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            let theirs = &reference[name];
            assert_eq!(ours.len(), theirs.len());
            let scale = theirs.iter().flatten().fold(0f32, |m, v| m.max(v.abs()));
            let worst = ours
                .iter()
                .flatten()
                .zip(theirs.iter().flatten())
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(
                worst <= 1e-4 * scale.max(1.0),
                "{architecture:?} {name}: deskhand and PEFT differ by {worst} (logits up to {scale})"
            );
        }
        let base = &reference["base"];
        let moved = reference["adapted"]
            .iter()
            .flatten()
            .zip(base.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            moved > 1e-2,
            "{architecture:?}: the trained adapter changes PEFT's logits ({moved})"
        );
    }
}
