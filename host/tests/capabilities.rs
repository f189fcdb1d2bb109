//! What a plugin may touch: customer-scoped records, outgoing HTTP to
//! granted hosts, its own settings and secrets, all denied by default, and
//! one call's writes committed together or not at all.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::{NOW, grant, plugin_dir, sandbox_config, scope, shop, test_plugin};
use deskhand::clock::Clock;
use deskhand::plugins::{CustomerScope, PluginRegistry, Sandbox, ToolError};
use deskhand::store::{NewRecord, RecordStore, SqliteStore, seed};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The hostile plugin with `grants` (the body of its `[plugins.hostile]`).
fn hostile(grants: &str) -> (tempfile::TempDir, PluginRegistry) {
    let dir = plugin_dir(&[(&test_plugin("hostile"), "hostile.wasm")]);
    grant(dir.path(), &format!("[plugins.hostile]\n{grants}\n"));
    let registry =
        PluginRegistry::load(Sandbox::new(sandbox_config()).unwrap(), dir.path()).unwrap();
    assert!(registry.catalog().failures().is_empty());
    (dir, registry)
}

fn attack(
    registry: &PluginRegistry,
    scope: &CustomerScope,
    args: Value,
) -> Result<Value, ToolError> {
    registry
        .call("hostile", scope, &args)
        .map(|r| r["outcome"].clone())
}

#[test]
fn plugins_only_ever_see_their_own_customers_rows_whatever_the_rows() {
    let (_dir, registry) = hostile("records = { notes = \"read-write\" }");
    for seed_value in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(seed_value);
        let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory().unwrap());
        seed::seed(store.as_ref(), NOW).unwrap();
        let customers = ["C001", "C002", "C003"];
        // Random rows, with ids shared between customers on purpose.
        let mut owned: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let mut rows = Vec::new();
        for _ in 0..rng.random_range(1..30) {
            let customer = customers[rng.random_range(0..3)];
            let id = format!("n{}", rng.random_range(0..12));
            if owned.entry(customer).or_default().insert(id.clone()) {
                rows.push(NewRecord {
                    customer_id: customer.into(),
                    id: Some(id),
                    data: json!({"owner": customer, "n": rng.random_range(0..5)}),
                });
            }
        }
        store.import("notes", &rows, NOW).unwrap();
        let clock = Clock::fixed(NOW);
        for customer in customers {
            let me = scope(&store, &clock, customer);
            let mine = owned.get(customer).cloned().unwrap_or_default();
            // An unfiltered query returns exactly the caller's rows.
            let all = attack(
                &registry,
                &me,
                json!({"attack": "query-all", "collection": "notes"}),
            )
            .unwrap();
            let seen: BTreeSet<String> = all
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    assert_eq!(r["data"]["owner"], customer, "seed {seed_value}");
                    r["id"].as_str().unwrap().to_string()
                })
                .collect();
            assert_eq!(seen, mine, "seed {seed_value}, {customer}");
            for n in 0..12 {
                let id = format!("n{n}");
                let peek = attack(
                    &registry,
                    &me,
                    json!({"attack": "peek-row", "target": id, "collection": "notes"}),
                );
                let update = attack(
                    &registry,
                    &me,
                    json!({"attack": "update-row", "target": id, "collection": "notes"}),
                );
                if mine.contains(&id) {
                    assert_eq!(peek.unwrap()["data"]["owner"], customer);
                    assert_eq!(update.unwrap()["data"]["hijacked"], true);
                } else {
                    // Someone else's row is exactly a missing one.
                    let missing = |r: Result<Value, ToolError>| match r {
                        Err(ToolError::Failed { code, .. }) => code == "not-found",
                        _ => false,
                    };
                    assert!(missing(peek), "seed {seed_value}: {customer} saw {id}");
                    assert!(
                        missing(update),
                        "seed {seed_value}: {customer} updated {id}"
                    );
                    let deleted = attack(
                        &registry,
                        &me,
                        json!({"attack": "delete-row", "target": id, "collection": "notes"}),
                    )
                    .unwrap();
                    assert_eq!(deleted, false);
                }
            }
        }
        // Nobody's row was touched by anyone else: every row still has its
        // owner, and only owners hijacked their own.
        for row in store.all_records(Some("notes")).unwrap() {
            assert_eq!(row.data["owner"], row.customer_id.as_str());
            assert!(owned[row.customer_id.as_str()].contains(&row.id));
        }
        assert_eq!(
            store.all_records(Some("notes")).unwrap().len(),
            owned.values().map(BTreeSet::len).sum::<usize>()
        );
    }
}

