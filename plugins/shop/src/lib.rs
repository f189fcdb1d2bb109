//! The demo shop's data as its plugins keep it in records.
//!
//! Three collections, every row owned by one customer:
//!
//! * `orders`: one [`Order`] per order number (the row id);
//! * `refunds`: one [`RefundRow`] per refund issued;
//! * `order_events`: the event log, one [`OrderEvent`] per change.
//!
//! Money is in minor units (cents) and time in unix seconds, so nothing is
//! lost to floating point or time zones. The integrity rules (a shipped
//! parcel cannot be cancelled, never refund more than was paid) live in the
//! tools; business limits (the 10-day window, 200 € refunds) are policies.

mod facts;
pub use facts::of_order;
mod order;
mod view;

pub use facts::OrderFacts;
pub use order::{EVENTS, LineItem, ORDERS, Order, OrderEvent, OrderStatus, REFUNDS, RefundRow};
pub use view::{ItemView, OrderView};

use deskhand_plugin_sdk::ToolError;

/// The one answer for an order the customer cannot see, whether it does not
/// exist or belongs to someone else: the two must be indistinguishable.
pub fn order_not_found(order_id: &str) -> ToolError {
    ToolError::new(
        "order-not-found",
        format!("I can't find order {order_id} on your account."),
    )
}

/// The pattern of an order number in the demo shop.
pub const ORDER_ID_PATTERN: &str = "^[0-9]{3,12}$";
