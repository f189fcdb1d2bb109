//! Helpers shared by the integration tests: a seeded shop at a fixed time and
//! plugin folders built from the workspace's plugins.

#![allow(dead_code)]

pub mod agent;
pub mod eval;
pub mod http;
pub mod llama_server;
pub mod mcp;
pub mod postgres;
pub mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deskhand::clock::Clock;
use deskhand::llm::models::{CHAT_MODEL, ModelCache, default_cache_dir};
use deskhand::plugins::{
    BUILTIN_PLUGINS_DIR, CustomerScope, PluginRegistry, Sandbox, SandboxConfig, TEST_PLUGINS_DIR,
};
use deskhand::store::{Record, RecordStore, SqliteStore, seed};
use serde_json::Value;

/// The default chat model (SmolLM2-135M-Instruct, Q4_1), fetched into the
/// model cache on first use.
pub fn chat_model_path() -> PathBuf {
    let cache = ModelCache::new(default_cache_dir());
    cache
        .ensure(&CHAT_MODEL, false)
        .expect("fetching the default chat model");
    cache.chat_model_path()
}

/// 2026-06-15T12:00:00Z: the instant the test shop is seeded at.
pub const NOW: i64 = 1_781_524_800;
pub const DAY: i64 = 86_400;

/// A demo shop in memory, seeded at [`NOW`], with a clock fixed there.
pub fn shop() -> (Arc<dyn RecordStore>, Clock) {
    let store = SqliteStore::in_memory().expect("in-memory store");
    seed::seed(&store, NOW).expect("seeding the demo shop");
    (Arc::new(store), Clock::fixed(NOW))
}

/// The scope of a call made for `customer`.
pub fn scope(store: &Arc<dyn RecordStore>, clock: &Clock, customer: &str) -> CustomerScope {
    CustomerScope::new(customer, store.clone(), clock.clone())
}

/// An order's document, whoever owns it (for end-state checks).
pub fn order(store: &dyn RecordStore, id: &str) -> Value {
    store
        .find_records("orders", id)
        .expect("store")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("order {id} exists"))
        .data
}

/// An order's status, whoever owns it.
pub fn order_status(store: &dyn RecordStore, id: &str) -> String {
    order(store, id)["status"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

/// Every row of `collection`, oldest first.
pub fn rows(store: &dyn RecordStore, collection: &str) -> Vec<Record> {
    store.all_records(Some(collection)).expect("store")
}

/// The refunds of one order.
pub fn refunds_of(store: &dyn RecordStore, order_id: &str) -> Vec<Record> {
    rows(store, "refunds")
        .into_iter()
        .filter(|r| r.data["order_id"] == order_id)
        .collect()
}

/// The event log of one order.
pub fn events_of(store: &dyn RecordStore, order_id: &str) -> Vec<Record> {
    rows(store, "order_events")
        .into_iter()
        .filter(|r| r.data["order_id"] == order_id)
        .collect()
}

/// Sandbox limits for tests: the defaults, with a compile cache private to
/// the test build (so tests do not recompile every plugin, nor touch ~/.cache).
pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        compile_cache: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasmtime-cache")),
        ..SandboxConfig::default()
    }
}

/// The registry of the demo shop's plugins with their grants, as
/// `deskhand` loads them by default.
pub fn builtin_registry() -> PluginRegistry {
    let sandbox = Sandbox::new(sandbox_config()).expect("sandbox");
    let desk = deskhand::desk::Desk::default_desk().expect("the demo shop desk");
    PluginRegistry::load(sandbox, desk.plugins).expect("loading the built-in plugins")
}

/// A shipped plugin's component file.
pub fn builtin_plugin(name: &str) -> PathBuf {
    Path::new(BUILTIN_PLUGINS_DIR).join(format!("{name}.wasm"))
}

/// A test plugin's (or the template's) component file.
pub fn test_plugin(name: &str) -> PathBuf {
    Path::new(TEST_PLUGINS_DIR).join(format!("{name}.wasm"))
}

/// A fresh directory holding copies of `files` under the given names.
pub fn plugin_dir(files: &[(&Path, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (from, name) in files {
        std::fs::copy(from, dir.path().join(name))
            .unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    }
    dir
}

/// Writes a grants file (`plugins.toml`) into `dir`.
pub fn grant(dir: &Path, toml: &str) {
    std::fs::write(dir.join("plugins.toml"), toml).expect("writing plugins.toml");
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A copy of the folder `from` in `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Polls until `check` holds (failing after 10 s); returns how long it took.
pub fn eventually(what: &str, check: impl Fn() -> bool) -> std::time::Duration {
    let started = std::time::Instant::now();
    while !check() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "timed out waiting for: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    started.elapsed()
}
