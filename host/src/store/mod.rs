//! The store: customers and the business's records, conversations and the
//! audit log.
//!
//! [`RecordStore`] is the trait the rest of deskhand talks to for business
//! data: named collections of JSON documents, every row owned by one
//! customer, read and written through customer-scoped methods so that code
//! serving a conversation cannot reach another customer's data by accident.
//! [`AuditLog`] records every policy decision; [`ConversationStore`] keeps
//! conversations, their turn traces and handoffs to humans, and the lock
//! that serialises a conversation's turns. [`Store`] is all three, with two
//! backends: [`SqliteStore`] over one SQLite file in WAL mode (the embedded
//! default), and [`PostgresStore`] over a PostgreSQL database that several
//! hosts share; [`StoreLocation`] picks one from a path or a URL. [`seed`]
//! writes a desk's seed data file, and [`data_file`] reads rows to import
//! (JSON, JSONL, CSV).

mod audit;
mod conversation;
pub mod data_file;
mod error;
mod location;
pub mod lock;
mod model;
mod postgres;
pub mod records;
pub mod seed;
mod sqlite;

pub use audit::{AuditLog, AuditRecord};
pub use conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role,
};
pub use error::StoreError;
pub use location::{Store, StoreLocation, redact_password, with_database};
pub use lock::ConversationLock;
pub use model::Customer;
pub use postgres::PostgresStore;
pub use records::{CollectionSummary, NewRecord, Record, RecordStore, RecordWrite};
pub use sqlite::SqliteStore;
