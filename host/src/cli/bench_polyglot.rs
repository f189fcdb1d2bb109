//! The `my_tool` template in Rust, Python and JavaScript, side by side: what
//! loading one costs (compiling the component and reading its manifest) and
//! what one call costs, a records read and a records write. Part of
//! `deskhand bench tools`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use deskhand::plugins::{
    Access, CustomerScope, Plugin, PluginGrant, Sandbox, SandboxConfig, TEST_PLUGINS_DIR,
};
use serde_json::json;

use super::bench_measure::{Percentiles, measure, micros};
use super::plugin_build;

/// The template's three builds: (language, component).
fn components() -> anyhow::Result<Vec<(&'static str, PathBuf)>> {
    let cache = deskhand::venv::cache_dir("bench-plugins");
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let mut found = vec![("Rust", Path::new(TEST_PLUGINS_DIR).join("my_tool.wasm"))];
    for (lang, folder, source) in [
        ("Python", "_template_python", "app.py"),
        ("JavaScript", "_template_js", "app.js"),
    ] {
        let dir = repository.join(folder);
        let out = cache.join(format!("my_tool_{folder}.wasm"));
        let stale = match (std::fs::metadata(&out), std::fs::metadata(dir.join(source))) {
            (Ok(built), Ok(src)) => built.modified()? < src.modified()?,
            _ => true,
        };
        if stale {
            eprintln!(
                "building the {lang} template once (cached in {})…",
                cache.display()
            );
            plugin_build::build(&dir, &out)
                .with_context(|| format!("building the {lang} template"))?;
        }
        found.push((lang, out));
    }
    Ok(found)
}

/// Prints startup and per-call costs of the template in every language.
pub fn run(scope: &CustomerScope, iterations: usize) -> anyhow::Result<()> {
    let components = components()?;
    println!();
    println!(
        "the my_tool template per language (fresh instance per call, the default 32 MiB and 200 ms limits)"
    );
    println!(
        "{:<12} {:>9} {:>14} {:>12} {:>12} {:>12} {:>12}",
        "", "size", "first load", "read p50", "read p99", "write p50", "write p99"
    );
    let mut rust_read = None;
    for (lang, file) in components {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        // A sandbox without a compile cache: the first load compiles.
        let sandbox = Sandbox::new(SandboxConfig {
            compile_cache: None,
            ..SandboxConfig::default()
        })?;
        let started = Instant::now();
        let plugin = Plugin::from_bytes(&sandbox, &file, &bytes)
            .with_context(|| format!("loading the {lang} template"))?;
        let load = started.elapsed();
        let mut grant = PluginGrant::default();
        grant.records.insert("my_tool".into(), Access::ReadWrite);
        plugin.set_grant(grant);
        let warmup = (iterations / 20).max(5);
        let read: Percentiles = measure(warmup, iterations, || {
            plugin
                .invoke(scope, &json!({}))
                .map(drop)
                .map_err(anyhow::Error::from)
        })?;
        let mut n = 0u64;
        let write = measure(warmup, iterations, || {
            n += 1;
            plugin
                .invoke(scope, &json!({"value": format!("note {n}")}))
                .map(drop)
                .map_err(anyhow::Error::from)
        })?;
        println!(
            "{lang:<12} {:>7.1}MB {:>12.0}ms {:>12} {:>12} {:>12} {:>12}",
            bytes.len() as f64 / 1e6,
            load.as_secs_f64() * 1e3,
            micros(read.p50),
            micros(read.p99),
            micros(write.p50),
            micros(write.p99)
        );
        match rust_read {
            None => rust_read = Some(read.p50),
            Some(rust) => println!(
                "  {lang} read at p50 is {:.1}x the Rust template's",
                read.p50.as_secs_f64() / rust.as_secs_f64().max(1e-9)
            ),
        }
    }
    Ok(())
}
