//! `track_order`: where an order is, with carrier, tracking number and dates.

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use deskhand_shop::{ORDERS, OrderView, order_not_found};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The order number, digits only, e.g. "1001".
    #[schemars(regex(pattern = r"^[0-9]{3,12}$"))]
    #[schemars(extend("x-deskhand" = {"kind": "identifier", "noun": "order", "nouns": ["purchase", "parcel", "package"], "collection": "orders", "latest": {"tool": "list_orders", "args": {"limit": 1}, "pointer": "/orders/0/order_id"}}))]
    order_id: String,
}

struct TrackOrder;

impl Tool for TrackOrder {
    type Args = Args;
    type Output = OrderView;
    type Facts = NoFacts;

    const NAME: &'static str = "track_order";
    const DESCRIPTION: &'static str = "Look up one of the customer's orders: its status, \
        carrier, tracking number, shipping and delivery dates and estimated delivery.";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "where is my order 1001?",
            "track order 1006",
            "has my package shipped yet?",
            "when will order 1012 arrive?",
            "what's the status of my order",
            "tracking number for my last order please",
            "is my parcel on its way",
            "where's my stuff, it still hasn't come",
        ]
    }

    fn call(args: Args) -> Result<OrderView, ToolError> {
        let order = ORDERS
            .get(&args.order_id)?
            .ok_or_else(|| order_not_found(&args.order_id))?;
        Ok(OrderView::from(&order))
    }
}

export_tool!(TrackOrder);
