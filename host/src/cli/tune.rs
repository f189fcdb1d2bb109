//! `deskhand tune`: trains a LoRA adapter for the desk's chat model on CPU.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Args;
use deskhand::llm::adapter::Target;
use deskhand::retrieval::{ChunkingConfig, chunk_markdown};
use deskhand::tune::data::{self, Example};
use deskhand::tune::desk_data::{self, DeskMaterial};
use deskhand::tune::lora::{Lora, LoraSettings};
use deskhand::tune::trainer::{self, Progress, TrainSettings};
use deskhand::tune::{GGUF_ADAPTER, Model, REPORT_FILE, sweep};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::GlobalArgs;

#[derive(Args)]
pub struct TuneArgs {
    /// Your own examples (JSONL, {"messages": [{"role": …, "content": …}, …]} per line); repeatable.
    #[arg(long = "data", value_name = "FILE.jsonl")]
    pub data: Vec<PathBuf>,
    /// Leave out the examples made from the desk (tools, help centre, voice).
    #[arg(long)]
    pub no_desk_data: bool,
    /// Leave out the shipped customer-service set.
    #[arg(long)]
    pub no_customer_service: bool,
    /// Use at most this many training examples (a seeded sample), for a quick run.
    #[arg(long, value_name = "N")]
    pub max_examples: Option<usize>,
    /// Where the adapter goes (default: data/DESK/adapter).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// LoRA rank r.
    #[arg(long, default_value_t = 16)]
    pub rank: usize,
    /// LoRA alpha (the delta is scaled by alpha / r).
    #[arg(long, default_value_t = 32.0)]
    pub alpha: f32,
    /// Dropout on the LoRA layers' inputs.
    #[arg(long, default_value_t = 0.05)]
    pub dropout: f32,
    /// Projections to adapt: q,k,v,o,gate,up,down, or "attention" (q,k,v,o) or "all".
    #[arg(long, default_value = "attention")]
    pub targets: String,
    /// Peak learning rate (AdamW).
    #[arg(long = "lr", default_value_t = 1e-4)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = 4)]
    pub batch_size: usize,
    /// Forward passes per optimiser step.
    #[arg(long = "grad-accum", default_value_t = 2)]
    pub accumulation: usize,
    /// Tokens per example at most.
    #[arg(long = "max-seq-len", default_value_t = 256)]
    pub max_len: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of the examples held out for the validation loss.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Share of the steps spent warming the learning rate up.
    #[arg(long, default_value_t = 0.03)]
    pub warmup_ratio: f64,
    /// AdamW's decoupled weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Stop after this many optimiser steps.
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,
    /// Threads of the training kernels (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Train a grid of settings and keep the one with the lowest validation loss.
    #[arg(long)]
    pub sweep: bool,
    /// Learning rates of the sweep.
    #[arg(long, value_delimiter = ',', default_value = "1e-5,5e-5,1e-4")]
    pub sweep_lr: Vec<f64>,
    /// Ranks of the sweep.
    #[arg(long, value_delimiter = ',', default_value = "8,16")]
    pub sweep_rank: Vec<usize>,
}

fn targets(text: &str) -> anyhow::Result<Vec<Target>> {
    match text.trim() {
        "attention" => return Ok(Target::ATTENTION.to_vec()),
        "all" => return Ok(Target::ALL.to_vec()),
        _ => {}
    }
    text.split(',')
        .map(|t| {
            Target::from_name(t).with_context(|| {
                format!("--targets: {t:?} is none of q, k, v, o, gate, up, down, attention, all")
            })
        })
        .collect()
}

impl TuneArgs {
    fn settings(&self) -> anyhow::Result<TrainSettings> {
        anyhow::ensure!(
            (0.0..0.9).contains(&self.val_fraction),
            "--val-fraction must be between 0 and 0.9"
        );
        anyhow::ensure!(self.learning_rate > 0.0, "--lr must be above 0");
        Ok(TrainSettings {
            lora: LoraSettings {
                rank: self.rank,
                alpha: self.alpha,
                dropout: self.dropout,
                targets: targets(&self.targets)?,
            },
            learning_rate: self.learning_rate,
            epochs: self.epochs,
            batch_size: self.batch_size,
            accumulation: self.accumulation,
            max_len: self.max_len,
            seed: self.seed,
            warmup_ratio: self.warmup_ratio,
            weight_decay: self.weight_decay,
            max_steps: self.max_steps,
        })
    }
}

