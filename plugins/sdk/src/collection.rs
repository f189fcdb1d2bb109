//! Typed access to one collection of the customer's records.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::records::{self, Change, RecordsError, Row};

/// A stored document of type `T` with its id and times.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// Unique within the collection for this customer.
    pub id: String,
    /// The document.
    pub data: T,
    /// When it was inserted (business clock, unix seconds).
    pub created_at: i64,
    /// When it was last written (business clock, unix seconds).
    pub updated_at: i64,
}

/// One named collection of the customer's documents of type `T`.
///
/// The host scopes every call to the conversation's customer and checks the
/// plugin's grant for the collection; writes commit when the tool call
/// returns successfully, all together.
pub struct Collection<T> {
    name: &'static str,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T> Collection<T> {
    /// The collection called `name`.
    pub const fn new(name: &'static str) -> Self {
        Collection {
            name,
            _type: std::marker::PhantomData,
        }
    }

    /// The collection's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<T: DeserializeOwned + Serialize> Collection<T> {
    /// The row with this id, if it is on the customer's account.
    pub fn get(&self, id: &str) -> Result<Option<Record<T>>, RecordsError> {
        records::get(self.name, id)?
            .map(|row| self.decode(row))
            .transpose()
    }

    /// The customer's rows whose top-level fields equal `filter`'s, newest first.
    pub fn query(&self, filter: Value, limit: u32) -> Result<Vec<Record<T>>, RecordsError> {
        records::query(self.name, &filter.to_string(), limit)?
            .into_iter()
            .map(|row| self.decode(row))
            .collect()
    }

    /// Every row of the customer's, newest first, at most `limit`.
    pub fn all(&self, limit: u32) -> Result<Vec<Record<T>>, RecordsError> {
        self.query(Value::Object(Default::default()), limit)
    }

    /// Inserts `data` under `id` (or an id the host makes).
    pub fn insert(&self, id: Option<&str>, data: &T) -> Result<Record<T>, RecordsError> {
        let row = records::insert(self.name, id, &encode(data)?)?;
        self.decode(row)
    }

    /// Replaces the whole document of row `id`.
    pub fn replace(&self, id: &str, data: &T) -> Result<Record<T>, RecordsError> {
        let row = records::update(self.name, id, &Change::Replace(encode(data)?))?;
        self.decode(row)
    }

    /// Applies an RFC 7396 merge patch to row `id`.
    pub fn merge(&self, id: &str, patch: Value) -> Result<Record<T>, RecordsError> {
        let row = records::update(self.name, id, &Change::Merge(patch.to_string()))?;
        self.decode(row)
    }

    /// Deletes row `id`; `false` when there was none.
    pub fn delete(&self, id: &str) -> Result<bool, RecordsError> {
        records::delete(self.name, id)
    }

    fn decode(&self, row: Row) -> Result<Record<T>, RecordsError> {
        let data = serde_json::from_str(&row.data).map_err(|e| {
            RecordsError::Invalid(format!(
                "row {} of {} does not have the expected shape: {e}",
                row.id, self.name
            ))
        })?;
        Ok(Record {
            id: row.id,
            data,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn encode<T: Serialize>(data: &T) -> Result<String, RecordsError> {
    serde_json::to_string(data).map_err(|e| RecordsError::Invalid(e.to_string()))
}
