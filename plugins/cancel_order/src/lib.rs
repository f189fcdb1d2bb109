//! `cancel_order`: cancels an order that has not shipped yet.
//!
//! Only data integrity lives here (a shipped parcel cannot be un-shipped).
//! Business rules such as the 10-day window are policies, not tool code.
//! Cancelling an already-cancelled order succeeds and changes nothing.

use deskhand_plugin_sdk::{
    Effect, Guest, ORDER_ID_SCHEMA, ToolError, ToolManifest, export_tool, log_info,
    orders::{self, OrderStatus},
    parse_args, to_json,
};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Args {
    order_id: String,
    reason: Option<String>,
}

#[derive(Serialize)]
struct Cancelled {
    order_id: String,
    status: &'static str,
    already_cancelled: bool,
    message: String,
}

struct CancelOrder;

impl Guest for CancelOrder {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "cancel_order".into(),
            description: "Cancel one of the customer's orders that has not shipped yet.".into(),
            params_schema: format!(
                r#"{{"type": "object", "required": ["order_id"], "additionalProperties": false,
                    "properties": {{"order_id": {ORDER_ID_SCHEMA},
                                   "reason": {{"type": "string", "maxLength": 500,
                                              "description": "Why the customer cancels, in their words."}}}}}}"#
            ),
            result_schema: r#"{"type": "object",
                "required": ["order_id", "status", "already_cancelled", "message"],
                "additionalProperties": false,
                "properties": {"order_id": {"type": "string"}, "status": {"const": "cancelled"},
                               "already_cancelled": {"type": "boolean"}, "message": {"type": "string"}}}"#
                .into(),
            effect: Effect::Reversible,
            version: env!("CARGO_PKG_VERSION").into(),
            examples: vec!["cancel order 1001".into(), "please cancel my order".into(), "I want to cancel my last order".into(), "I changed my mind, cancel it".into(), "can you stop order 1002 before it ships".into(), "I don't want order 1005 anymore".into(), "cancel the order I placed yesterday".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args = parse_args(&args)?;
        let id = args.order_id.as_str();
        let order = orders::get_order(id).ok_or_else(|| ToolError::order_not_found(id))?;
        let already_cancelled = match order.status {
            OrderStatus::Cancelled => true,
            OrderStatus::Pending | OrderStatus::Processing => {
                let note = match args.reason.as_deref().map(str::trim) {
                    Some(reason) if !reason.is_empty() => {
                        format!("cancelled at the customer's request: {reason}")
                    }
                    _ => "cancelled at the customer's request".to_string(),
                };
                orders::set_status(id, OrderStatus::Cancelled, &note)
                    .map_err(|e| ToolError::from_store(id, e))?;
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
        to_json(&Cancelled {
            order_id: order.id,
            status: "cancelled",
            already_cancelled,
            message,
        })
    }
}

export_tool!(CancelOrder);
