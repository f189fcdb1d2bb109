//! The shop's data as the store keeps it: customers, orders, refunds, events.
//!
//! Money is kept in minor units (cents) and time in unix seconds (UTC), so
//! nothing is lost to floating point or time zones on the way in or out.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Every status, in the order of an order's life.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    /// The lowercase word used in the database, in JSON and in replies.
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

    /// Whether the store lets an order move from `self` to `next`. This is data
    /// integrity (a delivered parcel cannot be cancelled), not business policy.
    ///
    /// ```
    /// use deskhand::store::OrderStatus;
    /// assert!(OrderStatus::Processing.can_become(OrderStatus::Cancelled));
    /// assert!(!OrderStatus::Delivered.can_become(OrderStatus::Cancelled));
    /// ```
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Processing | Cancelled)
                | (Processing, Shipped | Cancelled)
                | (Shipped, Delivered | Returned)
                | (Delivered, Returned)
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown order status {s:?}; expected one of pending, processing, shipped, \
                     delivered, cancelled, returned"
                )
            })
    }
}

/// A customer of the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// Price of one unit in minor units (cents).
    pub unit_price_cents: i64,
}

/// A customer's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub customer_id: String,
    pub status: OrderStatus,
    /// When the order was placed, unix seconds.
    pub placed_at: i64,
    pub items: Vec<LineItem>,
    /// Order total in minor units (cents).
    pub total_cents: i64,
    /// Sum of the refunds recorded against the order, in minor units.
    pub refunded_cents: i64,
    /// ISO 4217 code, e.g. "EUR".
    pub currency: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub estimated_delivery: Option<i64>,
}

/// A refund recorded against an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: i64,
    pub order_id: String,
    pub customer_id: String,
    pub amount_cents: i64,
    pub reason: String,
    pub created_at: i64,
}

/// One change to an order, as written to the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub id: i64,
    pub order_id: String,
    pub customer_id: String,
    pub at: i64,
    /// `created`, `status-changed` or `refunded`.
    pub kind: String,
    pub from_status: Option<OrderStatus>,
    pub to_status: Option<OrderStatus>,
    pub amount_cents: Option<i64>,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn only_unshipped_orders_can_be_cancelled() {
        assert!(Pending.can_become(Cancelled));
        assert!(Processing.can_become(Cancelled));
        for status in [Shipped, Delivered, Cancelled, Returned] {
            assert!(
                !status.can_become(Cancelled),
                "{status} must not become cancelled"
            );
        }
    }

    #[test]
    fn status_words_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        assert!(
            "lost"
                .parse::<OrderStatus>()
                .unwrap_err()
                .contains("expected one of")
        );
    }
}
