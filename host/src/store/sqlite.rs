//! [`OrderStore`] over one SQLite file (WAL mode), or over memory for tests.

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::audit::{AuditLog, AuditRecord};
use super::conversation::{
    ConversationRecord, ConversationStore, ConversationSummary, Feedback, Handoff, Message, QaPair,
    Role,
};
use super::{Customer, LineItem, Order, OrderEvent, OrderStatus, OrderStore, Refund, StoreError};

/// Schema migrations, applied in order; `PRAGMA user_version` counts how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE customers (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    email TEXT NOT NULL
);
CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    status             TEXT NOT NULL CHECK (status IN
                           ('pending','processing','shipped','delivered','cancelled','returned')),
    placed_at          INTEGER NOT NULL,
    items              TEXT NOT NULL,
    total_cents        INTEGER NOT NULL CHECK (total_cents >= 0),
    refunded_cents     INTEGER NOT NULL DEFAULT 0
                           CHECK (refunded_cents >= 0 AND refunded_cents <= total_cents),
    currency           TEXT NOT NULL,
    carrier            TEXT,
    tracking_number    TEXT,
    shipped_at         INTEGER,
    delivered_at       INTEGER,
    estimated_delivery INTEGER
);
CREATE INDEX orders_by_customer ON orders(customer_id, placed_at DESC);
CREATE TABLE refunds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL REFERENCES orders(id),
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX refunds_by_order ON refunds(order_id);
CREATE TABLE order_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    amount_cents INTEGER,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_by_order ON order_events(order_id, id);
"#,
    r#"
CREATE TABLE policy_decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    conversation_id TEXT,
    customer_id     TEXT NOT NULL,
    tool            TEXT NOT NULL,
    args            TEXT NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('allow','deny','escalate','confirm')),
    decisions       TEXT NOT NULL,
    revision        TEXT NOT NULL
);
CREATE INDEX policy_decisions_by_customer ON policy_decisions(customer_id, id);
"#,
    r#"
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    pending     TEXT
);
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role            TEXT NOT NULL CHECK (role IN ('user','assistant')),
    content         TEXT NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE turns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    at              INTEGER NOT NULL,
    trace           TEXT NOT NULL
);
CREATE INDEX turns_by_conversation ON turns(conversation_id, id);
CREATE TABLE handoffs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    at              INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    tool            TEXT,
    args            TEXT
);
"#,
    r#"
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    score      INTEGER NOT NULL CHECK (score IN (-1, 1)),
    comment    TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX conversations_by_customer ON conversations(customer_id, created_at DESC);
"#,
];

const ORDER_COLUMNS: &str = "id, customer_id, status, placed_at, items, total_cents, \
    refunded_cents, currency, carrier, tracking_number, shipped_at, delivered_at, estimated_delivery";

/// The SQLite-backed store. One connection behind a mutex: SQLite serialises
/// writers anyway, and the store's operations are short.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, in WAL mode, and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_error(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        }
        let conn = Connection::open(path).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        Self::prepare(conn).map_err(|e| match e {
            StoreError::Database(source) => open_error(source),
            other => other,
        })
    }

    /// A private store in memory, for tests and scenario runs.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "the database has schema version {version}, newer than this deskhand ({}); \
                 upgrade deskhand or use another data directory",
                MIGRATIONS.len()
            )));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }
}

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = row.get(2)?;
    let items: String = row.get(4)?;
    let corrupt = |index, message: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            message.into(),
        )
    };
    Ok(Order {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        status: status.parse().map_err(|e| corrupt(2, e))?,
        placed_at: row.get(3)?,
        items: serde_json::from_str::<Vec<LineItem>>(&items)
            .map_err(|e| corrupt(4, format!("order items are not valid JSON: {e}")))?,
        total_cents: row.get(5)?,
        refunded_cents: row.get(6)?,
        currency: row.get(7)?,
        carrier: row.get(8)?,
        tracking_number: row.get(9)?,
        shipped_at: row.get(10)?,
        delivered_at: row.get(11)?,
        estimated_delivery: row.get(12)?,
    })
}

fn refund_from_row(row: &Row<'_>) -> rusqlite::Result<Refund> {
    Ok(Refund {
        id: row.get(0)?,
        order_id: row.get(1)?,
        customer_id: row.get(2)?,
        amount_cents: row.get(3)?,
        reason: row.get(4)?,
        created_at: row.get(5)?,
    })
}

