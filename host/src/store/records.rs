//! The business's data: named collections of JSON documents, every row
//! owned by one customer.
//!
//! Plugins reach records only through the host's `records` interface, which
//! scopes every call to the conversation's customer; [`RecordStore`] is what
//! that interface (and the data CLI, the seed and the evaluator) talk to.
//! Writes are applied in batches ([`RecordStore::commit`]): one tool call's
//! writes land together, in one transaction, or not at all, and an update
//! or delete names the version it read, so a row that changed meanwhile is
//! a [`StoreError::Conflict`] instead of a lost update.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;
use super::model::Customer;

/// One stored document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The collection, e.g. `orders`.
    pub collection: String,
    /// Unique within the collection for its customer.
    pub id: String,
    /// The customer who owns the row.
    pub customer_id: String,
    /// The document, a JSON object.
    pub data: Value,
    /// When it was inserted, unix seconds.
    pub created_at: i64,
    /// When it was last written, unix seconds.
    pub updated_at: i64,
    /// Counts the writes to the row; an update names the version it read.
    pub version: i64,
    /// Insertion order, the tie-breaker of "newest first".
    pub seq: i64,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordWrite {
    /// A new row; fails with a conflict when the id is taken.
    Insert {
        collection: String,
        id: String,
        data: Value,
        at: i64,
    },
    /// A new document for a row that still has `version`.
    Update {
        collection: String,
        id: String,
        data: Value,
        at: i64,
        version: i64,
    },
    /// Removes a row that still has `version`.
    Delete {
        collection: String,
        id: String,
        version: i64,
    },
}

/// A row to import: its collection and owner given by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub customer_id: String,
    /// `None` lets the store make one.
    pub id: Option<String>,
    pub data: Value,
}

/// How many rows a collection holds, and for how many customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionSummary {
    pub name: String,
    pub rows: usize,
    pub customers: usize,
}

/// Storage for customers and their records.
///
/// The customer-scoped methods are the only ones the plugin host uses; the
/// unscoped ones (`find_records`, `all_records`, `collections`) are for
/// staff tools, the data CLI and the evaluator's end-state checks, and are
/// never reachable from a plugin.
pub trait RecordStore: Send + Sync {
    /// Adds a customer, or updates the name and email of an existing one.
    fn upsert_customer(&self, customer: &Customer) -> Result<(), StoreError>;

    /// The customer with this id.
    fn customer(&self, customer_id: &str) -> Result<Option<Customer>, StoreError>;

    /// Every customer, by id.
    fn customers(&self) -> Result<Vec<Customer>, StoreError>;

    /// The customer's row `id` of `collection`; `None` both when it does not
    /// exist and when it is someone else's.
    fn record(
        &self,
        customer_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<Option<Record>, StoreError>;

    /// The customer's rows of `collection`, newest first.
    fn records(&self, customer_id: &str, collection: &str) -> Result<Vec<Record>, StoreError>;

    /// Applies a customer's writes in one transaction: all or none. A taken
    /// id or a changed version is [`StoreError::Conflict`].
    fn commit(&self, customer_id: &str, writes: &[RecordWrite]) -> Result<(), StoreError>;

    /// Imports rows into `collection` at `at`, all or none; returns how many.
    /// Every owner must be a known customer.
    fn import(&self, collection: &str, rows: &[NewRecord], at: i64) -> Result<usize, StoreError>;

    /// Rows with this id in `collection`, whoever owns them.
    fn find_records(&self, collection: &str, id: &str) -> Result<Vec<Record>, StoreError>;

    /// Every row of `collection` (every collection when `None`), oldest first.
    fn all_records(&self, collection: Option<&str>) -> Result<Vec<Record>, StoreError>;

    /// The collections that hold rows, by name.
    fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError>;

    /// Deletes every customer, record, conversation and audit record.
    fn clear(&self) -> Result<(), StoreError>;

    /// Whether the store holds no customers and no records.
    fn is_empty(&self) -> Result<bool, StoreError>;

    /// Whether the store answers now (a round trip): a readiness probe.
    fn check(&self) -> Result<(), StoreError> {
        self.customer("").map(|_| ())
    }
}

/// Whether `name` can name a collection: a lowercase letter, then lowercase
/// letters, digits or underscores, at most 64 characters.
pub fn is_collection_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Whether `id` can be a row id: 1 to 128 printable characters.
pub fn is_record_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && !id.chars().any(char::is_control)
}

