//! The HTTP API over the real default model, the shipped plugins and
//! policies, and a freshly seeded shop per test: every route's happy path
//! and error codes, streaming, isolation between customers, load shedding,
//! persistence across restarts, and random bodies that never cause a 500.

mod common;

use std::sync::Arc;

use common::agent::{TestAgent, shared};
use common::http::Request;
use common::server::TestServer;
use deskhand::server::ServerConfig;
use deskhand::store::{RecordStore, SqliteStore, seed};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const ANA: &str = "demo-C001";
const BEN: &str = "demo-C002";
const CHLOE: &str = "demo-C003";
const STAFF: &str = "demo-staff";

/// The error code and field of an error response with `status`.
fn error_of(response: &common::http::Response, status: u16) -> (String, Option<String>) {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    let error = &body["error"];
    assert_eq!(error["status"], status);
    let message = error["message"].as_str().expect("an error message");
    assert!(
        message.len() > 10,
        "an error that says something: {message}"
    );
    (
        error["code"].as_str().unwrap().to_string(),
        error["field"].as_str().map(str::to_string),
    )
}

#[test]
fn a_chat_answers_with_ids_and_trace_and_the_conversation_keeps_it() {
    let server = TestServer::start();
    let response = server.chat(ANA, None, "where is my order 1006??");
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let reply = body["reply"].as_str().unwrap();
    assert!(
        reply.contains("1006") && reply.to_lowercase().contains("shipped"),
        "{reply}"
    );
    let conversation = body["conversation_id"].as_str().unwrap().to_string();
    let (question_id, reply_id) = (
        body["message_id"].as_i64().unwrap(),
        body["reply_id"].as_i64().unwrap(),
    );
    assert!(question_id > 0 && reply_id > question_id);
    let trace = &body["trace"];
    assert_eq!(trace["tools"][0]["tool"], "track_order");
    assert!(
        trace["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "route")
    );

    // The follow-up continues the same conversation.
    let follow = server.chat(ANA, Some(&conversation), "thanks!");
    assert_eq!(follow.status, 200, "{}", follow.text());
    assert_eq!(follow.json()["conversation_id"], conversation.as_str());

    let list = server.get("/v1/conversations", ANA).json();
    let listed = &list["conversations"][0];
    assert_eq!(listed["id"], conversation.as_str());
    assert_eq!(listed["messages"], 4);
    assert!(listed["title"].as_str().unwrap().contains("1006"));

    let full = server
        .get(&format!("/v1/conversations/{conversation}"), ANA)
        .json();
    let messages = full["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0]["id"], question_id);
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], reply);
    let turns = full["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(
        turns[0]["reply_id"], reply_id,
        "each trace points at its reply"
    );

    let history = server.get("/v1/history?n=5&search=1006", ANA).json();
    let pairs = history["history"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{history}");
    assert_eq!(pairs[0]["answer"], reply);
    let all = server.get("/v1/history", ANA).json();
    assert_eq!(all["history"].as_array().unwrap().len(), 2);
    assert_eq!(all["history"][0]["question"], "thanks!", "newest first");
    let none = server.get("/v1/history?search=poem", ANA).json();
    assert!(none["history"].as_array().unwrap().is_empty());
    let (_, field) = error_of(&server.get("/v1/history?n=abc", ANA), 400);
    assert_eq!(field.as_deref(), Some("n"));
    let (_, field) = error_of(&server.get("/v1/history?n=0", ANA), 400);
    assert_eq!(field.as_deref(), Some("n"));
}

#[test]
fn a_streamed_chat_sends_start_steps_tokens_and_ends_with_done() {
    let server = TestServer::start();
    let response = Request::new("POST", "/v1/chat")
        .key(ANA)
        .header("Accept", "text/event-stream")
        .json(&json!({"message": "cancel order 1001 please"}))
        .send(server.address);
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = response.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"start"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert!(
        names.contains(&"step") && names.contains(&"token"),
        "{names:?}"
    );
    let first_token = names.iter().position(|n| *n == "token").unwrap();
    let policy_step = events
        .iter()
        .position(|(n, d)| n == "step" && d["kind"] == "policy")
        .expect("a policy step");
    assert!(
        policy_step < first_token,
        "the policy decides before the reply streams"
    );
    let streamed: String = events
        .iter()
        .filter(|(n, _)| n == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    let done = &events.last().unwrap().1;
    assert_eq!(
        streamed,
        done["reply"].as_str().unwrap(),
        "the tokens add up to the reply"
    );
    assert!(streamed.contains("10 days"), "{streamed}");
    assert_eq!(done["trace"]["tools"][0]["decision"]["verdict"], "deny");
    assert_eq!(server.test.status("1001"), "processing");
}

#[test]
fn keys_decide_who_is_calling() {
    let server = TestServer::start();
    let missing = Request::new("GET", "/v1/conversations").send(server.address);
    error_of(&missing, 401);
    assert!(missing.header("www-authenticate").is_some());
    error_of(&server.get("/v1/conversations", "demo-C999"), 401);
    let basic = Request::new("GET", "/v1/tools")
        .header("Authorization", "Basic ZGVtbzpkZW1v")
        .send(server.address);
    error_of(&basic, 401);
    // Staff see handoffs but cannot chat; customers cannot see handoffs.
    error_of(&server.chat(STAFF, None, "hello"), 403);
    error_of(&server.get("/v1/handoffs", ANA), 403);
    assert_eq!(server.get("/v1/handoffs", STAFF).status, 200);
    let me = server.get("/v1/me", CHLOE).json();
    assert_eq!(me["customer_id"], "C003");
    assert_eq!(me["name"], "Chloé Martin");
    let demo = Request::new("GET", "/demo-keys")
        .send(server.address)
        .json();
    let keys: Vec<&str> = demo["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [ANA, BEN, CHLOE, STAFF]);
    assert_eq!(demo["keys"][0]["name"], "Ana Souza");
}

#[test]
fn bad_bodies_are_400s_that_name_the_field_and_long_ones_413s() {
    let server = TestServer::start();
    let send = |body: &str| {
        Request::new("POST", "/v1/chat")
            .key(ANA)
            .raw(body.to_string())
            .send(server.address)
    };
    assert_eq!(error_of(&send("{\"message\": "), 400).1, None);
    assert_eq!(error_of(&send("not json"), 400).1, None);
    assert_eq!(error_of(&send(""), 400).1, None);
    assert_eq!(error_of(&send("{}"), 400).1.as_deref(), Some("message"));
    assert_eq!(
        error_of(&send(r#"{"message": 42}"#), 400).1.as_deref(),
        Some("message")
    );
    assert_eq!(
        error_of(&send(r#"{"mesage": "hi"}"#), 400).1.as_deref(),
        Some("mesage")
    );
    assert_eq!(
        error_of(&send(r#"{"message": "hi", "conversation_id": 7}"#), 400)
            .1
            .as_deref(),
        Some("conversation_id")
    );
    assert_eq!(
        error_of(&send(r#"{"message": "   \u0007 "}"#), 400)
            .1
            .as_deref(),
        Some("message")
    );
    let long = json!({"message": "a".repeat(4001)}).to_string();
    assert_eq!(error_of(&send(&long), 413).0, "too_large");
    let huge = json!({"message": "a".repeat(100_000)}).to_string();
    error_of(&send(&huge), 413);
    // Nothing above was stored.
    assert!(
        server.get("/v1/conversations", ANA).json()["conversations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // 4,000 characters exactly is fine.
    let response = server.chat(
        ANA,
        None,
        &format!("where is order 1002? {}", "x".repeat(3979)),
    );
    assert_eq!(response.status, 200, "{}", response.text());
}

#[test]
fn another_customers_conversation_is_as_absent_as_an_unknown_one() {
    let server = TestServer::start();
    let ana = server.chat(ANA, None, "where is my order 1002?").json();
    let conversation = ana["conversation_id"].as_str().unwrap();
    let reply_id = ana["reply_id"].as_i64().unwrap();
    let theirs = server.get(&format!("/v1/conversations/{conversation}"), BEN);
    let unknown = server.get("/v1/conversations/c-0000000000000000", BEN);
    error_of(&theirs, 404);
    error_of(&unknown, 404);
    assert_eq!(
        theirs.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace(conversation, "ID"),
        unknown.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace("c-0000000000000000", "ID")
    );
    error_of(&server.chat(BEN, Some(conversation), "cancel it"), 404);
    let feedback = server.post(
        "/v1/feedback",
        BEN,
        &json!({"message_id": reply_id, "score": -1}),
    );
    error_of(&feedback, 404);
    assert!(
        server.get("/v1/conversations", BEN).json()["conversations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        server.get("/v1/history", BEN).json()["history"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Staff may read it, to follow up.
    assert_eq!(
        server
            .get(&format!("/v1/conversations/{conversation}"), STAFF)
            .status,
        200
    );
}

#[test]
fn feedback_is_recorded_on_the_callers_own_replies() {
    let server = TestServer::start();
    let turn = server
        .chat(ANA, None, "how long does a refund take?")
        .json();
    let reply_id = turn["reply_id"].as_i64().unwrap();
    let ok = server.post(
        "/v1/feedback",
        ANA,
        &json!({"message_id": reply_id, "score": 1, "comment": "clear"}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["recorded"], true);
    let (_, field) = error_of(
        &server.post(
            "/v1/feedback",
            ANA,
            &json!({"message_id": reply_id, "score": 5}),
        ),
        400,
    );
    assert_eq!(field.as_deref(), Some("score"));
    let (_, field) = error_of(&server.post("/v1/feedback", ANA, &json!({"score": 1})), 400);
    assert_eq!(field.as_deref(), Some("message_id"));
    // The customer's own message is not a reply to rate.
    let question_id = turn["message_id"].as_i64().unwrap();
    error_of(
        &server.post(
            "/v1/feedback",
            ANA,
            &json!({"message_id": question_id, "score": 1}),
        ),
        404,
    );
    let long = json!({"message_id": reply_id, "score": -1, "comment": "x".repeat(2001)});
    error_of(&server.post("/v1/feedback", ANA, &long), 413);
}

#[test]
fn tools_are_listed_and_direct_calls_go_through_schemas_and_policies() {
    let server = TestServer::start();
    let tools = server.get("/v1/tools", ANA).json();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for tool in ["track_order", "cancel_order", "refund", "list_orders"] {
        assert!(names.contains(&tool), "{names:?}");
    }
    let track = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "track_order")
        .unwrap();
    assert!(track["params_schema"]["properties"]["order_id"].is_object());

    let ran = server.post(
        "/v1/tools/track_order/invoke",
        ANA,
        &json!({"args": {"order_id": "1006"}}),
    );
    assert_eq!(ran.status, 200, "{}", ran.text());
    let ran = ran.json();
    assert_eq!(ran["executed"], true);
    assert_eq!(ran["result"]["carrier"], "DHL");

    let denied = server
        .post(
            "/v1/tools/cancel_order/invoke",
            ANA,
            &json!({"args": {"order_id": "1001"}}),
        )
        .json();
    assert_eq!(denied["executed"], false);
    assert_eq!(denied["decision"]["verdict"], "deny");
    assert!(
        denied["decision"]["reason"]
            .as_str()
            .unwrap()
            .contains("10 days")
    );
    assert_eq!(server.test.status("1001"), "processing");

    // Another customer's order is not found, and nothing of it leaks.
    let theirs = server
        .post(
            "/v1/tools/track_order/invoke",
            ANA,
            &json!({"args": {"order_id": "1013"}}),
        )
        .json();
    assert!(theirs["result"].is_null(), "{theirs}");
    assert!(theirs["error"]["code"].is_string(), "{theirs}");
    assert!(!theirs.to_string().contains("UPS"), "{theirs}");

    let (_, field) = error_of(
        &server.post(
            "/v1/tools/track_order/invoke",
            ANA,
            &json!({"args": {"order_id": 12}}),
        ),
        400,
    );
    assert!(field.unwrap().starts_with("args"));
    let (_, field) = error_of(
        &server.post(
            "/v1/tools/track_order/invoke",
            ANA,
            &json!({"args": "1006"}),
        ),
        400,
    );
    assert_eq!(field.as_deref(), Some("args"));
    error_of(
        &server.post("/v1/tools/teleport/invoke", ANA, &json!({"args": {}})),
        404,
    );
    error_of(
        &server.post(
            "/v1/tools/track_order/invoke",
            STAFF,
            &json!({"args": {"order_id": "1006"}}),
        ),
        403,
    );
}

#[test]
fn policies_are_shown_and_escalations_reach_staff() {
    let server = TestServer::start();
    let policies = server.get("/v1/policies", ANA).json();
    assert!(
        policies["revision"].as_str().unwrap().len() >= 8,
        "{policies}"
    );
    let window = policies["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cancellation-window")
        .expect("the cancellation window");
    assert_eq!(window["params"]["max_days"], 10);
    assert!(policies["last_rejected"].is_null());

    let turn = server.chat(ANA, None, "refund order 1008 please").json();
    assert_eq!(
        turn["trace"]["tools"][0]["decision"]["verdict"], "escalate",
        "{turn}"
    );
    let handoffs = server.get("/v1/handoffs", STAFF).json();
    let handoff = &handoffs["handoffs"][0];
    assert_eq!(handoff["customer_id"], "C001");
    assert_eq!(handoff["conversation_id"], turn["conversation_id"]);
    assert_eq!(handoff["tool"], "refund");
}

#[test]
fn health_metrics_docs_and_the_page_are_served() {
    let server = TestServer::start();
    let health = Request::new("GET", "/healthz").send(server.address);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    server.chat(ANA, None, "where is my order 1006?");
    server.post(
        "/v1/tools/cancel_order/invoke",
        ANA,
        &json!({"args": {"order_id": "1001"}}),
    );
    let metrics = Request::new("GET", "/metrics").send(server.address);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text();
    for line in [
        "deskhand_http_requests_total{method=\"POST\",route=\"/v1/chat\",status=\"200\"} 1",
        "deskhand_http_request_duration_seconds_count{route=\"/v1/chat\"} 1",
        "deskhand_turn_duration_seconds_count 1",
        "deskhand_tool_calls_total{tool=\"track_order\",outcome=\"ok\"} 1",
        "deskhand_tool_calls_total{tool=\"cancel_order\",outcome=\"denied\"} 1",
        "deskhand_policy_decisions_total{verdict=\"deny\"} 1",
        "deskhand_policy_reloads_total 1",
        "deskhand_queue_depth 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("deskhand_tokens_total{kind=\"prompt\"}"));

    let openapi = Request::new("GET", "/openapi.json")
        .send(server.address)
        .json();
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/v1/chat",
        "/v1/conversations",
        "/v1/conversations/{id}",
        "/v1/history",
        "/v1/feedback",
        "/v1/tools",
        "/v1/tools/{name}/invoke",
        "/v1/policies",
        "/v1/handoffs",
        "/healthz",
        "/metrics",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "the OpenAPI document lacks {path}"
        );
    }
    let docs = Request::new("GET", "/docs").send(server.address);
    assert!(docs.status == 200 && docs.text().contains("/openapi.json"));
    let page = Request::new("GET", "/").send(server.address);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("id=\"message\""));
    error_of(
        &Request::new("GET", "/v2/nothing").send(server.address),
        404,
    );
    let wrong_method = Request::new("DELETE", "/v1/chat")
        .key(ANA)
        .send(server.address);
    assert_eq!(error_of(&wrong_method, 405).0, "method_not_allowed");
    error_of(&server.get("/v1/conversations/%FF%FE", ANA), 400);
}

#[test]
fn a_full_queue_answers_503_with_retry_after_and_never_hangs() {
    let mut config = ServerConfig::default();
    config.limits.concurrency = 1;
    config.limits.queue = 0;
    config.limits.retry_after_seconds = 3;
    let server = Arc::new(TestServer::with(TestAgent::new(), config));
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let server = server.clone();
                scope.spawn(move || {
                    let response = server.chat(ANA, None, "how long does a refund take?");
                    (
                        response.status,
                        response.header("retry-after").map(str::to_string),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().any(|(s, _)| *s == 200), "{statuses:?}");
    assert!(statuses.iter().any(|(s, _)| *s == 503), "{statuses:?}");
    for (status, retry_after) in &statuses {
        assert!(*status == 200 || *status == 503, "{statuses:?}");
        if *status == 503 {
            assert_eq!(retry_after.as_deref(), Some("3"));
        }
    }
    // Once the line is clear, the next chat is served.
    assert_eq!(server.chat(ANA, None, "hello").status, 200);
}

#[test]
fn concurrent_chats_of_different_customers_never_mix() {
    let mut config = ServerConfig::default();
    config.limits.concurrency = 2;
    let server = Arc::new(TestServer::with(TestAgent::new(), config));
    let cases = [
        (ANA, "1006", "C001"),
        (BEN, "1014", "C002"),
        (CHLOE, "1022", "C003"),
    ];
    let results: Vec<(String, Value, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .flat_map(|case| [case, case])
            .map(|(key, order, _)| {
                let server = server.clone();
                scope.spawn(move || {
                    let turn = server.chat(key, None, &format!("where is my order {order}?"));
                    assert_eq!(turn.status, 200, "{}", turn.text());
                    let turn = turn.json();
                    let listed = server.get("/v1/conversations", key).json();
                    (key.to_string(), turn, listed)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (key, turn, _) in &results {
        let (_, order, customer) = cases.iter().find(|(k, _, _)| k == key).unwrap();
        assert_eq!(turn["trace"]["customer_id"], *customer);
        let reply = turn["reply"].as_str().unwrap();
        assert!(reply.contains(order), "{key}: {reply}");
        for (_, other, _) in cases.iter().filter(|(k, _, _)| k != key) {
            assert!(!reply.contains(other), "{key} saw order {other}: {reply}");
        }
    }
    for (key, _, _) in cases {
        let mine: Vec<String> = results
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, t, _)| t["conversation_id"].as_str().unwrap().to_string())
            .collect();
        let listed = server.get("/v1/conversations", key).json();
        let mut listed: Vec<String> = listed["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        listed.sort();
        let mut mine = mine;
        mine.sort();
        assert_eq!(listed, mine, "{key} lists exactly their own conversations");
    }
}

#[test]
fn a_restart_keeps_every_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deskhand.db");
    let open = || {
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        if store.is_empty().unwrap() {
            seed::seed(store.as_ref(), common::NOW).unwrap();
        }
        TestAgent::over(store, shared().knowledge.clone())
    };
    let (conversation, before) = {
        let server = TestServer::with(open(), ServerConfig::default());
        let first = server.chat(ANA, None, "where is my order 1006?").json();
        let id = first["conversation_id"].as_str().unwrap().to_string();
        server.chat(ANA, Some(&id), "and order 1002?");
        let other = server.chat(BEN, None, "hello");
        assert_eq!(other.status, 200);
        let before = server.get(&format!("/v1/conversations/{id}"), ANA).json();
        (id, before)
    };
    let server = TestServer::with(open(), ServerConfig::default());
    let after = server
        .get(&format!("/v1/conversations/{conversation}"), ANA)
        .json();
    assert_eq!(after["messages"], before["messages"]);
    assert_eq!(after["turns"], before["turns"]);
    assert_eq!(after["messages"].as_array().unwrap().len(), 4);
    assert_eq!(
        server.get("/v1/conversations", BEN).json()["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let more = server.chat(ANA, Some(&conversation), "thanks!");
    assert_eq!(more.status, 200, "{}", more.text());
    let list = server.get("/v1/conversations", ANA).json();
    assert_eq!(list["conversations"][0]["messages"], 6);
}

/// A random JSON value of bounded depth, biased towards the shapes the API
/// reads (objects with its field names).
fn random_value(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
    const FIELDS: [&str; 8] = [
        "message",
        "conversation_id",
        "message_id",
        "score",
        "comment",
        "args",
        "confirmed",
        "order_id",
    ];
    match rng.random_range(0..if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => json!(rng.random_range(-3i64..5)),
        3 => json!(rng.random::<f64>() * 1e12),
        4 => {
            let len = [0, 1, 5, 40, 4000, 4001, 9000][rng.random_range(0..7)];
            let alphabet = ['a', 'é', '\u{0}', '\u{7}', '"', '\\', '🦀', ' ', '1', '\n'];
            json!(
                (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect::<String>()
            )
        }
        5 => json!(format!("c-{:016x}", rng.random::<u64>())),
        6 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut object = serde_json::Map::new();
            for _ in 0..rng.random_range(0..5) {
                let key = FIELDS[rng.random_range(0..FIELDS.len())].to_string();
                object.insert(key, random_value(rng, depth - 1));
            }
            Value::Object(object)
        }
    }
}

/// Mangles a valid body: truncation, stray bytes, invalid UTF-8.
fn mangle(rng: &mut rand::rngs::StdRng, body: &str) -> Vec<u8> {
    let mut bytes = body.as_bytes().to_vec();
    match rng.random_range(0..4) {
        0 if !bytes.is_empty() => bytes.truncate(rng.random_range(0..bytes.len())),
        1 => bytes.insert(
            rng.random_range(0..=bytes.len()),
            [b'{', b'}', b',', b'"', 0xff][rng.random_range(0..5)],
        ),
        2 => bytes.extend_from_slice(b"\xc3\x28"),
        _ => {}
    }
    bytes
}

#[test]
fn random_request_bodies_never_cause_a_server_error() {
    let mut config = ServerConfig::default();
    config.limits.concurrency = 1;
    config.limits.queue = 64;
    let server = TestServer::with(TestAgent::new(), config);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let routes = [
        "/v1/chat",
        "/v1/feedback",
        "/v1/tools/track_order/invoke",
        "/v1/tools/cancel_order/invoke",
    ];
    let mut turns = 0;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..400 {
        let route = routes[round % routes.len()];
        let value = if rng.random_bool(0.5) {
            random_value(&mut rng, 3)
        } else {
            // A valid body with one field changed, dropped or added.
            let mut valid = match route {
                "/v1/chat" => json!({"message": "where is order 1006?"}),
                "/v1/feedback" => json!({"message_id": rng.random_range(1..40), "score": 1}),
                _ => {
                    let order = ["1006", "1002", "1013", "9999"][rng.random_range(0..4)];
                    json!({"args": {"order_id": order}})
                }
            };
            let object = valid.as_object_mut().unwrap();
            let field = [
                "message",
                "conversation_id",
                "message_id",
                "score",
                "comment",
                "args",
                "confirmed",
            ][rng.random_range(0..7)];
            match rng.random_range(0..4) {
                0 => {
                    object.remove(field);
                }
                1 | 2 => {
                    object.insert(field.to_string(), random_value(&mut rng, 2));
                }
                _ => {}
            }
            valid
        };
        // Real turns are slow: let only a few well-formed chats through.
        if route == "/v1/chat"
            && value["message"].is_string()
            && value.as_object().is_some_and(|o| o.len() == 1)
        {
            let chars = value["message"].as_str().unwrap().trim().chars().count();
            if (1..=4000).contains(&chars) {
                turns += 1;
                if turns > 8 {
                    continue;
                }
            }
        }
        let body = if rng.random_bool(0.3) {
            mangle(&mut rng, &value.to_string())
        } else {
            value.to_string().into_bytes()
        };
        let key = [ANA, BEN, STAFF][rng.random_range(0..3)];
        let response = Request::new("POST", route)
            .key(key)
            .raw(body.clone())
            .send(server.address);
        *statuses.entry(response.status).or_default() += 1;
        assert!(
            response.status < 500,
            "{route} {} for {:?}: {}",
            response.status,
            String::from_utf8_lossy(&body),
            response.text()
        );
        if response.status >= 400 {
            assert!(response.json()["error"]["message"].is_string());
        }
    }
    for query in [
        "n=-1",
        "n=99999999999999999999",
        "search=%00%ff",
        "n=1&n=2",
        "search=",
        "x=1",
        "n=%20",
    ] {
        let response = server.get(&format!("/v1/history?{query}"), ANA);
        assert!(response.status < 500, "{query}: {}", response.text());
    }
    assert!(
        statuses.contains_key(&200) && statuses.contains_key(&400),
        "{statuses:?}"
    );
}
