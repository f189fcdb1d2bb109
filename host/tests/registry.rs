//! Loading a plugins directory: bad files are skipped with a reason, names
//! are unique, the template works, and changes are picked up while running.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{
    builtin_plugin, eventually, grant, plugin_dir, sandbox_config, scope, shop, test_plugin,
};
use deskhand::plugins::{Access, Effect, LoadError, PluginRegistry, Sandbox, ToolError};
use serde_json::json;

fn load(dir: &Path) -> PluginRegistry {
    PluginRegistry::load(Sandbox::new(sandbox_config()).unwrap(), dir).unwrap()
}

fn names(registry: &PluginRegistry) -> Vec<String> {
    registry
        .catalog()
        .plugins()
        .map(|p| p.name().to_string())
        .collect()
}

#[test]
fn the_built_in_plugins_load_with_their_effects() {
    let registry = common::builtin_registry();
    assert_eq!(
        names(&registry),
        ["cancel_order", "list_orders", "refund", "track_order"]
    );
    let effect = |name: &str| registry.get(name).unwrap().manifest().effect;
    assert_eq!(effect("track_order"), Effect::ReadOnly);
    assert_eq!(effect("list_orders"), Effect::ReadOnly);
    assert_eq!(effect("cancel_order"), Effect::Reversible);
    assert_eq!(effect("refund"), Effect::Irreversible);
}

#[test]
fn a_broken_file_is_skipped_with_its_path_and_the_others_load() {
    let dir = plugin_dir(&[(&builtin_plugin("track_order"), "track_order.wasm")]);
    std::fs::write(dir.path().join("broken.wasm"), b"this is not webassembly").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"ignored: not a .wasm file").unwrap();
    let registry = load(dir.path());
    assert_eq!(names(&registry), ["track_order"]);
    let failures = registry.catalog().failures().to_vec();
    assert_eq!(failures.len(), 1);
    assert!(
        matches!(&failures[0], LoadError::NotAComponent { .. }),
        "{failures:?}"
    );
    let text = failures[0].to_string();
    assert!(
        text.contains("broken.wasm") && text.contains("not a deskhand tool component"),
        "{text}"
    );
}

#[test]
fn a_second_plugin_with_the_same_name_is_refused() {
    let track = builtin_plugin("track_order");
    let dir = plugin_dir(&[(&track, "a.wasm"), (&track, "b.wasm")]);
    let registry = load(dir.path());
    assert_eq!(names(&registry), ["track_order"]);
    assert!(
        registry
            .get("track_order")
            .unwrap()
            .path()
            .ends_with("a.wasm")
    );
    let failures = registry.catalog().failures().to_vec();
    assert!(
        matches!(&failures[..], [LoadError::Duplicate { name, .. }] if name == "track_order"),
        "{failures:?}"
    );
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let sandbox = Sandbox::new(sandbox_config()).unwrap();
    let error = PluginRegistry::load(sandbox, "/nonexistent/deskhand-plugins")
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("/nonexistent/deskhand-plugins"),
        "{error}"
    );
}

#[test]
fn the_template_plugin_works_as_shipped_once_granted_its_collection() {
    let dir = plugin_dir(&[(&test_plugin("my_tool"), "my_tool.wasm")]);
    let (store, clock) = shop();
    let ana = scope(&store, &clock, "C001");
    // Nothing is granted implicitly: the template cannot touch its own collection yet.
    let registry = load(dir.path());
    let error = registry
        .call("my_tool", &ana, &json!({"value": "12 Rue de la Paix"}))
        .unwrap_err();
    let ToolError::PermissionDenied { permission, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        permission.contains("records.my_tool") && permission.contains("[plugins.my_tool]"),
        "{permission}"
    );

    grant(
        dir.path(),
        "[plugins.my_tool]\nrecords = { my_tool = \"read-write\" }\n",
    );
    registry.reload().unwrap();
    assert_eq!(
        registry.get("my_tool").unwrap().grant().access("my_tool"),
        Some(Access::ReadWrite)
    );
    let saved = registry
        .call("my_tool", &ana, &json!({"value": "12 Rue de la Paix"}))
        .unwrap();
    assert_eq!(saved["saved"], true);
    let read = registry.call("my_tool", &ana, &json!({})).unwrap();
    assert_eq!(read["value"], "12 Rue de la Paix");
    // Ben has nothing kept.
    let ben = registry
        .call("my_tool", &scope(&store, &clock, "C002"), &json!({}))
        .unwrap();
    assert!(ben["value"].is_null(), "{ben}");
}

