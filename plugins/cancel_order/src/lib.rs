//! `cancel_order`: cancels an order that has not shipped yet.
//!
//! Only data integrity lives here (a shipped parcel cannot be un-shipped).
//! Business rules such as the 10-day window are policies, which read the
//! order's [`OrderFacts`]. Cancelling an already-cancelled order succeeds
//! and changes nothing.

use deskhand_plugin_sdk::{Effect, JsonSchema, Tool, ToolError, export_tool, log_info};
use deskhand_shop::{EVENTS, ORDERS, OrderEvent, OrderFacts, OrderStatus, order_not_found};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The order number, digits only, e.g. "1001".
    #[schemars(regex(pattern = r"^[0-9]{3,12}$"))]
    #[schemars(extend("x-deskhand" = {"kind": "identifier", "noun": "order", "nouns": ["purchase", "parcel", "package"], "collection": "orders", "latest": {"tool": "list_orders", "args": {"limit": 1}, "pointer": "/orders/0/order_id"}}))]
    order_id: String,
    /// Why the customer cancels, in their words.
    #[schemars(length(max = 500))]
    #[schemars(extend("x-deskhand" = {"kind": "text"}))]
    reason: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Cancelled {
    order_id: String,
    #[schemars(extend("const" = "cancelled"))]
    status: &'static str,
    already_cancelled: bool,
    message: String,
}

struct CancelOrder;

impl Tool for CancelOrder {
    type Args = Args;
    type Output = Cancelled;
    type Facts = OrderFacts;

    const NAME: &'static str = "cancel_order";
    const DESCRIPTION: &'static str =
        "Cancel one of the customer's orders that has not shipped yet.";
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "cancel order 1001",
            "please cancel my order",
            "I want to cancel my last order",
            "I changed my mind, cancel it",
            "can you stop order 1002 before it ships",
            "I don't want order 1005 anymore",
            "cancel the order I placed yesterday",
        ]
    }

    fn facts(args: Args) -> Result<Option<OrderFacts>, ToolError> {
        OrderFacts::of(&args.order_id).map(Some)
    }

    fn call(args: Args) -> Result<Cancelled, ToolError> {
        let id = args.order_id.as_str();
        let order = ORDERS.get(id)?.ok_or_else(|| order_not_found(id))?;
        let already_cancelled = match order.data.status {
            OrderStatus::Cancelled => true,
            from @ (OrderStatus::Pending | OrderStatus::Processing) => {
                let note = match args.reason.as_deref().map(str::trim) {
                    Some(reason) if !reason.is_empty() => {
                        format!("cancel_order: cancelled at the customer's request: {reason}")
                    }
                    _ => "cancel_order: cancelled at the customer's request".to_string(),
                };
                ORDERS.merge(id, json!({ "status": "cancelled" }))?;
                EVENTS.insert(
                    None,
                    &OrderEvent {
                        order_id: id.to_string(),
                        kind: "status-changed".into(),
                        from_status: Some(from),
                        to_status: Some(OrderStatus::Cancelled),
                        amount_cents: None,
                        note,
                    },
                )?;
                log_info(&format!("order {id} cancelled"));
                false
            }
            OrderStatus::Shipped => {
                return Err(ToolError::new(
                    "already-shipped",
                    format!(
                        "Order {id} has already shipped, so it can no longer be cancelled. \
                         Once it arrives you can return it within 30 days."
                    ),
                ));
            }
            OrderStatus::Delivered => {
                return Err(ToolError::new(
                    "already-delivered",
                    format!(
                        "Order {id} has already been delivered, so it can no longer be cancelled. \
                         You can return it within 30 days of delivery instead."
                    ),
                ));
            }
            OrderStatus::Returned => {
                return Err(ToolError::new(
                    "already-returned",
                    format!("Order {id} has been returned, so there is nothing left to cancel."),
                ));
            }
        };
        let message = if already_cancelled {
            format!("Order {id} was already cancelled; nothing has changed.")
        } else {
            format!("Order {id} has been cancelled.")
        };
        Ok(Cancelled {
            order_id: order.id,
            status: "cancelled",
            already_cancelled,
            message,
        })
    }
}

export_tool!(CancelOrder);