/// [`StoreError::Rejected`] unless `collection` can name a collection.
pub(crate) fn check_collection(collection: &str) -> Result<(), StoreError> {
    if is_collection_name(collection) {
        Ok(())
    } else {
        Err(StoreError::Rejected(format!(
            "{collection:?} is not a collection name: use a lowercase letter, then lowercase \
             letters, digits or underscores (at most 64)"
        )))
    }
}

/// [`StoreError::Rejected`] unless `data` is a JSON object.
pub(crate) fn check_document(data: &Value) -> Result<(), StoreError> {
    if data.is_object() {
        Ok(())
    } else {
        Err(StoreError::Rejected(
            "a record must be a JSON object".into(),
        ))
    }
}

/// A fresh row id: 16 hex digits from the OS's random source, so an id says
/// nothing about how many rows other customers have.
pub(crate) fn new_record_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Row `index` (0-based) of an import as the insert it makes: its id
/// checked (or a fresh one), its owner `known` to the store.
pub(crate) fn import_write(
    collection: &str,
    row: &NewRecord,
    index: usize,
    known: bool,
    at: i64,
) -> Result<RecordWrite, StoreError> {
    if !known {
        return Err(bad_row(
            index,
            format!(
                "there is no customer {:?}; import the customers first",
                row.customer_id
            ),
        ));
    }
    let id = match &row.id {
        Some(id) if is_record_id(id) => id.clone(),
        Some(id) => {
            return Err(bad_row(
                index,
                format!("{id:?} is not a row id (1 to 128 printable characters)"),
            ));
        }
        None => new_record_id(),
    };
    Ok(RecordWrite::Insert {
        collection: collection.to_string(),
        id,
        data: row.data.clone(),
        at,
    })
}

/// A write of import row `index` that failed, as the import's failure.
pub(crate) fn import_failure(index: usize, error: StoreError) -> StoreError {
    match error {
        StoreError::Conflict(reason) | StoreError::Rejected(reason) => bad_row(index, reason),
        other => other,
    }
}

fn bad_row(index: usize, reason: String) -> StoreError {
    StoreError::BadRow {
        row: index + 1,
        reason,
    }
}

/// RFC 7396 JSON merge patch: `patch`'s keys set on `target`, `null`
/// removing them, objects merged recursively; a non-object patch replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let target = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Whether `data`'s top-level fields equal every field of `filter`.
pub fn matches_filter(data: &Value, filter: &serde_json::Map<String, Value>) -> bool {
    filter.iter().all(|(key, want)| data.get(key) == Some(want))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396, appendix A.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, expected, "patch {patch}");
        }
    }

    #[test]
    fn names_and_ids_are_checked() {
        assert!(is_collection_name("order_events"));
        for bad in ["", "Orders", "1x", "a-b", "a b", &"x".repeat(65)] {
            assert!(!is_collection_name(bad), "{bad:?}");
        }
        assert!(is_record_id("1001") && is_record_id("W-12 a"));
        assert!(!is_record_id("") && !is_record_id("a\nb") && !is_record_id(&"x".repeat(129)));
    }

    #[test]
    fn filters_compare_top_level_fields_exactly() {
        let data = json!({"status": "shipped", "total": 10, "nested": {"a": 1}});
        let filter = |v: Value| v.as_object().unwrap().clone();
        assert!(matches_filter(&data, &filter(json!({}))));
        assert!(matches_filter(
            &data,
            &filter(json!({"status": "shipped", "total": 10}))
        ));
        assert!(!matches_filter(
            &data,
            &filter(json!({"status": "delivered"}))
        ));
        assert!(!matches_filter(&data, &filter(json!({"missing": null}))));
        assert!(matches_filter(&data, &filter(json!({"nested": {"a": 1}}))));
    }
}
