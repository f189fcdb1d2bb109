//! [`RecordStore`] over PostgreSQL: the `customers` and `records` tables.

use tokio_postgres::{GenericClient, Row};

use super::{PostgresStore, count, customer_from_row};
use crate::store::records::{
    CollectionSummary, NewRecord, Record, RecordStore, RecordWrite, check_collection,
    check_document, import_failure, import_write,
};
use crate::store::{Customer, StoreError};

const COLUMNS: &str = "collection, id, customer_id, data, created_at, updated_at, version, seq";
/// Newest first: by insertion time, then by insertion order.
const NEWEST_FIRST: &str = "ORDER BY created_at DESC, seq DESC";

fn record_from_row(row: &Row) -> Record {
    Record {
        collection: row.get(0),
        id: row.get(1),
        customer_id: row.get(2),
        data: row.get(3),
        created_at: row.get(4),
        updated_at: row.get(5),
        version: row.get(6),
        seq: row.get(7),
    }
}

/// Applies one write inside the caller's transaction.
async fn apply(
    tx: &impl GenericClient,
    customer_id: &str,
    write: &RecordWrite,
) -> Result<(), StoreError> {
    match write {
        RecordWrite::Insert {
            collection,
            id,
            data,
            at,
        } => {
            check_collection(collection)?;
            check_document(data)?;
            let inserted = tx
                .execute(
                    "INSERT INTO records (collection, customer_id, id, data, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
                    &[collection, &customer_id, id, data, at],
                )
                .await?;
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
            check_document(data)?;
            let updated = tx
                .execute(
                    "UPDATE records SET data = $4, updated_at = $5, version = version + 1 \
                     WHERE collection = $1 AND customer_id = $2 AND id = $3 AND version = $6",
                    &[collection, &customer_id, id, data, at, version],
                )
                .await?;
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
                .execute(
                    "DELETE FROM records \
                     WHERE collection = $1 AND customer_id = $2 AND id = $3 AND version = $4",
                    &[collection, &customer_id, id, version],
                )
                .await?;
            if deleted == 0 {
                return Err(StoreError::Conflict(format!(
                    "row {id} of {collection} changed while the call ran"
                )));
            }
        }
    }
    Ok(())
}

impl RecordStore for PostgresStore {
    fn upsert_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        let customer = customer.clone();
        self.with(move |conn| {
            Box::pin(async move {
                conn.execute(
                    "INSERT INTO customers (id, name, email) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email",
                    &[&customer.id, &customer.name, &customer.email],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn customer(&self, customer_id: &str) -> Result<Option<Customer>, StoreError> {
        let customer_id = customer_id.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let row = conn
                    .query_opt(
                        "SELECT id, name, email FROM customers WHERE id = $1",
                        &[&customer_id],
                    )
                    .await?;
                Ok(row.as_ref().map(customer_from_row))
            })
        })
    }

    fn customers(&self) -> Result<Vec<Customer>, StoreError> {
        self.with(|conn| {
            Box::pin(async move {
                let rows = conn
                    .query("SELECT id, name, email FROM customers ORDER BY id", &[])
                    .await?;
                Ok(rows.iter().map(customer_from_row).collect())
            })
        })
    }

    fn record(
        &self,
        customer_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<Option<Record>, StoreError> {
        let (customer_id, collection, id) = (
            customer_id.to_string(),
            collection.to_string(),
            id.to_string(),
        );
        self.with(move |conn| {
            Box::pin(async move {
                let row = conn
                    .query_opt(
                        &format!(
                            "SELECT {COLUMNS} FROM records \
                         WHERE collection = $1 AND customer_id = $2 AND id = $3"
                        ),
                        &[&collection, &customer_id, &id],
                    )
                    .await?;
                Ok(row.as_ref().map(record_from_row))
            })
        })
    }

    fn records(&self, customer_id: &str, collection: &str) -> Result<Vec<Record>, StoreError> {
        let (customer_id, collection) = (customer_id.to_string(), collection.to_string());
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM records WHERE customer_id = $1 AND collection = $2 \
                         {NEWEST_FIRST}"
                    ),
                    &[&customer_id, &collection],
                )
                .await?;
                Ok(rows.iter().map(record_from_row).collect())
            })
        })
    }

    fn commit(&self, customer_id: &str, writes: &[RecordWrite]) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        let (customer_id, writes) = (customer_id.to_string(), writes.to_vec());
        self.with(move |conn| {
            Box::pin(async move {
                let tx = conn.transaction().await?;
                for write in &writes {
                    apply(&tx, &customer_id, write).await?;
                }
                tx.commit().await?;
                Ok(())
            })
        })
    }

    fn import(&self, collection: &str, rows: &[NewRecord], at: i64) -> Result<usize, StoreError> {
        check_collection(collection)?;
        let (collection, rows) = (collection.to_string(), rows.to_vec());
        self.with(move |conn| {
            Box::pin(async move {
                let tx = conn.transaction().await?;
                for (index, row) in rows.iter().enumerate() {
                    let known = tx
                        .query_opt("SELECT 1 FROM customers WHERE id = $1", &[&row.customer_id])
                        .await?
                        .is_some();
                    let write = import_write(&collection, row, index, known, at)?;
                    apply(&tx, &row.customer_id, &write)
                        .await
                        .map_err(|e| import_failure(index, e))?;
                }
                tx.commit().await?;
                Ok(rows.len())
            })
        })
    }

    fn find_records(&self, collection: &str, id: &str) -> Result<Vec<Record>, StoreError> {
        let (collection, id) = (collection.to_string(), id.to_string());
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        &format!(
                            "SELECT {COLUMNS} FROM records WHERE collection = $1 AND id = $2 \
                         ORDER BY customer_id"
                        ),
                        &[&collection, &id],
                    )
                    .await?;
                Ok(rows.iter().map(record_from_row).collect())
            })
        })
    }

    fn all_records(&self, collection: Option<&str>) -> Result<Vec<Record>, StoreError> {
        let collection = collection.map(str::to_string);
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM records WHERE $1::text IS NULL OR collection = $1 \
                         ORDER BY collection, created_at, seq"
                    ),
                    &[&collection],
                )
                .await?;
                Ok(rows.iter().map(record_from_row).collect())
            })
        })
    }

    fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        self.with(|conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT collection, COUNT(*), COUNT(DISTINCT customer_id) FROM records \
                     GROUP BY collection ORDER BY collection",
                        &[],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| CollectionSummary {
                        name: r.get(0),
                        rows: count(r.get(1)),
                        customers: count(r.get(2)),
                    })
                    .collect())
            })
        })
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.with(|conn| {
            Box::pin(async move {
                conn.batch_execute(
                "TRUNCATE feedback, handoffs, turns, messages, conversations, policy_decisions, \
                 records, customers RESTART IDENTITY",
            )
            .await?;
                Ok(())
            })
        })
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.with(|conn| {
            Box::pin(async move {
                let row = conn
                    .query_one(
                        "SELECT (SELECT COUNT(*) FROM records) + (SELECT COUNT(*) FROM customers)",
                        &[],
                    )
                    .await?;
                let total: i64 = row.get(0);
                Ok(total == 0)
            })
        })
    }
}
