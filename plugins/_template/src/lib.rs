//! A template tool plugin: `order_stats` counts the customer's orders by status.
//!
//! A tool is two functions. `manifest` tells the host (and the language model)
//! what the tool is; `invoke` does the work. The host validates the arguments
//! against `params_schema` before `invoke` runs and the result against
//! `result_schema` after, so `invoke` can trust its input and must keep its
//! promise about the output.
//!
//! Return `Err(ToolError::new(code, message))` for a business failure (the
//! message is shown to the customer); never panic on bad data, a panic is a
//! trap and reported as a plugin bug.

use std::collections::BTreeMap;

use deskhand_plugin_sdk::{
    Effect, Guest, ToolError, ToolManifest, export_tool, orders, parse_args, to_json,
};
use serde::{Deserialize, Serialize};

/// The arguments, exactly as `params_schema` describes them.
#[derive(Deserialize)]
struct Args {
    /// How many recent orders to look at.
    recent: Option<u32>,
}

/// The result, exactly as `result_schema` describes it.
#[derive(Serialize)]
struct Stats {
    orders: usize,
    by_status: BTreeMap<&'static str, u32>,
}

struct OrderStats;

impl Guest for OrderStats {
    fn manifest() -> ToolManifest {
        ToolManifest {
            // Unique, snake_case: this is how the agent and the CLI name the tool.
            name: "order_stats".into(),
            // Written for the language model that decides when to use the tool.
            description: "Count the customer's recent orders by status.".into(),
            params_schema: r#"{"type": "object", "additionalProperties": false,
                "properties": {"recent": {"type": "integer", "minimum": 1, "maximum": 50}}}"#
                .into(),
            result_schema: r#"{"type": "object", "required": ["orders", "by_status"],
                "additionalProperties": false,
                "properties": {"orders": {"type": "integer", "minimum": 0},
                               "by_status": {"type": "object",
                                             "additionalProperties": {"type": "integer", "minimum": 1}}}}"#
                .into(),
            // read-only, reversible or irreversible: policies use it to decide
            // how carefully a call is treated.
            effect: Effect::ReadOnly,
            version: env!("CARGO_PKG_VERSION").into(),
            examples: vec!["how much have I spent in total?".into(), "how many orders have I placed?".into(), "give me statistics about my orders".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args = parse_args(&args)?;
        // The host only ever returns this customer's orders.
        let recent = orders::list_orders(args.recent.unwrap_or(50));
        let mut by_status = BTreeMap::new();
        for order in &recent {
            *by_status.entry(order.status.as_str()).or_insert(0) += 1;
        }
        to_json(&Stats {
            orders: recent.len(),
            by_status,
        })
    }
}

export_tool!(OrderStats);
