//! The desk as an MCP server, driven by a real MCP client: the official
//! Python SDK (`mcp`, in a venv under ~/.cache/deskhand made on first use),
//! over stdio (`deskhand mcp`) and over streamable HTTP (`serve`, `/mcp`).

mod common;

use std::path::{Path, PathBuf};

use deskhand::config::Paths;
use deskhand::plugins::BUILTIN_PLUGINS_DIR;
use deskhand::store::{RecordStore, SqliteStore};
use serde_json::{Value, json};

use common::mcp::{call_text, is_error, run_plan, structured};

/// `deskhand --desk shop … mcp --customer C001 --no-help`, at the test time.
fn stdio_server(data: &Path, extra_global: &[&str]) -> Vec<String> {
    let mut command: Vec<String> = vec![
        env!("CARGO_BIN_EXE_deskhand").into(),
        "--desk".into(),
        "shop".into(),
        "--data-dir".into(),
        data.display().to_string(),
        "--now".into(),
        "2026-06-15T12:00:00Z".into(),
    ];
    command.extend(extra_global.iter().map(|s| s.to_string()));
    command.extend(["mcp", "--customer", "C001", "--no-help"].map(String::from));
    command
}

/// The shop's store in the data directory `data`.
fn store_of(data: &Path) -> SqliteStore {
    let paths = Paths {
        data_dir: data.join("shop"),
        ..Paths::default()
    };
    SqliteStore::open(&paths.store_file()).expect("the server's store")
}

fn order(store: &SqliteStore, id: &str) -> Value {
    store.find_records("orders", id).unwrap().remove(0).data
}

#[test]
fn a_client_lists_the_tools_calls_one_and_reads_the_reason_of_a_denial() {
    let data = tempfile::tempdir().unwrap();
    let lines = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "steps": [
            {"op": "list_tools"},
            {"op": "call", "tool": "track_order", "args": {"order_id": "1006"}},
            {"op": "call", "tool": "cancel_order", "args": {"order_id": "1001"}},
            {"op": "call", "tool": "cancel_order", "args": {"order_id": "1002"}},
            {"op": "call", "tool": "track_order", "args": {"order": "1006"}},
            {"op": "list_resources"},
            {"op": "read", "uri": "deskhand://policies/policies.toml"},
        ]
    }));
    let init = &lines[0]["result"];
    assert_eq!(init["serverInfo"]["name"], "deskhand");
    assert_eq!(init["capabilities"]["tools"]["listChanged"], true);

    let tools = lines[1]["result"]["tools"].as_array().expect("tools");
    let named = |name: &str| tools.iter().find(|t| t["name"] == name).cloned();
    for name in ["track_order", "list_orders", "cancel_order", "refund"] {
        assert!(named(name).is_some(), "{name} is offered: {tools:?}");
    }
    assert!(named("search_help").is_none(), "--no-help serves no search");
    let track = named("track_order").unwrap();
    assert_eq!(track["annotations"]["readOnlyHint"], true);
    assert_eq!(
        track["inputSchema"]["properties"]["order_id"]["type"],
        "string"
    );
    assert!(
        track["outputSchema"].is_object(),
        "a read-only tool's result schema: {track}"
    );
    let refund = named("refund").unwrap();
    assert_eq!(refund["annotations"]["destructiveHint"], true);
    assert_eq!(
        refund["inputSchema"]["properties"]["confirmation_token"]["type"],
        "string"
    );
    assert!(
        refund["_meta"]["deskhand/policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "refund-limits"),
        "{refund}"
    );

    let tracked = &lines[2]["result"];
    assert!(!is_error(tracked), "{tracked}");
    assert!(
        structured(tracked).to_string().contains("1006"),
        "{tracked}"
    );

    let denied = &lines[3]["result"];
    assert!(is_error(denied), "a deny is a tool error: {denied}");
    let reason = call_text(denied);
    assert!(reason.contains("within 10 days of purchase"), "{reason}");
    assert_eq!(structured(denied)["status"], "denied");

    let cancelled = &lines[4]["result"];
    assert!(!is_error(cancelled), "an allowed action runs: {cancelled}");
    assert_eq!(order(&store_of(data.path()), "1002")["status"], "cancelled");

    let bad = &lines[5]["result"];
    assert!(is_error(bad), "bad arguments are refused: {bad}");
    assert!(call_text(bad).contains("order_id"), "{bad}");

    let resources = lines[6]["result"]["resources"].as_array().unwrap();
    assert!(
        resources
            .iter()
            .any(|r| r["uri"] == "deskhand://help/cancellations.md"
                && r["mimeType"] == "text/markdown"),
        "{resources:?}"
    );
    let policies = &lines[7]["result"]["contents"][0];
    assert!(
        policies["text"]
            .as_str()
            .unwrap()
            .contains("[cancellation-window]"),
        "{policies}"
    );
}

