//! `deskhand bench …`: speed measurements that print numbers, never assert.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use deskhand::clock::{Clock, rfc3339};
use deskhand::plugins::{CustomerScope, Effect};
use deskhand::policy::PolicyRequest;
use deskhand::store::{Order, OrderStore, SqliteStore, seed};
use serde_json::{Value, json};

use super::GlobalArgs;

/// The instant the benchmark shop is seeded at (2026-06-15T12:00:00Z).
const BENCH_NOW: i64 = 1_781_524_800;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// `track_order` through the wasm host versus the same lookup done natively.
    Tools {
        /// Measured calls per side.
        #[arg(long, default_value_t = 5000)]
        iterations: usize,
    },
    /// deskhand's engine beside llama.cpp on the same GGUF files and threads: prefill, decode,
    /// first token, memory; for the chat model (`--model PATH.gguf` measures another file) and a
    /// random-weight Qwen 3 model the benchmark writes itself.
    Llm(super::bench_llm::LlmBenchArgs),
    /// Knowledge-base query latency (embedding included) per mode, and ingest throughput.
    Kb {
        /// Measured queries per mode.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// Turn latency and time to first reply text over a fixed mix of 20 turns.
    Agent,
    /// One policy decision through the host (every applicable policy, fresh instances).
    Policies {
        /// Measured decisions per request.
        #[arg(long, default_value_t = 5000)]
        iterations: usize,
    },
}

pub fn run(global: &GlobalArgs, command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Tools { iterations } => bench_tools(global, iterations.max(10)),
        BenchCommand::Policies { iterations } => bench_policies(global, iterations.max(10)),
        BenchCommand::Llm(args) => super::bench_llm::run(global, &args),
        BenchCommand::Agent => super::bench_agent::run(global),
        BenchCommand::Kb { iterations } => bench_kb(global, iterations.max(10)),
    }
}

