//! `list_orders`: the customer's most recent orders, newest first.
//!
//! This is how the agent resolves "my last order" without guessing.

use deskhand_plugin_sdk::{
    Effect, Guest, ORDER_VIEW_SCHEMA, OrderView, ToolError, ToolManifest, export_tool, orders,
    parse_args, to_json,
};
use serde::{Deserialize, Serialize};

const DEFAULT_LIMIT: u32 = 5;

#[derive(Deserialize)]
struct Args {
    limit: Option<u32>,
}

#[derive(Serialize)]
struct Listing {
    count: usize,
    orders: Vec<OrderView>,
}

struct ListOrders;

impl Guest for ListOrders {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "list_orders".into(),
            description: "List the customer's most recent orders, newest first. Use it to find \
                          \"my last order\" or when the customer does not give an order number."
                .into(),
            params_schema: r#"{"type": "object", "additionalProperties": false,
                "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 20,
                    "description": "How many orders to return (default 5)."}}}"#
                .into(),
            result_schema: format!(
                r#"{{"type": "object", "required": ["count", "orders"], "additionalProperties": false,
                    "properties": {{"count": {{"type": "integer", "minimum": 0}},
                                   "orders": {{"type": "array", "items": {ORDER_VIEW_SCHEMA}}}}}}}"#
            ),
            effect: Effect::ReadOnly,
            version: env!("CARGO_PKG_VERSION").into(),
            examples: vec!["show me my orders".into(), "what have I ordered recently?".into(), "list my orders".into(), "which orders do I have".into(), "what did I buy last month".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args = parse_args(&args)?;
        let orders: Vec<OrderView> = orders::list_orders(args.limit.unwrap_or(DEFAULT_LIMIT))
            .iter()
            .map(OrderView::from)
            .collect();
        to_json(&Listing {
            count: orders.len(),
            orders,
        })
    }
}

export_tool!(ListOrders);