#[test]
fn nothing_runs_before_the_confirmation() {
    let data = tempfile::tempdir().unwrap();
    let lines = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "steps": [{"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged"}}]
    }));
    let asked = &lines[1]["result"];
    assert!(!is_error(asked), "{asked}");
    let summary = structured(asked);
    assert_eq!(summary["status"], "needs_confirmation", "{asked}");
    let token = summary["confirmation_token"].as_str().unwrap();
    assert!(
        call_text(asked).contains(token),
        "the text says how to confirm: {asked}"
    );
    assert_eq!(order(&store_of(data.path()), "1007")["refunded_cents"], 0);
}

#[test]
fn a_token_confirms_exactly_its_call_once_and_an_escalation_records_a_handoff() {
    let data = tempfile::tempdir().unwrap();
    // "$last_token" is the token of the newest answer that gave one.
    let lines = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "steps": [
            {"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1008", "reason": "it arrived damaged", "confirmation_token": "$last_token"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged", "confirmation_token": "$last_token"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged", "confirmation_token": "$last_token"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged", "confirmation_token": "$last_token"}},
            {"op": "call", "tool": "refund", "args": {"order_id": "1008", "reason": "it arrived damaged"}},
        ]
    }));
    let status = |i: usize| structured(&lines[i]["result"])["status"].clone();
    assert_eq!(status(1), "needs_confirmation");
    assert_eq!(
        status(2),
        "not_confirmed",
        "a token is for its own call: {}",
        lines[2]
    );
    assert_eq!(
        status(3),
        "not_confirmed",
        "a misused token is spent: {}",
        lines[3]
    );
    assert_eq!(status(4), "needs_confirmation");
    assert!(
        !is_error(&lines[5]["result"]),
        "confirmed, it runs: {}",
        lines[5]
    );
    assert_eq!(
        status(6),
        "not_confirmed",
        "a token works once: {}",
        lines[6]
    );
    assert_eq!(status(7), "escalated", "{}", lines[7]);
    assert!(
        call_text(&lines[7]["result"]).contains("handoff #"),
        "{}",
        lines[7]
    );

    let store = store_of(data.path());
    assert_eq!(
        order(&store, "1007")["refunded_cents"],
        8900,
        "refunded once"
    );
    assert_eq!(order(&store, "1008")["refunded_cents"], 0);
    let handoffs = deskhand::store::ConversationStore::handoffs(&store).unwrap();
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].customer_id, "C001");
    assert_eq!(handoffs[0].tool.as_deref(), Some("refund"));
    assert!(handoffs[0].conversation_id.starts_with("mcp:"));
    let audited = deskhand::store::AuditLog::decisions(&store, 100).unwrap();
    assert!(
        audited
            .iter()
            .any(|r| r.tool == "refund" && r.verdict == "allow"),
        "every decision is audited"
    );
}

#[test]
fn elicitation_asks_the_person_and_a_no_does_nothing() {
    let data = tempfile::tempdir().unwrap();
    let yes = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "elicitation": "accept",
        "steps": [{"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged"}}]
    }));
    let done = &yes[1];
    assert!(
        done["elicited"][0]["message"].is_string(),
        "the person was asked: {done}"
    );
    assert!(!is_error(&done["result"]), "{done}");
    assert_eq!(
        order(&store_of(data.path()), "1007")["refunded_cents"],
        8900
    );

    let data = tempfile::tempdir().unwrap();
    let no = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "elicitation": "decline",
        "steps": [{"op": "call", "tool": "refund", "args": {"order_id": "1007", "reason": "it arrived damaged"}}]
    }));
    let refused = &no[1];
    assert!(refused["elicited"].is_array(), "{refused}");
    assert_eq!(
        structured(&refused["result"])["status"],
        "declined",
        "{refused}"
    );
    assert_eq!(order(&store_of(data.path()), "1007")["refunded_cents"], 0);
}

