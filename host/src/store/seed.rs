//! A desk's seed data: customers and the rows of its collections, written
//! into an empty store on first start.
//!
//! The file is JSON:
//!
//! ```json
//! {
//!   "customers": [{"id": "C001", "name": "Ana Souza", "email": "ana@example.com"}],
//!   "collections": {
//!     "orders": [{"customer": "C001", "id": "1001", "status": "processing", "placed_at": "now-20d"}]
//!   }
//! }
//! ```
//!
//! Every row names its `customer` and may name its `id`; the other fields
//! are the document. A string of the form `now`, `now-20d`, `now+4d`,
//! `now-36h`, `now-15m` or `now-30s` anywhere in a document becomes unix
//! seconds relative to the moment of seeding, so the demo shop always has
//! an order exactly 10 days old.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Customer, NewRecord, RecordStore, StoreError};

/// The demo shop's seed file in the repository.
pub const DEMO_SHOP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../desks/shop/seed.json");

/// The demo shop's seed file.
pub fn demo_shop() -> PathBuf {
    PathBuf::from(DEMO_SHOP)
}

/// Seed data: customers and the rows of collections, as a seed file (or a
/// scenario's fixtures) writes them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedData {
    /// A note for people reading the file.
    #[serde(rename = "_about", default, skip_serializing)]
    pub about: Option<String>,
    #[serde(default)]
    pub customers: Vec<Customer>,
    #[serde(default)]
    pub collections: BTreeMap<String, Vec<Map<String, Value>>>,
}

/// What [`seed_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub customers: usize,
    /// Rows per collection.
    pub rows: BTreeMap<String, usize>,
}

impl Seeded {
    /// Rows of `collection` written.
    pub fn rows_of(&self, collection: &str) -> usize {
        self.rows.get(collection).copied().unwrap_or(0)
    }

    /// "3 customers, 28 orders".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} customers", self.customers)];
        parts.extend(self.rows.iter().map(|(name, n)| format!("{n} {name}")));
        parts.join(", ")
    }
}

/// Writes the seed file at `path` into `store`, with relative times
/// resolved against `now`. Nothing is written if the file is broken.
pub fn seed_file(store: &dyn RecordStore, path: &Path, now: i64) -> Result<Seeded, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StoreError::Rejected(format!("cannot read the seed file {}: {e}", path.display()))
    })?;
    let file: SeedData = serde_json::from_str(&text)
        .map_err(|e| StoreError::Rejected(format!("{}: not a seed file: {e}", path.display())))?;
    seed_data(store, &file, &path.display().to_string(), now)
}

/// The ids of the customers in the seed file at `path`.
pub fn customer_ids(path: &Path) -> Result<Vec<String>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StoreError::Rejected(format!("cannot read the seed file {}: {e}", path.display()))
    })?;
    let file: SeedData = serde_json::from_str(&text)
        .map_err(|e| StoreError::Rejected(format!("{}: not a seed file: {e}", path.display())))?;
    Ok(file.customers.into_iter().map(|c| c.id).collect())
}

/// Writes `data` into `store`, with relative times resolved against `now`;
/// `origin` names where it came from in errors. Nothing is written if a row
/// is broken.
pub fn seed_data(
    store: &dyn RecordStore,
    data: &SeedData,
    origin: &str,
    now: i64,
) -> Result<Seeded, StoreError> {
    let mut collections = BTreeMap::new();
    for (name, rows) in &data.collections {
        let mut records = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            let mut row = row.clone();
            let here = || format!("{origin}: {name}[{index}]");
            let customer_id = match row.remove("customer") {
                Some(Value::String(id)) => id,
                _ => {
                    return Err(StoreError::Rejected(format!(
                        "{}: every row needs a \"customer\" (the id of its owner)",
                        here()
                    )));
                }
            };
            let id = match row.remove("id") {
                None => None,
                Some(Value::String(id)) => Some(id),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(other) => {
                    return Err(StoreError::Rejected(format!(
                        "{}: \"id\" must be a string, not {other}",
                        here()
                    )));
                }
            };
            let mut data = Value::Object(row);
            resolve_times(&mut data, now);
            records.push(NewRecord {
                customer_id,
                id,
                data,
            });
        }
        collections.insert(name.clone(), records);
    }
    for customer in &data.customers {
        store.upsert_customer(customer)?;
    }
    let mut seeded = Seeded {
        customers: data.customers.len(),
        rows: BTreeMap::new(),
    };
    for (name, rows) in &collections {
        let written = store.import(name, rows, now).map_err(|e| match e {
            StoreError::Rejected(_) | StoreError::BadRow { .. } => {
                StoreError::Rejected(format!("{origin}: {name}: {e}"))
            }
            other => other,
        })?;
        seeded.rows.insert(name.clone(), written);
    }
    Ok(seeded)
}

