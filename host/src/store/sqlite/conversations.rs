//! [`ConversationStore`] over SQLite: conversations, messages, turn traces,
//! handoffs and feedback.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role, json_or_text,
};
use crate::store::lock::{ConversationLock, LOCK_PATIENCE};

impl SqliteStore {
    /// The conversation with this id, if it belongs to `customer_id` (any
    /// customer's when `None`).
    fn find_conversation(
        &self,
        conversation_id: &str,
        customer_id: Option<&str>,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        Ok(self
            .conn
            .lock()
            .query_row(
                "SELECT id, customer_id, created_at, pending FROM conversations \
                 WHERE id = ?1 AND (?2 IS NULL OR customer_id = ?2)",
                params![conversation_id, customer_id],
                |r| {
                    Ok(ConversationRecord {
                        id: r.get(0)?,
                        customer_id: r.get(1)?,
                        created_at: r.get(2)?,
                        pending: r.get::<_, Option<String>>(3)?.map(json_or_text),
                    })
                },
            )
            .optional()?)
    }
}

impl ConversationStore for SqliteStore {
    fn lock_conversation(&self, conversation_id: &str) -> Result<ConversationLock, StoreError> {
        // One process owns an SQLite store, so its own locks are the store's.
        self.locks
            .lock(&format!("conversation {conversation_id}"), LOCK_PATIENCE)
    }

    fn create_conversation(&self, record: &ConversationRecord) -> Result<(), StoreError> {
        self.conn.lock().execute(
            "INSERT INTO conversations (id, customer_id, created_at, pending) VALUES (?1, ?2, ?3, ?4)",
            params![
                record.id,
                record.customer_id,
                record.created_at,
                record.pending.as_ref().map(|p| p.to_string())
            ],
        )?;
        Ok(())
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

    fn set_pending(
        &self,
        conversation_id: &str,
        pending: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        self.conn.lock().execute(
            "UPDATE conversations SET pending = ?2 WHERE id = ?1",
            params![conversation_id, pending.map(|p| p.to_string())],
        )?;
        Ok(())
    }

    fn take_pending(
        &self,
        conversation_id: &str,
        expected: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.lock().execute(
            "UPDATE conversations SET pending = NULL WHERE id = ?1 AND pending = ?2",
            params![conversation_id, expected.to_string()],
        )?;
        Ok(changed == 1)
    }

    fn append_message(&self, conversation_id: &str, message: &Message) -> Result<i64, StoreError> {
        let conn = self.conn.lock();
        conn.prepare_cached(
            "INSERT INTO messages (conversation_id, role, content, at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            conversation_id,
            message.role.as_str(),
            message.content,
            message.at
        ])?;
        Ok(conn.last_insert_rowid())
    }

    fn messages(&self, conversation_id: &str) -> Result<Vec<Message>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, role, content, at FROM messages WHERE conversation_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([conversation_id], |r| {
            let role: String = r.get(1)?;
            Ok(Message {
                id: r.get(0)?,
                role: if role == "user" {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn conversations(&self, customer_id: &str) -> Result<Vec<ConversationSummary>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id, c.created_at, COUNT(m.id), \
                    COALESCE((SELECT content FROM messages f WHERE f.conversation_id = c.id \
                              AND f.role = 'user' ORDER BY f.id LIMIT 1), '') \
             FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id \
             WHERE c.customer_id = ?1 GROUP BY c.id ORDER BY c.created_at DESC, c.rowid DESC",
        )?;
        let rows = stmt.query_map([customer_id], |r| {
            let title: String = r.get(3)?;
            Ok(ConversationSummary {
                id: r.get(0)?,
                created_at: r.get(1)?,
                messages: r.get::<_, i64>(2)? as usize,
                title: title.chars().take(80).collect(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn history(
        &self,
        customer_id: &str,
        n: usize,
        search: Option<&str>,
    ) -> Result<Vec<QaPair>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT q.conversation_id, q.id, q.content, a.id, a.content, a.at \
             FROM messages q \
             JOIN messages a ON a.id = (SELECT MIN(id) FROM messages x \
                                         WHERE x.conversation_id = q.conversation_id \
                                           AND x.id > q.id AND x.role = 'assistant') \
             JOIN conversations c ON c.id = q.conversation_id \
             WHERE q.role = 'user' AND c.customer_id = ?1 \
               AND NOT EXISTS (SELECT 1 FROM messages y WHERE y.conversation_id = q.conversation_id \
                               AND y.role = 'user' AND y.id > q.id AND y.id < a.id) \
               AND (?2 IS NULL OR instr(lower(q.content), lower(?2)) > 0 \
                    OR instr(lower(a.content), lower(?2)) > 0) \
             ORDER BY q.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![customer_id, search, i64::try_from(n).unwrap_or(i64::MAX)],
            |r| {
                Ok(QaPair {
                    conversation_id: r.get(0)?,
                    question_id: r.get(1)?,
                    question: r.get(2)?,
                    answer_id: r.get(3)?,
                    answer: r.get(4)?,
                    at: r.get(5)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_feedback(&self, customer_id: &str, feedback: &Feedback) -> Result<bool, StoreError> {
        let conn = self.conn.lock();
        let owned: Option<i64> = conn
            .query_row(
                "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE m.id = ?1 AND c.customer_id = ?2 AND m.role = 'assistant'",
                params![feedback.message_id, customer_id],
                |r| r.get(0),
            )
            .optional()?;
        if owned.is_none() {
            return Ok(false);
        }
        conn.execute(
            "INSERT INTO feedback (message_id, score, comment, at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(message_id) DO UPDATE SET score = excluded.score, \
             comment = excluded.comment, at = excluded.at",
            params![
                feedback.message_id,
                feedback.score,
                feedback.comment,
                feedback.at
            ],
        )?;
        Ok(true)
    }

    fn record_turn(
        &self,
        conversation_id: &str,
        at: i64,
        trace: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let conn = self.conn.lock();
        conn.prepare_cached("INSERT INTO turns (conversation_id, at, trace) VALUES (?1, ?2, ?3)")?
            .execute(params![conversation_id, at, trace.to_string()])?;
        Ok(conn.last_insert_rowid())
    }

    fn turns(&self, conversation_id: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt =
            conn.prepare_cached("SELECT trace FROM turns WHERE conversation_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([conversation_id], |r| r.get::<_, String>(0))?;
        rows.map(|text| {
            let text = text?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("a turn trace is not JSON: {e}")))
        })
        .collect()
    }

    fn create_handoff(&self, handoff: &Handoff) -> Result<i64, StoreError> {
        let conn = self.conn.lock();
        conn.execute(
            "INSERT INTO handoffs (conversation_id, customer_id, at, reason, tool, args) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                handoff.conversation_id,
                handoff.customer_id,
                handoff.at,
                handoff.reason,
                handoff.tool,
                handoff.args.as_ref().map(|a| a.to_string())
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn handoffs(&self) -> Result<Vec<Handoff>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, conversation_id, customer_id, at, reason, tool, args FROM handoffs ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Handoff {
                id: r.get(0)?,
                conversation_id: r.get(1)?,
                customer_id: r.get(2)?,
                at: r.get(3)?,
                reason: r.get(4)?,
                tool: r.get(5)?,
                args: r.get::<_, Option<String>>(6)?.map(json_or_text),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
