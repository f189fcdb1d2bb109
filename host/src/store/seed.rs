//! The demo shop: three customers and 28 orders spread over every status and
//! over ages from 1 to 60 days, including orders exactly 9, 10 and 11 days
//! old (the edges of the 10-day cancellation window).
//!
//! Ages are relative to the `now` the shop is seeded at, so the shop looks the
//! same whenever it is created. The table below is the single source of truth
//! for the README, the tests and the scenarios.

use super::{Customer, LineItem, Order, OrderStatus, OrderStore, StoreError};

const DAY: i64 = 86_400;

/// Standard shipping fee in cents, waived from 50 € of goods.
const SHIPPING_CENTS: i64 = 490;
const FREE_SHIPPING_FROM_CENTS: i64 = 5_000;

/// The demo customers.
pub const CUSTOMERS: [(&str, &str, &str); 3] = [
    ("C001", "Ana Souza", "ana.souza@example.com"),
    ("C002", "Ben Okafor", "ben.okafor@example.com"),
    ("C003", "Chloé Martin", "chloe.martin@example.com"),
];

/// Catalogue entries: sku, name, unit price in cents.
const CATALOGUE: [(&str, &str, i64); 12] = [
    ("MUG-01", "Ceramic mug", 2_995),
    ("PRESS-1L", "French press 1 L", 3_490),
    ("TOWEL-3", "Linen tea towels (set of 3)", 2_400),
    ("KNIFE-20", "Chef's knife 20 cm", 8_900),
    ("SKIL-28", "Cast iron skillet 28 cm", 5_450),
    ("BOARD-OAK", "Oak cutting board", 4_200),
    ("ESP-200", "Espresso machine", 32_900),
    ("LAMP-01", "Brass desk lamp", 11_900),
    ("THROW-W", "Wool throw blanket", 7_900),
    ("KETTLE-PO", "Pour-over kettle", 4_590),
    ("JARS-6", "Glass storage jars (set of 6)", 3_200),
    ("MIXER-5", "Stand mixer 5 L", 24_900),
];

/// One demo order: id, customer, age in days, status, (catalogue index,
/// quantity) lines, carrier.
type DemoOrder = (
    &'static str,
    &'static str,
    i64,
    OrderStatus,
    &'static [(usize, u32)],
    &'static str,
);

use OrderStatus::*;

/// Every demo order. Ages in days before `now`.
pub const ORDERS: [DemoOrder; 28] = [
    // Ana Souza (C001): one of each situation the agent must handle.
    ("1001", "C001", 20, Processing, &[(7, 1)], "DHL"), // 20 days: outside the cancellation window
    ("1002", "C001", 5, Processing, &[(0, 2)], "DHL"),  // 5 days: can be cancelled
    ("1003", "C001", 9, Processing, &[(4, 1)], "DHL"),  // 9 days: last day of the window
    ("1004", "C001", 10, Pending, &[(2, 1), (0, 1)], "DHL"), // exactly 10 days: too late
    ("1005", "C001", 11, Processing, &[(9, 1)], "DHL"), // 11 days: too late
    ("1006", "C001", 3, Shipped, &[(5, 1)], "DHL"),     // already shipped
    ("1007", "C001", 15, Delivered, &[(3, 1)], "DHL"),  // refundable, under 200 €
    ("1008", "C001", 25, Delivered, &[(6, 1)], "UPS"),  // refund above 200 €: a human decides
    ("1009", "C001", 60, Delivered, &[(8, 1)], "DHL"), // delivered long ago: outside the refund window
    ("1010", "C001", 40, Cancelled, &[(1, 1)], "DHL"),
    ("1011", "C001", 45, Returned, &[(10, 1)], "GLS"),
    ("1012", "C001", 1, Pending, &[(1, 1), (0, 1)], "DHL"), // the newest: "my last order"
    // Ben Okafor (C002).
    ("1013", "C002", 2, Processing, &[(11, 1)], "UPS"),
    ("1014", "C002", 7, Shipped, &[(4, 1), (5, 1)], "UPS"),
    ("1015", "C002", 12, Delivered, &[(2, 2)], "DHL"),
    ("1016", "C002", 30, Delivered, &[(3, 1), (10, 1)], "DHL"),
    ("1017", "C002", 35, Cancelled, &[(7, 1)], "UPS"),
    ("1018", "C002", 50, Returned, &[(8, 2)], "GLS"),
    ("1019", "C002", 4, Processing, &[(0, 4)], "DHL"),
    ("1020", "C002", 18, Delivered, &[(11, 1)], "UPS"),
    // Chloé Martin (C003).
    ("1021", "C003", 1, Processing, &[(9, 1), (2, 1)], "GLS"),
    ("1022", "C003", 6, Shipped, &[(6, 1)], "GLS"),
    ("1023", "C003", 10, Processing, &[(5, 1)], "DHL"),
    ("1024", "C003", 14, Delivered, &[(1, 1)], "DHL"),
    ("1025", "C003", 28, Delivered, &[(4, 2)], "GLS"),
    ("1026", "C003", 55, Delivered, &[(7, 1)], "DHL"),
    ("1027", "C003", 33, Cancelled, &[(0, 6)], "DHL"),
    ("1028", "C003", 8, Pending, &[(10, 2)], "GLS"),
];

