//! The PostgreSQL schema, as migrations applied in order; the
//! `deskhand_schema` table counts how many ran. The tables mirror the
//! SQLite store's after its own migrations, so the two backends hold the
//! same things in the same shape; text that is sorted on sorts by bytes
//! (`COLLATE "C"`), as SQLite does.

use tokio_postgres::Client;

use crate::store::StoreError;

/// Every migration, oldest first. Never edit one that has shipped: add one.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE customers (
    id    TEXT COLLATE "C" PRIMARY KEY,
    name  TEXT NOT NULL,
    email TEXT NOT NULL
);
CREATE TABLE records (
    collection  TEXT COLLATE "C" NOT NULL,
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    id          TEXT COLLATE "C" NOT NULL,
    data        JSONB NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (collection, customer_id, id)
);
CREATE INDEX records_by_owner ON records(customer_id, collection, created_at DESC, seq DESC);
CREATE INDEX records_by_id ON records(collection, id);
CREATE TABLE policy_decisions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    conversation_id TEXT,
    customer_id     TEXT NOT NULL,
    tool            TEXT NOT NULL,
    args            TEXT NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('allow','deny','escalate','confirm')),
    decisions       TEXT NOT NULL,
    revision        TEXT NOT NULL
);
CREATE INDEX policy_decisions_by_customer ON policy_decisions(customer_id, id);
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    pending     TEXT,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX conversations_by_customer ON conversations(customer_id, created_at DESC, seq DESC);
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role            TEXT NOT NULL CHECK (role IN ('user','assistant')),
    content         TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE turns (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    at              BIGINT NOT NULL,
    trace           TEXT NOT NULL
);
CREATE INDEX turns_by_conversation ON turns(conversation_id, id);
CREATE TABLE handoffs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    at              BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    tool            TEXT,
    args            TEXT
);
CREATE TABLE feedback (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL UNIQUE REFERENCES messages(id),
    score      SMALLINT NOT NULL CHECK (score IN (-1, 1)),
    comment    TEXT,
    at         BIGINT NOT NULL
);
"#];

/// Brings the schema up to date in one transaction, under an advisory lock
/// so that hosts starting together migrate once.
pub(super) async fn migrate(conn: &mut Client) -> Result<(), StoreError> {
    let tx = conn.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('deskhand: migrating the schema', 0))",
        &[],
    )
    .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS deskhand_schema (version INTEGER NOT NULL)")
        .await?;
    let version: i32 = match tx
        .query_opt("SELECT version FROM deskhand_schema", &[])
        .await?
    {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO deskhand_schema (version) VALUES (0)", &[])
                .await?;
            0
        }
    };
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {version}, newer than this deskhand ({}); \
             upgrade deskhand or use another database",
            MIGRATIONS.len()
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(migration).await?;
        tx.execute(
            "UPDATE deskhand_schema SET version = $1",
            &[&i32::try_from(index + 1).unwrap_or(i32::MAX)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
