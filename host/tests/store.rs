//! The store keeps every row with its owner and applies a call's writes
//! whole or not at all: the same suite runs against the embedded SQLite
//! store and a real PostgreSQL (see `common::postgres`). The SQLite file's
//! own behaviour, and PostgreSQL's across hosts, follow.

mod common;

use std::sync::Arc;

use common::{DAY, NOW};
use deskhand::store::{
    ConversationStore, NewRecord, PostgresStore, RecordStore, RecordWrite, SqliteStore, Store,
    StoreError, seed,
};
use serde_json::json;

/// Both backends, each empty: an SQLite store in memory and a fresh
/// PostgreSQL database.
fn stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    vec![
        ("sqlite", Arc::new(SqliteStore::in_memory().unwrap())),
        (
            "postgres",
            Arc::new(PostgresStore::connect(&common::postgres::fresh_database()).unwrap()),
        ),
    ]
}

/// Both backends, each holding the demo shop seeded at [`NOW`].
fn shops() -> Vec<(&'static str, Arc<dyn Store>)> {
    let stores = stores();
    for (_, store) in &stores {
        seed::seed(store.as_ref(), NOW).unwrap();
    }
    stores
}

#[test]
fn records_are_scoped_to_their_owner() {
    for (backend, store) in shops() {
        records_are_scoped_on(backend, store.as_ref());
    }
}

fn records_are_scoped_on(backend: &str, store: &dyn Store) {
    // 1002 is Ana's; to Ben it does not exist.
    assert!(store.record("C002", "orders", "1002").unwrap().is_none());
    let ana = store.record("C001", "orders", "1002").unwrap().unwrap();
    assert_eq!(ana.data["status"], "processing");
    assert_eq!(ana.customer_id, "C001");
    let bens: Vec<String> = store
        .records("C002", "orders")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(bens.len(), 8, "{backend}");
    assert!(
        bens.iter()
            .all(|id| ("1013".."1021").contains(&id.as_str())),
        "{backend}: {bens:?}"
    );
    // The same id may exist for two customers without either seeing the other's.
    let note = |text: &str| RecordWrite::Insert {
        collection: "notes".into(),
        id: "n1".into(),
        data: json!({ "text": text }),
        at: NOW,
    };
    store.commit("C001", &[note("ana's")]).unwrap();
    store.commit("C002", &[note("ben's")]).unwrap();
    assert_eq!(
        store.record("C001", "notes", "n1").unwrap().unwrap().data["text"],
        "ana's"
    );
    assert_eq!(
        store.record("C002", "notes", "n1").unwrap().unwrap().data["text"],
        "ben's"
    );
    assert_eq!(store.find_records("notes", "n1").unwrap().len(), 2);
}

#[test]
fn a_commit_lands_whole_or_not_at_all_and_stale_versions_conflict() {
    for (backend, store) in shops() {
        eprintln!("backend {backend}");
        commits_on(store.as_ref());
    }
}

fn commits_on(store: &dyn Store) {
    let order = store.record("C001", "orders", "1002").unwrap().unwrap();
    let update = |version| RecordWrite::Update {
        collection: "orders".into(),
        id: "1002".into(),
        data: json!({"status": "cancelled"}),
        at: NOW + DAY,
        version,
    };
    let event = RecordWrite::Insert {
        collection: "order_events".into(),
        id: "e1".into(),
        data: json!({"order_id": "1002"}),
        at: NOW + DAY,
    };
    // The second write fails (a taken id), so the first must not land either.
    store.commit("C001", std::slice::from_ref(&event)).unwrap();
    let err = store
        .commit("C001", &[update(order.version), event.clone()])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let unchanged = store.record("C001", "orders", "1002").unwrap().unwrap();
    assert_eq!(unchanged, order);
    // A write based on the current version lands and bumps it; a second
    // write based on the same, now stale, version is a conflict.
    store.commit("C001", &[update(order.version)]).unwrap();
    let changed = store.record("C001", "orders", "1002").unwrap().unwrap();
    assert_eq!(changed.data["status"], "cancelled");
    assert_eq!(changed.version, order.version + 1);
    assert_eq!(changed.updated_at, NOW + DAY);
    assert_eq!(changed.created_at, order.created_at);
    let err = store.commit("C001", &[update(order.version)]).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // Someone else's row cannot be written even with the right version.
    let err = store
        .commit("C002", &[update(changed.version)])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

#[test]
fn a_store_file_survives_reopening_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deskhand.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        assert!(store.is_empty().unwrap());
        seed::seed(&store, NOW).unwrap();
        store
            .commit(
                "C001",
                &[RecordWrite::Insert {
                    collection: "refunds".into(),
                    id: "1007-1".into(),
                    data: json!({"order_id": "1007", "amount_cents": 1_000, "reason": "scratch"}),
                    at: NOW,
                }],
            )
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.customers().unwrap().len(), 3);
    assert_eq!(store.all_records(Some("refunds")).unwrap().len(), 1);
    assert_eq!(store.all_records(Some("orders")).unwrap().len(), 28);
    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn reset_restores_the_demo_shop() {
    for (backend, store) in shops() {
        eprintln!("backend {backend}");
        reset_on(store);
    }
}

