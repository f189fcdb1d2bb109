//! `list_orders`: the customer's most recent orders, newest first.
//!
//! This is how the agent resolves "my last order" without guessing.

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use deskhand_shop::{ORDERS, OrderView};
use serde::{Deserialize, Serialize};

const DEFAULT_LIMIT: u32 = 5;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// How many orders to return (default 5).
    #[schemars(range(min = 1, max = 20))]
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Listing {
    count: usize,
    orders: Vec<OrderView>,
}

struct ListOrders;

impl Tool for ListOrders {
    type Args = Args;
    type Output = Listing;
    type Facts = NoFacts;

    const NAME: &'static str = "list_orders";
    const DESCRIPTION: &'static str = "List the customer's most recent orders, newest first. \
        Use it to find \"my last order\" or when the customer does not give an order number.";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "show me my orders",
            "what have I ordered recently?",
            "list my orders",
            "which orders do I have",
            "what did I buy last month",
        ]
    }

    fn call(args: Args) -> Result<Listing, ToolError> {
        let mut orders = ORDERS.all(500)?;
        // Newest order first, whenever its row was written.
        orders.sort_by(|a, b| (b.data.placed_at, &b.id).cmp(&(a.data.placed_at, &a.id)));
        orders.truncate(args.limit.unwrap_or(DEFAULT_LIMIT) as usize);
        let orders: Vec<OrderView> = orders.iter().map(OrderView::from).collect();
        Ok(Listing {
            count: orders.len(),
            orders,
        })
    }
}

export_tool!(ListOrders);
