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

/// A PostgreSQL URL with its database replaced by `name` (the options
/// after `?` kept): the same server, another database.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    match query {
        Some(query) => format!("{}/{name}?{query}", &base[..host_end]),
        None => format!("{}/{name}", &base[..host_end]),
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`, and a
/// `password=` option's value → `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = rest
        .split_once('?')
        .map_or((rest, None), |(b, q)| (b, Some(q)));
    // The credentials end at the last `@` (a password may hold a `/`).
    let mut out = match before_query.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{before_query}"),
        },
        None => format!("{scheme}://{before_query}"),
    };
    if let Some(query) = query {
        let options: Vec<String> = query
            .split('&')
            .map(|option| match option.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => option.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&options.join("&"));
    }
    out
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
    fn another_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "d1"),
            "postgres://u:p@h:5432/d1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "d2"), "postgres://u@h/d2");
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
        assert_eq!(
            redact_password("postgres://desk:se/cr@t@db/deskhand"),
            "postgres://desk:***@db/deskhand"
        );
        assert_eq!(
            redact_password("postgres://desk@db/deskhand?sslmode=disable&password=hunter2"),
            "postgres://desk@db/deskhand?sslmode=disable&password=***"
        );
        assert_eq!(
            redact_password("https://user:token@llm.internal/v1"),
            "https://user:***@llm.internal/v1"
        );
    }
}
