//! A scenario's shop: its fixtures, or the standard demo seed, at its clock.
//!
//! Fixture orders become rows of the `orders` collection, in the document
//! shape the shop's plugins keep (money in cents, times in unix seconds).

use serde_json::{Value, json};

use crate::store::{Customer, NewRecord, RecordStore, StoreError, seed};

use super::scenario::{FixtureOrder, Fixtures, OrderStatus};

const DAY: f64 = 86_400.0;

/// The collection fixture orders are written to.
pub const ORDERS: &str = "orders";

/// Writes the scenario's shop into an empty store at `now`.
pub fn build_shop(
    store: &dyn RecordStore,
    fixtures: Option<&Fixtures>,
    now: i64,
) -> Result<(), StoreError> {
    let Some(fixtures) = fixtures else {
        seed::seed(store, now)?;
        return Ok(());
    };
    for customer in &fixtures.customers {
        store.upsert_customer(&Customer {
            id: customer.id.clone(),
            name: customer.name.clone(),
            email: customer.email.clone(),
        })?;
    }
    let orders: Vec<NewRecord> = fixtures
        .orders
        .iter()
        .map(|order| NewRecord {
            customer_id: order.customer.clone(),
            id: Some(order.id.clone()),
            data: fixture_order(order, now),
        })
        .collect();
    store.import(ORDERS, &orders, now)?;
    Ok(())
}

fn days_ago(now: i64, days: f64) -> i64 {
    now - (days * DAY).round() as i64
}

fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// The order document a fixture describes. Dates not given are filled in
/// the way the demo seed does (shipped a day after the order, delivered three
/// days later).
fn fixture_order(order: &FixtureOrder, now: i64) -> Value {
    use OrderStatus::*;
    let placed_at = match (&order.placed_at, order.placed_days_ago) {
        (Some(at), _) => crate::clock::parse_rfc3339(at).unwrap_or(now),
        (None, Some(days)) => days_ago(now, days),
        (None, None) => now,
    };
    let shipped = matches!(order.status, Shipped | Delivered | Returned);
    let shipped_at = order
        .shipped_days_ago
        .map(|d| days_ago(now, d))
        .or_else(|| shipped.then(|| (placed_at + DAY as i64).min(now)));
    let delivered_at = order
        .delivered_days_ago
        .map(|d| days_ago(now, d))
        .or_else(|| {
            matches!(order.status, Delivered | Returned)
                .then(|| (placed_at + 4 * DAY as i64).min(now))
        });
    let estimated_delivery = match (order.eta_days, order.status) {
        (Some(days), _) => Some(now + (days * DAY).round() as i64),
        (None, Pending | Processing) => Some(now.max(placed_at + DAY as i64) + 4 * DAY as i64),
        (None, Shipped) => shipped_at.map(|s| (s + 4 * DAY as i64).max(now + DAY as i64)),
        _ => None,
    };
    let tracking_number = order
        .tracking_number
        .clone()
        .or_else(|| shipped_at.map(|_| format!("TRK{}", order.id)));
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({"sku": i.sku, "name": i.name, "quantity": i.qty,
                   "unit_price_cents": cents(i.price)})
        })
        .collect();
    let mut doc = json!({
        "status": order.status.as_str(),
        "placed_at": placed_at,
        "items": items,
        "total_cents": cents(order.total),
        "refunded_cents": 0,
        "currency": order.currency,
    });
    let fields = doc.as_object_mut().expect("an object");
    let optional = [
        ("carrier", order.carrier.clone().map(Value::from)),
        ("tracking_number", tracking_number.map(Value::from)),
        ("shipped_at", shipped_at.map(Value::from)),
        ("delivered_at", delivered_at.map(Value::from)),
        ("estimated_delivery", estimated_delivery.map(Value::from)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            fields.insert(name.into(), value);
        }
    }
    doc
}