#[test]
fn a_broken_grants_file_is_a_clear_error_and_a_broken_edit_keeps_the_grants() {
    let dir = plugin_dir(&[(&builtin_plugin("track_order"), "track_order.wasm")]);
    grant(
        dir.path(),
        "[plugins.track_order]\nrecords = { orders = \"sometimes\" }\n",
    );
    let error = PluginRegistry::load(Sandbox::new(sandbox_config()).unwrap(), dir.path())
        .err()
        .expect("refused");
    assert!(matches!(error, LoadError::Grants { .. }), "{error:?}");
    assert!(error.to_string().contains("plugins.toml"), "{error}");

    grant(
        dir.path(),
        "[plugins.track_order]\nrecords = { orders = \"read\" }\n",
    );
    let registry = load(dir.path());
    grant(dir.path(), "[plugins.track_order\nbroken");
    registry.reload().unwrap();
    let (store, clock) = shop();
    let found = registry
        .call(
            "track_order",
            &scope(&store, &clock, "C001"),
            &json!({"order_id": "1006"}),
        )
        .unwrap();
    assert_eq!(found["status"], "shipped");
}

fn probe_build(registry: &PluginRegistry) -> Option<String> {
    let (store, clock) = shop();
    let result = registry
        .call("probe", &scope(&store, &clock, "C001"), &json!({}))
        .ok()?;
    Some(result["build"].as_str()?.to_string())
}

/// Replaces a file the way a build does: write beside, then rename.
fn replace(from: &Path, to: &Path) {
    let partial = to.with_extension("partial");
    std::fs::copy(from, &partial).unwrap();
    std::fs::rename(&partial, to).unwrap();
}

#[test]
fn hot_reload_picks_up_replaced_added_and_removed_plugins() {
    let dir = plugin_dir(&[(&test_plugin("probe_v1"), "probe.wasm")]);
    let registry = Arc::new(load(dir.path()));
    let _watcher = registry.watch().unwrap();
    assert_eq!(probe_build(&registry).as_deref(), Some("1"));
    let before = registry.get("probe").unwrap();

    replace(&test_plugin("probe_v2"), &dir.path().join("probe.wasm"));
    let took = eventually("probe build 2", || {
        probe_build(&registry).as_deref() == Some("2")
    });
    eprintln!("replacement visible after {took:?}");
    // A call that had already picked up the old plugin finishes on it.
    let (store, clock) = shop();
    assert_eq!(
        before
            .invoke(&scope(&store, &clock, "C001"), &json!({}))
            .unwrap()["build"],
        "1"
    );

    replace(
        &builtin_plugin("track_order"),
        &dir.path().join("track_order.wasm"),
    );
    eventually("track_order added", || {
        registry.get("track_order").is_some()
    });

    std::fs::remove_file(dir.path().join("probe.wasm")).unwrap();
    eventually("probe removed", || registry.get("probe").is_none());
    assert!(registry.get("track_order").is_some());
}

#[test]
fn a_broken_replacement_keeps_the_working_version() {
    let dir = plugin_dir(&[(&test_plugin("probe_v1"), "probe.wasm")]);
    let registry = load(dir.path());
    std::fs::write(dir.path().join("probe.wasm"), b"\0asm garbage").unwrap();
    let report = registry.reload().unwrap();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(probe_build(&registry).as_deref(), Some("1"));
    assert_eq!(registry.catalog().failures().len(), 1);
    replace(&test_plugin("probe_v2"), &dir.path().join("probe.wasm"));
    let report = registry.reload().unwrap();
    assert_eq!(report.replaced, ["probe"]);
    assert_eq!(probe_build(&registry).as_deref(), Some("2"));
    assert!(registry.catalog().failures().is_empty());
}
