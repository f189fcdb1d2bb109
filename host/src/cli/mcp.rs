//! `deskhand mcp`: the desk as an MCP server on stdin and stdout, for one
//! customer. (Over HTTP, `deskhand serve` serves it at `/mcp`, for the
//! customer of each request's key.)

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use deskhand::mcp::{DeskGateway, DeskServer};
use rmcp::ServiceExt;

use super::GlobalArgs;
use super::chat::open_knowledge;

/// `deskhand mcp`.
#[derive(clap::Args)]
pub struct McpArgs {
    /// The customer every call acts for (over stdio the session is one
    /// customer's; over HTTP the key says whose).
    #[arg(long, env = "DESKHAND_CUSTOMER", value_name = "ID")]
    pub customer: String,
    /// Serve no help centre (no search_help tool; saves loading the embedder).
    #[arg(long)]
    pub no_help: bool,
}

/// Serves MCP on stdio until the client closes it.
pub fn run(global: &GlobalArgs, args: McpArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let gateway = Arc::new(gateway(global, &runtime, args.no_help)?);
    let customer = args.customer.trim().to_string();
    let known = gateway
        .records
        .customers()
        .context("reading the store's customers")?;
    anyhow::ensure!(
        known.iter().any(|c| c.id == customer),
        "--customer {customer}: no such customer in the store (it has {}); the session acts for one of them",
        known
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Dropped-in plugins and edited policies take effect live; a change of
    // the tools is announced to the client.
    let _policy_watch = gateway
        .gate
        .policies()
        .watch()
        .context("watching the policies for changes")?;
    let _plugin_watch = gateway
        .gate
        .tools()
        .watch()
        .context("watching the plugins folder for changes")?;
    eprintln!(
        "deskhand MCP server on stdio for customer {customer}: {} tools",
        deskhand::mcp::catalog_tools(
            gateway.gate.tools(),
            gateway.gate.policies(),
            gateway.knowledge.is_some()
        )
        .len()
    );
    runtime.block_on(async {
        let server = DeskServer::new(gateway, Some(customer))
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the MCP session on stdio")?;
        server.waiting().await.context("serving MCP")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// What the MCP server serves, without the language model.
fn gateway(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    no_help: bool,
) -> anyhow::Result<DeskGateway> {
    let desk = global.desk()?;
    let clock = global.clock()?;
    let store = global.open_store(&clock)?;
    let gate = Arc::new(global.load_gate(store.clone())?);
    let knowledge = if no_help {
        None
    } else {
        let embedder = Arc::new(global.load_embedder()?);
        Some(open_knowledge(global, runtime, &embedder)?)
    };
    Ok(DeskGateway::new(
        gate,
        store.clone(),
        store,
        clock,
        knowledge,
        global.kb_dir()?,
        desk.name,
    ))
}
