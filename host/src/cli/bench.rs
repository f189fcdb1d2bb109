//! `deskhand bench …`: speed measurements that print numbers, never assert.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use deskhand::clock::{Clock, rfc3339};
use deskhand::plugins::{CustomerScope, PluginGrant, PluginPaths, PluginRegistry};
use deskhand::policy::PolicyRequest;
use deskhand::store::{RecordStore, RecordWrite, SqliteStore, seed};
use serde_json::{Value, json};

use super::GlobalArgs;
use super::bench_measure::{BENCH_NOW, Percentiles, measure, micros};

/// The instant the benchmark shop is seeded at (2026-06-15T12:00:00Z).

#[derive(Subcommand)]
pub enum BenchCommand {
    /// A records read (`track_order`) and a records write (the template tool)
    /// through the wasm host, each beside the same work done natively.
    Tools {
        /// Measured calls per side.
        #[arg(long, default_value_t = 5000)]
        iterations: usize,
    },
    /// deskhand's engine beside llama.cpp on the same GGUF files and threads: prefill, decode,
    /// first token, memory; for the chat model (`--model PATH.gguf` measures another file) and a
    /// random-weight Qwen 3 model the benchmark writes itself.
    Llm(super::bench_llm::LlmBenchArgs),
    /// LoRA training tokens/s on the chat model beside PyTorch + PEFT (same data, threads, rank).
    Tune(super::bench_tune::TuneBenchArgs),
    /// Knowledge-base query latency (embedding included) per mode, and ingest throughput.
    Kb {
        /// Measured queries per mode.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// Turn latency and time to first reply text over a fixed mix of 20 turns.
    Agent,
    /// An MCP tool call through the gate (in-process rmcp client and server) beside the same
    /// call through the gate alone and the plain plugin call: p50/p99 and the policy layer's cost.
    Mcp {
        /// Measured calls per side.
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
    },
    /// Turns per second and p50/p95 turn latency of real `deskhand serve` processes at a fixed
    /// concurrency: 1 host on SQLite, 1 and 2 hosts on one PostgreSQL; and the remote model
    /// backend's added latency per turn over the local engine on the same GGUF.
    Serve(super::bench_serve::ServeBenchArgs),
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
        BenchCommand::Tune(args) => super::bench_tune::run(global, &args),
        BenchCommand::Kb { iterations } => bench_kb(global, iterations.max(10)),
        BenchCommand::Mcp { iterations } => super::bench_mcp::run(global, iterations.max(10)),
        BenchCommand::Serve(args) => super::bench_serve::run(global, &args),
    }
}

fn bench_tools(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    let clock = Clock::fixed(BENCH_NOW);
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory()?);
    seed::seed(store.as_ref(), clock.now())?;
    let registry = global.load_plugins()?;
    let plugin = registry
        .require("track_order")
        .context("the tools benchmark needs the track_order plugin")?;
    let scope = CustomerScope::new("C001", store.clone(), clock.clone());
    let args = json!({"order_id": "1007"});

    let wasm_result = plugin.invoke(&scope, &args)?;
    let native_result = native_track(store.as_ref(), "C001", "1007")?;
    anyhow::ensure!(
        wasm_result == native_result,
        "the plugin and the native lookup disagree:\n{wasm_result}\n{native_result}"
    );
    let warmup = (iterations / 10).max(10);
    println!("{iterations} calls per side after {warmup} warm-up calls, customer C001");
    println!("{:<44} {:>10} {:>10}", "", "p50", "p99");
    let read_wasm = measure(warmup, iterations, || {
        plugin
            .invoke(&scope, &args)
            .map(drop)
            .map_err(anyhow::Error::from)
    })?;
    let read_native = measure(warmup, iterations, || {
        native_track(store.as_ref(), "C001", "1007").map(drop)
    })?;
    report_pair("records read: track_order 1007", &read_wasm, &read_native);

    // A write: the plugin template keeps one document per customer.
    let sandbox = registry.sandbox().clone();
    let mut grant = PluginGrant::default();
    grant
        .records
        .insert("my_tool".into(), deskhand::plugins::Access::ReadWrite);
    let folder = tempfile::tempdir()?;
    let template_file =
        std::path::Path::new(deskhand::plugins::TEST_PLUGINS_DIR).join("my_tool.wasm");
    std::fs::copy(&template_file, folder.path().join("my_tool.wasm")).with_context(|| {
        format!(
            "the tools benchmark needs the template plugin {} (built with deskhand)",
            template_file.display()
        )
    })?;
    let template = PluginRegistry::load(
        sandbox,
        PluginPaths {
            modules: folder.path().to_path_buf(),
            grants: None,
            only: None,
        },
    )?;
    let writer = template
        .require("my_tool")
        .context("the tools benchmark needs the template plugin (my_tool) built with deskhand")?;
    writer.set_grant(grant);
    let mut n = 0u64;
    let write_wasm = measure(warmup, iterations, || {
        n += 1;
        writer
            .invoke(&scope, &json!({"value": format!("note {n}")}))
            .map(drop)
            .map_err(anyhow::Error::from)
    })?;
    let write_native = measure(warmup, iterations, || {
        n += 1;
        native_write(store.as_ref(), &clock, "C001", &format!("note {n}"))
    })?;
    report_pair(
        "records write: my_tool (get + replace)",
        &write_wasm,
        &write_native,
    );
    println!("goal: at most 50 µs of overhead per call at p50");
    super::bench_polyglot::run(&scope, iterations.min(500))?;
    Ok(ExitCode::SUCCESS)
}

