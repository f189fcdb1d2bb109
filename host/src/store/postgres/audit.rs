//! [`AuditLog`] over PostgreSQL: the `policy_decisions` table, shared by
//! every host, so each decision names the policy revision that made it
//! whichever host made it.

use super::{PostgresStore, bigint};
use crate::store::StoreError;
use crate::store::audit::{AuditLog, AuditRecord};

impl AuditLog for PostgresStore {
    fn record_decision(&self, record: &AuditRecord) -> Result<i64, StoreError> {
        let record = record.clone();
        self.with(move |conn| {
            Box::pin(async move {
                let row = conn
                .query_one(
                    "INSERT INTO policy_decisions (at, conversation_id, customer_id, tool, args, \
                     verdict, decisions, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id",
                    &[
                        &record.at,
                        &record.conversation_id,
                        &record.customer_id,
                        &record.tool,
                        &record.args.to_string(),
                        &record.verdict,
                        &record.decisions.to_string(),
                        &record.revision,
                    ],
                )
                .await?;
                Ok(row.get(0))
            })
        })
    }

    fn decisions(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = bigint(limit);
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                .query(
                    "SELECT id, at, conversation_id, customer_id, tool, args, verdict, decisions, \
                     revision FROM policy_decisions ORDER BY id DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
                let json = crate::store::conversation::json_or_text;
                Ok(rows
                    .iter()
                    .map(|r| AuditRecord {
                        id: r.get(0),
                        at: r.get(1),
                        conversation_id: r.get(2),
                        customer_id: r.get(3),
                        tool: r.get(4),
                        args: json(r.get(5)),
                        verdict: r.get(6),
                        decisions: json(r.get(7)),
                        revision: r.get(8),
                    })
                    .collect())
            })
        })
    }
}