#[test]
fn no_argument_reaches_another_customers_data() {
    let data = tempfile::tempdir().unwrap();
    // C002's orders, named by every tool, with and without a forged customer.
    let mut steps = Vec::new();
    for id in ["1013", "1014", "1015", "1020"] {
        for tool in ["track_order", "cancel_order", "refund"] {
            steps
                .push(json!({"op": "call", "tool": tool, "args": {"order_id": id, "reason": "r"}}));
            steps.push(json!({"op": "call", "tool": tool, "args": {"order_id": id}}));
            steps.push(json!({"op": "call", "tool": tool, "args": {"order_id": id, "customer_id": "C002"}}));
        }
    }
    steps.push(json!({"op": "call", "tool": "list_orders", "args": {}}));
    steps.push(json!({"op": "call", "tool": "list_orders", "args": {"customer_id": "C002"}}));
    let lines = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[])},
        "elicitation": "accept",
        "steps": steps
    }));
    let listed = &lines[lines.len() - 2]["result"];
    let text = listed.to_string();
    assert!(
        text.contains("1012"),
        "C001 sees their own orders: {listed}"
    );
    for line in &lines[1..] {
        let text = line.to_string();
        for foreign in ["1013", "1014", "1015", "1020"] {
            let leaked = line["result"]["structuredContent"]
                .to_string()
                .contains(foreign)
                && !is_error(&line["result"]);
            assert!(!leaked, "C002's order {foreign} reached C001: {text}");
        }
    }
    let store = store_of(data.path());
    for id in ["1013", "1014", "1015", "1020"] {
        let order = order(&store, id);
        assert_ne!(order["status"], "cancelled", "{id}: {order}");
        assert_eq!(order["refunded_cents"], 0, "{id}: {order}");
    }
}

#[test]
fn replacing_a_plugin_file_sends_list_changed() {
    let data = tempfile::tempdir().unwrap();
    let plugins = tempfile::tempdir().unwrap();
    for name in ["track_order", "list_orders", "cancel_order", "refund"] {
        std::fs::copy(
            Path::new(BUILTIN_PLUGINS_DIR).join(format!("{name}.wasm")),
            plugins.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let grants = shop_dir().join("plugins.toml");
    let replacement: PathBuf = Path::new(BUILTIN_PLUGINS_DIR).join("line_status.wasm");
    let lines = run_plan(&json!({
        "server": {"stdio": stdio_server(data.path(), &[
            "--plugins", plugins.path().to_str().unwrap(),
            "--plugin-grants", grants.to_str().unwrap(),
        ])},
        "steps": [
            {"op": "list_tools"},
            {"op": "copy", "from": replacement, "to": plugins.path().join("list_orders.wasm")},
            {"op": "wait_list_changed", "seconds": 30},
            {"op": "list_tools"},
        ]
    }));
    assert!(
        lines[3].get("error").is_none(),
        "list_changed arrived: {}",
        lines[3]
    );
    let names: Vec<&str> = lines[4]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"line_status"), "{names:?}");
    assert!(!names.contains(&"list_orders"), "{names:?}");
}

#[test]
fn the_help_centre_is_searchable_over_http_with_the_key_as_the_customer() {
    let server = common::server::TestServer::start();
    let url = server.url("/mcp");
    let lines = run_plan(&json!({
        "server": {"http": url, "key": "demo-C002"},
        "steps": [
            {"op": "call", "tool": "search_help", "args": {"query": "how long do I have to cancel an order?"}},
            {"op": "call", "tool": "list_orders", "args": {}},
            {"op": "read", "uri": "deskhand://help/cancellations.md"},
        ]
    }));
    let found = &lines[1]["result"];
    assert!(!is_error(found), "{found}");
    let passages = structured(found)["passages"].as_array().unwrap().clone();
    assert!(
        passages
            .iter()
            .any(|p| p["page"].as_str().unwrap_or("").contains("cancel")),
        "{passages:?}"
    );
    let orders = structured(&lines[2]["result"]).to_string();
    assert!(
        orders.contains("1013") && !orders.contains("1001"),
        "C002's orders only: {orders}"
    );
    assert!(
        lines[3]["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains('#')
    );

    // Without a known key nothing is served.
    let refused = common::http::Request::new("POST", "/mcp")
        .key("not-a-key")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send(server.address);
    assert_eq!(refused.status, 401, "{}", refused.text());
}

#[test]
fn an_http_session_belongs_to_the_key_that_opened_it() {
    let server = common::server::TestServer::start();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let opened = common::http::Request::new("POST", "/mcp")
        .key("demo-C001")
        .header("Accept", "application/json, text/event-stream")
        .json(&initialize)
        .send(server.address);
    assert_eq!(opened.status, 200, "{}", opened.text());
    let session = opened
        .header("mcp-session-id")
        .expect("a session id")
        .to_string();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    for (key, method) in [
        ("demo-C002", "POST"),
        ("demo-staff", "POST"),
        ("demo-C002", "DELETE"),
    ] {
        let hijack = common::http::Request::new(method, "/mcp")
            .key(key)
            .header("Accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .json(&list)
            .send(server.address);
        assert_eq!(hijack.status, 403, "{key} {method}: {}", hijack.text());
    }
}

fn shop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop")
}
