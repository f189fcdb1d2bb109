//! Hostile plugins are contained: each attack ends in a clear error and the
//! next normal call succeeds.

mod common;

use std::time::{Duration, Instant};

use common::{builtin_plugin, grant, plugin_dir, sandbox_config, scope, shop, test_plugin};
use deskhand::plugins::{PluginRegistry, Sandbox, ToolError};
use serde_json::json;

/// A registry with the hostile plugin beside the real track_order.
fn hostile_registry() -> (tempfile::TempDir, PluginRegistry) {
    let dir = plugin_dir(&[
        (&test_plugin("hostile"), "hostile.wasm"),
        (&builtin_plugin("track_order"), "track_order.wasm"),
    ]);
    grant(
        dir.path(),
        "[plugins.hostile]\nrecords = { orders = \"read\" }\n\
         [plugins.track_order]\nrecords = { orders = \"read\" }\n",
    );
    let registry =
        PluginRegistry::load(Sandbox::new(sandbox_config()).unwrap(), dir.path()).unwrap();
    assert!(
        registry.catalog().failures().is_empty(),
        "{:?}",
        registry.catalog().failures()
    );
    (dir, registry)
}

/// Runs one attack, then proves the host still serves a normal call.
fn attack(attack: &str) -> ToolError {
    let (store, clock) = shop();
    let (_dir, registry) = hostile_registry();
    let ana = scope(&store, &clock, "C001");
    let error = registry
        .call("hostile", &ana, &json!({"attack": attack}))
        .expect_err("the attack must not succeed");
    let next = registry.call("track_order", &ana, &json!({"order_id": "1006"}));
    assert_eq!(
        next.expect("the next normal call succeeds")["status"],
        "shipped"
    );
    error
}

#[test]
fn an_infinite_loop_times_out() {
    let started = Instant::now();
    let error = attack("spin");
    assert!(
        matches!(error, ToolError::Timeout { limit_ms: 200, .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), "timeout");
    // Generous bound: the deadline is 200 ms, the machine may be busy.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_1_gib_allocation_is_out_of_memory() {
    let error = attack("allocate");
    assert!(
        matches!(error, ToolError::OutOfMemory { limit_mib: 32, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("32 MiB"));
}

#[test]
fn reading_etc_passwd_is_denied() {
    let error = attack("read-file");
    let ToolError::Failed { code, message, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(code, "denied");
    assert!(!message.contains("root:"), "{message}");
}

#[test]
fn the_environment_is_empty() {
    let error = attack("read-env");
    assert!(
        matches!(&error, ToolError::Failed { code, .. } if code == "denied"),
        "{error:?}"
    );
}

#[test]
fn opening_a_socket_is_denied() {
    let error = attack("connect");
    assert!(
        matches!(&error, ToolError::Failed { code, .. } if code == "denied"),
        "{error:?}"
    );
}

#[test]
fn a_panic_is_a_trap_with_the_panic_message() {
    let error = attack("panic");
    let ToolError::Crashed { detail, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("panicked on purpose"), "{detail}");
    assert_eq!(error.code(), "plugin-crashed");
    // Customers never see the internals.
    assert!(!error.customer_message().contains("panicked"));
}

#[test]
fn results_that_break_the_result_schema_are_refused() {
    for kind in ["bad-result", "not-json"] {
        let error = attack(kind);
        assert!(
            matches!(error, ToolError::InvalidResult { .. }),
            "{kind}: {error:?}"
        );
    }
}

#[test]
fn a_plugin_cannot_reach_another_customers_order() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile_registry();
    // 1013 is Ben's (C002). Called for Ana, the plugin sees nothing.
    let ana = scope(&store, &clock, "C001");
    let error = registry
        .call(
            "hostile",
            &ana,
            &json!({"attack": "peek-row", "target": "1013"}),
        )
        .unwrap_err();
    assert!(
        matches!(&error, ToolError::Failed { code, .. } if code == "not-found"),
        "{error:?}"
    );
    // Called for Ben, the same plugin sees it: the scope, not the plugin, decides.
    let ben = scope(&store, &clock, "C002");
    let seen = registry
        .call(
            "hostile",
            &ben,
            &json!({"attack": "peek-row", "target": "1013"}),
        )
        .unwrap();
    assert_eq!(seen["outcome"]["id"], "1013");
    assert_eq!(seen["outcome"]["data"]["status"], "processing");
}

#[test]
fn printing_goes_to_the_log_not_the_result() {
    let (store, clock) = shop();
    let (_dir, registry) = hostile_registry();
    let result = registry
        .call(
            "hostile",
            &scope(&store, &clock, "C001"),
            &json!({"attack": "print"}),
        )
        .unwrap();
    assert_eq!(result, json!({"outcome": "printed"}));
}

#[test]
fn limits_are_configurable() {
    let dir = plugin_dir(&[(&test_plugin("hostile"), "hostile.wasm")]);
    let mut config = sandbox_config();
    config.timeout = Duration::from_millis(50);
    config.memory_limit = 8 << 20;
    let registry = PluginRegistry::load(Sandbox::new(config).unwrap(), dir.path()).unwrap();
    let (store, clock) = shop();
    let ana = scope(&store, &clock, "C001");
    let spin = registry
        .call("hostile", &ana, &json!({"attack": "spin"}))
        .unwrap_err();
    assert!(
        matches!(spin, ToolError::Timeout { limit_ms: 50, .. }),
        "{spin:?}"
    );
    let alloc = registry
        .call("hostile", &ana, &json!({"attack": "allocate"}))
        .unwrap_err();
    assert!(
        matches!(alloc, ToolError::OutOfMemory { limit_mib: 8, .. }),
        "{alloc:?}"
    );
}
