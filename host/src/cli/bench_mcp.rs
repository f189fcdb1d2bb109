//! `deskhand bench mcp`: what an MCP tool call costs. The same two calls
//! (a records read, `track_order`, and a records write, the template tool)
//! three ways: the plain plugin call, through the gate (schema validation,
//! facts, every applicable policy, the audit record), and as an MCP
//! `tools/call` from rmcp's client to deskhand's server over an in-process
//! pipe (JSON-RPC both ways, then the gate).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use deskhand::clock::Clock;
use deskhand::mcp::{DeskGateway, DeskServer};
use deskhand::plugins::{CustomerScope, PluginPaths, PluginRegistry};
use deskhand::policy::{PolicyEngine, PolicyGate, ToolCall};
use deskhand::store::{RecordStore, SqliteStore, seed};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use super::GlobalArgs;
use super::bench_measure::{BENCH_NOW, Percentiles, measure, micros};

/// Makes the arguments of the next call.
type ArgsOfCall = Box<dyn FnMut() -> Value>;

pub fn run(global: &GlobalArgs, iterations: usize) -> anyhow::Result<ExitCode> {
    let clock = Clock::fixed(BENCH_NOW);
    let store = Arc::new(SqliteStore::in_memory()?);
    seed::seed(store.as_ref(), clock.now())?;
    let records: Arc<dyn RecordStore> = store.clone();

    // The shop's plugins and the template tool (a records write), with grants.
    let folder = tempfile::tempdir()?;
    let builtin = std::path::Path::new(deskhand::plugins::BUILTIN_PLUGINS_DIR);
    for name in ["track_order", "list_orders", "cancel_order", "refund"] {
        std::fs::copy(
            builtin.join(format!("{name}.wasm")),
            folder.path().join(format!("{name}.wasm")),
        )
        .with_context(|| {
            format!("the MCP benchmark needs the {name} plugin (built with deskhand)")
        })?;
    }
    std::fs::copy(
        std::path::Path::new(deskhand::plugins::TEST_PLUGINS_DIR).join("my_tool.wasm"),
        folder.path().join("my_tool.wasm"),
    )
    .context("the MCP benchmark needs the template plugin my_tool (built with deskhand)")?;
    // The desk's own grants, and the template's collection.
    let desk = global.desk()?;
    let grants = desk
        .plugins
        .grants
        .as_ref()
        .and_then(|file| std::fs::read_to_string(file).ok())
        .unwrap_or_default();
    std::fs::write(
        folder.path().join("plugins.toml"),
        format!("{grants}\n[plugins.my_tool]\nrecords = {{ my_tool = \"read-write\" }}\n"),
    )?;
    let sandbox = global.sandbox()?;
    let tools = Arc::new(PluginRegistry::load(
        sandbox.clone(),
        PluginPaths::dir(folder.path()),
    )?);
    let policies = Arc::new(
        PolicyEngine::load_for_tools(sandbox, global.policy_paths()?, tools.clone())
            .context("loading the desk's policies")?,
    );
    let gate = Arc::new(PolicyGate::new(
        tools.clone(),
        policies.clone(),
        store.clone(),
    ));
    let scope = CustomerScope::new("C001", records.clone(), clock.clone());

    let runtime = tokio::runtime::Runtime::new()?;
    let gateway = Arc::new(DeskGateway::new(
        gate.clone(),
        records.clone(),
        store.clone(),
        clock.clone(),
        None,
        global.kb_dir()?,
        desk.name.clone(),
    ));
    let client = runtime.block_on(async {
        let (server_side, client_side) = tokio::io::duplex(1 << 20);
        let server = DeskServer::new(gateway, Some("C001".into()));
        tokio::spawn(async move {
            if let Ok(running) = server.serve(tokio::io::split(server_side)).await {
                let _ = running.waiting().await;
            }
        });
        ().serve(tokio::io::split(client_side)).await
    })?;

    let warmup = (iterations / 10).max(10);
    println!("{iterations} calls per side after {warmup} warm-up calls, customer C001");
    println!("{:<52} {:>10} {:>10}", "", "p50", "p99");
    let mut n = 0u64;
    let calls: [(&str, &str, ArgsOfCall); 2] = [
        (
            "records read: track_order 1007 (read-only, no policy)",
            "track_order",
            Box::new(|| json!({"order_id": "1007"})),
        ),
        (
            "records write: my_tool (reversible, policies decide)",
            "my_tool",
            Box::new(move || {
                n += 1;
                json!({"value": format!("note {n}")})
            }),
        ),
    ];
    for (what, tool, mut args) in calls {
        let plugin = tools.require(tool)?;
        let plain = measure(warmup, iterations, || {
            plugin
                .invoke(&scope, &args())
                .map(drop)
                .map_err(anyhow::Error::from)
        })?;
        let gated = measure(warmup, iterations, || {
            let args = args();
            let call = gate.call(
                &scope,
                ToolCall {
                    tool,
                    args: &args,
                    conversation_id: Some("bench"),
                    confirmed: false,
                },
            )?;
            anyhow::ensure!(call.succeeded(), "{tool} did not run: {call:?}");
            Ok(())
        })?;
        let over_mcp = measure(warmup, iterations, || {
            let params = CallToolRequestParams::new(tool.to_string())
                .with_arguments(args().as_object().cloned().unwrap_or_default());
            let result = runtime.block_on(client.call_tool(params))?;
            anyhow::ensure!(
                result.is_error != Some(true),
                "{tool} failed over MCP: {result:?}"
            );
            Ok(())
        })?;
        report(what, &plain, &gated, &over_mcp);
    }
    println!(
        "goal: MCP adds at most 250 µs per call over the gate at p50; the policy layer under 1 ms"
    );
    runtime.block_on(async { drop(client.cancel().await) });
    Ok(ExitCode::SUCCESS)
}

fn report(what: &str, plain: &Percentiles, gated: &Percentiles, over_mcp: &Percentiles) {
    println!("{what}");
    for (name, p) in [
        ("  plain plugin call", plain),
        ("  through the gate (validation, policies, audit)", gated),
        ("  MCP tools/call (rmcp client → server → gate)", over_mcp),
    ] {
        println!("{name:<52} {:>10} {:>10}", micros(p.p50), micros(p.p99));
    }
    let ratio =
        |a: &Percentiles, b: &Percentiles| a.p50.as_secs_f64() / b.p50.as_secs_f64().max(1e-9);
    println!(
        "  policy layer over the plain call at p50: {} ({:.2}x); MCP over the gate: {} ({:.2}x); MCP over plain {:.2}x",
        micros(gated.p50.saturating_sub(plain.p50)),
        ratio(gated, plain),
        micros(over_mcp.p50.saturating_sub(gated.p50)),
        ratio(over_mcp, gated),
        ratio(over_mcp, plain),
    );
}
