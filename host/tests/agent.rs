//! The agent end to end, against the real default model, the shipped
//! plugins and policies, the help centre and the seeded demo shop.

mod common;

use common::agent::TestAgent;
use deskhand::agent::{AgentError, InputError, Route};
use deskhand::policy::Verdict;
use deskhand::store::ConversationStore;

fn verdict(outcome: &deskhand::agent::TurnOutcome) -> Option<Verdict> {
    outcome.main_tool()?.decision.as_ref().map(|d| d.verdict)
}

#[test]
fn cancelling_a_5_day_old_order_cancels_it_and_says_so() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "Hi, please cancel order 1002");
    assert_eq!(t.status("1002"), "cancelled");
    assert_eq!(turn.main_tool().unwrap().tool, "cancel_order");
    assert_eq!(verdict(&turn), Some(Verdict::Allow));
    assert!(
        turn.reply.contains("1002") && turn.reply.contains("cancelled"),
        "{}",
        turn.reply
    );
}

#[test]
fn cancelling_a_20_day_old_order_is_refused_with_the_10_day_rule() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "cancel order 1001 please");
    assert_eq!(t.status("1001"), "processing");
    assert_eq!(verdict(&turn), Some(Verdict::Deny));
    assert!(!turn.main_tool().unwrap().executed);
    assert!(turn.reply.contains("10 days"), "{}", turn.reply);
    assert!(turn.reply.contains("1001"), "{}", turn.reply);
}

#[test]
fn tracking_an_order_gives_its_status_and_carrier() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "where is my order 1006??");
    assert_eq!(turn.main_tool().unwrap().tool, "track_order");
    assert!(turn.reply.contains("shipped"), "{}", turn.reply);
    assert!(turn.reply.contains("DHL"), "{}", turn.reply);
}

#[test]
fn a_refund_within_limits_is_confirmed_then_recorded() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let ask = t.say(&c, "I'd like a refund for order 1007, the kettle leaks");
    assert_eq!(verdict(&ask), Some(Verdict::Confirm));
    assert_eq!(
        t.refund_count(),
        0,
        "nothing is refunded before the customer confirms"
    );
    assert!(
        ask.reply.to_lowercase().contains("confirm"),
        "{}",
        ask.reply
    );
    let done = t.say(&c, "yes please");
    assert_eq!(t.refund_count(), 1);
    let refund = &common::rows(t.store.as_ref(), "refunds")[0];
    assert_eq!(
        (&refund.data["order_id"], &refund.data["amount_cents"]),
        (&serde_json::json!("1007"), &serde_json::json!(8900))
    );
    assert!(done.main_tool().unwrap().executed);
    assert!(done.reply.contains("5 business days"), "{}", done.reply);
}

#[test]
fn a_refund_over_200_is_escalated_to_a_colleague() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "refund order 1008 please");
    assert_eq!(verdict(&turn), Some(Verdict::Escalate));
    assert_eq!(t.refund_count(), 0);
    let handoffs = t.store.handoffs().unwrap();
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].tool.as_deref(), Some("refund"));
    assert_eq!(turn.handoff_id, Some(handoffs[0].id));
    assert!(turn.reply.contains("colleague"), "{}", turn.reply);
}

#[test]
fn cancel_my_last_order_cancels_the_newest_one() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "cancel my last order");
    assert_eq!(t.status("1012"), "cancelled");
    assert_eq!(
        turn.tools[0].tool, "list_orders",
        "resolved through list_orders"
    );
    assert!(turn.reply.contains("1012"), "{}", turn.reply);
}

#[test]
fn a_missing_order_number_gets_a_clarifying_question_then_the_answer_is_used() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let ask = t.say(&c, "I want to cancel an order");
    assert!(ask.reply.contains('?'), "{}", ask.reply);
    assert!(ask.tools.iter().all(|tool| !tool.executed));
    assert_eq!(ask.waiting_for.as_deref(), Some("argument"));
    let done = t.say(&c, "it's 1003");
    assert_eq!(t.status("1003"), "cancelled");
    assert_eq!(done.main_tool().unwrap().tool, "cancel_order");
}