fn report_pair(what: &str, wasm: &Percentiles, native: &Percentiles) {
    println!("{what}");
    println!(
        "{:<44} {:>10} {:>10}",
        "  wasm plugin (fresh instance/call)",
        micros(wasm.p50),
        micros(wasm.p99)
    );
    println!(
        "{:<44} {:>10} {:>10}",
        "  native, same work",
        micros(native.p50),
        micros(native.p99)
    );
    println!(
        "  overhead at p50: {}; ratio wasm/native {:.2}x",
        micros(wasm.p50.saturating_sub(native.p50)),
        wasm.p50.as_secs_f64() / native.p50.as_secs_f64().max(1e-9)
    );
}

/// What the template plugin does, natively: read the row, then replace or insert it.
fn native_write(
    store: &dyn RecordStore,
    clock: &Clock,
    customer: &str,
    value: &str,
) -> anyhow::Result<()> {
    let data = json!({"value": value});
    let at = clock.now();
    let write = match store.record(customer, "my_tool", "current")? {
        Some(row) => RecordWrite::Update {
            collection: "my_tool".into(),
            id: "current".into(),
            data,
            at,
            version: row.version,
        },
        None => RecordWrite::Insert {
            collection: "my_tool".into(),
            id: "current".into(),
            data,
            at,
        },
    };
    store.commit(customer, &[write])?;
    Ok(())
}

fn bench_policies(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory()?);
    seed::seed(store.as_ref(), BENCH_NOW)?;
    let registry = global.load_plugins()?;
    let engine = global.load_policies()?;
    let set = engine.current();
    let scope = CustomerScope::new("C001", store.clone(), Clock::fixed(BENCH_NOW));
    let warmup = (iterations / 10).max(10);
    let requests = [
        ("cancel_order", json!({"order_id": "1002"}), "allow"),
        ("cancel_order", json!({"order_id": "1001"}), "deny"),
        (
            "refund",
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
    for (tool, args, expected) in requests {
        let plugin = registry.require(tool)?;
        let request = PolicyRequest {
            tool: tool.to_string(),
            effect: plugin.manifest().effect,
            facts: plugin.facts(&scope, &args)?,
            args: args.clone(),
            customer_id: "C001".into(),
            confirmed: false,
            now: BENCH_NOW,
        };
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
        let desk = global.desk()?;
        let report = kb.ingest(&desk.kb_dir, ChunkingConfig::default(), &|_, _| {}).await?;
        let ingest = started.elapsed().as_secs_f64();
        println!(
            "ingest: {} chunks of {} pages in {:.2} s = {:.1} chunks/s (embedding, writing and the full-text index)",
            report.chunks,
            report.documents,
            ingest,
            report.chunks as f64 / ingest
        );
        let questions = deskhand::retrieval::load_questions(&desk.retrieval)?;
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
fn native_track(store: &dyn RecordStore, customer: &str, order_id: &str) -> anyhow::Result<Value> {
    let order = store
        .record(customer, "orders", order_id)?
        .with_context(|| format!("order {order_id} not found"))?;
    Ok(order_view(order_id, &order.data))
}

fn order_view(id: &str, order: &Value) -> Value {
    let money = |v: &Value| v.as_i64().unwrap_or(0) as f64 / 100.0;
    let time = |v: &Value| v.as_i64().map(rfc3339);
    let items: Vec<Value> = order["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            json!({"sku": i["sku"], "name": i["name"], "quantity": i["quantity"],
                   "unit_price": money(&i["unit_price_cents"])})
        })
        .collect();
    let mut view = json!({
        "order_id": id,
        "status": order["status"],
        "placed_at": time(&order["placed_at"]),
        "items": items,
        "total": money(&order["total_cents"]),
        "refunded": money(&order["refunded_cents"]),
        "currency": order["currency"],
    });
    for key in ["carrier", "tracking_number"] {
        if let Some(value) = order.get(key) {
            view[key] = value.clone();
        }
    }
    for key in ["shipped_at", "delivered_at", "estimated_delivery"] {
        if let Some(value) = order.get(key).and_then(time) {
            view[key] = Value::String(value);
        }
    }
    view
}
