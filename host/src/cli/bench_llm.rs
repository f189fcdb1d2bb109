//! `deskhand bench llm`: prefill, decode and time to first token of the
//! candle engine, beside llama.cpp (llama-cpp-python) on the same GGUF file,
//! the same prompt tokens and the same number of threads, in one run.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;
use deskhand::llm::{
    ChatMessage, Engine, EngineConfig, GgufFile, Output, Sampler, SamplingParams, Transformer,
};
use serde_json::{Value, json};

use super::GlobalArgs;

/// The issue's measurement: a 586-token prompt, then 100 greedy tokens.
const PROMPT_TOKENS: usize = 586;
const DECODE_TOKENS: usize = 100;
const LLAMA_CPP_PYTHON: &str = "llama-cpp-python==0.3.36";

const SYSTEM: &str = "You are the support assistant of a home and kitchen shop. Answer politely, \
briefly and only with facts you were given. Orders can be cancelled until they ship, and only \
within 10 days of purchase. Returns are accepted within 30 days of delivery, unused and in the \
original packaging. Refunds go to the original payment method within 5 business days of approval; \
above 200 EUR a specialist reviews them. Standard shipping takes 3 to 5 business days and costs \
4.90 EUR, free above 50 EUR; express takes 1 to 2 business days for 9.90 EUR. We accept Visa, \
Mastercard, American Express, PayPal and gift cards, but not cash on delivery. Every product has \
a 2-year warranty. Support is open Monday to Friday, 9:00 to 18:00 CET, at help@deskhand-shop.example. \
Invoices are emailed at shipping and can be downloaded from the account page.";

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

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

struct Figures {
    prefill_tok_s: f64,
    decode_tok_s: f64,
    ttft_cold_ms: f64,
    ttft_cached_ms: f64,
}

pub fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = global.chat_model_path()?;
    let threads = candle_core::utils::get_num_threads();
    println!("model {} ({} threads)", path.display(), threads);
    let engine = Engine::load(EngineConfig::new(&path))
        .with_context(|| format!("loading {}", path.display()))?;
    let mut prompt = engine.text_prompt(&long_prompt_text())?.tokens;
    anyhow::ensure!(
        prompt.len() >= PROMPT_TOKENS,
        "the benchmark prompt is too short"
    );
    prompt.truncate(PROMPT_TOKENS);

    let ours = measure_candle(&engine, &path, &prompt)?;
    let peak = peak_rss_mib();
    let theirs = measure_llama_cpp(&path, &prompt, &engine, threads);

    println!();
    println!(
        "{:<36} {:>12} {:>12} {:>8}",
        "", "candle", "llama.cpp", "ratio"
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
        "time to first token, prefix cached",
        ours.ttft_cached_ms,
        peer.map(|p| p.ttft_cached_ms),
        "ms",
        false,
    );
    println!(
        "(ratio > 1 means candle is ahead; goals: prefill ≥ 1.5x, decode ≥ 1.0x, cached first token ≤ 150 ms)"
    );
    match peak {
        Some(mib) => println!("peak memory of this process: {mib:.0} MiB"),
        None => println!("peak memory: not available on this system"),
    }
    if let Err(reason) = theirs {
        println!("llama.cpp was not measured: {reason:#}");
    }
    Ok(ExitCode::SUCCESS)
}

fn measure_candle(engine: &Engine, path: &Path, prompt: &[u32]) -> anyhow::Result<Figures> {
    // Warm-up, so both engines start with their code and weights paged in.
    Transformer::load(GgufFile::open(path)?)?.forward(&prompt[..32], 0)?;
    let mut model = Transformer::load(GgufFile::open(path)?)?;
    let started = Instant::now();
    let mut logits = model.forward(prompt, 0)?;
    let prefill = started.elapsed().as_secs_f64();
    let mut greedy = Sampler::new(&SamplingParams::default());
    let started = Instant::now();
    for step in 0..DECODE_TOKENS {
        let token = greedy.sample(&logits);
        logits = model.forward(&[token], prompt.len() + step)?;
    }
    let decode = started.elapsed().as_secs_f64();

    // A routine turn: the system prompt is the fixed prefix, the customer's
    // message is new. The first run fills the prefix cache (cold); the second
    // reuses it (cached).
    let ttft = |user: &str| -> anyhow::Result<f64> {
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
        Ok(stats.first_token_ms)
    };
    let ttft_cold_ms = ttft("Where is my order 1006?")?;
    let ttft_cached_ms = ttft("Can I still cancel order 1002?")?;
    Ok(Figures {
        prefill_tok_s: prompt.len() as f64 / prefill,
        decode_tok_s: DECODE_TOKENS as f64 / decode,
        ttft_cold_ms,
        ttft_cached_ms,
    })
}

const LLAMA_CPP_SCRIPT: &str = r#"
import json, sys, time
import numpy as np
from llama_cpp import Llama
cfg = json.load(open(sys.argv[1]))
llm = Llama(model_path=cfg["model"], n_threads=cfg["threads"], n_threads_batch=cfg["threads"],
            n_ctx=2048, n_batch=1024, verbose=False)
prompt = cfg["prompt"]
llm.reset(); llm.eval(prompt[:32])
llm.reset()
t = time.perf_counter(); llm.eval(prompt); prefill = time.perf_counter() - t
t = time.perf_counter()
for _ in range(cfg["decode"]):
    token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    llm.eval([token])
decode = time.perf_counter() - t
def first_token(tokens):
    t = time.perf_counter(); llm.eval(tokens); int(np.argmax(llm.scores[llm.n_tokens - 1]))
    return (time.perf_counter() - t) * 1e3
llm.reset(); cold = first_token(cfg["prefix"] + cfg["suffix"])
llm.reset(); llm.eval(cfg["prefix"]); state = llm.save_state()
t = time.perf_counter(); llm.load_state(state); llm.eval(cfg["suffix2"])
int(np.argmax(llm.scores[llm.n_tokens - 1])); cached = (time.perf_counter() - t) * 1e3
print(json.dumps({"prefill": len(prompt) / prefill, "decode": cfg["decode"] / decode, "cold": cold, "cached": cached}))
"#;

/// A private virtual environment with llama-cpp-python, installed on first use.
fn llama_cpp_python() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let venv = home.join(".cache/deskhand/bench-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import llama_cpp, numpy"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ready {
        return Ok(python);
    }
    eprintln!(
        "installing {LLAMA_CPP_PYTHON} into {} (it compiles llama.cpp: several minutes, once)",
        venv.display()
    );
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()?;
    anyhow::ensure!(status.success(), "python3 -m venv failed");
    let status = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--disable-pip-version-check",
            LLAMA_CPP_PYTHON,
            "numpy",
        ])
        .status()?;
    anyhow::ensure!(status.success(), "pip install {LLAMA_CPP_PYTHON} failed");
    Ok(python)
}

fn measure_llama_cpp(
    path: &Path,
    prompt: &[u32],
    engine: &Engine,
    threads: usize,
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
    let (prefix, suffix) = turn("Where is my order 1006?")?;
    let (_, suffix2) = turn("Can I still cancel order 1002?")?;
    let config = json!({
        "model": path, "threads": threads, "prompt": prompt, "decode": DECODE_TOKENS,
        "prefix": prefix, "suffix": suffix, "suffix2": suffix2,
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
    })
}
