//! The shipped tools (track_order, cancel_order, refund, list_orders) against
//! the seeded demo shop: every happy path and every error code.

mod common;

use common::{NOW, builtin_registry, events_of, order, refunds_of, scope, shop};
use deskhand::plugins::ToolError;
use serde_json::json;

fn failure_code(error: ToolError) -> (String, String) {
    match error {
        ToolError::Failed { code, message, .. } => (code, message),
        other => panic!("expected a business failure, got {other:?}"),
    }
}

#[test]
fn track_order_reports_status_carrier_tracking_and_dates() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let result = tools
        .call(
            "track_order",
            &scope(&store, &clock, "C001"),
            &json!({"order_id": "1006"}),
        )
        .unwrap();
    assert_eq!(result["order_id"], "1006");
    assert_eq!(result["status"], "shipped");
    assert_eq!(result["carrier"], "DHL");
    assert!(
        result["tracking_number"]
            .as_str()
            .unwrap()
            .starts_with("JJD")
    );
    assert!(
        result["shipped_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-1")
    );
    assert!(result["estimated_delivery"].is_string());
    assert_eq!(result["items"][0]["name"], "Oak cutting board");
}

#[test]
fn another_customers_order_looks_exactly_like_a_missing_one() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    // 1013 belongs to Ben (C002); 9999 does not exist.
    let (code_other, message_other) = failure_code(
        tools
            .call("track_order", &ana, &json!({"order_id": "1013"}))
            .unwrap_err(),
    );
    let (code_missing, message_missing) = failure_code(
        tools
            .call("track_order", &ana, &json!({"order_id": "9999"}))
            .unwrap_err(),
    );
    assert_eq!(code_other, "order-not-found");
    assert_eq!(code_missing, "order-not-found");
    assert_eq!(
        message_other.replace("1013", "N"),
        message_missing.replace("9999", "N")
    );
    assert!(message_other.contains("can't find order 1013 on your account"));
}

#[test]
fn cancel_order_cancels_an_unshipped_order_and_logs_one_event() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    let result = tools
        .call(
            "cancel_order",
            &ana,
            &json!({"order_id": "1002", "reason": "ordered twice"}),
        )
        .unwrap();
    assert_eq!(result["status"], "cancelled");
    assert_eq!(result["already_cancelled"], false);
    assert_eq!(order(store.as_ref(), "1002")["status"], "cancelled");
    let events = events_of(store.as_ref(), "1002");
    let last = events.last().unwrap();
    assert_eq!(last.data["kind"], "status-changed");
    assert_eq!(last.data["from_status"], "processing");
    assert_eq!(last.created_at, NOW);
    let note = last.data["note"].as_str().unwrap();
    assert!(note.contains("ordered twice"), "{note}");
}

#[test]
fn cancelling_twice_is_a_no_op_success_without_a_second_event() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    tools
        .call("cancel_order", &ana, &json!({"order_id": "1003"}))
        .unwrap();
    let events_after_first = events_of(store.as_ref(), "1003").len();
    assert_eq!(events_after_first, 1);
    let again = tools
        .call("cancel_order", &ana, &json!({"order_id": "1003"}))
        .unwrap();
    assert_eq!(again["already_cancelled"], true);
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already cancelled")
    );
    assert_eq!(events_of(store.as_ref(), "1003").len(), events_after_first);
}

#[test]
fn cancel_order_refuses_shipped_delivered_and_returned_orders() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    for (order_id, expected) in [
        ("1006", "already-shipped"),
        ("1007", "already-delivered"),
        ("1011", "already-returned"),
    ] {
        let (code, message) = failure_code(
            tools
                .call("cancel_order", &ana, &json!({"order_id": order_id}))
                .unwrap_err(),
        );
        assert_eq!(code, expected, "order {order_id}");
        assert!(message.contains(order_id), "{message}");
    }
    let (_, shipped) = failure_code(
        tools
            .call("cancel_order", &ana, &json!({"order_id": "1006"}))
            .unwrap_err(),
    );
    assert!(shipped.contains("already shipped"), "{shipped}");
    assert_eq!(order(store.as_ref(), "1006")["status"], "shipped");
}

