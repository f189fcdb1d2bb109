//! [`ConversationStore`] over PostgreSQL: conversations, messages, turn
//! traces, handoffs and feedback, and the conversation lock that holds
//! across hosts.

use serde_json::Value;
use tokio_postgres::Row;

use super::{PostgresStore, bigint};
use crate::store::StoreError;
use crate::store::conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role, json_or_text,
};
use crate::store::lock::ConversationLock;

fn conversation_from_row(r: &Row) -> ConversationRecord {
    ConversationRecord {
        id: r.get(0),
        customer_id: r.get(1),
        created_at: r.get(2),
        pending: r.get::<_, Option<String>>(3).map(json_or_text),
    }
}

impl PostgresStore {
    /// The conversation with this id, if it belongs to `customer_id` (any
    /// customer's when `None`).
    fn find_conversation(
        &self,
        conversation_id: &str,
        customer_id: Option<&str>,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let (conversation_id, customer_id) =
            (conversation_id.to_string(), customer_id.map(str::to_string));
        self.with(move |conn| {
            Box::pin(async move {
                let row = conn
                    .query_opt(
                        "SELECT id, customer_id, created_at, pending FROM conversations \
                     WHERE id = $1 AND ($2::text IS NULL OR customer_id = $2)",
                        &[&conversation_id, &customer_id],
                    )
                    .await?;
                Ok(row.as_ref().map(conversation_from_row))
            })
        })
    }

    /// Inserts a row and returns the id the database gave it.
    fn insert_returning_id(
        &self,
        sql: &'static str,
        values: Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>,
    ) -> Result<i64, StoreError> {
        self.with(move |conn| {
            Box::pin(async move {
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values
                    .iter()
                    .map(|v| v.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                Ok(conn.query_one(sql, &params).await?.get(0))
            })
        })
    }
}

impl ConversationStore for PostgresStore {
    fn lock_conversation(&self, conversation_id: &str) -> Result<ConversationLock, StoreError> {
        self.advisory_lock(format!("deskhand conversation {conversation_id}"))
    }

