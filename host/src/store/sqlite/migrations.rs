//! The SQLite schema, as migrations applied in order; `PRAGMA user_version`
//! counts how many ran.

/// Every migration, oldest first. Never edit one that has shipped: add one.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 5: the shop's tables become records. Orders, refunds and the event log
    // move into the `records` table as JSON documents owned by their
    // customers (json_patch onto {} drops the columns that are NULL), and
    // the old tables go.
    r#"
CREATE TABLE records (
    collection  TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    id          TEXT NOT NULL,
    data        TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (collection, customer_id, id)
);
CREATE INDEX records_by_owner ON records(customer_id, collection, created_at DESC);
CREATE INDEX records_by_id ON records(collection, id);
INSERT INTO records (collection, customer_id, id, data, created_at, updated_at)
    SELECT 'orders', customer_id, id,
           json_patch('{}', json_object(
               'status', status, 'placed_at', placed_at, 'items', json(items),
               'total_cents', total_cents, 'refunded_cents', refunded_cents,
               'currency', currency, 'carrier', carrier, 'tracking_number', tracking_number,
               'shipped_at', shipped_at, 'delivered_at', delivered_at,
               'estimated_delivery', estimated_delivery)),
           placed_at, placed_at
    FROM orders ORDER BY placed_at, id;
INSERT INTO records (collection, customer_id, id, data, created_at, updated_at)
    SELECT 'refunds', customer_id, order_id || '-' ||
               (SELECT COUNT(*) FROM refunds AS earlier
                WHERE earlier.order_id = refunds.order_id AND earlier.id <= refunds.id),
           json_object('order_id', order_id, 'amount_cents', amount_cents, 'reason', reason),
           created_at, created_at
    FROM refunds ORDER BY id;
INSERT INTO records (collection, customer_id, id, data, created_at, updated_at)
    SELECT 'order_events', customer_id, CAST(id AS TEXT),
           json_patch('{}', json_object(
               'order_id', order_id, 'kind', kind, 'from_status', from_status,
               'to_status', to_status, 'amount_cents', amount_cents, 'note', note)),
           at, at
    FROM order_events ORDER BY id;
DROP TABLE order_events;
DROP TABLE refunds;
DROP TABLE orders;
"#,
];
