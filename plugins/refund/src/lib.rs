//! `refund`: refunds a delivered order, in full or in part.
//!
//! The tool guards the money's integrity: only delivered orders, never more
//! than what is left to refund. Limits such as "above 200 € a human decides"
//! are policies, which read the order's [`OrderFacts`] with its refund history.
//!
//! The order's `refunded_cents`, the refund row and the event are written in
//! one transaction; if another call changed the order meanwhile, the host
//! runs this call again on the fresh order, so two refunds racing for the
//! same money can never both succeed.

use deskhand_plugin_sdk::{
    Effect, JsonSchema, Tool, ToolError, cents, export_tool, log_info, money,
};
use deskhand_shop::{
    EVENTS, ORDERS, OrderEvent, OrderFacts, OrderStatus, REFUNDS, RefundRow, of_order,
    order_not_found,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The order number, digits only, e.g. "1001".
    #[schemars(regex(pattern = r"^[0-9]{3,12}$"))]
    #[schemars(extend("x-deskhand" = {"kind": "identifier", "noun": "order", "nouns": ["purchase", "parcel", "package"], "collection": "orders", "latest": {"tool": "list_orders", "args": {"limit": 1}, "pointer": "/orders/0/order_id"}}))]
    order_id: String,
    /// Amount to refund; the whole remaining amount when absent.
    #[schemars(range(max = 100000), extend("exclusiveMinimum" = 0))]
    #[schemars(extend("x-deskhand" = {"kind": "amount", "currency": "EUR"}))]
    amount: Option<f64>,
    /// Why the customer wants a refund.
    #[schemars(length(min = 3, max = 500))]
    #[schemars(extend("x-deskhand" = {"kind": "text"}))]
    reason: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Refunded {
    order_id: String,
    refund_id: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    amount: f64,
    currency: String,
    #[schemars(range(min = 0))]
    refunded_total: f64,
    #[schemars(range(min = 0))]
    remaining: f64,
    message: String,
}

struct Refund;

impl Tool for Refund {
    type Args = Args;
    type Output = Refunded;
    type Facts = OrderFacts;

    const NAME: &'static str = "refund";
    const DESCRIPTION: &'static str = "Refund a delivered order to the original payment method, \
        in full or for a given amount.";
    const EFFECT: Effect = Effect::Irreversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "I want a refund for order 1007",
            "refund my order please",
            "give me my money back for order 1009",
            "the item was broken, I want my money back",
            "can I get a refund on my last order",
            "please refund 20 euros on order 1007",
        ]
    }

    fn facts(args: Args) -> Result<Option<OrderFacts>, ToolError> {
        OrderFacts::of(&args.order_id)?.with_refunds().map(Some)
    }

    fn call(args: Args) -> Result<Refunded, ToolError> {
        let id = args.order_id.as_str();
        let order = ORDERS.get(id)?.ok_or_else(|| order_not_found(id))?.data;
        if order.status != OrderStatus::Delivered {
            return Err(ToolError::new(
                "not-delivered",
                format!(
                    "Order {id} is {}, and only delivered orders can be refunded.",
                    order.status.as_str()
                ),
            ));
        }
        let remaining = order.total_cents - order.refunded_cents;
        if remaining <= 0 {
            return Err(ToolError::new(
                "already-refunded",
                format!("Order {id} has already been refunded in full."),
            ));
        }
        let amount = match args.amount {
            None => remaining,
            Some(amount) => cents(amount).ok_or_else(|| {
                ToolError::new(
                    "invalid-amount",
                    format!(
                        "{amount} is not a valid amount; use a positive number with at most two decimals."
                    ),
                )
            })?,
        };
        if amount > remaining {
            return Err(ToolError::new(
                "amount-exceeds-remaining",
                format!(
                    "The most that can still be refunded for order {id} is {:.2} {}.",
                    money(remaining),
                    order.currency
                ),
            ));
        }
        let refunded_total = order.refunded_cents + amount;
        ORDERS.merge(id, json!({ "refunded_cents": refunded_total }))?;
        let earlier = REFUNDS.query(of_order(id), 500)?.len();
        let refund_id = format!("{id}-{}", earlier + 1);
        let reason = args.reason.trim().to_string();
        REFUNDS.insert(
            Some(&refund_id),
            &RefundRow {
                order_id: id.to_string(),
                amount_cents: amount,
                reason: reason.clone(),
            },
        )?;
        EVENTS.insert(
            None,
            &OrderEvent {
                order_id: id.to_string(),
                kind: "refunded".into(),
                from_status: None,
                to_status: None,
                amount_cents: Some(amount),
                note: format!("refund: {reason}"),
            },
        )?;
        log_info(&format!(
            "refund {refund_id} of {amount} cents on order {id}"
        ));
        Ok(Refunded {
            order_id: id.to_string(),
            refund_id,
            amount: money(amount),
            currency: order.currency.clone(),
            refunded_total: money(refunded_total),
            remaining: money(order.total_cents - refunded_total),
            message: format!(
                "A refund of {:.2} {} for order {id} has been issued to the original payment \
                 method; it arrives within 5 business days.",
                money(amount),
                order.currency
            ),
        })
    }
}

export_tool!(Refund);
