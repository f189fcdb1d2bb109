//! A scenario's shop: its fixtures, or the standard demo seed, at its clock.

use crate::store::{Customer, LineItem, Order, OrderStatus, OrderStore, StoreError, seed};

use super::scenario::{FixtureOrder, Fixtures};

const DAY: f64 = 86_400.0;

/// Writes the scenario's shop into an empty store at `now`.
pub fn build_shop(
    store: &dyn OrderStore,
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
    for order in &fixtures.orders {
        let order = fixture_order(order, now);
        store.insert_order(&order, order.placed_at)?;
    }
    Ok(())
}

fn days_ago(now: i64, days: f64) -> i64 {
    now - (days * DAY).round() as i64
}

fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// The order a fixture describes. Dates not given are filled in the way the
/// demo seed does (shipped a day after the order, delivered three days later).
fn fixture_order(order: &FixtureOrder, now: i64) -> Order {
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
    Order {
        id: order.id.clone(),
        customer_id: order.customer.clone(),
        status: order.status,
        placed_at,
        items: order
            .items
            .iter()
            .map(|i| LineItem {
                sku: i.sku.clone(),
                name: i.name.clone(),
                quantity: i.qty,
                unit_price_cents: cents(i.price),
            })
            .collect(),
        total_cents: cents(order.total),
        refunded_cents: 0,
        currency: order.currency.clone(),
        carrier: order.carrier.clone(),
        tracking_number,
        shipped_at,
        delivered_at,
        estimated_delivery,
    }
}
