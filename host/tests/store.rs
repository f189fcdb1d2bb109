//! The SQLite store keeps its data on disk, every row with its owner, and
//! applies a call's writes whole or not at all.

mod common;

use common::{DAY, NOW};
use deskhand::store::{NewRecord, RecordStore, RecordWrite, SqliteStore, StoreError, seed};
use serde_json::json;

#[test]
fn records_are_scoped_to_their_owner() {
    let (store, _) = common::shop();
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
    assert_eq!(bens.len(), 8);
    assert!(
        bens.iter()
            .all(|id| ("1013".."1021").contains(&id.as_str())),
        "{bens:?}"
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
    let (store, _) = common::shop();
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
    let (store, _) = common::shop();
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
    let (store, _) = common::shop();
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
    use deskhand::store::{ConversationRecord, ConversationStore, Feedback, Message, Role};
    let store = SqliteStore::in_memory().unwrap();
    seed::seed(&store, NOW).unwrap();
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
