//! [`RecordStore`] over SQLite: the `customers` and `records` tables.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::{SqliteStore, customer_from_row};
use crate::store::records::{
    CollectionSummary, NewRecord, Record, RecordStore, RecordWrite, check_collection,
    check_document, import_failure, import_write,
};
use crate::store::{Customer, StoreError};

const COLUMNS: &str = "collection, id, customer_id, data, created_at, updated_at, version, rowid";
/// Newest first: by insertion time, then by insertion order.
const NEWEST_FIRST: &str = "ORDER BY created_at DESC, rowid DESC";

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<Record> {
    let data: String = row.get(3)?;
    Ok(Record {
        collection: row.get(0)?,
        id: row.get(1)?,
        customer_id: row.get(2)?,
        data: serde_json::from_str(&data).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
        version: row.get(6)?,
        seq: row.get(7)?,
    })
}

fn document(data: &Value) -> Result<String, StoreError> {
    check_document(data)?;
    Ok(data.to_string())
}

fn apply(tx: &Transaction<'_>, customer_id: &str, write: &RecordWrite) -> Result<(), StoreError> {
    match write {
        RecordWrite::Insert {
            collection,
            id,
            data,
            at,
        } => {
            check_collection(collection)?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO records (collection, customer_id, id, data, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
                )?
                .execute(params![collection, customer_id, id, document(data)?, at])?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!(
                    "{collection} already has a row {id}"
                )));
            }
        }
        RecordWrite::Update {
            collection,
            id,
            data,
            at,
            version,
        } => {
            let updated = tx
                .prepare_cached(
                    "UPDATE records SET data = ?4, updated_at = ?5, version = version + 1 \
                     WHERE collection = ?1 AND customer_id = ?2 AND id = ?3 AND version = ?6",
                )?
                .execute(params![
                    collection,
                    customer_id,
                    id,
                    document(data)?,
                    at,
                    version
                ])?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!(
                    "row {id} of {collection} changed while the call ran"
                )));
            }
        }
        RecordWrite::Delete {
            collection,
            id,
            version,
        } => {
            let deleted = tx
                .prepare_cached(
                    "DELETE FROM records \
                     WHERE collection = ?1 AND customer_id = ?2 AND id = ?3 AND version = ?4",
                )?
                .execute(params![collection, customer_id, id, version])?;
            if deleted == 0 {
                return Err(StoreError::Conflict(format!(
                    "row {id} of {collection} changed while the call ran"
                )));
            }
        }
    }
    Ok(())
}

impl RecordStore for SqliteStore {
    fn upsert_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        self.conn.lock().execute(
            "INSERT INTO customers (id, name, email) VALUES (?1, ?2, ?3) \
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email",
            params![customer.id, customer.name, customer.email],
        )?;
        Ok(())
    }

    fn customer(&self, customer_id: &str) -> Result<Option<Customer>, StoreError> {
        Ok(self
            .conn
            .lock()
            .prepare_cached("SELECT id, name, email FROM customers WHERE id = ?1")?
            .query_row([customer_id], customer_from_row)
            .optional()?)
    }

    fn customers(&self) -> Result<Vec<Customer>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached("SELECT id, name, email FROM customers ORDER BY id")?;
        let rows = stmt.query_map([], customer_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record(
        &self,
        customer_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .lock()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM records WHERE collection = ?1 AND customer_id = ?2 AND id = ?3"
            ))?
            .query_row(params![collection, customer_id, id], record_from_row)
            .optional()?)
    }

    fn records(&self, customer_id: &str, collection: &str) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM records WHERE customer_id = ?1 AND collection = ?2 {NEWEST_FIRST}"
        ))?;
        let rows = stmt.query_map(params![customer_id, collection], record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn commit(&self, customer_id: &str, writes: &[RecordWrite]) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        for write in writes {
            apply(&tx, customer_id, write)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn import(&self, collection: &str, rows: &[NewRecord], at: i64) -> Result<usize, StoreError> {
        check_collection(collection)?;
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        for (index, row) in rows.iter().enumerate() {
            let known: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM customers WHERE id = ?1)")?
                .query_row([&row.customer_id], |r| r.get(0))?;
            let write = import_write(collection, row, index, known, at)?;
            apply(&tx, &row.customer_id, &write).map_err(|e| import_failure(index, e))?;
        }
        tx.commit()?;
        Ok(rows.len())
    }

    fn find_records(&self, collection: &str, id: &str) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM records WHERE collection = ?1 AND id = ?2 ORDER BY customer_id"
        ))?;
        let rows = stmt.query_map(params![collection, id], record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn all_records(&self, collection: Option<&str>) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM records WHERE ?1 IS NULL OR collection = ?1 \
             ORDER BY collection, created_at, rowid"
        ))?;
        let rows = stmt.query_map(params![collection], record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT collection, COUNT(*), COUNT(DISTINCT customer_id) FROM records \
             GROUP BY collection ORDER BY collection",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CollectionSummary {
                name: r.get(0)?,
                rows: r.get::<_, i64>(1)? as usize,
                customers: r.get::<_, i64>(2)? as usize,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.conn.lock().execute_batch(
            "BEGIN; DELETE FROM feedback; DELETE FROM handoffs; DELETE FROM turns; \
             DELETE FROM messages; DELETE FROM conversations; DELETE FROM policy_decisions; \
             DELETE FROM records; DELETE FROM customers; DELETE FROM sqlite_sequence; COMMIT;",
        )?;
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = self.conn.lock().query_row(
            "SELECT (SELECT COUNT(*) FROM records) + (SELECT COUNT(*) FROM customers)",
            [],
            |r| r.get(0),
        )?;
        Ok(count == 0)
    }
}
