//! The store in a PostgreSQL database that several deskhand hosts share.
//!
//! The store's traits are synchronous, like SQLite; each operation runs on
//! a small runtime of the store's own ([`BackgroundRuntime`]) and the
//! calling thread waits for it, so the store works from any thread. Two
//! pools: one for short operations, one for the conversation locks, each
//! of which holds a connection in an open transaction for as long as a turn
//! runs (`pg_advisory_xact_lock`: the server releases it when the
//! transaction ends, or when the host holding it dies).

mod audit;
mod conversations;
mod migrations;
mod pool;
mod records;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_postgres::{Client, Config, Row};

use super::location::redact_password;
use super::lock::{ConversationLock, LOCK_PATIENCE};
use super::{Customer, Store, StoreError};
use crate::background::BackgroundRuntime;
use pool::{CONNECT_TIMEOUT, Pool, Pooled};

/// How many connections serve short operations.
const QUERY_CONNECTIONS: usize = 8;
/// How many turns may hold a conversation lock at once.
const LOCK_CONNECTIONS: usize = 32;
/// How long one short operation may take.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Customers, records, conversations and the audit log in PostgreSQL.
pub struct PostgresStore {
    runtime: BackgroundRuntime,
    pool: Arc<Pool>,
    locks: Arc<Pool>,
    /// The URL without its password.
    location: String,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`)
    /// and brings the schema up to date; several hosts starting at once
    /// migrate it once.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let location = redact_password(url);
        let mut config = Config::from_str(url).map_err(|e| StoreError::Unreachable {
            location: location.clone(),
            reason: format!(
                "not a PostgreSQL URL ({e}); write postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ),
        })?;
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(StoreError::Unreachable {
                location,
                reason: "sslmode=require: this deskhand speaks to PostgreSQL without TLS; use it on a \
                         private network or through a local TLS tunnel, with sslmode=disable or prefer"
                    .into(),
            });
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("deskhand");
        }
        let runtime =
            BackgroundRuntime::new("deskhand-postgres").map_err(|e| StoreError::Unreachable {
                location: location.clone(),
                reason: format!("starting the store's runtime: {e}"),
            })?;
        let store = PostgresStore {
            runtime,
            pool: Pool::new(config.clone(), location.clone(), QUERY_CONNECTIONS),
            locks: Pool::new(config, location.clone(), LOCK_CONNECTIONS),
            location,
        };
        store.with(|conn| Box::pin(migrations::migrate(conn)))?;
        Ok(store)
    }

    /// Runs `future` on the store's runtime and waits for it.
    fn wait<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.wait_at_most(future, OPERATION_TIMEOUT)
    }

    fn wait_at_most<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, StoreError>> + Send + 'static,
        patience: Duration,
    ) -> Result<T, StoreError> {
        self.runtime.wait(future, patience).unwrap_or_else(|| {
            Err(StoreError::Busy(format!(
                "the database {} did not answer within {} s",
                self.location,
                patience.as_secs()
            )))
        })
    }

    /// Runs one operation on a pooled connection. The connection goes back
    /// to the pool only once the operation has finished: one given up on
    /// (a time-out) is closed, so that nothing it left running or open on
    /// the server meets the next operation.
    fn with<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Client) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.wait(async move {
            let mut conn = pool.get().await?;
            conn.set_reusable(false);
            let outcome = work(&mut conn).await;
            conn.set_reusable(true);
            outcome
        })
    }

    /// Holds the advisory lock named `key` until the returned lock drops:
    /// across every host on this database.
    fn advisory_lock(&self, key: String) -> Result<ConversationLock, StoreError> {
        let name = key.clone();
        let busy = move |what: &str| {
            StoreError::Busy(format!(
                "{name:?} {what}; the turn before it still runs, try again shortly"
            ))
        };
        let locks = self.locks.clone();
        let handle = self.runtime.handle().clone();
        let patience = LOCK_PATIENCE;
        let conn = self
            .wait_at_most(
                async move {
                    let mut conn = locks.get().await?;
                    // Inside a transaction from here: if anything below fails
                    // or is cancelled, the connection is closed, not reused.
                    conn.set_reusable(false);
                    // The transaction stays open while the turn runs: a server
                    // whose idle-in-transaction limit ended it would drop the lock.
                    conn.batch_execute(&format!(
                        "BEGIN; SET LOCAL lock_timeout = '{}s'; \
                     SET LOCAL idle_in_transaction_session_timeout = 0",
                        patience.as_secs()
                    ))
                    .await?;
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        &[&key],
                    )
                    .await?;
                    Ok(conn)
                },
                patience + Duration::from_secs(5),
            )
            .map_err(|error| match error {
                StoreError::Busy(_) => busy(&format!(
                    "was held for over {} s, or every lock connection is in use",
                    patience.as_secs()
                )),
                other => other,
            })?;
        Ok(ConversationLock::new(AdvisoryLock {
            conn: Some(conn),
            handle,
        }))
    }
}

/// Ends the lock's transaction when dropped, which releases the lock.
struct AdvisoryLock {
    conn: Option<Pooled>,
    handle: tokio::runtime::Handle,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            self.handle.spawn(async move {
                if conn.batch_execute("ROLLBACK").await.is_ok() {
                    conn.set_reusable(true);
                }
            });
        }
    }
}

impl Store for PostgresStore {
    fn hold(&self, name: &str) -> Result<ConversationLock, StoreError> {
        // Named as SQLite's are, apart from the conversations' locks.
        self.advisory_lock(format!("deskhand named {name}"))
    }
}

fn customer_from_row(row: &Row) -> Customer {
    Customer {
        id: row.get(0),
        name: row.get(1),
        email: row.get(2),
    }
}

/// A count or length from the database as `usize`.
fn count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

/// A length or limit as the database's `bigint`.
fn bigint(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