fn bench_tools(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    let clock = Clock::fixed(BENCH_NOW);
    let store: Arc<dyn OrderStore> = Arc::new(SqliteStore::in_memory()?);
    seed::seed(store.as_ref(), clock.now())?;
    let registry = global.load_plugins()?;
    let plugin = registry
        .require("track_order")
        .context("the tools benchmark needs the track_order plugin")?;
    let scope = CustomerScope::new("C001", store.clone(), clock);
    let args = json!({"order_id": "1007"});

    let wasm_result = plugin.invoke(&scope, &args)?;
    let native_result = native_track(store.as_ref(), "C001", "1007")?;
    anyhow::ensure!(
        wasm_result == native_result,
        "the plugin and the native lookup disagree:\n{wasm_result}\n{native_result}"
    );

    let warmup = (iterations / 10).max(10);
    let wasm = measure(warmup, iterations, || {
        plugin
            .invoke(&scope, &args)
            .map(drop)
            .map_err(anyhow::Error::from)
    })?;
    let native = measure(warmup, iterations, || {
        native_track(store.as_ref(), "C001", "1007").map(drop)
    })?;

    let overhead = wasm.p50.saturating_sub(native.p50);
    println!(
        "track_order for customer C001, order 1007: {iterations} calls per side after {warmup} warm-up calls"
    );
    println!("{:<34} {:>10} {:>10}", "", "p50", "p99");
    println!(
        "{:<34} {:>10} {:>10}",
        "wasm plugin (fresh instance/call)",
        micros(wasm.p50),
        micros(wasm.p99)
    );
    println!(
        "{:<34} {:>10} {:>10}",
        "native lookup + same JSON",
        micros(native.p50),
        micros(native.p99)
    );
    println!(
        "wasm overhead at p50: {} (goal: at most 20 µs)",
        micros(overhead)
    );
    println!(
        "ratio wasm/native at p50: {:.2}x",
        wasm.p50.as_secs_f64() / native.p50.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn bench_policies(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    let store = SqliteStore::in_memory()?;
    seed::seed(&store, BENCH_NOW)?;
    let engine = global.load_policies()?;
    let set = engine.current();
    let warmup = (iterations / 10).max(10);
    let requests = [
        (
            "cancel_order",
            Effect::Reversible,
            json!({"order_id": "1002"}),
            "allow",
        ),
        (
            "cancel_order",
            Effect::Reversible,
            json!({"order_id": "1001"}),
            "deny",
        ),
        (
            "refund",
            Effect::Irreversible,
            json!({"order_id": "1008", "reason": "broken"}),
            "escalate",
        ),
    ];
    println!(
        "one decision through the host (revision {}), {iterations} decisions per request after {warmup} warm-up",
        set.revision()
    );
    println!(
        "{:<44} {:>9} {:>10} {:>10}",
        "request", "policies", "p50", "p99"
    );
    for (tool, effect, args, expected) in requests {
        let request = PolicyRequest::lookup(&store, "C001", tool, effect, &args, false, BENCH_NOW)?;
        let decision = set.evaluate(&request);
        anyhow::ensure!(
            decision.verdict.as_str() == expected,
            "{tool} {args}: expected {expected}, the policies said {:?}",
            decision.verdict
        );
        let timing = measure(warmup, iterations, || {
            std::hint::black_box(set.evaluate(&request));
            Ok(())
        })?;
        println!(
            "{:<44} {:>9} {:>10} {:>10}",
            format!("{tool} {args} → {expected}"),
            decision.policies.len(),
            micros(timing.p50),
            micros(timing.p99)
        );
    }
    println!(
        "goal: p50 at most 50 µs, p99 at most 1 ms (OPA aims at about 1 ms; Cedar's median is 4–11 µs)"
    );
    Ok(ExitCode::SUCCESS)
}

fn bench_kb(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    use deskhand::retrieval::{ChunkingConfig, KnowledgeBase, SearchMode};
    let embedder = std::sync::Arc::new(global.load_embedder()?);
    let embedder_for_timing = embedder.clone();
    let store = tempfile::tempdir()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let kb = KnowledgeBase::open(&store.path().join("kb.lance"), embedder).await?;
        let started = Instant::now();
        let report = kb.ingest(&deskhand::config::builtin_kb_dir(), ChunkingConfig::default(), &|_, _| {}).await?;
        let ingest = started.elapsed().as_secs_f64();
        println!(
            "ingest: {} chunks of {} pages in {:.2} s = {:.1} chunks/s (embedding, writing and the full-text index)",
            report.chunks,
            report.documents,
            ingest,
            report.chunks as f64 / ingest
        );
        let questions = deskhand::retrieval::load_questions(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval/retrieval/questions.yaml"),
        )?;
        println!("query latency, embedding included, k = 5, {iterations} queries per mode:");
        println!("{:<8} {:>10} {:>10}", "mode", "p50", "p99");
        for mode in [SearchMode::Vector, SearchMode::Fts, SearchMode::Hybrid] {
            let mut samples = Vec::with_capacity(iterations);
            for i in 0..iterations + 10 {
                let question = &questions[i % questions.len()].question;
                let started = Instant::now();
                std::hint::black_box(kb.search(question, mode, 5).await?);
                if i >= 10 {
                    samples.push(started.elapsed());
                }
            }
            samples.sort();
            let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
            println!("{:<8} {:>10} {:>10}", format!("{mode:?}").to_lowercase(), micros(at(0.5)), micros(at(0.99)));
        }
        let mut samples = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let question = &questions[i % questions.len()].question;
            let started = Instant::now();
            std::hint::black_box(embedder_for_timing.embed_one(question)?);
            samples.push(started.elapsed());
        }
        samples.sort();
        println!("{:<8} {:>10} {:>10}  (the query embedding alone)", "embed", micros(samples[samples.len() / 2]), micros(samples[(samples.len() - 1) * 99 / 100]));
        println!("goal: query p50 ≤ 10 ms");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The same work as the `track_order` plugin, done natively.
fn native_track(store: &dyn OrderStore, customer: &str, order_id: &str) -> anyhow::Result<Value> {
    let order = store
        .order(customer, order_id)?
        .with_context(|| format!("order {order_id} not found"))?;
    Ok(order_view(&order))
}

fn order_view(order: &Order) -> Value {
    let money = |cents: i64| cents as f64 / 100.0;
    let mut view = json!({
        "order_id": order.id,
        "status": order.status.as_str(),
        "placed_at": rfc3339(order.placed_at),
        "items": order.items.iter().map(|i| json!({
            "sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price": money(i.unit_price_cents),
        })).collect::<Vec<_>>(),
        "total": money(order.total_cents),
        "refunded": money(order.refunded_cents),
        "currency": order.currency,
    });
    let optional = [
        ("carrier", order.carrier.clone()),
        ("tracking_number", order.tracking_number.clone()),
        ("shipped_at", order.shipped_at.map(rfc3339)),
        ("delivered_at", order.delivered_at.map(rfc3339)),
        ("estimated_delivery", order.estimated_delivery.map(rfc3339)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            view[key] = Value::String(value);
        }
    }
    view
}

/// Latency percentiles of one measured operation.
struct Percentiles {
    p50: Duration,
    p99: Duration,
}

fn measure(
    warmup: usize,
    iterations: usize,
    mut op: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Percentiles> {
    for _ in 0..warmup {
        op()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        op()?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Ok(Percentiles {
        p50: at(0.50),
        p99: at(0.99),
    })
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
