//! The SQLite store keeps its data on disk and its integrity under any caller.

mod common;

use common::{DAY, NOW};
use deskhand::store::{OrderStatus, OrderStore, SqliteStore, StoreError, seed};

#[test]
fn the_store_enforces_integrity_whatever_the_caller_checked() {
    let (store, _) = common::shop();
    // A delivered order cannot be cancelled, even by a buggy plugin.
    let err = store
        .set_order_status("C001", "1007", OrderStatus::Cancelled, "", NOW)
        .unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err:?}");
    // Refunds never exceed what was paid.
    let err = store
        .record_refund("C001", "1007", 8_901, "too much", NOW)
        .unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err:?}");
    // Another customer's order is simply not there.
    let err = store
        .set_order_status("C002", "1002", OrderStatus::Cancelled, "", NOW)
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.order("C002", "1002").unwrap().is_none());
    assert_eq!(
        store.order("C001", "1002").unwrap().unwrap().status,
        OrderStatus::Processing
    );
}

#[test]
fn status_changes_stamp_dates_and_are_logged() {
    let (store, _) = common::shop();
    let later = NOW + DAY;
    let order = store
        .set_order_status("C001", "1002", OrderStatus::Shipped, "picked up", later)
        .unwrap();
    assert_eq!(order.shipped_at, Some(later));
    let events = store.order_events("1002").unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, "created");
    assert_eq!(events[1].from_status, Some(OrderStatus::Processing));
    assert_eq!(events[1].to_status, Some(OrderStatus::Shipped));
    assert_eq!(events[1].note, "picked up");
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
            .record_refund("C001", "1007", 1_000, "scratch", NOW)
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.customers().unwrap().len(), 3);
    assert_eq!(store.all_refunds().unwrap().len(), 1);
    assert_eq!(
        store.find_order("1007").unwrap().unwrap().refunded_cents,
        1_000
    );
    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn reset_restores_the_demo_shop() {
    let (store, _) = common::shop();
    store
        .set_order_status("C001", "1002", OrderStatus::Cancelled, "", NOW)
        .unwrap();
    let seeded = seed::reset(store.as_ref(), NOW).unwrap();
    assert_eq!(seeded.orders, 28);
    assert_eq!(
        store.order("C001", "1002").unwrap().unwrap().status,
        OrderStatus::Processing
    );
    assert_eq!(store.order_events("1002").unwrap().len(), 1);
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