#[test]
fn a_row_a_plugin_inserts_belongs_to_the_sessions_customer() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile("records = { notes = \"read-write\" }");
    let ben = scope(&store, &clock, "C002");
    let row = attack(
        &registry,
        &ben,
        json!({"attack": "insert-row", "collection": "notes", "target": "x1"}),
    )
    .unwrap();
    assert_eq!(row["id"], "x1");
    let stored = store.find_records("notes", "x1").unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].customer_id, "C002");
    // Ana may use the same id: it is hers, and Ben's row is untouched.
    let ana = scope(&store, &clock, "C001");
    attack(
        &registry,
        &ana,
        json!({"attack": "insert-row", "collection": "notes", "target": "x1"}),
    )
    .unwrap();
    assert_eq!(store.find_records("notes", "x1").unwrap().len(), 2);
    // Inserting an id the customer already has is a conflict.
    let again = attack(
        &registry,
        &ben,
        json!({"attack": "insert-row", "collection": "notes", "target": "x1"}),
    );
    assert!(
        matches!(&again, Err(ToolError::Failed { code, .. }) if code == "conflict"),
        "{again:?}"
    );
}

#[test]
fn without_a_grant_records_are_denied_naming_the_permission() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile("records = { notes = \"read\" }");
    let ana = scope(&store, &clock, "C001");
    // No grant at all for orders.
    let error = attack(
        &registry,
        &ana,
        json!({"attack": "peek-row", "target": "1002"}),
    )
    .unwrap_err();
    let ToolError::PermissionDenied { permission, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        permission.contains(r#"records.orders = "read""#),
        "{permission}"
    );
    assert!(permission.contains("[plugins.hostile]"), "{permission}");
    assert_eq!(error.code(), "permission-denied");
    // A read grant does not allow writing.
    let error = attack(
        &registry,
        &ana,
        json!({"attack": "insert-row", "collection": "notes"}),
    )
    .unwrap_err();
    let ToolError::PermissionDenied { permission, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        permission.contains(r#"records.notes = "read-write""#),
        "{permission}"
    );
    assert!(store.all_records(Some("notes")).unwrap().is_empty());
    // And nothing else is granted: no HTTP, no settings, no secrets.
    let error = attack(
        &registry,
        &ana,
        json!({"attack": "http-get", "target": "http://127.0.0.1:9/"}),
    )
    .unwrap_err();
    assert!(
        matches!(&error, ToolError::PermissionDenied { permission, .. } if permission.contains("http")),
        "{error:?}"
    );
    assert_eq!(
        attack(
            &registry,
            &ana,
            json!({"attack": "read-setting", "target": "region"})
        )
        .unwrap(),
        Value::Null
    );
    assert_eq!(
        attack(
            &registry,
            &ana,
            json!({"attack": "read-secret", "target": "home"})
        )
        .unwrap(),
        Value::Null
    );
}

#[test]
fn settings_and_secrets_come_from_the_grant_and_the_environment() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile(
        "settings = { region = \"eu\", limits = { max = 3 } }\nsecrets = { home = \"HOME\", unset = \"DESKHAND_NO_SUCH_VARIABLE\" }",
    );
    let ana = scope(&store, &clock, "C001");
    let setting = |name: &str| {
        attack(
            &registry,
            &ana,
            json!({"attack": "read-setting", "target": name}),
        )
        .unwrap()
    };
    assert_eq!(setting("region"), json!("\"eu\""));
    assert_eq!(setting("limits"), json!("{\"max\":3}"));
    assert_eq!(setting("other"), Value::Null);
    let secret = |name: &str| {
        attack(
            &registry,
            &ana,
            json!({"attack": "read-secret", "target": name}),
        )
        .unwrap()
    };
    assert_eq!(secret("home"), json!(std::env::var("HOME").unwrap()));
    assert_eq!(secret("unset"), Value::Null);
    assert_eq!(
        secret("PATH"),
        Value::Null,
        "only secrets named in the grant are readable"
    );
}

#[test]
fn writes_of_a_call_that_traps_or_fails_leave_nothing_behind() {
    let (store, clock) = shop();
    let (_dir, registry) =
        hostile("records = { notes = \"read-write\", audit_notes = \"read-write\" }");
    let ana = scope(&store, &clock, "C001");
    let before = store.all_records(None).unwrap();
    for kind in ["write-then-trap", "write-then-fail"] {
        let error = attack(
            &registry,
            &ana,
            json!({"attack": kind, "collection": "notes", "target": "audit_notes"}),
        )
        .unwrap_err();
        match kind {
            "write-then-trap" => assert!(matches!(error, ToolError::Crashed { .. }), "{error:?}"),
            _ => assert!(
                matches!(&error, ToolError::Failed { code, .. } if code == "failed-after-writes"),
                "{error:?}"
            ),
        }
        assert_eq!(
            store.all_records(None).unwrap(),
            before,
            "{kind} left writes behind"
        );
    }
    // The same writes in a call that succeeds land together.
    attack(
        &registry,
        &ana,
        json!({"attack": "insert-row", "collection": "notes"}),
    )
    .unwrap();
    assert_eq!(store.all_records(Some("notes")).unwrap().len(), 1);
}

