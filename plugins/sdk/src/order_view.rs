//! One JSON shape for an order, shared by every tool that shows orders.

use serde::Serialize;

use crate::orders::{LineItem, Order};
use crate::{money, rfc3339};

/// An order as tools return it: amounts as decimals, times as RFC 3339.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub order_id: String,
    pub status: &'static str,
    pub placed_at: String,
    pub items: Vec<ItemView>,
    pub total: f64,
    pub refunded: f64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: f64,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        OrderView {
            order_id: order.id.clone(),
            status: order.status.as_str(),
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

/// JSON Schema (2020-12) of [`OrderView`], for tools' `result-schema`s.
pub const ORDER_VIEW_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["order_id", "status", "placed_at", "items", "total", "refunded", "currency"],
  "additionalProperties": false,
  "properties": {
    "order_id": {"type": "string"},
    "status": {"enum": ["pending", "processing", "shipped", "delivered", "cancelled", "returned"]},
    "placed_at": {"type": "string", "format": "date-time"},
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["sku", "name", "quantity", "unit_price"],
        "additionalProperties": false,
        "properties": {
          "sku": {"type": "string"},
          "name": {"type": "string"},
          "quantity": {"type": "integer", "minimum": 1},
          "unit_price": {"type": "number", "minimum": 0}
        }
      }
    },
    "total": {"type": "number", "minimum": 0},
    "refunded": {"type": "number", "minimum": 0},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "carrier": {"type": "string"},
    "tracking_number": {"type": "string"},
    "shipped_at": {"type": "string", "format": "date-time"},
    "delivered_at": {"type": "string", "format": "date-time"},
    "estimated_delivery": {"type": "string", "format": "date-time"}
  }
}"#;
