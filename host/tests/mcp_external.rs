//! External MCP servers as tools of the desk: a small Python server (the
//! official SDK) whose tool one desk's policy denies and another's allows,
//! one that hangs and one that crashes, behind the same gate as plugins.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deskhand::desk::{McpServerSpec, McpTransport};
use deskhand::plugins::{Effect, PluginRegistry, RemoteLimits, Sandbox, ToolError};
use deskhand::policy::{GatedCall, PolicyEngine, PolicyGate, PolicyPaths, ToolCall, Verdict};
use deskhand::store::{AuditLog, SqliteStore};
use serde_json::{Value, json};

/// The test server in `mood`, recording its calls in `calls`.
fn spec(mood: &str, calls: &Path, timeout_ms: u64) -> McpServerSpec {
    let mut env = BTreeMap::new();
    env.insert("CALLS_FILE".to_string(), calls.display().to_string());
    McpServerSpec {
        name: format!("vouchers_{mood}"),
        transport: McpTransport::Stdio {
            program: common::mcp::python(),
            args: vec![
                common::mcp::scripts()
                    .join("external_mcp_server.py")
                    .display()
                    .to_string(),
                mood.to_string(),
            ],
            env,
            dir: std::env::temp_dir(),
        },
        effect: Effect::Irreversible,
        effects: [("lookup_voucher".to_string(), Effect::ReadOnly)].into(),
        tools: None,
        prefix: String::new(),
        limits: RemoteLimits {
            timeout: Duration::from_millis(timeout_ms),
            max_result_bytes: 16 << 10,
        },
        startup_timeout: Duration::from_secs(60),
    }
}

/// The policies of a desk that limits vouchers to `max` euros.
fn policies(dir: &Path, max: f64) -> PathBuf {
    let file = dir.join("policies.toml");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        &file,
        format!(
            "[amount-limit]\ntools = [\"issue_voucher\"]\nparams = {{ max_amount = {max:.1} }}\n\n\
             [confirm-irreversible]\nparams = {{ effects = [\"irreversible\"], tools = [], exempt = [] }}\n"
        ),
    )
    .unwrap();
    file
}

struct Desk {
    gate: PolicyGate,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

/// A desk with the shop's plugins, the server `spec`'s tools and a
/// voucher limit of `max`.
fn desk(spec: McpServerSpec, max: f64) -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::new(common::sandbox_config()).unwrap();
    let registry = Arc::new(
        PluginRegistry::load(sandbox.clone(), deskhand::plugins::PluginPaths::builtin()).unwrap(),
    );
    let external = deskhand::mcp::external::connect(&[spec]);
    assert!(external.failures.is_empty(), "{:?}", external.failures);
    registry.set_remote(external.tools).unwrap();
    let engine = PolicyEngine::load_for_tools(
        sandbox,
        PolicyPaths::config(policies(dir.path(), max)),
        registry.clone(),
    )
    .expect("the policies load for the external tools");
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    deskhand::store::seed::seed(store.as_ref(), common::NOW).unwrap();
    Desk {
        gate: PolicyGate::new(registry, Arc::new(engine), store.clone()),
        store,
        _dir: dir,
    }
}

fn call(desk: &Desk, tool: &str, args: Value, confirmed: bool) -> Result<GatedCall, ToolError> {
    let scope = deskhand::plugins::CustomerScope::new(
        "C001",
        desk.store.clone(),
        deskhand::clock::Clock::fixed(common::NOW),
    );
    desk.gate.call(
        &scope,
        ToolCall {
            tool,
            args: &args,
            conversation_id: Some("test"),
            confirmed,
        },
    )
}

fn calls_made(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_desks_policy_denies_the_external_tool_and_anothers_allows_it() {
    let calls = tempfile::NamedTempFile::new().unwrap();
    let strict = desk(spec("good", calls.path(), 10_000), 50.0);
    let tools: Vec<String> = strict
        .gate
        .tools()
        .catalog()
        .plugins()
        .map(|p| p.name().to_string())
        .collect();
    assert!(tools.contains(&"issue_voucher".to_string()), "{tools:?}");
    assert!(
        tools.contains(&"track_order".to_string()),
        "the plugins stay: {tools:?}"
    );

    let denied = call(
        &strict,
        "issue_voucher",
        json!({"amount": 100.0, "reason": "late"}),
        true,
    )
    .unwrap();
    let decision = denied.decision().unwrap();
    assert_eq!(decision.verdict, Verdict::Deny);
    assert!(
        decision.reason.as_deref().unwrap().contains("50.00 EUR"),
        "{decision:?}"
    );
    let asked = call(
        &strict,
        "issue_voucher",
        json!({"amount": 20.0, "reason": "late"}),
        false,
    )
    .unwrap();
    assert_eq!(asked.decision().unwrap().verdict, Verdict::Confirm);
    assert!(
        calls_made(calls.path()).is_empty(),
        "nothing ran unconfirmed"
    );
    let ran = call(
        &strict,
        "issue_voucher",
        json!({"amount": 20.0, "reason": "late"}),
        true,
    )
    .unwrap();
    match &ran {
        GatedCall::Ran {
            result: Ok(value), ..
        } => assert_eq!(value["voucher"], "V-2000"),
        other => panic!("{other:?}"),
    }
    let made = calls_made(calls.path());
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        made[0]["customer"], "C001",
        "the server is told whose call it is"
    );
    let audited = strict.store.decisions(50).unwrap();
    assert!(
        audited.iter().filter(|r| r.tool == "issue_voucher").count() >= 3,
        "every decision is audited: {audited:?}"
    );

    let generous = desk(spec("good", calls.path(), 10_000), 500.0);
    let allowed = call(
        &generous,
        "issue_voucher",
        json!({"amount": 100.0, "reason": "late"}),
        true,
    )
    .unwrap();
    assert!(allowed.succeeded(), "{allowed:?}");

    // A read-only tool runs without the policies; arguments are checked
    // against the server's own schema first; a huge result is refused.
    let looked = call(&generous, "lookup_voucher", json!({"code": "V-1"}), false).unwrap();
    assert!(
        looked.succeeded() && looked.decision().is_none(),
        "{looked:?}"
    );
    let bad = call(&generous, "issue_voucher", json!({"amount": "lots"}), true).unwrap_err();
    assert_eq!(bad.code(), "invalid-arguments");
    match call(&generous, "big_report", json!({}), true).unwrap() {
        GatedCall::Ran {
            result: Err(error), ..
        } => {
            assert!(error.to_string().contains("max_result_bytes"), "{error}")
        }
        other => panic!("a 200 kB result is refused: {other:?}"),
    }
}