#[test]
fn facts_run_read_only() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile("records = { orders = \"read-write\" }");
    let plugin = registry.require("hostile").unwrap();
    let facts = plugin
        .facts(&scope(&store, &clock, "C001"), &json!({"attack": "print"}))
        .unwrap();
    let refused = facts["refused"].as_str().unwrap_or_default();
    assert!(
        refused.contains("Denied") && refused.contains("read-only"),
        "{facts}"
    );
    assert_eq!(store.all_records(Some("orders")).unwrap().len(), 28);
}

#[test]
fn two_refunds_racing_for_the_same_money_pay_out_once() {
    let (store, clock) = shop();
    let registry = Arc::new(common::builtin_registry());
    let outcomes: Vec<Result<Value, ToolError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (registry, scope) = (registry.clone(), scope(&store, &clock, "C001"));
                s.spawn(move || {
                    registry.call(
                        "refund",
                        &scope,
                        &json!({"order_id": "1007", "reason": "blunt knife"}),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let paid: Vec<_> = outcomes.iter().filter(|o| o.is_ok()).collect();
    assert_eq!(paid.len(), 1, "{outcomes:?}");
    for outcome in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            matches!(outcome, ToolError::Failed { code, .. } if code == "already-refunded")
                || matches!(outcome, ToolError::Conflict { .. }),
            "{outcome:?}"
        );
    }
    assert_eq!(common::refunds_of(store.as_ref(), "1007").len(), 1);
    assert_eq!(
        common::order(store.as_ref(), "1007")["refunded_cents"],
        8_900
    );
}

/// A small HTTP/1.1 server on loopback with a few routes; answers until the
/// test ends (each connection on its own thread, bounded by the test).
fn serve(redirect_to: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200).flatten() {
            let redirect_to = redirect_to.clone();
            std::thread::spawn(move || answer(stream, port, &redirect_to));
        }
    });
    port
}

fn answer(mut stream: TcpStream, port: u16, redirect_to: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok() && line.trim() != "" {
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let respond = |stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match path.as_str() {
        "/line/42" => respond(
            &mut stream,
            "200 OK",
            "content-type: application/json\r\n",
            br#"{"line": "42", "up": true}"#,
        ),
        "/hop" => respond(
            &mut stream,
            "302 Found",
            &format!("location: http://127.0.0.1:{port}/line/42\r\n"),
            b"",
        ),
        "/away" => respond(
            &mut stream,
            "302 Found",
            &format!("location: {redirect_to}\r\n"),
            b"",
        ),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            respond(&mut stream, "200 OK", "", b"late");
        }
        "/big" => respond(&mut stream, "200 OK", "", &vec![b'x'; 64 * 1024]),
        _ => respond(&mut stream, "404 Not Found", "", b"no"),
    }
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
}

#[test]
fn http_reaches_granted_hosts_only_within_its_limits() {
    // Another loopback port stands for a host that is not granted.
    let other = serve(String::new());
    let port = serve(format!("http://127.0.0.1:{other}/line/42"));
    let (_dir, registry) = hostile(&format!(
        "http = [\"127.0.0.1:{port}\"]\nhttp_timeout_ms = 500\nhttp_max_bytes = 4096\ntimeout_ms = 3000"
    ));
    let (store, clock) = shop();
    let ana = scope(&store, &clock, "C001");
    let get = |url: String| {
        attack(
            &registry,
            &ana,
            json!({"attack": "http-get", "target": url}),
        )
    };

    let ok = get(format!("http://127.0.0.1:{port}/line/42")).unwrap();
    assert_eq!(ok["status"], 200);
    assert_eq!(
        serde_json::from_str::<Value>(ok["body"].as_str().unwrap()).unwrap()["up"],
        true
    );
    // A redirect within the granted host is followed.
    assert_eq!(
        get(format!("http://127.0.0.1:{port}/hop")).unwrap()["status"],
        200
    );

    let failure = |result: Result<Value, ToolError>| match result {
        Err(ToolError::Failed { code, message, .. }) if code == "http-failed" => message,
        Err(ToolError::PermissionDenied { permission, .. }) => format!("permission: {permission}"),
        other => panic!("expected a clean failure, got {other:?}"),
    };
    let ungranted = failure(get(format!("http://127.0.0.1:{other}/line/42")));
    assert!(
        ungranted.contains(&format!("127.0.0.1:{other}")),
        "{ungranted}"
    );
    let redirect = failure(get(format!("http://127.0.0.1:{port}/away")));
    assert!(redirect.contains("not granted"), "{redirect}");
    let slow = failure(get(format!("http://127.0.0.1:{port}/slow")));
    assert!(slow.contains("Timeout"), "{slow}");
    let big = failure(get(format!("http://127.0.0.1:{port}/big")));
    assert!(big.contains("TooLarge(4096)"), "{big}");
    let scheme = failure(get("file:///etc/passwd".into()));
    assert!(scheme.contains("InvalidRequest"), "{scheme}");
    // The host keeps serving.
    assert_eq!(
        get(format!("http://127.0.0.1:{port}/line/42")).unwrap()["status"],
        200
    );
}
