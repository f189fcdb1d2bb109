//! `refund`: refunds a delivered order, in full or in part.
//!
//! The tool guards the money's integrity: only delivered orders, never more
//! than what is left to refund. Limits such as "above 200 € a human decides"
//! are policies.

use deskhand_plugin_sdk::{
    Effect, Guest, ORDER_ID_SCHEMA, ToolError, ToolManifest, cents, export_tool, log_info, money,
    orders::{self, OrderStatus},
    parse_args, to_json,
};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Args {
    order_id: String,
    amount: Option<f64>,
    reason: String,
}

#[derive(Serialize)]
struct Refunded {
    order_id: String,
    refund_id: i64,
    amount: f64,
    currency: String,
    refunded_total: f64,
    remaining: f64,
    message: String,
}

struct Refund;

impl Guest for Refund {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "refund".into(),
            description: "Refund a delivered order to the original payment method, in full or \
                          for a given amount."
                .into(),
            params_schema: format!(
                r#"{{"type": "object", "required": ["order_id", "reason"], "additionalProperties": false,
                    "properties": {{"order_id": {ORDER_ID_SCHEMA},
                                   "amount": {{"type": "number", "exclusiveMinimum": 0, "maximum": 100000,
                                              "description": "Amount to refund; the whole remaining amount when absent."}},
                                   "reason": {{"type": "string", "minLength": 3, "maxLength": 500,
                                              "description": "Why the customer wants a refund."}}}}}}"#
            ),
            result_schema: r#"{"type": "object",
                "required": ["order_id", "refund_id", "amount", "currency", "refunded_total", "remaining", "message"],
                "additionalProperties": false,
                "properties": {"order_id": {"type": "string"}, "refund_id": {"type": "integer"},
                               "amount": {"type": "number", "exclusiveMinimum": 0},
                               "currency": {"type": "string"},
                               "refunded_total": {"type": "number", "minimum": 0},
                               "remaining": {"type": "number", "minimum": 0},
                               "message": {"type": "string"}}}"#
                .into(),
            effect: Effect::Irreversible,
            version: env!("CARGO_PKG_VERSION").into(),
            examples: vec!["I want a refund for order 1007".into(), "refund my order please".into(), "give me my money back for order 1009".into(), "the item was broken, I want my money back".into(), "can I get a refund on my last order".into(), "please refund 20 euros on order 1007".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args = parse_args(&args)?;
        let id = args.order_id.as_str();
        let order = orders::get_order(id).ok_or_else(|| ToolError::order_not_found(id))?;
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
                    format!("{amount} is not a valid amount; use a positive number with at most two decimals."),
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
        let refund = orders::record_refund(id, amount, args.reason.trim())
            .map_err(|e| ToolError::from_store(id, e))?;
        log_info(&format!(
            "refund {} of {amount} cents on order {id}",
            refund.id
        ));
        let refunded_total = order.refunded_cents + amount;
        to_json(&Refunded {
            order_id: order.id,
            refund_id: refund.id,
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
