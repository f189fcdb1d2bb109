//! What the shop's policies read about a call on an order.

use deskhand_plugin_sdk::{JsonSchema, ToolError};
use serde::Serialize;
use serde_json::json;

use crate::order::{ORDERS, OrderStatus, REFUNDS};

/// The facts of a call that names an order of the customer's.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderFacts {
    /// The order number of the call.
    pub order_id: String,
    pub status: OrderStatus,
    /// When it was placed, unix seconds.
    pub placed_at: i64,
    /// When it was delivered, unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    /// Total paid, in cents.
    pub total_cents: i64,
    /// Refunded so far, in cents.
    pub refunded_cents: i64,
    /// ISO 4217 code of the order's currency.
    pub currency: String,
    /// How many refunds this order has had (tools that read refunds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds_of_order: Option<u32>,
    /// How many refunds the customer had in the last 365 days (tools that read refunds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds_this_year: Option<u32>,
}

impl OrderFacts {
    /// Looks the order up. An order that is not on the customer's account
    /// fails the call before any policy is asked, with the same answer as
    /// the tool's own (so a policy's reason never tells about someone
    /// else's order).
    pub fn of(order_id: &str) -> Result<Self, ToolError> {
        let order = ORDERS
            .get(order_id)?
            .ok_or_else(|| crate::order_not_found(order_id))?
            .data;
        Ok(OrderFacts {
            order_id: order_id.to_string(),
            status: order.status,
            placed_at: order.placed_at,
            delivered_at: order.delivered_at,
            total_cents: order.total_cents,
            refunded_cents: order.refunded_cents,
            currency: order.currency,
            refunds_of_order: None,
            refunds_this_year: None,
        })
    }

    /// Adds the customer's refund history (needs read access to `refunds`).
    pub fn with_refunds(mut self) -> Result<Self, ToolError> {
        let refunds = REFUNDS.all(500)?;
        let year_ago = deskhand_plugin_sdk::now() - 365 * 86_400;
        let of_this_order = refunds.iter().filter(|r| r.data.order_id == self.order_id);
        self.refunds_of_order = Some(of_this_order.count() as u32);
        self.refunds_this_year =
            Some(refunds.iter().filter(|r| r.created_at >= year_ago).count() as u32);
        Ok(self)
    }
}

/// The filter of an order's rows in the refunds and event collections.
pub fn of_order(order_id: &str) -> serde_json::Value {
    json!({ "order_id": order_id })
}