/// The examples a run learns from, with a count per source.
fn examples(global: &GlobalArgs, args: &TuneArgs) -> anyhow::Result<Vec<Example>> {
    let mut examples = Vec::new();
    if !args.no_desk_data {
        let desk = global.desk()?;
        let registry = global.load_plugins()?;
        let catalog = registry.catalog();
        let tools: Vec<_> = catalog.plugins().map(|p| p.manifest()).collect();
        let mut sections = Vec::new();
        let kb = global.kb_dir()?;
        let mut pages: Vec<PathBuf> = std::fs::read_dir(&kb)
            .with_context(|| format!("reading the help centre {}", kb.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        pages.sort();
        for page in pages {
            let text = std::fs::read_to_string(&page)
                .with_context(|| format!("reading {}", page.display()))?;
            let name = page
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            sections.extend(chunk_markdown(&name, &text, ChunkingConfig::default()));
        }
        let today = global.clock()?.today();
        examples.extend(desk_data::desk_examples(&DeskMaterial {
            desk: &desk,
            tools: &tools,
            sections: &sections,
            today,
        }));
    }
    if !args.no_customer_service {
        examples.extend(desk_data::customer_service()?);
    }
    for path in &args.data {
        examples.extend(data::read_jsonl(path)?);
    }
    anyhow::ensure!(
        !examples.is_empty(),
        "nothing to train on: give --data FILE.jsonl or leave the desk's and the shipped examples in"
    );
    Ok(examples)
}

pub fn run(global: &GlobalArgs, args: TuneArgs) -> anyhow::Result<ExitCode> {
    let settings = args.settings()?;
    let desk = global.desk()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| deskhand::tune::trained_adapter_dir(&global.paths().data_dir));
    let model_path = global.chat_model_path()?;
    let mut all = examples(global, &args)?;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for e in &all {
        *counts.entry(e.source.clone()).or_default() += 1;
    }
    eprintln!("examples for the {} desk:", desk.id);
    for (source, n) in &counts {
        eprintln!("  {n:>5}  {source}");
    }
    if let Some(max) = args.max_examples {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        all.shuffle(&mut rand::rngs::StdRng::seed_from_u64(args.seed));
        all.truncate(max.max(2));
    }
    let (train_set, validation_set) = data::split(all, args.val_fraction, args.seed);
    let threads = args.threads.unwrap_or_else(deskhand::tune::default_threads);
    eprintln!(
        "loading {} for training ({threads} threads)…",
        model_path.display()
    );
    let model = Model::load(&model_path, settings.max_len, threads)?;
    let (train, skipped) = model.encode(&train_set, settings.max_len)?;
    let (validation, _) = model.encode(&validation_set, settings.max_len)?;
    eprintln!(
        "{} training and {} validation examples ({} with nothing left to learn within {} tokens); {} tokens per epoch",
        train.len(),
        validation.len(),
        skipped,
        settings.max_len,
        train.iter().map(|e| e.tokens.len()).sum::<usize>()
    );
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(async {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        eprintln!("\nstopping after this step; the last checkpoint is kept (Ctrl-C again to quit now)");
                        stop.store(true, Ordering::SeqCst);
                        let _ = tokio::signal::ctrl_c().await;
                        std::process::exit(130);
                    }
                });
            }
        });
    }
    let mut chosen = settings.clone();
    if args.sweep {
        let points = sweep::grid(&settings, &args.sweep_lr, &args.sweep_rank);
        eprintln!("sweep: {} settings", points.len());
        let bar = progress_bar();
        let (rows, best) = sweep::run(
            &model.network,
            &points,
            &train,
            &validation,
            &stop,
            &mut |i, p| show(&bar, &format!("[{}/{}] ", i + 1, points.len()), p),
        )?;
        bar.finish_and_clear();
        let table = sweep::table(&rows, best);
        println!("{table}");
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        std::fs::write(out.join("sweep.md"), &table)?;
        std::fs::write(out.join("sweep.json"), serde_json::to_string_pretty(&rows)?)?;
        chosen = points[best].clone();
        eprintln!(
            "chosen: learning rate {:e}, rank {}; training it into {}",
            chosen.learning_rate,
            chosen.lora.rank,
            out.display()
        );
    }
    let lora = Lora::new(&model.network.config, chosen.lora.clone(), chosen.seed)?;
    eprintln!(
        "LoRA rank {} (alpha {}, dropout {}) on {}: {} trainable parameters",
        chosen.lora.rank,
        chosen.lora.alpha,
        chosen.lora.dropout,
        chosen
            .lora
            .targets
            .iter()
            .map(|t| t.hf_name())
            .collect::<Vec<_>>()
            .join(", "),
        lora.parameters()
    );
    let bar = progress_bar();
    let checkpoints = out.join("checkpoints");
    let report = trainer::train(
        &model.network,
        &lora,
        &train,
        &validation,
        &chosen,
        &stop,
        &mut |p| show(&bar, "", p),
        &mut |lora, name| model.save(lora, &checkpoints.join(name)),
    )?;
    bar.finish_and_clear();
    model.save(&lora, &out)?;
    let summary = json!({
        "model": model_path,
        "desk": desk.id,
        "settings": chosen,
        "lora": {"rank": chosen.lora.rank, "alpha": chosen.lora.alpha, "dropout": chosen.lora.dropout,
                 "targets": chosen.lora.targets.iter().map(|t| t.hf_name()).collect::<Vec<_>>()},
        "examples": {"train": train.len(), "validation": validation.len(), "sources": counts},
        "report": report,
    });
    std::fs::write(
        out.join(REPORT_FILE),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    let rate = report.tokens as f64 / report.seconds.max(1e-9);
    if report.epochs.is_empty() {
        println!(
            "validation loss {:.4} before; stopped after {} steps, before an epoch ended, so none after ({rate:.0} tokens/s, {:.0} s)",
            report.validation_before, report.steps, report.seconds
        );
    } else {
        println!(
            "validation loss {:.4} → {:.4} over {} steps ({rate:.0} tokens/s, {:.0} s){}",
            report.validation_before,
            report.validation_after(),
            report.steps,
            report.seconds,
            if report.stopped {
                "; stopped early"
            } else {
                ""
            }
        );
    }
    for epoch in &report.epochs {
        println!(
            "  epoch {}: train loss {:.4}, validation loss {:.4}",
            epoch.epoch, epoch.train_loss, epoch.validation_loss
        );
    }
    println!(
        "adapter: {} (PEFT) and {} (GGUF, llama.cpp --lora)\nuse it: deskhand --desk {} --adapter {} chat",
        out.display(),
        out.join(GGUF_ADAPTER).display(),
        desk.id,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix}{bar:30} {pos}/{len} steps · {msg} · {elapsed}<{eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn show(bar: &ProgressBar, prefix: &str, progress: Progress<'_>) {
    match progress {
        Progress::Started { steps } => {
            bar.set_length(steps as u64);
            bar.set_position(0);
            bar.set_prefix(prefix.to_string());
        }
        Progress::Step {
            step,
            loss,
            tokens_per_second,
            learning_rate,
        } => {
            bar.set_position(step as u64);
            let message =
                format!("loss {loss:.4} · {tokens_per_second:.0} tok/s · lr {learning_rate:.1e}");
            // A log file sees no bar: it gets a line every ten steps.
            if bar.is_hidden() && (step % 10 == 0 || step == 1) {
                eprintln!(
                    "{prefix}step {step}/{}: {message}",
                    bar.length().unwrap_or(0)
                );
            }
            bar.set_message(message);
        }
        Progress::Epoch(report) => say(
            bar,
            format!(
                "{prefix}epoch {}: train loss {:.4}, validation loss {:.4}, {:.0} tok/s",
                report.epoch, report.train_loss, report.validation_loss, report.tokens_per_second
            ),
        ),
    }
}

/// A line above the bar, or on its own when there is no terminal to draw on.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