fn reset_on(store: Arc<dyn Store>) {
    let order = store.record("C001", "orders", "1002").unwrap().unwrap();
    store
        .commit(
            "C001",
            &[RecordWrite::Delete {
                collection: "orders".into(),
                id: "1002".into(),
                version: order.version,
            }],
        )
        .unwrap();
    let seeded = seed::reset(store.as_ref(), NOW).unwrap();
    assert_eq!(seeded.rows_of("orders"), 28);
    assert_eq!(
        store
            .record("C001", "orders", "1002")
            .unwrap()
            .unwrap()
            .data["status"],
        "processing"
    );
}

#[test]
fn an_import_with_one_bad_row_imports_nothing() {
    for (backend, store) in shops() {
        eprintln!("backend {backend}");
        imports_on(store.as_ref());
    }
}

fn imports_on(store: &dyn Store) {
    let row = |customer: &str, id: Option<&str>| NewRecord {
        customer_id: customer.into(),
        id: id.map(String::from),
        data: json!({"line": "fibre 500"}),
    };
    let err = store
        .import("lines", &[row("C001", Some("L1")), row("C404", None)], NOW)
        .unwrap_err();
    assert!(
        err.to_string().contains("row 2") && err.to_string().contains("C404"),
        "{err}"
    );
    assert!(store.all_records(Some("lines")).unwrap().is_empty());
    let err = store
        .import(
            "lines",
            &[row("C001", Some("L1")), row("C001", Some("L1"))],
            NOW,
        )
        .unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
    assert!(store.all_records(Some("lines")).unwrap().is_empty());
    assert_eq!(
        store
            .import("lines", &[row("C001", Some("L1")), row("C002", None)], NOW)
            .unwrap(),
        2
    );
    let summary = store.collections().unwrap();
    let lines = summary.iter().find(|c| c.name == "lines").unwrap();
    assert_eq!((lines.rows, lines.customers), (2, 2));
    assert!(store.import("Bad Name", &[row("C001", None)], NOW).is_err());
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deskhand.db");
    std::fs::write(
        &path,
        "definitely not sqlite, and long enough to be read as a header ......",
    )
    .unwrap();
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(err.to_string().contains("cannot open the store"), "{err}");
    assert!(err.to_string().contains("deskhand.db"), "{err}");
}

#[test]
fn history_pairs_each_question_with_its_own_answer_and_feedback_stays_with_its_owner() {
    for (backend, store) in shops() {
        eprintln!("backend {backend}");
        history_on(store.as_ref());
    }
}

fn history_on(store: &dyn Store) {
    use deskhand::store::{ConversationRecord, Feedback, Message, Role};
    for (id, customer) in [("c-ana", "C001"), ("c-ben", "C002")] {
        store
            .create_conversation(&ConversationRecord {
                id: id.into(),
                customer_id: customer.into(),
                created_at: NOW,
                pending: None,
            })
            .unwrap();
    }
    let say = |conversation: &str, role: Role, text: &str| {
        store
            .append_message(
                conversation,
                &Message {
                    id: 0,
                    role,
                    content: text.into(),
                    at: NOW,
                },
            )
            .unwrap()
    };
    say("c-ana", Role::User, "where is 1006?");
    // A turn that failed: a question with no answer.
    say("c-ana", Role::User, "Ünïcode and cancel 1002");
    let reply = say("c-ana", Role::Assistant, "Order 1002 is cancelled.");
    say("c-ben", Role::User, "where is 1014?");
    let bens = say("c-ben", Role::Assistant, "Order 1014 has shipped.");

    let pairs = store.history("C001", 10, None).unwrap();
    assert_eq!(
        pairs.len(),
        1,
        "the unanswered question is left out: {pairs:?}"
    );
    assert_eq!(pairs[0].question, "Ünïcode and cancel 1002");
    assert_eq!(pairs[0].answer_id, reply);
    assert!(store.history("C001", 10, Some("CANCELLED")).unwrap().len() == 1);
    assert!(store.history("C001", 10, Some("1014")).unwrap().is_empty());

    let vote = |customer: &str, message_id: i64, score: i8| {
        store
            .record_feedback(
                customer,
                &Feedback {
                    message_id,
                    score,
                    comment: None,
                    at: NOW,
                },
            )
            .unwrap()
    };
    assert!(vote("C001", reply, 1));
    assert!(vote("C001", reply, -1), "a second vote replaces the first");
    assert!(
        !vote("C001", bens, 1),
        "another customer's reply cannot be rated"
    );
    assert!(
        !vote("C001", reply - 1, 1),
        "a customer message is not a reply"
    );
}