fn optional_status(value: Option<String>) -> rusqlite::Result<Option<OrderStatus>> {
    value
        .map(|s| {
            s.parse().map_err(|e: String| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })
        })
        .transpose()
}

/// The order if it belongs to the customer; `None` for someone else's.
fn scoped_order(
    conn: &Connection,
    customer_id: &str,
    order_id: &str,
) -> Result<Option<Order>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1 AND customer_id = ?2"
        ))?
        .query_row(params![order_id, customer_id], order_from_row)
        .optional()?)
}

/// Like [`scoped_order`], inside a write: a missing order is an error.
fn existing_order(
    tx: &Transaction<'_>,
    customer_id: &str,
    order_id: &str,
) -> Result<Order, StoreError> {
    scoped_order(tx, customer_id, order_id)?
        .ok_or_else(|| StoreError::NotFound(order_id.to_string()))
}

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
    })
}

#[allow(clippy::too_many_arguments)]
fn log_event(
    tx: &Transaction<'_>,
    order: &Order,
    at: i64,
    kind: &str,
    from: Option<OrderStatus>,
    to: Option<OrderStatus>,
    amount_cents: Option<i64>,
    note: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO order_events (order_id, customer_id, at, kind, from_status, to_status, \
         amount_cents, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        order.id,
        order.customer_id,
        at,
        kind,
        from.map(OrderStatus::as_str),
        to.map(OrderStatus::as_str),
        amount_cents,
        note
    ])?;
    Ok(())
}

impl OrderStore for SqliteStore {
    fn upsert_customer(&self, customer: &Customer) -> Result<(), StoreError> {
        self.conn.lock().execute(
            "INSERT INTO customers (id, name, email) VALUES (?1, ?2, ?3) \
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email",
            params![customer.id, customer.name, customer.email],
        )?;
        Ok(())
    }

    fn insert_order(&self, order: &Order, at: i64) -> Result<(), StoreError> {
        if order.refunded_cents > order.total_cents || order.total_cents < 0 {
            return Err(StoreError::Rejected(format!(
                "order {} refunds more than its total",
                order.id
            )));
        }
        let items = serde_json::to_string(&order.items)
            .map_err(|e| StoreError::Rejected(format!("order items: {e}")))?;
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        tx.execute(
            &format!("INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
            params![
                order.id,
                order.customer_id,
                order.status.as_str(),
                order.placed_at,
                items,
                order.total_cents,
                order.refunded_cents,
                order.currency,
                order.carrier,
                order.tracking_number,
                order.shipped_at,
                order.delivered_at,
                order.estimated_delivery
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Rejected(format!(
                    "order {} cannot be added: its id is taken or its customer {} does not exist",
                    order.id, order.customer_id
                ))
            }
            other => StoreError::Database(other),
        })?;
        log_event(
            &tx,
            order,
            at,
            "created",
            None,
            Some(order.status),
            None,
            "",
        )?;
        tx.commit()?;
        Ok(())
    }

    fn customer(&self, customer_id: &str) -> Result<Option<Customer>, StoreError> {
        Ok(self
            .conn
            .lock()
            .prepare_cached("SELECT id, name, email FROM customers WHERE id = ?1")?
            .query_row([customer_id], customer_from_row)
            .optional()?)
    }

    fn customers(&self) -> Result<Vec<Customer>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached("SELECT id, name, email FROM customers ORDER BY id")?;
        let rows = stmt.query_map([], customer_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn order(&self, customer_id: &str, order_id: &str) -> Result<Option<Order>, StoreError> {
        scoped_order(&self.conn.lock(), customer_id, order_id)
    }

    fn orders(&self, customer_id: &str, limit: usize) -> Result<Vec<Order>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = ?1 \
             ORDER BY placed_at DESC, id DESC LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![customer_id, limit], order_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn find_order(&self, order_id: &str) -> Result<Option<Order>, StoreError> {
        Ok(self
            .conn
            .lock()
            .prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"))?
            .query_row([order_id], order_from_row)
            .optional()?)
    }

    fn set_order_status(
        &self,
        customer_id: &str,
        order_id: &str,
        status: OrderStatus,
        note: &str,
        at: i64,
    ) -> Result<Order, StoreError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        let mut order = existing_order(&tx, customer_id, order_id)?;
        let from = order.status;
        if !from.can_become(status) {
            return Err(StoreError::Rejected(format!(
                "order {order_id} is {from} and cannot become {status}"
            )));
        }
        order.status = status;
        match status {
            OrderStatus::Shipped => order.shipped_at = order.shipped_at.or(Some(at)),
            OrderStatus::Delivered => order.delivered_at = order.delivered_at.or(Some(at)),
            _ => {}
        }
        tx.prepare_cached(
            "UPDATE orders SET status = ?1, shipped_at = ?2, delivered_at = ?3 WHERE id = ?4",
        )?
        .execute(params![
            status.as_str(),
            order.shipped_at,
            order.delivered_at,
            order_id
        ])?;
        log_event(
            &tx,
            &order,
            at,
            "status-changed",
            Some(from),
            Some(status),
            None,
            note,
        )?;
        tx.commit()?;
        Ok(order)
    }

