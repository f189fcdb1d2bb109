//! The store over one SQLite file (WAL mode), or over memory for tests.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and the
//! store's operations are short (a plugin call's writes are applied in one
//! batch when the call returns, never held open while it runs).

mod audit;
mod conversations;
mod migrations;
mod records;

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{Connection, Row};

use super::lock::LocalLocks;
use super::{Customer, Store, StoreError};
use migrations::MIGRATIONS;

/// The SQLite-backed store of customers, records, conversations and the audit log.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The conversations with a turn running in this process.
    locks: LocalLocks,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, in WAL mode, and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_error(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        }
        let conn = Connection::open(path).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        Self::prepare(conn).map_err(|e| match e {
            StoreError::Database(source) => open_error(source),
            other => other,
        })
    }

    /// A private store in memory, for tests and scenario runs.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "the database has schema version {version}, newer than this deskhand ({}); \
                 upgrade deskhand or use another data directory",
                MIGRATIONS.len()
            )));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            locks: LocalLocks::default(),
        })
    }
}

impl Store for SqliteStore {
    fn hold(&self, name: &str) -> Result<super::ConversationLock, StoreError> {
        self.locks
            .lock(&format!("named {name}"), super::lock::LOCK_PATIENCE)
    }
}

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RecordStore;

    #[test]
    fn a_store_of_the_shop_tables_migrates_into_records() {
        // A store as deskhand left it before records: schema version 4.
        let conn = Connection::open_in_memory().unwrap();
        for migration in &MIGRATIONS[..4] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            r#"
            INSERT INTO customers VALUES ('C001', 'Ana', 'ana@example.com');
            INSERT INTO orders (id, customer_id, status, placed_at, items, total_cents,
                refunded_cents, currency, carrier, tracking_number, shipped_at, delivered_at,
                estimated_delivery)
            VALUES ('1007', 'C001', 'delivered', 100,
                '[{"sku":"KNIFE-20","name":"Chef''s knife","quantity":1,"unit_price_cents":8900}]',
                8900, 1000, 'EUR', 'DHL', 'JJD1', 200, 300, NULL);
            INSERT INTO refunds (order_id, customer_id, amount_cents, reason, created_at)
                VALUES ('1007', 'C001', 1000, 'scratch', 400);
            INSERT INTO order_events (order_id, customer_id, at, kind, from_status, to_status,
                amount_cents, note) VALUES ('1007', 'C001', 400, 'refunded', NULL, NULL, 1000, 'scratch');
            "#,
        )
        .unwrap();
        let store = SqliteStore::prepare(conn).unwrap();
        let order = store.record("C001", "orders", "1007").unwrap().unwrap();
        assert_eq!(order.created_at, 100);
        assert_eq!(order.data["status"], "delivered");
        assert_eq!(order.data["refunded_cents"], 1000);
        assert_eq!(order.data["items"][0]["sku"], "KNIFE-20");
        assert_eq!(order.data["delivered_at"], 300);
        assert!(
            order.data.get("estimated_delivery").is_none(),
            "NULL columns are left out"
        );
        let refunds = store.records("C001", "refunds").unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].id, "1007-1");
        assert_eq!(refunds[0].data["amount_cents"], 1000);
        let events = store.records("C001", "order_events").unwrap();
        assert_eq!(events[0].data["kind"], "refunded");
        assert!(events[0].data.get("from_status").is_none());
        let tables: i64 = store
            .conn
            .lock()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('orders', 'refunds', 'order_events')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }
}
