//! One JSON shape for an order, shared by every tool that shows orders.

use deskhand_plugin_sdk::{JsonSchema, Record, money, rfc3339};
use serde::Serialize;

use crate::order::{LineItem, Order, OrderStatus};

/// An order as tools return it: amounts as decimals, times as RFC 3339.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderView {
    pub order_id: String,
    pub status: OrderStatus,
    #[schemars(extend("format" = "date-time"))]
    pub placed_at: String,
    pub items: Vec<ItemView>,
    #[schemars(range(min = 0))]
    pub total: f64,
    #[schemars(range(min = 0))]
    pub refunded: f64,
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub shipped_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub estimated_delivery: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemView {
    pub sku: String,
    pub name: String,
    #[schemars(range(min = 1))]
    pub quantity: u32,
    #[schemars(range(min = 0))]
    pub unit_price: f64,
}

impl From<&Record<Order>> for OrderView {
    fn from(record: &Record<Order>) -> Self {
        let order = &record.data;
        OrderView {
            order_id: record.id.clone(),
            status: order.status,
            placed_at: rfc3339(order.placed_at),
            items: order.items.iter().map(ItemView::from).collect(),
            total: money(order.total_cents),
            refunded: money(order.refunded_cents),
            currency: order.currency.clone(),
            carrier: order.carrier.clone(),
            tracking_number: order.tracking_number.clone(),
            shipped_at: order.shipped_at.map(rfc3339),
            delivered_at: order.delivered_at.map(rfc3339),
            estimated_delivery: order.estimated_delivery.map(rfc3339),
        }
    }
}

impl From<&LineItem> for ItemView {
    fn from(item: &LineItem) -> Self {
        ItemView {
            sku: item.sku.clone(),
            name: item.name.clone(),
            quantity: item.quantity,
            unit_price: money(item.unit_price_cents),
        }
    }
}
