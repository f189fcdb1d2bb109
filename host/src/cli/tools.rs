//! `deskhand tools …`: list and call tool plugins.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::plugins::{CustomerScope, ToolManifest};
use deskhand::policy::{GatedCall, ToolCall, Verdict};
use serde_json::Value;

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum ToolsCommand {
    /// Print the loaded tools: name, effect, version, arguments, grants.
    List,
    /// Call one tool for a customer and print its JSON result.
    Call {
        /// The tool's name, e.g. track_order.
        name: String,
        /// The customer the call is made for, e.g. C001.
        #[arg(long)]
        customer: String,
        /// The arguments as a JSON object, e.g. '{"order_id": "1001"}'.
        #[arg(long, default_value = "{}")]
        args: String,
        /// The customer has confirmed this call (for policies that ask first).
        #[arg(long)]
        confirmed: bool,
    },
}

pub fn run(global: &GlobalArgs, command: ToolsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ToolsCommand::List => list(global),
        ToolsCommand::Call {
            name,
            customer,
            args,
            confirmed,
        } => call(global, &name, &customer, &args, confirmed),
    }
}

fn list(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let registry = global.load_plugins()?;
    let catalog = registry.catalog();
    let rows: Vec<[String; 5]> = catalog
        .plugins()
        .map(|p| {
            let m = p.manifest();
            [
                m.name.clone(),
                m.effect.as_str().to_string(),
                m.version.clone(),
                arguments(m),
                p.grant().summary(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("no tools in {}", registry.dir().display());
        return Ok(ExitCode::SUCCESS);
    }
    let header = ["NAME", "EFFECT", "VERSION", "ARGUMENTS", "GRANTS"].map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in [&header].into_iter().chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    for failure in catalog.failures() {
        println!("skipped: {failure}");
    }
    if let Some(file) = registry.grants_file() {
        println!(
            "grants from {}{}",
            file.display(),
            if file.exists() {
                ""
            } else {
                " (missing: nothing is granted)"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `order_id, reason?`: the argument names, optional ones marked with `?`.
fn arguments(manifest: &ToolManifest) -> String {
    let schema = manifest.params.source();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return "-".into();
    };
    let mut names: Vec<String> = properties
        .keys()
        .map(|name| {
            if required.contains(&name.as_str()) {
                name.clone()
            } else {
                format!("{name}?")
            }
        })
        .collect();
    // Required arguments first, each group in schema order.
    names.sort_by_key(|n| n.ends_with('?'));
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}

fn call(
    global: &GlobalArgs,
    name: &str,
    customer: &str,
    args: &str,
    confirmed: bool,
) -> anyhow::Result<ExitCode> {
    let args: Value = serde_json::from_str(args).with_context(|| {
        format!("--args must be a JSON object such as '{{\"order_id\": \"1001\"}}', got {args:?}")
    })?;
    let clock = global.clock()?;
    let store = global.open_store(&clock)?;
    anyhow::ensure!(
        store.customer(customer)?.is_some(),
        "there is no customer {customer:?} in the store; `deskhand data list` shows who is"
    );
    let gate = global.load_gate(store.clone())?;
    let scope = CustomerScope::new(customer, store, clock);
    let call = ToolCall {
        tool: name,
        args: &args,
        conversation_id: None,
        confirmed,
    };
    let gated = match gate.call(&scope, call) {
        Ok(gated) => gated,
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            return Ok(ExitCode::FAILURE);
        }
    };
    let result = match gated {
        GatedCall::Ran { result, .. } => result,
        GatedCall::Stopped { decision } => {
            let reason = decision.reason.as_deref().unwrap_or("");
            let revision = &decision.revision;
            match decision.verdict {
                Verdict::Escalate => {
                    eprintln!("escalated to a human (revision {revision}): {reason}")
                }
                Verdict::Confirm => {
                    eprintln!("needs the customer's confirmation (revision {revision}): {reason}");
                    eprintln!(
                        "run the same command with --confirmed once the customer has said yes"
                    );
                }
                _ => {
                    let code = decision.code.as_deref().unwrap_or("denied");
                    eprintln!("denied[{code}] by policy (revision {revision}): {reason}");
                }
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    match result {
        Ok(result) => {
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            Ok(ExitCode::FAILURE)
        }
    }
}