/// Builds the demo order `spec` as it stands at `now`.
fn demo_order(spec: &DemoOrder, now: i64) -> Order {
    let (id, customer, age_days, status, lines, carrier) = *spec;
    let placed_at = now - age_days * DAY;
    let items: Vec<LineItem> = lines
        .iter()
        .map(|&(index, quantity)| {
            let (sku, name, price) = CATALOGUE[index];
            LineItem {
                sku: sku.into(),
                name: name.into(),
                quantity,
                unit_price_cents: price,
            }
        })
        .collect();
    let goods: i64 = items
        .iter()
        .map(|i| i.unit_price_cents * i64::from(i.quantity))
        .sum();
    let shipping = if goods >= FREE_SHIPPING_FROM_CENTS {
        0
    } else {
        SHIPPING_CENTS
    };
    // Parcels leave the warehouse a day after the order and take three days.
    let shipped_at =
        matches!(status, Shipped | Delivered | Returned).then(|| (placed_at + DAY).min(now));
    let delivered_at =
        matches!(status, Delivered | Returned).then(|| (placed_at + 4 * DAY).min(now));
    let estimated_delivery = match status {
        Pending | Processing => Some(now.max(placed_at + DAY) + 4 * DAY),
        Shipped => shipped_at.map(|s| (s + 4 * DAY).max(now + DAY)),
        _ => None,
    };
    let numeric_id: u64 = id.parse().unwrap_or(0);
    let tracking_number = shipped_at.map(|_| match carrier {
        "UPS" => format!("1Z999AA1{:010}", numeric_id * 7919),
        "GLS" => format!("GLS{:011}", numeric_id * 104_729),
        _ => format!("JJD{:015}", numeric_id * 1_299_709),
    });
    Order {
        id: id.into(),
        customer_id: customer.into(),
        status,
        placed_at,
        items,
        total_cents: goods + shipping,
        refunded_cents: 0,
        currency: "EUR".into(),
        carrier: Some(carrier.into()),
        tracking_number,
        shipped_at,
        delivered_at,
        estimated_delivery,
    }
}

/// The demo orders as they stand at `now`.
pub fn demo_orders(now: i64) -> Vec<Order> {
    ORDERS.iter().map(|spec| demo_order(spec, now)).collect()
}

/// What [`seed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub customers: usize,
    pub orders: usize,
}

/// Writes the demo shop into `store`, with order ages relative to `now`.
/// The store should be empty (see [`reset`]).
pub fn seed(store: &dyn OrderStore, now: i64) -> Result<Seeded, StoreError> {
    for (id, name, email) in CUSTOMERS {
        store.upsert_customer(&Customer {
            id: id.into(),
            name: name.into(),
            email: email.into(),
        })?;
    }
    let orders = demo_orders(now);
    for order in &orders {
        store.insert_order(order, order.placed_at)?;
    }
    Ok(Seeded {
        customers: CUSTOMERS.len(),
        orders: orders.len(),
    })
}

/// Deletes everything in the store and writes the demo shop afresh.
pub fn reset(store: &dyn OrderStore, now: i64) -> Result<Seeded, StoreError> {
    store.clear()?;
    seed(store, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const NOW: i64 = 1_781_524_800; // 2026-06-15T12:00:00Z

    #[test]
    fn the_demo_shop_covers_every_status_and_the_window_edges() {
        let orders = demo_orders(NOW);
        assert!(orders.len() >= 25);
        let statuses: HashSet<_> = orders.iter().map(|o| o.status).collect();
        assert_eq!(statuses.len(), OrderStatus::ALL.len());
        let ages: HashSet<i64> = orders.iter().map(|o| (NOW - o.placed_at) / DAY).collect();
        for age in [1, 9, 10, 11, 60] {
            assert!(ages.contains(&age), "no order is {age} days old");
        }
        assert!(ages.iter().all(|age| (1..=60).contains(age)));
        let customers: HashSet<_> = orders.iter().map(|o| o.customer_id.as_str()).collect();
        assert_eq!(customers, HashSet::from(["C001", "C002", "C003"]));
    }

    #[test]
    fn demo_orders_are_internally_consistent() {
        for order in demo_orders(NOW) {
            let goods: i64 = order
                .items
                .iter()
                .map(|i| i.unit_price_cents * i64::from(i.quantity))
                .sum();
            assert!(
                order.total_cents >= goods,
                "order {} total below its goods",
                order.id
            );
            assert_eq!(order.shipped_at.is_some(), order.tracking_number.is_some());
            if let (Some(shipped), Some(delivered)) = (order.shipped_at, order.delivered_at) {
                assert!(order.placed_at <= shipped && shipped <= delivered && delivered <= NOW);
            }
        }
    }
}
