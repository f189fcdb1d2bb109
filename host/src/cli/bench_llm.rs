//! `deskhand bench llm`: prefill, decode and time to first token of
//! deskhand's engine, beside llama.cpp (llama-cpp-python) on the same GGUF
//! file, the same prompt tokens and the same number of threads, in one run;
//! for the chat model and for a random-weight Qwen 3 model written by the
//! benchmark itself (speed does not depend on the weights' values).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use deskhand::llm::models::default_cache_dir;
use deskhand::llm::{
    Backend, ChatMessage, Engine, EngineConfig, GgufFile, Isa, ModelTokenizer, Output, Sampler,
    SamplingParams, SyntheticModel, Transformer,
};
use serde_json::{Value, json};

use super::GlobalArgs;

/// The issue's measurement: a 586-token prompt, then 100 greedy tokens.
const PROMPT_TOKENS: usize = 586;
const DECODE_TOKENS: usize = 100;
const LLAMA_CPP_PYTHON: &str = "llama-cpp-python==0.3.36";

/// Which models `deskhand bench llm` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchModel {
    /// The chat model (`--model`, or SmolLM2-135M-Instruct Q4_1).
    Chat,
    /// A random-weight model in Qwen3-0.6B's shape (Q4_1 layers, Q8_0
    /// embeddings), written once into the model cache.
    Qwen3,
}

/// Which engine of deskhand runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchEngine {
    /// deskhand's kernels (`--kernels` picks the instruction set).
    Native,
    /// candle-transformers' models: the engine before deskhand's kernels.
    Candle,
}

#[derive(Debug, Args)]
pub struct LlmBenchArgs {
    /// Models to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_values = ["chat", "qwen3"])]
    measure: Vec<BenchModel>,
    /// The engine to measure.
    #[arg(long, value_enum, default_value = "native")]
    engine: BenchEngine,
    /// The native kernels: auto, avx512, avx2 or scalar.
    #[arg(long, default_value = "auto")]
    kernels: String,
    /// Runs of each measurement; the median is printed.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Skip llama.cpp (when profiling deskhand alone).
    #[arg(long)]
    no_peer: bool,
}

const SYSTEM: &str = "You are the support assistant of a home and kitchen shop. Answer politely, \
briefly and only with facts you were given. Orders can be cancelled until they ship, and only \
within 10 days of purchase. Returns are accepted within 30 days of delivery, unused and in the \
original packaging. Refunds go to the original payment method within 5 business days of approval; \
above 200 EUR a specialist reviews them. Standard shipping takes 3 to 5 business days and costs \
4.90 EUR, free above 50 EUR; express takes 1 to 2 business days for 9.90 EUR. We accept Visa, \
Mastercard, American Express, PayPal and gift cards, but not cash on delivery. Every product has \
a 2-year warranty. Support is open Monday to Friday, 9:00 to 18:00 CET, at help@deskhand-shop.example. \
Invoices are emailed at shipping and can be downloaded from the account page.";

/// Customers' messages of routine turns (the system prompt is the cached prefix).
const ROUTINE: [&str; 3] = [
    "Where is my order 1006?",
    "Can I still cancel order 1002?",
    "How long do refunds take?",
];

/// The prompt: the shop's facts, repeated with order details until long enough.
fn long_prompt_text() -> String {
    let mut text = String::from(SYSTEM);
    let mut order = 1001;
    while text.len() < PROMPT_TOKENS * 6 {
        text.push_str(&format!(
            "\nOrder {order} was placed on day {} and contains {} items; its status is {}.",
            order % 28 + 1,
            order % 4 + 1,
            ["processing", "shipped", "delivered", "pending"][order % 4]
        ));
        order += 1;
    }
    text
}

/// The process's peak resident memory since the last [`reset_peak_rss`].
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts the peak-memory count again from the current resident memory
/// (Linux: `5` in `/proc/self/clear_refs`), so each model is measured alone.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Figures {
    prefill_tok_s: f64,
    decode_tok_s: f64,
    ttft_cold_ms: f64,
    ttft_cached_ms: f64,
    /// Peak resident memory of the process while running the model alone.
    peak_mib: Option<f64>,
}