    fn create_conversation(&self, record: &ConversationRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.with(move |conn| {
            Box::pin(async move {
                conn.execute(
                    "INSERT INTO conversations (id, customer_id, created_at, pending) \
                 VALUES ($1, $2, $3, $4)",
                    &[
                        &record.id,
                        &record.customer_id,
                        &record.created_at,
                        &record.pending.as_ref().map(|p| p.to_string()),
                    ],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn conversation(
        &self,
        customer_id: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        self.find_conversation(conversation_id, Some(customer_id))
    }

    fn any_conversation(
        &self,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        self.find_conversation(conversation_id, None)
    }

    fn take_pending(&self, conversation_id: &str, expected: &Value) -> Result<bool, StoreError> {
        let (conversation_id, expected) = (conversation_id.to_string(), expected.to_string());
        self.with(move |conn| {
            Box::pin(async move {
                // One statement: of two hosts taking the same confirmation at
                // once, exactly one sees a row change.
                let changed = conn
                    .execute(
                        "UPDATE conversations SET pending = NULL WHERE id = $1 AND pending = $2",
                        &[&conversation_id, &expected],
                    )
                    .await?;
                Ok(changed == 1)
            })
        })
    }

    fn set_pending(
        &self,
        conversation_id: &str,
        pending: Option<&Value>,
    ) -> Result<(), StoreError> {
        let (conversation_id, pending) =
            (conversation_id.to_string(), pending.map(Value::to_string));
        self.with(move |conn| {
            Box::pin(async move {
                conn.execute(
                    "UPDATE conversations SET pending = $2 WHERE id = $1",
                    &[&conversation_id, &pending],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn append_message(&self, conversation_id: &str, message: &Message) -> Result<i64, StoreError> {
        self.insert_returning_id(
            "INSERT INTO messages (conversation_id, role, content, at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            vec![
                Box::new(conversation_id.to_string()),
                Box::new(message.role.as_str().to_string()),
                Box::new(message.content.clone()),
                Box::new(message.at),
            ],
        )
    }

    fn conversations(&self, customer_id: &str) -> Result<Vec<ConversationSummary>, StoreError> {
        let customer_id = customer_id.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT c.id, c.created_at, \
                        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id), \
                        COALESCE((SELECT content FROM messages f WHERE f.conversation_id = c.id \
                                  AND f.role = 'user' ORDER BY f.id LIMIT 1), '') \
                     FROM conversations c WHERE c.customer_id = $1 \
                     ORDER BY c.created_at DESC, c.seq DESC",
                        &[&customer_id],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        let title: String = r.get(3);
                        ConversationSummary {
                            id: r.get(0),
                            created_at: r.get(1),
                            messages: super::count(r.get(2)),
                            title: title.chars().take(80).collect(),
                        }
                    })
                    .collect())
            })
        })
    }

    fn history(
        &self,
        customer_id: &str,
        n: usize,
        search: Option<&str>,
    ) -> Result<Vec<QaPair>, StoreError> {
        let (customer_id, search, n) = (
            customer_id.to_string(),
            search.map(str::to_string),
            bigint(n),
        );
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT q.conversation_id, q.id, q.content, a.id, a.content, a.at \
                     FROM messages q \
                     JOIN messages a ON a.id = (SELECT MIN(id) FROM messages x \
                                                 WHERE x.conversation_id = q.conversation_id \
                                                   AND x.id > q.id AND x.role = 'assistant') \
                     JOIN conversations c ON c.id = q.conversation_id \
                     WHERE q.role = 'user' AND c.customer_id = $1 \
                       AND NOT EXISTS (SELECT 1 FROM messages y \
                                       WHERE y.conversation_id = q.conversation_id \
                                         AND y.role = 'user' AND y.id > q.id AND y.id < a.id) \
                       AND ($2::text IS NULL OR strpos(lower(q.content), lower($2)) > 0 \
                            OR strpos(lower(a.content), lower($2)) > 0) \
                     ORDER BY q.id DESC LIMIT $3",
                        &[&customer_id, &search, &n],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| QaPair {
                        conversation_id: r.get(0),
                        question_id: r.get(1),
                        question: r.get(2),
                        answer_id: r.get(3),
                        answer: r.get(4),
                        at: r.get(5),
                    })
                    .collect())
            })
        })
    }

    fn record_feedback(&self, customer_id: &str, feedback: &Feedback) -> Result<bool, StoreError> {
        let (customer_id, feedback) = (customer_id.to_string(), feedback.clone());
        self.with(move |conn| {
            Box::pin(async move {
                let written = conn
                    .execute(
                        "INSERT INTO feedback (message_id, score, comment, at) \
                     SELECT m.id, $3::smallint, $4::text, $5::bigint FROM messages m \
                     JOIN conversations c ON c.id = m.conversation_id \
                     WHERE m.id = $1 AND c.customer_id = $2 AND m.role = 'assistant' \
                     ON CONFLICT (message_id) DO UPDATE SET score = excluded.score, \
                     comment = excluded.comment, at = excluded.at",
                        &[
                            &feedback.message_id,
                            &customer_id,
                            &i16::from(feedback.score),
                            &feedback.comment,
                            &feedback.at,
                        ],
                    )
                    .await?;
                Ok(written == 1)
            })
        })
    }

    fn messages(&self, conversation_id: &str) -> Result<Vec<Message>, StoreError> {
        let conversation_id = conversation_id.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT id, role, content, at FROM messages WHERE conversation_id = $1 \
                     ORDER BY id",
                        &[&conversation_id],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        let role: String = r.get(1);
                        Message {
                            id: r.get(0),
                            role: if role == "user" {
                                Role::User
                            } else {
                                Role::Assistant
                            },
                            content: r.get(2),
                            at: r.get(3),
                        }
                    })
                    .collect())
            })
        })
    }

    fn record_turn(
        &self,
        conversation_id: &str,
        at: i64,
        trace: &Value,
    ) -> Result<i64, StoreError> {
        self.insert_returning_id(
            "INSERT INTO turns (conversation_id, at, trace) VALUES ($1, $2, $3) RETURNING id",
            vec![
                Box::new(conversation_id.to_string()),
                Box::new(at),
                Box::new(trace.to_string()),
            ],
        )
    }

    fn turns(&self, conversation_id: &str) -> Result<Vec<Value>, StoreError> {
        let conversation_id = conversation_id.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT trace FROM turns WHERE conversation_id = $1 ORDER BY id",
                        &[&conversation_id],
                    )
                    .await?;
                rows.iter()
                    .map(|r| {
                        serde_json::from_str(r.get::<_, &str>(0)).map_err(|e| {
                            StoreError::Corrupt(format!("a turn trace is not JSON: {e}"))
                        })
                    })
                    .collect()
            })
        })
    }

    fn create_handoff(&self, handoff: &Handoff) -> Result<i64, StoreError> {
        self.insert_returning_id(
            "INSERT INTO handoffs (conversation_id, customer_id, at, reason, tool, args) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![
                Box::new(handoff.conversation_id.clone()),
                Box::new(handoff.customer_id.clone()),
                Box::new(handoff.at),
                Box::new(handoff.reason.clone()),
                Box::new(handoff.tool.clone()),
                Box::new(handoff.args.as_ref().map(Value::to_string)),
            ],
        )
    }

    fn handoffs(&self) -> Result<Vec<Handoff>, StoreError> {
        self.with(|conn| {
            Box::pin(async move {
                let rows = conn
                    .query(
                        "SELECT id, conversation_id, customer_id, at, reason, tool, args \
                     FROM handoffs ORDER BY id",
                        &[],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| Handoff {
                        id: r.get(0),
                        conversation_id: r.get(1),
                        customer_id: r.get(2),
                        at: r.get(3),
                        reason: r.get(4),
                        tool: r.get(5),
                        args: r.get::<_, Option<String>>(6).map(json_or_text),
                    })
                    .collect())
            })
        })
    }
}