#[test]
fn refund_records_the_full_remaining_amount_by_default() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    let result = tools
        .call(
            "refund",
            &ana,
            &json!({"order_id": "1007", "reason": "knife arrived blunt"}),
        )
        .unwrap();
    assert_eq!(result["amount"], 89.0);
    assert_eq!(result["remaining"], 0.0);
    assert_eq!(result["currency"], "EUR");
    let refunds = refunds_of(store.as_ref(), "1007");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].data["amount_cents"], 8_900);
    assert_eq!(refunds[0].customer_id, "C001");
    assert_eq!(refunds[0].created_at, NOW);
    assert_eq!(order(store.as_ref(), "1007")["refunded_cents"], 8_900);
    assert_eq!(result["refund_id"], refunds[0].id);
    let events = events_of(store.as_ref(), "1007");
    assert_eq!(events.last().unwrap().data["amount_cents"], 8_900);

    let (code, _) = failure_code(
        tools
            .call(
                "refund",
                &ana,
                &json!({"order_id": "1007", "reason": "again please"}),
            )
            .unwrap_err(),
    );
    assert_eq!(code, "already-refunded");
    assert_eq!(refunds_of(store.as_ref(), "1007").len(), 1);
}

#[test]
fn partial_refunds_never_exceed_what_was_paid() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ben = scope(&store, &clock, "C002");
    // 1016: chef's knife 89.00 + storage jars 32.00 = 121.00 EUR.
    let first = tools
        .call(
            "refund",
            &ben,
            &json!({"order_id": "1016", "amount": 32.0, "reason": "jars broken"}),
        )
        .unwrap();
    assert_eq!(first["remaining"], 89.0);
    let (code, message) = failure_code(
        tools
            .call(
                "refund",
                &ben,
                &json!({"order_id": "1016", "amount": 100.0, "reason": "more"}),
            )
            .unwrap_err(),
    );
    assert_eq!(code, "amount-exceeds-remaining");
    assert!(message.contains("89.00 EUR"), "{message}");
    let (code, _) = failure_code(
        tools
            .call(
                "refund",
                &ben,
                &json!({"order_id": "1016", "amount": 1.005, "reason": "odd"}),
            )
            .unwrap_err(),
    );
    assert_eq!(code, "invalid-amount");
    assert_eq!(refunds_of(store.as_ref(), "1016").len(), 1);
    assert_eq!(order(store.as_ref(), "1016")["refunded_cents"], 3_200);
}

#[test]
fn refund_refuses_orders_that_were_not_delivered() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    for order_id in ["1006", "1002", "1010"] {
        let (code, message) = failure_code(
            tools
                .call(
                    "refund",
                    &ana,
                    &json!({"order_id": order_id, "reason": "not happy"}),
                )
                .unwrap_err(),
        );
        assert_eq!(code, "not-delivered", "order {order_id}");
        assert!(message.contains("only delivered orders"), "{message}");
    }
    assert!(common::rows(store.as_ref(), "refunds").is_empty());
}

#[test]
fn list_orders_returns_the_customers_newest_orders_first() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let result = tools
        .call(
            "list_orders",
            &scope(&store, &clock, "C001"),
            &json!({"limit": 3}),
        )
        .unwrap();
    assert_eq!(result["count"], 3);
    let ids: Vec<&str> = result["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1012", "1006", "1002"]);
    let all = tools
        .call(
            "list_orders",
            &scope(&store, &clock, "C003"),
            &json!({"limit": 20}),
        )
        .unwrap();
    assert_eq!(all["count"], 8);
    assert!(all["orders"].as_array().unwrap().iter().all(|o| {
        let id: u32 = o["order_id"].as_str().unwrap().parse().unwrap();
        (1021..=1028).contains(&id)
    }));
}

#[test]
fn schema_violations_are_refused_before_the_plugin_runs_and_name_the_field() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let ana = scope(&store, &clock, "C001");
    let cases = [
        (json!({}), "order_id"),
        (json!({"order_id": 1002}), "order_id"),
        (json!({"order_id": "10O2"}), "order_id"),
        (
            json!({"order_id": "1002", "refund_too": true}),
            "refund_too",
        ),
        (json!({"order_id": "1002", "reason": 7}), "reason"),
    ];
    for (args, field) in cases {
        match tools.call("cancel_order", &ana, &args) {
            Err(ToolError::InvalidArguments { violations, .. }) => {
                let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
                assert!(text.iter().any(|v| v.contains(field)), "{args}: {text:?}");
            }
            other => panic!("{args}: expected invalid arguments, got {other:?}"),
        }
    }
    // None of those calls reached the plugin: the order is untouched.
    assert_eq!(order(store.as_ref(), "1002")["status"], "processing");
    assert!(events_of(store.as_ref(), "1002").is_empty());
}

#[test]
fn an_unknown_tool_lists_the_available_ones() {
    let (store, clock) = shop();
    let tools = builtin_registry();
    let error = tools
        .call("teleport_order", &scope(&store, &clock, "C001"), &json!({}))
        .unwrap_err();
    assert_eq!(error.code(), "unknown-tool");
    let text = error.to_string();
    for name in ["cancel_order", "list_orders", "refund", "track_order"] {
        assert!(text.contains(name), "{text}");
    }
}
