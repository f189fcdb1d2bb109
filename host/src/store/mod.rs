//! The embedded store of customers, orders, refunds and their event log.
//!
//! [`OrderStore`] is the small trait the rest of deskhand talks to; every
//! read and write of an order names the customer it is made for, so code
//! that serves a conversation cannot reach another customer's data by
//! accident. [`SqliteStore`] implements it over one SQLite file in WAL mode;
//! another backend (Postgres) only has to implement the same trait.
//! [`AuditLog`] records every policy decision; [`ConversationStore`] keeps
//! conversations, their turn traces and handoffs to humans. [`seed`] writes the demo shop.

mod audit;
mod conversation;
mod error;
mod model;
pub mod seed;
mod sqlite;

pub use audit::{AuditLog, AuditRecord};
pub use conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role,
};
pub use error::StoreError;
pub use model::{Customer, LineItem, Order, OrderEvent, OrderStatus, Refund};
pub use sqlite::SqliteStore;

/// Storage for the shop's orders, scoped by customer.
///
/// Implementations enforce data integrity themselves (allowed status moves,
/// refunds never above what was paid), whatever the caller checked before.
pub trait OrderStore: Send + Sync {
    /// Adds a customer, or updates the name and email of an existing one.
    fn upsert_customer(&self, customer: &Customer) -> Result<(), StoreError>;

    /// Adds a new order and logs a `created` event at `at`.
    fn insert_order(&self, order: &Order, at: i64) -> Result<(), StoreError>;

    /// The customer with this id.
    fn customer(&self, customer_id: &str) -> Result<Option<Customer>, StoreError>;

    /// Every customer, by id.
    fn customers(&self) -> Result<Vec<Customer>, StoreError>;

    /// The order with this id if it belongs to `customer_id`; `None` both when
    /// it does not exist and when it is someone else's.
    fn order(&self, customer_id: &str, order_id: &str) -> Result<Option<Order>, StoreError>;

    /// The customer's orders, newest first, at most `limit`.
    fn orders(&self, customer_id: &str, limit: usize) -> Result<Vec<Order>, StoreError>;

    /// Any order by id, whoever owns it. For staff tools and the evaluator's
    /// end-state checks only: never reachable from a plugin.
    fn find_order(&self, order_id: &str) -> Result<Option<Order>, StoreError>;

    /// Moves the customer's order to `status`, logging the change with `note`.
    fn set_order_status(
        &self,
        customer_id: &str,
        order_id: &str,
        status: OrderStatus,
        note: &str,
        at: i64,
    ) -> Result<Order, StoreError>;

    /// Records a refund of `amount_cents` on the customer's order.
    fn record_refund(
        &self,
        customer_id: &str,
        order_id: &str,
        amount_cents: i64,
        reason: &str,
        at: i64,
    ) -> Result<Refund, StoreError>;

    /// Refunds, oldest first: the customer's, or only those of one order.
    fn refunds(&self, customer_id: &str, order_id: Option<&str>)
    -> Result<Vec<Refund>, StoreError>;

    /// Every refund in the store, oldest first.
    fn all_refunds(&self) -> Result<Vec<Refund>, StoreError>;

    /// The event log of one order, oldest first.
    fn order_events(&self, order_id: &str) -> Result<Vec<OrderEvent>, StoreError>;

    /// Deletes every customer, order, refund, event and audit record.
    fn clear(&self) -> Result<(), StoreError>;

    /// Whether the store holds no orders at all.
    fn is_empty(&self) -> Result<bool, StoreError>;
}
