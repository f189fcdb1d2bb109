//! A small pool of PostgreSQL connections.
//!
//! A connection is taken for one operation and given back when dropped,
//! unless it was closed or is marked not reusable (a connection left inside
//! a transaction that holds a lock is closed instead, which makes the
//! server release everything it held).

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls};

use crate::store::StoreError;

/// Connections to one database, at most `size` at once.
pub(super) struct Pool {
    config: Config,
    /// The URL without its password, for messages.
    location: String,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
}

/// A connection taken from the pool.
pub(super) struct Pooled {
    client: Option<Client>,
    pool: Arc<Pool>,
    /// Whether the connection may serve another operation when dropped.
    reusable: bool,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool of at most `size` connections, opened on demand.
    pub(super) fn new(config: Config, location: String, size: usize) -> Arc<Pool> {
        Arc::new(Pool {
            config,
            location,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
        })
    }

    /// An idle connection, or a new one when none is idle; waits while
    /// `size` are in use.
    pub(super) async fn get(self: &Arc<Self>) -> Result<Pooled, StoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Busy("the store is shutting down".into()))?;
        let idle = {
            let mut idle = self.idle.lock();
            idle.retain(|client| !client.is_closed());
            idle.pop()
        };
        let client = match idle {
            Some(client) => client,
            None => self.connect().await?,
        };
        Ok(Pooled {
            client: Some(client),
            pool: self.clone(),
            reusable: true,
            _permit: permit,
        })
    }

    async fn connect(&self) -> Result<Client, StoreError> {
        let (client, connection) =
            self.config
                .connect(NoTls)
                .await
                .map_err(|error| StoreError::Unreachable {
                    location: self.location.clone(),
                    reason: unreachable_reason(&error),
                })?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "a PostgreSQL connection ended");
            }
        });
        Ok(client)
    }
}

/// What went wrong connecting, and what to check.
fn unreachable_reason(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!(
            "{} (check the user, password and database name in the URL)",
            db.message()
        );
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    format!("{text} (is PostgreSQL running and listening there?)")
}

impl Pooled {
    /// Marks whether the connection may serve another operation.
    pub(super) fn set_reusable(&mut self, reusable: bool) {
        self.reusable = reusable;
    }
}

impl Deref for Pooled {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("held until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && self.reusable
            && !client.is_closed()
        {
            self.pool.idle.lock().push(client);
        }
    }
}

/// How long opening a connection may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
