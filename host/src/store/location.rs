//! Which store to open: an SQLite file (the embedded default) or a
//! PostgreSQL database that several hosts share, and the [`Store`] trait
//! that both implement.

use std::path::PathBuf;
use std::sync::Arc;

use super::lock::ConversationLock;
use super::{AuditLog, ConversationStore, PostgresStore, RecordStore, SqliteStore, StoreError};

/// Everything deskhand keeps: customers and records, conversations, turn
/// traces, handoffs, feedback and the audit log.
pub trait Store: RecordStore + ConversationStore + AuditLog {
    /// Where the store is, for logs and health reports (never a password).
    fn location(&self) -> String;

    /// Holds the lock called `name` across every process that shares the
    /// store, until the returned lock drops (seeding an empty store, say).
    fn hold(&self, name: &str) -> Result<ConversationLock, StoreError>;
}

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite file, made if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/db`).
    Postgres(String),
}

impl StoreLocation {
    /// A `postgres://` or `postgresql://` URL, or else a file path.
    pub fn parse(text: &str) -> StoreLocation {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            StoreLocation::Postgres(text.to_string())
        } else {
            StoreLocation::Sqlite(PathBuf::from(text.strip_prefix("sqlite:").unwrap_or(text)))
        }
    }

    /// The location with any password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Postgres(url) => redact_password(url),
        }
    }

    /// Opens the store, bringing its schema up to date.
    pub fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            StoreLocation::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
            StoreLocation::Postgres(url) => Arc::new(PostgresStore::connect(url)?),
        })
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_postgres_and_anything_else_is_a_file() {
        assert_eq!(
            StoreLocation::parse("postgres://u@localhost/d"),
            StoreLocation::Postgres("postgres://u@localhost/d".into())
        );
        assert!(matches!(
            StoreLocation::parse("PostgreSQL://x/y"),
            StoreLocation::Postgres(_)
        ));
        assert_eq!(
            StoreLocation::parse("data/shop/deskhand.db"),
            StoreLocation::Sqlite("data/shop/deskhand.db".into())
        );
        assert_eq!(
            StoreLocation::parse("sqlite:/tmp/a.db"),
            StoreLocation::Sqlite("/tmp/a.db".into())
        );
    }

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact_password("postgres://desk:s3cret@db.internal:5432/deskhand"),
            "postgres://desk:***@db.internal:5432/deskhand"
        );
        assert_eq!(
            redact_password("postgres://desk@localhost/deskhand"),
            "postgres://desk@localhost/deskhand"
        );
        assert_eq!(
            redact_password("postgres://a:b:c@h/d?sslmode=disable"),
            "postgres://a:***@h/d?sslmode=disable"
        );
    }
}