#[test]
fn a_server_that_hangs_is_timed_out_and_the_desk_serves_on() {
    let calls = tempfile::NamedTempFile::new().unwrap();
    let desk = desk(spec("hang", calls.path(), 800), 500.0);
    for _ in 0..2 {
        let started = Instant::now();
        let result = call(&desk, "lookup_voucher", json!({"code": "V-1"}), false).unwrap();
        let elapsed = started.elapsed();
        match result {
            GatedCall::Ran {
                result: Err(error), ..
            } => assert_eq!(error.code(), "timeout"),
            other => panic!("{other:?}"),
        }
        assert!(elapsed < Duration::from_secs(5), "bounded: {elapsed:?}");
    }
    let tracked = call(&desk, "track_order", json!({"order_id": "1006"}), false).unwrap();
    assert!(tracked.succeeded(), "the plugins still answer: {tracked:?}");
}

#[test]
fn a_server_that_crashes_is_reported_and_started_again() {
    let calls = tempfile::NamedTempFile::new().unwrap();
    let desk = desk(spec("crash", calls.path(), 5_000), 500.0);
    for attempt in 0..2 {
        match call(&desk, "lookup_voucher", json!({"code": "V-1"}), false).unwrap() {
            GatedCall::Ran {
                result: Err(error), ..
            } => {
                assert!(!error.is_business_failure(), "{error}");
                assert!(
                    error.to_string().contains("vouchers_crash"),
                    "the message names the server: {error}"
                );
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(1100));
    }
    let tracked = call(&desk, "track_order", json!({"order_id": "1006"}), false).unwrap();
    assert!(tracked.succeeded(), "{tracked:?}");
}

#[test]
fn a_server_that_does_not_speak_mcp_is_left_out_with_the_reason() {
    let garbage = McpServerSpec {
        name: "garbage".into(),
        transport: McpTransport::Stdio {
            program: common::mcp::python(),
            args: vec![
                "-c".into(),
                "import sys, time\nprint('this is not JSON-RPC', flush=True)\nsys.stdin.read()"
                    .into(),
            ],
            env: BTreeMap::new(),
            dir: std::env::temp_dir(),
        },
        startup_timeout: Duration::from_secs(3),
        ..spec("good", Path::new("/dev/null"), 1000)
    };
    let missing = McpServerSpec {
        name: "missing".into(),
        transport: McpTransport::Stdio {
            program: PathBuf::from("/nonexistent/mcp-server"),
            args: Vec::new(),
            env: BTreeMap::new(),
            dir: std::env::temp_dir(),
        },
        ..garbage.clone()
    };
    let started = Instant::now();
    let found = deskhand::mcp::external::connect(&[garbage, missing]);
    assert!(found.tools.is_empty());
    assert_eq!(found.failures.len(), 2, "{:?}", found.failures);
    assert!(
        found.failures[0].contains("garbage"),
        "{:?}",
        found.failures
    );
    assert!(
        found.failures[1].contains("/nonexistent/mcp-server"),
        "{:?}",
        found.failures
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_server_that_runs_already_is_reached_by_its_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let calls = tempfile::NamedTempFile::new().unwrap();
    let mut server = std::process::Command::new(common::mcp::python())
        .arg(common::mcp::scripts().join("external_mcp_server.py"))
        .args(["good", "--http", &port.to_string()])
        .env("CALLS_FILE", calls.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the HTTP server started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let remote = McpServerSpec {
        name: "vouchers_http".into(),
        transport: McpTransport::Http {
            url: format!("http://127.0.0.1:{port}/mcp"),
        },
        ..spec("good", calls.path(), 10_000)
    };
    let desk = desk(remote, 500.0);
    let looked = call(&desk, "lookup_voucher", json!({"code": "V-7"}), false);
    let _ = server.kill();
    let _ = server.wait();
    match looked.unwrap() {
        GatedCall::Ran {
            result: Ok(value), ..
        } => assert_eq!(value["valid"], true),
        other => panic!("{other:?}"),
    }
    assert_eq!(calls_made(calls.path())[0]["customer"], "C001");
}
