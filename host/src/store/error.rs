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
}
