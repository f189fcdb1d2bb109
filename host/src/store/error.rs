use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row on this customer's account (or it belongs to someone else).
    #[error("{0} not found on this customer's account")]
    NotFound(String),
    /// The change would break the data's integrity; the text says why.
    #[error("{0}")]
    Rejected(String),
    /// Row `row` (1-based) of an import cannot be written; nothing was imported.
    #[error("row {row}: {reason}")]
    BadRow { row: usize, reason: String },
    /// A row id is taken, or a row changed between reading and writing it.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value read from the database does not make sense (a corrupt row).
    #[error("corrupt data in the store: {0}")]
    Corrupt(String),
    /// The database file could not be opened or prepared.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// PostgreSQL reported an error; the text is the server's message.
    #[error("database error: {0}")]
    Postgres(String),
    /// The database server cannot be reached (down, wrong address, refused
    /// login); the text says which and what to check.
    #[error("cannot reach the database {location}: {reason}")]
    Unreachable { location: String, reason: String },
    /// A wait for a lock or the database ran out of patience; try again.
    #[error("busy: {0}")]
    Busy(String),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        match error.as_db_error() {
            Some(db) => {
                let mut text = db.message().to_string();
                if let Some(detail) = db.detail() {
                    text.push_str(&format!(" ({detail})"));
                }
                if *db.code() == tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE
                    || *db.code() == tokio_postgres::error::SqlState::QUERY_CANCELED
                {
                    StoreError::Busy(text)
                } else {
                    StoreError::Postgres(text)
                }
            }
            None => StoreError::Postgres(error.to_string()),
        }
    }
}
