//! `deskhand bench tune`: LoRA training tokens per second of deskhand
//! beside PyTorch + PEFT, on the same model, token batches, LoRA settings
//! and threads, in one run (the peer venv under ~/.cache/deskhand).

use std::process::{Command, ExitCode};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use deskhand::llm::adapter::Target;
use deskhand::tune::desk_data;
use deskhand::tune::lora::{Lora, LoraSettings};
use deskhand::tune::trainer::{self, TrainSettings};
use deskhand::tune::{Model, peer};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use super::GlobalArgs;

#[derive(Args)]
pub struct TuneBenchArgs {
    /// Optimiser steps per side (the first of each warms up and is not timed).
    #[arg(long, default_value_t = 6)]
    pub steps: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 4)]
    pub batch_size: usize,
    /// Tokens per sequence at most.
    #[arg(long = "max-seq-len", default_value_t = 256)]
    pub max_len: usize,
    /// LoRA rank (alpha is twice it) on q, k, v, o.
    #[arg(long, default_value_t = 16)]
    pub rank: usize,
    /// Threads of both sides (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Measure deskhand alone.
    #[arg(long)]
    pub no_peer: bool,
}

pub fn run(global: &GlobalArgs, args: &TuneBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = args.threads.unwrap_or_else(deskhand::tune::default_threads);
    let path = global.chat_model_path()?;
    let model = Model::load(&path, args.max_len, threads)?;
    let mut examples = desk_data::customer_service()?;
    examples.shuffle(&mut rand::rngs::StdRng::seed_from_u64(7));
    let (encoded, _) = model.encode(
        &examples[..(args.steps + 1) * args.batch_size * 2],
        args.max_len,
    )?;
    let steps = args.steps.max(2);
    let used = &encoded[..(steps * args.batch_size).min(encoded.len())];
    let settings = LoraSettings {
        rank: args.rank,
        alpha: 2.0 * args.rank as f32,
        dropout: 0.05,
        targets: Target::ATTENTION.to_vec(),
    };
    println!(
        "model {} · LoRA rank {} on q,k,v,o · {} steps of {} sequences (≤ {} tokens) · {threads} threads",
        path.display(),
        args.rank,
        steps,
        args.batch_size,
        args.max_len
    );

    // deskhand: one step to warm up, then the timed ones.
    let train = TrainSettings {
        lora: settings.clone(),
        learning_rate: 1e-4,
        epochs: 1,
        batch_size: args.batch_size,
        accumulation: 1,
        max_len: args.max_len,
        warmup_ratio: 0.0,
        ..TrainSettings::default()
    };
    let lora = Lora::new(&model.network.config, settings.clone(), 42)?;
    let stop = AtomicBool::new(false);
    let run_steps = |batches: &[deskhand::tune::encode::Encoded]| -> anyhow::Result<(usize, f64)> {
        let started = Instant::now();
        let report = trainer::train(
            &model.network,
            &lora,
            batches,
            &[],
            &train,
            &stop,
            &mut |_| {},
            &mut |_, _| Ok(()),
        )?;
        Ok((report.tokens, started.elapsed().as_secs_f64()))
    };
    run_steps(&used[..args.batch_size])?;
    let (tokens, seconds) = run_steps(&used[args.batch_size..])?;
    let ours = tokens as f64 / seconds.max(1e-9);
    println!("deskhand        {ours:>8.0} tokens/s ({tokens} tokens in {seconds:.1} s)");
    if args.no_peer {
        return Ok(ExitCode::SUCCESS);
    }

    let python = peer::python()?;
    let dir = tempfile::tempdir()?;
    let batches: Vec<Value> = used
        .chunks(args.batch_size)
        .map(|b| {
            Value::Array(
                b.iter()
                    .map(|e| json!({"tokens": e.tokens, "trained": e.trained}))
                    .collect(),
            )
        })
        .collect();
    let job = json!({
        "batches": batches, "rank": args.rank, "alpha": 2 * args.rank, "dropout": 0.05,
        "learning_rate": 1e-4, "threads": threads,
        "targets": ["q_proj", "k_proj", "v_proj", "o_proj"],
    });
    let job_path = dir.path().join("job.json");
    let out_path = dir.path().join("out.json");
    std::fs::write(&job_path, job.to_string())?;
    let script = peer::scripts_dir().join("peft_train.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&path)
        .arg(&job_path)
        .arg(&out_path)
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    anyhow::ensure!(status.success(), "the PEFT peer failed ({status})");
    let peer: Value = serde_json::from_str(&std::fs::read_to_string(&out_path)?)?;
    let theirs = peer["tokens_per_second"].as_f64().unwrap_or(0.0);
    println!(
        "PyTorch + PEFT  {theirs:>8.0} tokens/s ({} tokens in {:.1} s; torch {})",
        peer["tokens"],
        peer["seconds"].as_f64().unwrap_or(0.0),
        peer["torch"].as_str().unwrap_or("?")
    );
    println!(
        "ratio deskhand / PEFT: {:.2}x (goal ≥ 1.0x)",
        ours / theirs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
