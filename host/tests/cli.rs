//! The `deskhand` binary as a user runs it.

use std::process::{Command, Output};

fn deskhand(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(args)
        .env("DESKHAND_DATA_DIR", data_dir)
        .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
        .env_remove("DESKHAND_PLUGINS")
        .output()
        .expect("running deskhand")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `deskhand tools call TOOL --customer C001 --args ARGS [extra…]`.
fn tools_call(data_dir: &std::path::Path, tool: &str, args: &str, extra: &[&str]) -> Output {
    let mut argv = vec!["tools", "call", tool, "--customer", "C001", "--args", args];
    argv.extend_from_slice(extra);
    deskhand(data_dir, &argv)
}

#[test]
fn tools_list_prints_every_tool_with_effect_version_and_arguments() {
    let data = tempfile::tempdir().unwrap();
    let out = deskhand(data.path(), &["tools", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("EFFECT")
            && lines[0].contains("ARGUMENTS")
    );
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{stdout}"))
    };
    assert!(
        row("cancel_order").contains("reversible")
            && row("cancel_order").contains("order_id, reason?")
    );
    assert!(
        row("refund").contains("irreversible")
            && row("refund").contains("order_id, reason, amount?")
    );
    assert!(row("track_order").contains("read-only") && row("track_order").contains("0.1.0"));
    assert!(row("list_orders").contains("limit?"));
}

#[test]
fn tools_call_prints_the_json_result() {
    let data = tempfile::tempdir().unwrap();
    let out = tools_call(data.path(), "track_order", r#"{"order_id": "1006"}"#, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "shipped");
    // The store was created and seeded on first use.
    assert!(data.path().join("shop/deskhand.db").exists());
}

#[test]
fn a_refused_call_prints_the_code_and_exits_non_zero() {
    let data = tempfile::tempdir().unwrap();
    let out = tools_call(data.path(), "cancel_order", r#"{"order_id": "1006"}"#, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[already-shipped]"), "{stderr}");
    assert!(stderr.contains("already shipped"), "{stderr}");
}

#[test]
fn changes_persist_in_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let cancel = tools_call(data.path(), "cancel_order", r#"{"order_id": "1002"}"#, &[]);
    assert!(cancel.status.success(), "{}", text(&cancel.stderr));
    let track = tools_call(data.path(), "track_order", r#"{"order_id": "1002"}"#, &[]);
    let result: serde_json::Value = serde_json::from_slice(&track.stdout).unwrap();
    assert_eq!(result["status"], "cancelled");
    // Reset brings the demo shop back.
    let reset = deskhand(data.path(), &["store", "reset"]);
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    let track = tools_call(data.path(), "track_order", r#"{"order_id": "1002"}"#, &[]);
    let result: serde_json::Value = serde_json::from_slice(&track.stdout).unwrap();
    assert_eq!(result["status"], "processing");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let bad_json = tools_call(data.path(), "track_order", "{order_id: 1}", &[]);
    assert_eq!(bad_json.status.code(), Some(2));
    assert!(
        text(&bad_json.stderr).contains("--args must be a JSON object"),
        "{}",
        text(&bad_json.stderr)
    );

    let unknown_customer = deskhand(
        data.path(),
        &[
            "tools",
            "call",
            "track_order",
            "--customer",
            "C999",
            "--args",
            r#"{"order_id": "1001"}"#,
        ],
    );
    assert_eq!(unknown_customer.status.code(), Some(2));
    assert!(text(&unknown_customer.stderr).contains("no customer \"C999\""));

    let schema = tools_call(data.path(), "track_order", r#"{"order": "1001"}"#, &[]);
    assert_eq!(schema.status.code(), Some(1));
    let stderr = text(&schema.stderr);
    assert!(
        stderr.contains("invalid-arguments") && stderr.contains("order_id"),
        "{stderr}"
    );

    let seed_twice = deskhand(data.path(), &["store", "seed"]);
    assert_eq!(seed_twice.status.code(), Some(2));
    assert!(text(&seed_twice.stderr).contains("store reset"));
}

#[test]
fn tools_call_goes_through_the_policies() {
    let data = tempfile::tempdir().unwrap();
    let denied = tools_call(data.path(), "cancel_order", r#"{"order_id": "1001"}"#, &[]);
    assert_eq!(denied.status.code(), Some(1));
    let stderr = text(&denied.stderr);
    assert!(
        stderr.contains("denied[outside-cancellation-window]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("within 10 days of purchase; order 1001 was placed 20 days ago"),
        "{stderr}"
    );

    let ask = tools_call(
        data.path(),
        "refund",
        r#"{"order_id": "1007", "reason": "blunt"}"#,
        &[],
    );
    assert_eq!(ask.status.code(), Some(1));
    assert!(
        text(&ask.stderr).contains("refund 89.00 EUR on order 1007"),
        "{}",
        text(&ask.stderr)
    );
    let confirmed = tools_call(
        data.path(),
        "refund",
        r#"{"order_id": "1007", "reason": "blunt"}"#,
        &["--confirmed"],
    );
    assert!(confirmed.status.success(), "{}", text(&confirmed.stderr));
    let result: serde_json::Value = serde_json::from_slice(&confirmed.stdout).unwrap();
    assert_eq!(result["amount"], 89.0);
}

#[test]
fn policies_list_test_and_status() {
    let data = tempfile::tempdir().unwrap();
    let list = deskhand(data.path(), &["policies", "list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let stdout = text(&list.stdout);
    assert!(stdout.starts_with("revision "), "{stdout}");
    for name in [
        "cancellation-window",
        "refund-limits",
        "confirm-irreversible",
    ] {
        assert!(stdout.contains(name), "{stdout}");
    }
    assert!(stdout.contains(r#""max_days":10"#), "{stdout}");

    let test = deskhand(data.path(), &["policies", "test"]);
    assert!(test.status.success(), "{}", text(&test.stdout));
    let stdout = text(&test.stdout);
    assert!(
        stdout.contains("pass  boundary: exactly 10 days 0 hours is outside the window"),
        "{stdout}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    let status = deskhand(data.path(), &["policies", "status"]);
    assert!(status.status.success(), "{}", text(&status.stdout));
    assert!(text(&status.stdout).contains("which passes its tests"));
}

/// `deskhand chat` with `input` piped to stdin.
fn chat(data_dir: &std::path::Path, customer: &str, input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(["chat", "--customer", customer])
        .env("DESKHAND_DATA_DIR", data_dir)
        .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
        .env_remove("DESKHAND_PLUGINS")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running deskhand chat");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("waiting for deskhand chat")
}

#[test]
fn chat_reads_piped_messages_streams_replies_and_shows_the_trace() {
    let data = tempfile::tempdir().unwrap();
    let out = chat(
        data.path(),
        "C001",
        "cancel order 1002\n/trace\n/new\ncancel order 1001\n/quit\ncancel order 1003\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("you> cancel order 1002"), "{stdout}");
    assert!(
        stdout.contains("Order 1002 has been cancelled."),
        "{stdout}"
    );
    assert!(
        stdout.contains("route") && stdout.contains("cancel_order"),
        "{stdout}"
    );
    assert!(
        stdout.contains("policy") && stdout.contains("allow"),
        "{stdout}"
    );
    assert!(stdout.contains("new conversation"), "{stdout}");
    assert!(stdout.contains("10 days"), "{stdout}");
    assert!(!stdout.contains("1003"), "/quit stops reading: {stdout}");
}

#[test]
fn ask_answers_one_message_and_json_has_the_whole_turn() {
    let data = tempfile::tempdir().unwrap();
    let out = deskhand(
        data.path(),
        &["ask", "--customer", "C001", "--json", "refund order 1008"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let turn: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(turn["tools"][0]["tool"], "refund");
    assert_eq!(turn["tools"][0]["decision"]["verdict"], "escalate");
    assert!(turn["handoff_id"].is_i64());
    assert!(turn["steps"].as_array().unwrap().len() >= 4);
}

#[test]
fn ask_refuses_unknown_customers_and_empty_messages_clearly() {
    let data = tempfile::tempdir().unwrap();
    let out = deskhand(data.path(), &["ask", "--customer", "C999", "hello"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no customer \"C999\""),
        "{}",
        text(&out.stderr)
    );
    let out = deskhand(data.path(), &["ask", "--customer", "C001", "   "]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("message is empty"),
        "{}",
        text(&out.stderr)
    );
}
