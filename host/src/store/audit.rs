//! The audit log of policy decisions: what was decided, for whom, under
//! which policy revision.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;

/// One policy decision about one tool call, as written to the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Assigned by the store; 0 before it is written.
    pub id: i64,
    /// When the decision was made (business clock), unix seconds.
    pub at: i64,
    /// The conversation the call came from, if any (the CLI has none).
    pub conversation_id: Option<String>,
    pub customer_id: String,
    pub tool: String,
    /// The tool's arguments.
    pub args: Value,
    /// The combined verdict: allow, deny, escalate or confirm.
    pub verdict: String,
    /// Every policy's own decision, as JSON.
    pub decisions: Value,
    /// The policy revision (content hash) that decided.
    pub revision: String,
}

/// Where policy decisions are recorded.
pub trait AuditLog: Send + Sync {
    /// Appends a decision; returns its id.
    fn record_decision(&self, record: &AuditRecord) -> Result<i64, StoreError>;

    /// The latest decisions, newest first.
    fn decisions(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;
}
