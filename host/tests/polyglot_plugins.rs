//! Plugins in Python (componentize-py) and JavaScript (componentize-js, the
//! engine of `jco componentize`), built with `deskhand plugin build` and held
//! to the same scoping and permission rules as Rust plugins.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{grant, scope, shop};
use deskhand::plugins::{Effect, PluginRegistry, Sandbox, ToolError};
use serde_json::json;

/// The example plugins, built once per test run into a shared folder.
fn built() -> &'static Path {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
            for example in ["python/order_note", "js/order_spend"] {
                let status = Command::new(env!("CARGO_BIN_EXE_deskhand"))
                    .args(["plugin", "build"])
                    .arg(plugins.join(example))
                    .arg("--out")
                    .arg(out.path())
                    .status()
                    .expect("running deskhand plugin build");
                assert!(status.success(), "building {example}");
            }
            out
        })
        .path()
}

/// The examples in a plugins folder with `grants` (a plugins.toml body).
fn registry(grants: &str) -> (tempfile::TempDir, PluginRegistry) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["order_note", "order_spend"] {
        std::fs::copy(
            built().join(format!("{name}.wasm")),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    grant(dir.path(), grants);
    // The same limits as every plugin's (32 MiB, 200 ms a call).
    let sandbox = Sandbox::new(common::sandbox_config()).unwrap();
    let registry = PluginRegistry::load(sandbox, dir.path()).unwrap();
    assert!(
        registry.catalog().failures().is_empty(),
        "{:?}",
        registry.catalog().failures()
    );
    (dir, registry)
}

const GRANTED: &str = "[plugins.order_note]\nrecords = { orders = \"read\", order_notes = \"read-write\" }\n\
                       [plugins.order_spend]\nrecords = { orders = \"read\" }\n";

#[test]
fn they_load_like_any_plugin_with_their_manifests() {
    let (_dir, registry) = registry(GRANTED);
    let note = registry.require("order_note").unwrap();
    assert_eq!(note.manifest().effect, Effect::Reversible);
    assert!(!note.manifest().examples.is_empty());
    let spend = registry.require("order_spend").unwrap();
    assert_eq!(spend.manifest().effect, Effect::ReadOnly);
    // The host checks their arguments like any other tool's.
    let error = note.check_args(&json!({"order_id": "x"})).unwrap_err();
    assert_eq!(error.code(), "invalid-arguments");
}

#[test]
fn they_only_ever_see_the_sessions_customers_rows() {
    let (store, clock) = shop();
    let (_dir, registry) = registry(GRANTED);
    let ana = scope(&store, &clock, "C001");
    let ben = scope(&store, &clock, "C002");

    // Ben's order is not on Ana's account: the same answer as no order at all.
    let foreign = registry
        .call(
            "order_note",
            &ana,
            &json!({"order_id": "1013", "note": "mine now"}),
        )
        .unwrap_err();
    let missing = registry
        .call(
            "order_note",
            &ana,
            &json!({"order_id": "9999", "note": "x"}),
        )
        .unwrap_err();
    assert!(foreign.is_business_failure(), "{foreign:?}");
    assert_eq!(
        foreign.customer_message().replace("1013", "ID"),
        missing.customer_message().replace("9999", "ID")
    );

    let added = registry
        .call(
            "order_note",
            &ana,
            &json!({"order_id": "1002", "note": "leave it with the neighbour"}),
        )
        .unwrap();
    assert_eq!(added["notes_on_order"], 1);
    let notes = store.all_records(Some("order_notes")).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].customer_id, "C001",
        "the note is the session's customer's"
    );
    assert_eq!(notes[0].data["order_id"], "1002");

    // Each customer's spend counts their own orders only.
    for (who, customer) in [(&ana, "C001"), (&ben, "C002")] {
        let spend = registry.call("order_spend", who, &json!({})).unwrap();
        let own: Vec<_> = store
            .all_records(Some("orders"))
            .unwrap()
            .into_iter()
            .filter(|r| r.customer_id == customer)
            .collect();
        assert_eq!(spend["orders"], own.len(), "{customer}: {spend}");
        let expected: i64 = own
            .iter()
            .filter(|r| r.data["status"] != "cancelled")
            .map(|r| {
                r.data["total_cents"].as_i64().unwrap()
                    - r.data["refunded_cents"].as_i64().unwrap_or(0)
            })
            .sum();
        assert_eq!(spend["spent_cents"], expected, "{customer}: {spend}");
    }
}

#[test]
fn without_a_grant_records_are_denied_naming_the_permission() {
    let (store, clock) = shop();
    let (_dir, registry) = registry("[plugins.order_note]\nrecords = { orders = \"read\" }\n");
    let ana = scope(&store, &clock, "C001");
    let error = registry
        .call(
            "order_note",
            &ana,
            &json!({"order_id": "1002", "note": "hello"}),
        )
        .unwrap_err();
    let ToolError::PermissionDenied { permission, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        permission.contains(r#"records.order_notes = "read-write""#),
        "{permission}"
    );
    assert!(permission.contains("[plugins.order_note]"), "{permission}");
    assert!(store.all_records(Some("order_notes")).unwrap().is_empty());

    let error = registry.call("order_spend", &ana, &json!({})).unwrap_err();
    let ToolError::PermissionDenied { permission, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        permission.contains(r#"records.orders = "read""#),
        "{permission}"
    );
}

#[test]
fn plugin_new_scaffolds_python_and_javascript_that_build() {
    for (lang, file) in [("python", "app.py"), ("js", "app.js")] {
        let workspace = tempfile::tempdir().unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_deskhand"))
            .args(["plugin", "new", "gift_wrap", "--lang", lang, "--dir"])
            .arg(workspace.path())
            .status()
            .unwrap();
        assert!(status.success(), "{lang}");
        let source: PathBuf = workspace.path().join("gift_wrap").join(file);
        let text = std::fs::read_to_string(&source).unwrap();
        assert!(
            text.contains("gift_wrap") && !text.contains("my_tool"),
            "{text}"
        );
        let out = workspace.path().join("gift_wrap.wasm");
        let status = Command::new(env!("CARGO_BIN_EXE_deskhand"))
            .args(["plugin", "build"])
            .arg(workspace.path().join("gift_wrap"))
            .arg("--out")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{lang}");
        let sandbox = Sandbox::new(common::sandbox_config()).unwrap();
        let plugin = deskhand::plugins::Plugin::load(&sandbox, &out).unwrap();
        assert_eq!(plugin.name(), "gift_wrap", "{lang}");
    }
}