    fn record_refund(
        &self,
        customer_id: &str,
        order_id: &str,
        amount_cents: i64,
        reason: &str,
        at: i64,
    ) -> Result<Refund, StoreError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        let mut order = existing_order(&tx, customer_id, order_id)?;
        let remaining = order.total_cents - order.refunded_cents;
        if amount_cents <= 0 || amount_cents > remaining {
            return Err(StoreError::Rejected(format!(
                "a refund of {amount_cents} cents on order {order_id} is not possible; \
                 {remaining} cents remain refundable"
            )));
        }
        if order.status != OrderStatus::Delivered {
            return Err(StoreError::Rejected(format!(
                "order {order_id} is {} and only delivered orders can be refunded",
                order.status
            )));
        }
        order.refunded_cents += amount_cents;
        tx.prepare_cached("UPDATE orders SET refunded_cents = ?1 WHERE id = ?2")?
            .execute(params![order.refunded_cents, order_id])?;
        tx.prepare_cached(
            "INSERT INTO refunds (order_id, customer_id, amount_cents, reason, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![order_id, customer_id, amount_cents, reason, at])?;
        let id = tx.last_insert_rowid();
        log_event(
            &tx,
            &order,
            at,
            "refunded",
            None,
            None,
            Some(amount_cents),
            reason,
        )?;
        tx.commit()?;
        Ok(Refund {
            id,
            order_id: order_id.to_string(),
            customer_id: customer_id.to_string(),
            amount_cents,
            reason: reason.to_string(),
            created_at: at,
        })
    }

    fn refunds(
        &self,
        customer_id: &str,
        order_id: Option<&str>,
    ) -> Result<Vec<Refund>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, order_id, customer_id, amount_cents, reason, created_at FROM refunds \
             WHERE customer_id = ?1 AND (?2 IS NULL OR order_id = ?2) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![customer_id, order_id], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn all_refunds(&self) -> Result<Vec<Refund>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, order_id, customer_id, amount_cents, reason, created_at FROM refunds ORDER BY id",
        )?;
        let rows = stmt.query_map([], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn order_events(&self, order_id: &str) -> Result<Vec<OrderEvent>, StoreError> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, order_id, customer_id, at, kind, from_status, to_status, amount_cents, note \
             FROM order_events WHERE order_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([order_id], |r| {
            Ok(OrderEvent {
                id: r.get(0)?,
                order_id: r.get(1)?,
                customer_id: r.get(2)?,
                at: r.get(3)?,
                kind: r.get(4)?,
                from_status: optional_status(r.get(5)?)?,
                to_status: optional_status(r.get(6)?)?,
                amount_cents: r.get(7)?,
                note: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.conn.lock().execute_batch(
            "BEGIN; DELETE FROM feedback; DELETE FROM handoffs; DELETE FROM turns; DELETE FROM messages; \
             DELETE FROM conversations; DELETE FROM policy_decisions; DELETE FROM order_events; DELETE FROM refunds; DELETE FROM orders; \
             DELETE FROM customers; DELETE FROM sqlite_sequence; COMMIT;",
        )?;
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = self
            .conn
            .lock()
            .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))?;
        Ok(count == 0)
    }
}

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
        let json =
            |text: String| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
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

fn json_column(text: Option<String>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

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
                        pending: json_column(r.get(3)?),
                    })
                },
            )
            .optional()?)
    }
}

impl ConversationStore for SqliteStore {
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
                args: json_column(r.get(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
