//! [`AuditLog`] over SQLite: the `policy_decisions` table.

use rusqlite::params;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::audit::{AuditLog, AuditRecord};

impl AuditLog for SqliteStore {
    fn record_decision(&self, record: &AuditRecord) -> Result<i64, StoreError> {
        let conn = self.conn.lock();
        conn.prepare_cached(
            "INSERT INTO policy_decisions (at, conversation_id, customer_id, tool, args, verdict, \
             decisions, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            record.at,
            record.conversation_id,
            record.customer_id,
            record.tool,
            record.args.to_string(),
            record.verdict,
            record.decisions.to_string(),
            record.revision
        ])?;
        Ok(conn.last_insert_rowid())
    }

    fn decisions(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at, conversation_id, customer_id, tool, args, verdict, decisions, revision \
             FROM policy_decisions ORDER BY id DESC LIMIT ?1",
        )?;
        let json = crate::store::conversation::json_or_text;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(AuditRecord {
                id: r.get(0)?,
                at: r.get(1)?,
                conversation_id: r.get(2)?,
                customer_id: r.get(3)?,
                tool: r.get(4)?,
                args: json(r.get(5)?),
                verdict: r.get(6)?,
                decisions: json(r.get(7)?),
                revision: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