#[test]
fn conversations_traces_handoffs_and_decisions_are_kept_in_order() {
    use deskhand::store::{AuditRecord, ConversationRecord, Handoff, Message, Role};
    for (backend, store) in shops() {
        let record = ConversationRecord {
            id: "c-1".into(),
            customer_id: "C001".into(),
            created_at: NOW,
            pending: None,
        };
        store.create_conversation(&record).unwrap();
        assert!(
            store.conversation("C002", "c-1").unwrap().is_none(),
            "{backend}: another customer's conversation is not found"
        );
        let pending = json!({"confirm": {"tool": "cancel_order", "args": {"order_id": "1002"}}});
        store.set_pending("c-1", Some(&pending)).unwrap();
        assert!(store.take_pending("c-1", &pending).unwrap(), "{backend}");
        assert!(
            !store.take_pending("c-1", &pending).unwrap(),
            "{backend}: a confirmation is taken once"
        );
        for (i, text) in ["first", "second", "third"].iter().enumerate() {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            store
                .append_message(
                    "c-1",
                    &Message {
                        id: 0,
                        role,
                        content: (*text).into(),
                        at: NOW + i as i64,
                    },
                )
                .unwrap();
        }
        let said: Vec<String> = store
            .messages("c-1")
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect();
        assert_eq!(said, ["first", "second", "third"], "{backend}");
        let listed = store.conversations("C001").unwrap();
        assert_eq!(
            (listed[0].messages, listed[0].title.as_str()),
            (3, "first"),
            "{backend}"
        );
        store.record_turn("c-1", NOW, &json!({"n": 1})).unwrap();
        store.record_turn("c-1", NOW, &json!({"n": 2})).unwrap();
        assert_eq!(
            store.turns("c-1").unwrap(),
            vec![json!({"n": 1}), json!({"n": 2})],
            "{backend}"
        );
        let handoff = Handoff {
            id: 0,
            conversation_id: "c-1".into(),
            customer_id: "C001".into(),
            at: NOW,
            reason: "refund over the limit".into(),
            tool: Some("refund_order".into()),
            args: Some(json!({"order_id": "1007"})),
        };
        let id = store.create_handoff(&handoff).unwrap();
        assert_eq!(
            store.handoffs().unwrap(),
            vec![Handoff { id, ..handoff }],
            "{backend}"
        );
        for (verdict, revision) in [("allow", "r1"), ("deny", "r2")] {
            store
                .record_decision(&AuditRecord {
                    id: 0,
                    at: NOW,
                    conversation_id: Some("c-1".into()),
                    customer_id: "C001".into(),
                    tool: "cancel_order".into(),
                    args: json!({"order_id": "1002"}),
                    verdict: verdict.into(),
                    decisions: json!([{"policy": "p", "verdict": verdict}]),
                    revision: revision.into(),
                })
                .unwrap();
        }
        let decisions = store.decisions(10).unwrap();
        assert_eq!(
            decisions
                .iter()
                .map(|d| (d.verdict.as_str(), d.revision.as_str()))
                .collect::<Vec<_>>(),
            [("deny", "r2"), ("allow", "r1")],
            "{backend}: newest first, each with the revision that decided"
        );
        store.check().unwrap();
    }
}

#[test]
fn a_turn_lock_lets_one_turn_of_a_conversation_in_at_a_time() {
    for (backend, store) in stores() {
        let held = store.lock_conversation("c-1").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let store = store.clone();
            std::thread::spawn(move || {
                let _second = store.lock_conversation("c-1").unwrap();
                tx.send(()).unwrap();
            })
        };
        // Another conversation is not held up.
        drop(store.lock_conversation("c-2").unwrap());
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "{backend}: the second turn waits"
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{backend}: the second turn runs once the first ends"));
        waiter.join().unwrap();
    }
}