#[test]
fn it_refers_to_the_order_talked_about_before() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    t.say(&c, "what's the status of order 1002?");
    let turn = t.say(&c, "ok, please cancel it");
    assert_eq!(turn.main_tool().unwrap().tool, "cancel_order");
    assert_eq!(t.status("1002"), "cancelled");
}

#[test]
fn a_help_centre_question_is_answered_from_the_knowledge_base() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(
        &c,
        "how long does it take to get my money back after a refund?",
    );
    assert_eq!(turn.route.as_ref().unwrap().route, Route::Knowledge);
    assert!(turn.reply.contains("5 business days"), "{}", turn.reply);
    assert!(
        turn.retrieved.iter().any(|id| id.starts_with("refunds.md")),
        "{:?}",
        turn.retrieved
    );
    assert!(turn.tools.is_empty());
}

#[test]
fn out_of_scope_gets_a_polite_refusal() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "can you write me a poem about the sea?");
    assert_eq!(turn.route.as_ref().unwrap().route, Route::OutOfScope);
    assert!(turn.reply.contains("sorry"), "{}", turn.reply);
    assert!(turn.tools.is_empty());
}

#[test]
fn another_customers_order_is_not_found_like_a_missing_one() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let theirs = t.say(&c, "track order 1013");
    let missing = t.say(&c, "track order 9999");
    assert!(
        theirs.reply.contains("can't find order 1013"),
        "{}",
        theirs.reply
    );
    assert_eq!(
        theirs.reply.replace("1013", "X"),
        missing.reply.replace("9999", "X")
    );
    assert!(
        !theirs.reply.contains("UPS"),
        "leaks the carrier: {}",
        theirs.reply
    );
}

#[test]
fn asking_for_a_human_creates_a_handoff() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let turn = t.say(&c, "I want to talk to a real person");
    assert_eq!(turn.route.as_ref().unwrap().route, Route::Human);
    assert_eq!(t.store.handoffs().unwrap().len(), 1);
    assert!(turn.reply.contains("colleague"), "{}", turn.reply);
}

#[test]
fn empty_and_over_long_messages_are_refused_before_anything_runs() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let empty = t.agent.run_turn(&c, " \u{0}\n ", &|_| {});
    assert!(matches!(empty, Err(AgentError::Input(InputError::Empty))));
    let long = format!("cancel order 1002 {}", "x".repeat(4000));
    let long = t.agent.run_turn(&c, &long, &|_| {});
    assert!(matches!(
        long,
        Err(AgentError::Input(InputError::TooLong { .. }))
    ));
    assert_eq!(t.status("1002"), "processing");
    assert!(
        t.store.messages(&c.id).unwrap().is_empty(),
        "refused messages are not stored"
    );
}

#[test]
fn conversations_messages_and_traces_persist() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    t.say(&c, "where is order 1006?");
    t.say(&c, "thanks!");
    let messages = t.store.messages(&c.id).unwrap();
    assert_eq!(messages.len(), 4);
    let turns = t.store.turns(&c.id).unwrap();
    assert_eq!(turns.len(), 2);
    let kinds: Vec<&str> = turns[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    for kind in ["input", "route", "args", "tool"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(
        t.agent.resume("C002", &c.id).is_err(),
        "another customer cannot resume it"
    );
}

#[test]
fn the_reply_streams_before_the_turn_ends() {
    let t = TestAgent::new();
    let c = t.conversation("C001");
    let mut stream = t.agent.turn(&c, "where is order 1006?");
    let mut pieces = Vec::new();
    let outcome = loop {
        match stream.next_blocking().expect("events") {
            deskhand::agent::TurnEvent::Text(piece) => pieces.push(piece),
            deskhand::agent::TurnEvent::Done(outcome) => break outcome,
            deskhand::agent::TurnEvent::Failed(e) => panic!("{e}"),
            deskhand::agent::TurnEvent::Step(_) => {}
        }
    };
    assert_eq!(pieces.concat(), outcome.reply);
    assert!(outcome.first_token_ms <= outcome.total_ms);
}