pub fn run(global: &GlobalArgs, args: &LlmBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = candle_core::utils::get_num_threads();
    let backend = match args.engine {
        BenchEngine::Candle => Backend::Candle,
        BenchEngine::Native => {
            let isa = Isa::from_name(&args.kernels)
                .filter(|isa| isa.is_supported())
                .with_context(|| {
                    format!(
                        "--kernels {}: this CPU runs {}",
                        args.kernels,
                        Isa::all_supported()
                            .iter()
                            .map(|i| i.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            Backend::Native { isa, threads }
        }
    };
    let repeat = args.repeat.max(1);
    for (index, &model) in args.measure.iter().enumerate() {
        if index > 0 {
            println!();
        }
        let path = match model {
            BenchModel::Chat => global.chat_model_path()?,
            BenchModel::Qwen3 => random_qwen3()?,
        };
        measure_model(&path, backend, threads, repeat, args.no_peer)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The random Qwen 3 model, written into the model cache on first use.
fn random_qwen3() -> anyhow::Result<PathBuf> {
    // The help centre's words get tokens of their own, so that a routine
    // turn is about as many tokens as Qwen's real tokenizer makes it.
    let mut corpus = String::new();
    let kb = deskhand::config::builtin_kb_dir();
    for entry in std::fs::read_dir(&kb).with_context(|| format!("reading {}", kb.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            corpus.push_str(&std::fs::read_to_string(&path)?);
        }
    }
    // ChatML's role names are single tokens in Qwen's vocabulary too.
    corpus.push_str("\nsystem user assistant\n");
    let spec = SyntheticModel::qwen3_0_6b().with_words_from(&corpus);
    let dir = default_cache_dir().join("bench");
    let path = dir.join(format!("{}-v3.Q4_1.gguf", spec.name));
    if !path.is_file() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        eprintln!(
            "writing {} (random weights in Qwen3-0.6B's shape, about 450 MB; once)",
            path.display()
        );
        let started = Instant::now();
        spec.write(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("written in {:.0} s", started.elapsed().as_secs_f64());
    }
    Ok(path)
}

fn measure_model(
    path: &Path,
    backend: Backend,
    threads: usize,
    repeat: usize,
    no_peer: bool,
) -> anyhow::Result<()> {
    let tokenizer = ModelTokenizer::from_gguf(&GgufFile::open(path)?)?;
    let mut prompt: Vec<u32> = tokenizer
        .bos()
        .filter(|_| tokenizer.add_bos())
        .into_iter()
        .collect();
    prompt.extend(tokenizer.encode(&long_prompt_text())?);
    anyhow::ensure!(
        prompt.len() >= PROMPT_TOKENS,
        "the benchmark prompt is too short"
    );
    prompt.truncate(PROMPT_TOKENS);
    drop(tokenizer);

    let (prefill_tok_s, decode_tok_s, peak_mib) = measure_forward(path, backend, &prompt, repeat)?;
    let config = EngineConfig {
        backend,
        ..EngineConfig::new(path)
    };
    let engine = Engine::load(config).with_context(|| format!("loading {}", path.display()))?;
    let info = engine.info();
    println!(
        "model {} ({}, {}; {} threads)",
        path.display(),
        info.architecture,
        info.engine,
        threads
    );
    let (ttft_cold_ms, ttft_cached_ms, new_tokens) = measure_first_token(&engine, repeat)?;
    let ours = Figures {
        prefill_tok_s,
        decode_tok_s,
        ttft_cold_ms,
        ttft_cached_ms,
        peak_mib,
    };
    let theirs = if no_peer {
        Err(anyhow::anyhow!("--no-peer"))
    } else {
        measure_llama_cpp(path, &prompt, &engine, threads, repeat)
    };

    println!(
        "{:<36} {:>12} {:>12} {:>8}",
        "", "deskhand", "llama.cpp", "ratio"
    );
    let row = |name: &str, ours: f64, theirs: Option<f64>, unit: &str, higher_is_better: bool| {
        let (peer, ratio) = match theirs {
            Some(t) => (
                format!("{t:.1} {unit}"),
                format!("{:.2}x", if higher_is_better { ours / t } else { t / ours }),
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{name:<36} {:>12} {peer:>12} {ratio:>8}",
            format!("{ours:.1} {unit}")
        );
    };
    let peer = theirs.as_ref().ok();
    row(
        &format!("prefill ({PROMPT_TOKENS}-token prompt)"),
        ours.prefill_tok_s,
        peer.map(|p| p.prefill_tok_s),
        "tok/s",
        true,
    );
    row(
        &format!("decode ({DECODE_TOKENS} greedy tokens)"),
        ours.decode_tok_s,
        peer.map(|p| p.decode_tok_s),
        "tok/s",
        true,
    );
    row(
        "time to first token, cold",
        ours.ttft_cold_ms,
        peer.map(|p| p.ttft_cold_ms),
        "ms",
        false,
    );
    row(
        &format!("first token, routine turn ({new_tokens} new)"),
        ours.ttft_cached_ms,
        peer.map(|p| p.ttft_cached_ms),
        "ms",
        false,
    );
    if let Some(mib) = ours.peak_mib {
        row(
            "peak memory (process)",
            mib,
            peer.and_then(|p| p.peak_mib),
            "MiB",
            false,
        );
    }
    println!(
        "(medians of {repeat} runs; ratio > 1 means deskhand is ahead; goals: prefill ≥ 1.5x, \
         decode ≥ 1.0x, routine turn (system prompt cached) ≤ 150 ms)"
    );
    if let Err(reason) = theirs {
        println!("llama.cpp was not measured: {reason:#}");
    }
    Ok(())
}

/// Prefill and decode tokens per second on the model alone (no engine, no
/// queue), and the process's peak memory meanwhile.
fn measure_forward(
    path: &Path,
    backend: Backend,
    prompt: &[u32],
    repeat: usize,
) -> anyhow::Result<(f64, f64, Option<f64>)> {
    reset_peak_rss();
    let mut model = Transformer::load_with(GgufFile::open(path)?, backend)?;
    // Warm-up, so both engines start with their code and weights paged in.
    model.forward(&prompt[..32], 0)?;
    let (mut prefill, mut decode) = (Vec::new(), Vec::new());
    for _ in 0..repeat {
        model.clear();
        let started = Instant::now();
        let mut logits = model.forward(prompt, 0)?;
        prefill.push(prompt.len() as f64 / started.elapsed().as_secs_f64());
        let mut greedy = Sampler::new(&SamplingParams::default());
        let started = Instant::now();
        for step in 0..DECODE_TOKENS {
            let token = greedy.sample(&logits);
            logits = model.forward(&[token], prompt.len() + step)?;
        }
        decode.push(DECODE_TOKENS as f64 / started.elapsed().as_secs_f64());
    }
    let peak_mib = peak_rss_mib();
    drop(model);
    Ok((median(prefill), median(decode), peak_mib))
}

/// Routine turns through the engine: the system prompt is the fixed prefix,
/// the customer's message is new. The first turn fills the prefix cache
/// (cold); the next ones reuse it. Returns (cold, median of the cached) ms
/// and the median number of new tokens of a cached turn.
fn measure_first_token(engine: &Engine, repeat: usize) -> anyhow::Result<(f64, f64, usize)> {
    let first_token = |user: &str| -> anyhow::Result<(f64, usize)> {
        let messages = [
            ChatMessage::new("system", SYSTEM),
            ChatMessage::new("user", user),
        ];
        let prompt = engine.chat_prompt(&messages, 1)?;
        let params = SamplingParams {
            max_tokens: 1,
            ..SamplingParams::default()
        };
        let (_, stats) = engine
            .generate(prompt, params, Output::Text)?
            .collect_blocking()?;
        Ok((
            stats.first_token_ms,
            stats.prompt_tokens - stats.cached_tokens,
        ))
    };
    let (cold, _) = first_token(ROUTINE[0])?;
    let (mut cached, mut new_tokens) = (Vec::new(), Vec::new());
    for i in 0..repeat {
        let (ms, tokens) = first_token(ROUTINE[(i + 1) % ROUTINE.len()])?;
        cached.push(ms);
        new_tokens.push(tokens as f64);
    }
    Ok((cold, median(cached), median(new_tokens) as usize))
}

const LLAMA_CPP_SCRIPT: &str = r#"
import json, statistics, sys, time
import numpy as np
from llama_cpp import Llama
cfg = json.load(open(sys.argv[1]))
llm = Llama(model_path=cfg["model"], n_threads=cfg["threads"], n_threads_batch=cfg["threads"],
            n_ctx=2048, n_batch=1024, verbose=False)
prompt = cfg["prompt"]
llm.reset(); llm.eval(prompt[:32])
prefill, decode = [], []
for _ in range(cfg["repeat"]):
    llm.reset()
    t = time.perf_counter(); llm.eval(prompt); prefill.append(len(prompt) / (time.perf_counter() - t))
    t = time.perf_counter()
    for _ in range(cfg["decode"]):
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        llm.eval([token])
    decode.append(cfg["decode"] / (time.perf_counter() - t))
def first_token(tokens):
    t = time.perf_counter(); llm.eval(tokens); int(np.argmax(llm.scores[llm.n_tokens - 1]))
    return (time.perf_counter() - t) * 1e3
llm.reset(); cold = first_token(cfg["prefix"] + cfg["suffixes"][0])
llm.reset(); llm.eval(cfg["prefix"]); state = llm.save_state()
cached = []
for i in range(cfg["repeat"]):
    suffix = cfg["suffixes"][(i + 1) % len(cfg["suffixes"])]
    t = time.perf_counter(); llm.load_state(state); llm.eval(suffix)
    int(np.argmax(llm.scores[llm.n_tokens - 1])); cached.append((time.perf_counter() - t) * 1e3)
import resource
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"prefill": statistics.median(prefill), "decode": statistics.median(decode),
                  "cold": cold, "cached": statistics.median(cached), "peak_mib": peak}))
"#;

/// A private virtual environment with llama-cpp-python, installed on first use.
fn llama_cpp_python() -> anyhow::Result<PathBuf> {
    Ok(deskhand::venv::python(
        &deskhand::venv::cache_dir("bench-venv"),
        &[LLAMA_CPP_PYTHON, "numpy"],
        "import llama_cpp, numpy",
        &format!("{LLAMA_CPP_PYTHON} (it compiles llama.cpp: several minutes)"),
    )?)
}

fn measure_llama_cpp(
    path: &Path,
    prompt: &[u32],
    engine: &Engine,
    threads: usize,
    repeat: usize,
) -> anyhow::Result<Figures> {
    let python = llama_cpp_python()?;
    let turn = |user: &str| -> anyhow::Result<(Vec<u32>, Vec<u32>)> {
        let messages = [
            ChatMessage::new("system", SYSTEM),
            ChatMessage::new("user", user),
        ];
        let prompt = engine.chat_prompt(&messages, 1)?;
        let (prefix, suffix) = prompt.tokens.split_at(prompt.cache_prefix);
        Ok((prefix.to_vec(), suffix.to_vec()))
    };
    let (prefix, _) = turn(ROUTINE[0])?;
    let suffixes = ROUTINE
        .iter()
        .map(|user| turn(user).map(|(_, suffix)| suffix))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = json!({
        "model": path, "threads": threads, "prompt": prompt, "decode": DECODE_TOKENS,
        "prefix": prefix, "suffixes": suffixes, "repeat": repeat,
    });
    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("bench.json");
    std::fs::write(&config_path, config.to_string())?;
    let script = dir.path().join("bench.py");
    std::fs::write(&script, LLAMA_CPP_SCRIPT)?;
    let output = Command::new(python)
        .arg(&script)
        .arg(&config_path)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "the llama.cpp script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value =
        serde_json::from_slice(&output.stdout).context("reading the llama.cpp figures")?;
    let number = |key: &str| {
        result[key]
            .as_f64()
            .with_context(|| format!("llama.cpp gave no {key}"))
    };
    Ok(Figures {
        prefill_tok_s: number("prefill")?,
        decode_tok_s: number("decode")?,
        ttft_cold_ms: number("cold")?,
        ttft_cached_ms: number("cached")?,
        peak_mib: result["peak_mib"].as_f64(),
    })
}
