//! The embedded store: customers and the business's records, conversations
//! and the audit log.
//!
//! [`RecordStore`] is the trait the rest of deskhand talks to for business
//! data: named collections of JSON documents, every row owned by one
//! customer, read and written through customer-scoped methods so that code
//! serving a conversation cannot reach another customer's data by accident.
//! [`SqliteStore`] implements it over one SQLite file in WAL mode; another
//! backend only has to implement the same traits. [`AuditLog`] records every
//! policy decision; [`ConversationStore`] keeps conversations, their turn
//! traces and handoffs to humans. [`seed`] writes a desk's seed data file,
//! and [`data_file`] reads rows to import (JSON, JSONL, CSV).

mod audit;
mod conversation;
pub mod data_file;
mod error;
mod model;
pub mod records;
pub mod seed;
mod sqlite;

pub use audit::{AuditLog, AuditRecord};
pub use conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role,
};
pub use error::StoreError;
pub use model::Customer;
pub use records::{CollectionSummary, NewRecord, Record, RecordStore, RecordWrite};
pub use sqlite::SqliteStore;