/// Two hosts: two stores on one PostgreSQL database.
fn two_hosts() -> (String, Arc<PostgresStore>, Arc<PostgresStore>) {
    let url = common::postgres::fresh_database();
    let a = Arc::new(PostgresStore::connect(&url).unwrap());
    let b = Arc::new(PostgresStore::connect(&url).unwrap());
    seed::seed(a.as_ref(), NOW).unwrap();
    (url, a, b)
}

#[test]
fn on_postgres_the_turn_lock_holds_across_hosts_and_a_dead_host_releases_it() {
    let (_, a, b) = two_hosts();
    let held = a.lock_conversation("c-9").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let b = b.clone();
        std::thread::spawn(move || {
            let lock = b.lock_conversation("c-9").unwrap();
            tx.send(()).unwrap();
            lock
        })
    };
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "host B waits while host A runs a turn of the conversation"
    );
    drop(held);
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("host B goes on once host A's turn ends");
    let held_by_b = waiter.join().unwrap();
    // Host B dies holding the lock: its connections close, and the server
    // lets host A in.
    let (tx, rx) = std::sync::mpsc::channel();
    let a2 = a.clone();
    let waiter = std::thread::spawn(move || {
        let _lock = a2.lock_conversation("c-9").unwrap();
        tx.send(()).unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::mem::forget(held_by_b);
    drop(Arc::try_unwrap(b).ok().expect("no other owner of host B"));
    rx.recv_timeout(std::time::Duration::from_secs(15))
        .expect("a host that died holding a lock releases it");
    waiter.join().unwrap();
}

#[test]
fn on_postgres_a_confirmation_raced_from_two_hosts_is_taken_once() {
    use deskhand::store::ConversationRecord;
    let (_, a, b) = two_hosts();
    let pending = json!({"confirm": {"tool": "cancel_order", "args": {"order_id": "1002"}}});
    a.create_conversation(&ConversationRecord {
        id: "c-yes".into(),
        customer_id: "C001".into(),
        created_at: NOW,
        pending: Some(pending.clone()),
    })
    .unwrap();
    let takers: Vec<_> = (0..8)
        .map(|i| {
            let store: Arc<PostgresStore> = if i % 2 == 0 { a.clone() } else { b.clone() };
            let pending = pending.clone();
            std::thread::spawn(move || store.take_pending("c-yes", &pending).unwrap())
        })
        .collect();
    let taken = takers
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|took| *took)
        .count();
    assert_eq!(taken, 1, "one of eight racing takers gets the confirmation");
}

#[test]
fn on_postgres_hosts_starting_together_migrate_once_and_a_restart_loses_nothing() {
    let url = common::postgres::fresh_database();
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PostgresStore::connect(&url).map(|_| ()))
        })
        .collect();
    for starter in starters {
        starter.join().unwrap().unwrap();
    }
    assert_eq!(
        common::postgres::psql(&url, "SELECT version FROM deskhand_schema"),
        "1"
    );
    {
        let store = PostgresStore::connect(&url).unwrap();
        seed::seed(&store, NOW).unwrap();
        store
            .commit(
                "C001",
                &[RecordWrite::Insert {
                    collection: "notes".into(),
                    id: "n1".into(),
                    data: json!({"text": "kept", "amount": 12.5, "nested": {"a": [1, 2]}}),
                    at: NOW,
                }],
            )
            .unwrap();
    }
    let store = PostgresStore::connect(&url).unwrap();
    let note = store.record("C001", "notes", "n1").unwrap().unwrap();
    assert_eq!(
        note.data,
        json!({"text": "kept", "amount": 12.5, "nested": {"a": [1, 2]}})
    );
    assert_eq!(store.all_records(Some("orders")).unwrap().len(), 28);
}

#[test]
fn an_unreachable_or_misnamed_database_is_a_clear_error_without_the_password() {
    let err = PostgresStore::connect("postgres://desk:s3cret@127.0.0.1:1/deskhand")
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(text.contains("is PostgreSQL running"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    let err = PostgresStore::connect("postgres://deskhand@127.0.0.1:1/x?sslmode=bogus")
        .err()
        .unwrap();
    assert!(err.to_string().contains("not a PostgreSQL URL"), "{err}");
    let missing = deskhand::store::with_database(common::postgres::server(), "no_such_db");
    let err = PostgresStore::connect(&missing).err().unwrap();
    assert!(err.to_string().contains("no_such_db"), "{err}");
}