/// Writes the demo shop into `store`, with ages relative to `now`.
pub fn seed(store: &dyn RecordStore, now: i64) -> Result<Seeded, StoreError> {
    seed_file(store, &demo_shop(), now)
}

/// Deletes everything in the store and writes the demo shop afresh.
pub fn reset(store: &dyn RecordStore, now: i64) -> Result<Seeded, StoreError> {
    store.clear()?;
    seed(store, now)
}

/// Replaces every `now±N[dhms]` string in `value` with unix seconds.
pub fn resolve_times(value: &mut Value, now: i64) {
    thread_local! {
        static RELATIVE: Regex =
            Regex::new(r"^now(?:([+-])(\d+(?:\.\d+)?)([dhms]))?$").expect("a valid regex");
    }
    match value {
        Value::String(text) => {
            let seconds = RELATIVE.with(|re| {
                let caps = re.captures(text)?;
                let Some(sign) = caps.get(1) else {
                    return Some(now);
                };
                let amount: f64 = caps[2].parse().ok()?;
                let unit = match &caps[3] {
                    "d" => 86_400.0,
                    "h" => 3_600.0,
                    "m" => 60.0,
                    _ => 1.0,
                };
                let offset = (amount * unit).round() as i64;
                Some(if sign.as_str() == "-" {
                    now - offset
                } else {
                    now + offset
                })
            });
            if let Some(seconds) = seconds {
                *value = Value::from(seconds);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_times(v, now)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_times(v, now)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;
    use serde_json::json;
    use std::collections::HashSet;

    const NOW: i64 = 1_781_524_800; // 2026-06-15T12:00:00Z
    const DAY: i64 = 86_400;

    #[test]
    fn relative_times_resolve_anywhere_in_a_document() {
        let mut doc = json!({"a": "now-20d", "b": ["now+4d", "now-36h"], "c": {"d": "now"},
                             "e": "now and then", "f": "tomorrow"});
        resolve_times(&mut doc, NOW);
        assert_eq!(
            doc,
            json!({"a": NOW - 20 * DAY, "b": [NOW + 4 * DAY, NOW - 36 * 3600], "c": {"d": NOW},
                   "e": "now and then", "f": "tomorrow"})
        );
    }

    #[test]
    fn the_demo_shop_covers_every_status_and_the_window_edges() {
        let store = SqliteStore::in_memory().unwrap();
        let seeded = seed(&store, NOW).unwrap();
        assert_eq!(seeded.customers, 3);
        assert_eq!(seeded.rows_of("orders"), 28);
        let orders = store.all_records(Some("orders")).unwrap();
        let statuses: HashSet<&str> = orders
            .iter()
            .map(|o| o.data["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.len(), 6, "{statuses:?}");
        let ages: HashSet<i64> = orders
            .iter()
            .map(|o| (NOW - o.data["placed_at"].as_i64().unwrap()) / DAY)
            .collect();
        for age in [1, 9, 10, 11, 60] {
            assert!(ages.contains(&age), "no order is {age} days old");
        }
        let owners: HashSet<&str> = orders.iter().map(|o| o.customer_id.as_str()).collect();
        assert_eq!(owners, HashSet::from(["C001", "C002", "C003"]));
        for order in &orders {
            let d = &order.data;
            let goods: i64 = d["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["unit_price_cents"].as_i64().unwrap() * i["quantity"].as_i64().unwrap())
                .sum();
            assert!(d["total_cents"].as_i64().unwrap() >= goods, "{}", order.id);
            assert_eq!(
                d.get("shipped_at").is_some(),
                d.get("tracking_number").is_some()
            );
        }
    }

    #[test]
    fn a_broken_seed_file_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.json");
        std::fs::write(
            &path,
            r#"{"customers": [{"id": "C1", "name": "A", "email": "a@x"}],
                "collections": {"notes": [{"customer": "C1", "id": "n1"}, {"customer": "C9"}]}}"#,
        )
        .unwrap();
        let store = SqliteStore::in_memory().unwrap();
        let error = seed_file(&store, &path, NOW).unwrap_err().to_string();
        assert!(error.contains("notes") && error.contains("C9"), "{error}");
        assert!(store.all_records(None).unwrap().is_empty());
    }
}
