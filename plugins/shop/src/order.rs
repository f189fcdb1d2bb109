//! The order document and its neighbours in the shop's collections.

use deskhand_plugin_sdk::{Collection, JsonSchema};
use serde::{Deserialize, Serialize};

/// The shop's orders, by order number.
pub const ORDERS: Collection<Order> = Collection::new("orders");
/// Refunds issued.
pub const REFUNDS: Collection<RefundRow> = Collection::new("refunds");
/// The event log of every order.
pub const EVENTS: Collection<OrderEvent> = Collection::new("order_events");

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Placed, payment not yet confirmed.
    Pending,
    /// Paid and being prepared in the warehouse.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Arrived at the customer.
    Delivered,
    /// Cancelled before it shipped.
    Cancelled,
    /// Sent back by the customer after delivery.
    Returned,
}

impl OrderStatus {
    /// The lowercase word used in JSON and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// Price of one unit in minor units (cents).
    pub unit_price_cents: i64,
}

/// A customer's order (its number is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub status: OrderStatus,
    /// When the order was placed, unix seconds.
    pub placed_at: i64,
    pub items: Vec<LineItem>,
    /// Order total in minor units (cents).
    pub total_cents: i64,
    /// Sum of the refunds issued, in minor units.
    #[serde(default)]
    pub refunded_cents: i64,
    /// ISO 4217 code, e.g. "EUR".
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<i64>,
}

/// A refund issued against an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundRow {
    pub order_id: String,
    pub amount_cents: i64,
    pub reason: String,
}

/// One change to an order, as written to the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub order_id: String,
    /// `status-changed` or `refunded`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<OrderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_status: Option<OrderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    #[serde(default)]
    pub note: String,
}
