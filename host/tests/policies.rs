//! Business policies: the shipped rules and their boundaries, the gate in
//! front of every tool call, the audit log, and hot reload that never lets a
//! broken change replace a working revision.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{NOW, builtin_registry, eventually, order_status, refunds_of, sandbox_config, shop};
use deskhand::clock::Clock;
use deskhand::plugins::{CustomerScope, PluginRegistry, Sandbox, ToolError};
use deskhand::policy::{
    BUILTIN_POLICIES_DIR, Decision, FAILED_POLICY_REASON, GatedCall, PolicyEngine, PolicyGate,
    PolicyPaths, PolicyRequest, TEST_POLICIES_DIR, ToolCall, Verdict,
};
use deskhand::store::{AuditLog, RecordStore, SqliteStore, seed};
use serde_json::json;

/// A private copy of `policies/` (configuration and tests) over the built components.
struct PolicyDir {
    dir: tempfile::TempDir,
}

impl PolicyDir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let builtin = PolicyPaths::builtin();
        std::fs::copy(&builtin.config, dir.path().join("policies.toml")).unwrap();
        std::fs::create_dir(dir.path().join("tests")).unwrap();
        for entry in std::fs::read_dir(&builtin.tests).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(
                &path,
                dir.path().join("tests").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
        std::fs::create_dir(dir.path().join("modules")).unwrap();
        for entry in std::fs::read_dir(BUILTIN_POLICIES_DIR).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(
                &path,
                dir.path().join("modules").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
        PolicyDir { dir }
    }

    fn paths(&self) -> PolicyPaths {
        PolicyPaths {
            config: self.config(),
            modules: self.dir.path().join("modules"),
            tests: self.dir.path().join("tests"),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("policies.toml")
    }

    fn engine(&self) -> PolicyEngine {
        PolicyEngine::load(Sandbox::new(sandbox_config()).unwrap(), self.paths()).unwrap()
    }

    /// Rewrites policies.toml with `from` replaced by `to`, atomically.
    fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.config()).unwrap();
        assert!(text.contains(from), "policies.toml has no {from:?}");
        write_atomically(&self.config(), &text.replace(from, to));
    }

    fn set_max_days(&self, days: u32) {
        let text = std::fs::read_to_string(self.config()).unwrap();
        let start = text.find("max_days = ").unwrap() + "max_days = ".len();
        let end = start + text[start..].find(' ').unwrap();
        write_atomically(
            &self.config(),
            &format!("{}{days}{}", &text[..start], &text[end..]),
        );
    }
}

fn write_atomically(path: &Path, text: &str) {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

fn builtin_engine() -> Arc<PolicyEngine> {
    Arc::new(
        PolicyEngine::load(
            Sandbox::new(sandbox_config()).unwrap(),
            PolicyPaths::builtin(),
        )
        .unwrap(),
    )
}

/// The shipped plugins, loaded once for the tests that only read facts.
fn plugins() -> &'static PluginRegistry {
    static PLUGINS: std::sync::OnceLock<PluginRegistry> = std::sync::OnceLock::new();
    PLUGINS.get_or_init(builtin_registry)
}

/// The request for `tool` with `args` for `customer`, with the facts the
/// tool itself looks up (as the gate builds it).
fn request_for(
    store: &Arc<dyn RecordStore>,
    customer: &str,
    tool: &str,
    args: serde_json::Value,
) -> Result<PolicyRequest, ToolError> {
    let plugin = plugins().require(tool)?;
    let scope = CustomerScope::new(customer, store.clone(), Clock::fixed(NOW));
    Ok(PolicyRequest {
        tool: tool.into(),
        effect: plugin.manifest().effect,
        facts: plugin.facts(&scope, &args)?,
        args,
        customer_id: customer.into(),
        confirmed: false,
        now: NOW,
    })
}

/// The decision about cancelling `order_id` for `customer` in the demo shop.
fn cancel_decision(
    engine: &PolicyEngine,
    store: &Arc<dyn RecordStore>,
    customer: &str,
    order_id: &str,
) -> Decision {
    let request = request_for(
        store,
        customer,
        "cancel_order",
        json!({"order_id": order_id}),
    )
    .unwrap();
    engine.current().evaluate(&request)
}

#[test]
fn the_shipped_test_cases_all_pass_and_cover_the_boundaries() {
    let (_, outcomes) = PolicyEngine::checker(
        Sandbox::new(sandbox_config()).unwrap(),
        PolicyPaths::builtin(),
    )
    .unwrap();
    assert!(outcomes.len() >= 25, "only {} cases", outcomes.len());
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert!(names.iter().any(|n| n.contains("9 days 23 hours")));
    assert!(names.iter().any(|n| n.contains("exactly 10 days 0 hours")));
}

#[test]
fn cancellation_window_in_the_demo_shop() {
    let (store, _) = shop();
    let engine = builtin_engine();
    let verdict = |id| cancel_decision(&engine, &store, "C001", id).verdict;
    assert_eq!(verdict("1002"), Verdict::Allow); // 5 days
    assert_eq!(verdict("1003"), Verdict::Allow); // 9 days
    assert_eq!(verdict("1004"), Verdict::Deny); // exactly 10 days
    assert_eq!(verdict("1005"), Verdict::Deny); // 11 days
    let denied = cancel_decision(&engine, &store, "C001", "1001");
    assert_eq!(denied.verdict, Verdict::Deny);
    assert_eq!(
        denied.reason.as_deref(),
        Some(
            "Orders can only be cancelled within 10 days of purchase; order 1001 was placed 20 days ago."
        )
    );
    // Every applicable policy's own decision is kept.
    let names: Vec<&str> = denied.policies.iter().map(|d| d.policy.as_str()).collect();
    assert_eq!(names, ["cancellation-window", "confirm-irreversible"]);
}

fn gate(store: &Arc<SqliteStore>, engine: Arc<PolicyEngine>) -> PolicyGate {
    PolicyGate::new(Arc::new(builtin_registry()), engine, store.clone())
}

fn sqlite_shop() -> Arc<SqliteStore> {
    let store = SqliteStore::in_memory().unwrap();
    seed::seed(&store, NOW).unwrap();
    Arc::new(store)
}

#[test]
fn the_gate_runs_allowed_calls_and_stops_denied_ones_with_an_audit_record() {
    let store = sqlite_shop();
    let gate = gate(&store, builtin_engine());
    let clock = deskhand::clock::Clock::fixed(NOW);
    let ana = deskhand::plugins::CustomerScope::new("C001", store.clone(), clock);
    let call = |order_id: &str| {
        let args = json!({"order_id": order_id});
        gate.call(
            &ana,
            ToolCall {
                tool: "cancel_order",
                args: &args,
                conversation_id: Some("conv-1"),
                confirmed: false,
            },
        )
        .unwrap()
    };

    assert!(call("1002").succeeded());
    assert_eq!(order_status(store.as_ref(), "1002"), "cancelled");

    let denied = call("1001");
    let GatedCall::Stopped { decision } = &denied else {
        panic!("{denied:?}")
    };
    assert!(decision.reason.as_ref().unwrap().contains("10 days"));
    assert_eq!(order_status(store.as_ref(), "1001"), "processing");

    let audit = store.decisions(10).unwrap();
    assert_eq!(audit.len(), 2);
    let latest = &audit[0];
    assert_eq!(latest.verdict, "deny");
    assert_eq!(latest.tool, "cancel_order");
    assert_eq!(latest.customer_id, "C001");
    assert_eq!(latest.conversation_id.as_deref(), Some("conv-1"));
    assert_eq!(latest.args, json!({"order_id": "1001"}));
    assert_eq!(latest.revision, decision.revision);
    assert_eq!(latest.decisions[0]["policy"], "cancellation-window");
    assert_eq!(latest.decisions[0]["verdict"], "deny");
    assert_eq!(latest.at, NOW);
}

#[test]
fn refunds_escalate_above_the_limit_and_ask_for_confirmation_below_it() {
    let store = sqlite_shop();
    let gate = gate(&store, builtin_engine());
    let ana = deskhand::plugins::CustomerScope::new(
        "C001",
        store.clone(),
        deskhand::clock::Clock::fixed(NOW),
    );
    let refund = |order_id: &str, confirmed: bool| {
        let args = json!({"order_id": order_id, "reason": "not as described"});
        gate.call(
            &ana,
            ToolCall {
                tool: "refund",
                args: &args,
                conversation_id: None,
                confirmed,
            },
        )
        .unwrap()
    };
    let big = refund("1008", false);
    assert_eq!(big.decision().unwrap().verdict, Verdict::Escalate);
    assert!(
        big.decision()
            .unwrap()
            .reason
            .as_ref()
            .unwrap()
            .contains("200.00 EUR")
    );

    let small = refund("1007", false);
    assert_eq!(small.decision().unwrap().verdict, Verdict::Confirm);
    assert!(
        common::rows(store.as_ref(), "refunds").is_empty(),
        "nothing runs before the customer confirms"
    );
    let confirmed = refund("1007", true);
    assert!(confirmed.succeeded(), "{confirmed:?}");
    assert_eq!(refunds_of(store.as_ref(), "1007").len(), 1);

    let late = refund("1009", true);
    assert_eq!(
        late.decision().unwrap().code.as_deref(),
        Some("outside-refund-window")
    );
}

#[test]
fn read_only_tools_are_not_gated() {
    let store = sqlite_shop();
    let gate = gate(&store, builtin_engine());
    let ana = deskhand::plugins::CustomerScope::new(
        "C001",
        store.clone(),
        deskhand::clock::Clock::fixed(NOW),
    );
    let args = json!({"order_id": "1001"});
    let tracked = gate
        .call(
            &ana,
            ToolCall {
                tool: "track_order",
                args: &args,
                conversation_id: None,
                confirmed: false,
            },
        )
        .unwrap();
    assert!(tracked.succeeded() && tracked.decision().is_none());
    assert!(store.decisions(10).unwrap().is_empty());
}

#[test]
fn editing_max_days_to_14_allows_a_12_day_old_cancel_without_a_restart() {
    let (store, _) = shop();
    let dir = PolicyDir::new();
    let engine = Arc::new(dir.engine());
    let _watcher = engine.watch().unwrap();
    // 1015 is Ben's (C002) order placed 12 days ago.
    assert_eq!(
        cancel_decision(&engine, &store, "C002", "1015").verdict,
        Verdict::Deny
    );
    let before = engine.current().revision().to_string();
    dir.set_max_days(14);
    let took = eventually("the 14-day revision", || {
        engine.current().revision() != before
    });
    eprintln!("new revision active {took:?} after the save");
    assert_eq!(
        cancel_decision(&engine, &store, "C002", "1015").verdict,
        Verdict::Allow
    );
    assert_eq!(engine.status().reloads, 2);
}

/// Applies a broken change and checks it is refused, reported, and harmless.
fn assert_refused(engine: &PolicyEngine, expected_in_reason: &str) {
    let (store, _) = shop();
    let revision = engine.current().revision().to_string();
    let error = engine
        .reload()
        .expect_err("the broken change must be refused");
    assert!(error.to_string().contains(expected_in_reason), "{error}");
    assert_eq!(
        engine.current().revision(),
        revision,
        "the old revision stays active"
    );
    let status = engine.status();
    assert!(
        status
            .last_rejected
            .unwrap()
            .reason
            .contains(expected_in_reason)
    );
    assert_eq!(
        cancel_decision(engine, &store, "C001", "1001").verdict,
        Verdict::Deny
    );
    assert_eq!(
        cancel_decision(engine, &store, "C001", "1002").verdict,
        Verdict::Allow
    );
}

#[test]
fn a_toml_syntax_error_is_refused_with_its_line() {
    let dir = PolicyDir::new();
    let engine = dir.engine();
    dir.edit("max_days = 10 }", "max_days = 10");
    assert_refused(&engine, "line");
}

#[test]
fn a_parameter_that_breaks_the_schema_is_refused() {
    let dir = PolicyDir::new();
    let engine = dir.engine();
    dir.edit("max_days = 10", "max_days = \"ten\"");
    assert_refused(&engine, "max_days");
    dir.edit("max_days = \"ten\"", "max_days = 0");
    assert_refused(&engine, "max_days");
}

#[test]
fn a_policy_that_traps_is_refused_by_the_tests() {
    let dir = PolicyDir::new();
    let engine = dir.engine();
    std::fs::copy(
        Path::new(TEST_POLICIES_DIR).join("hostile_policy.wasm"),
        dir.paths().modules.join("hostile_policy.wasm"),
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.config()).unwrap();
    write_atomically(
        &dir.config(),
        &format!("{text}\n[hostile-policy]\nparams = {{ attack = \"panic\" }}\n"),
    );
    assert_refused(&engine, "policy test(s) failed");
}

#[test]
fn a_change_that_fails_a_policy_test_is_refused() {
    let dir = PolicyDir::new();
    let engine = dir.engine();
    // With a 5-day window, "cancelling a 5-day-old order is allowed" fails.
    dir.set_max_days(5);
    assert_refused(&engine, "5-day-old order is allowed");
}

#[test]
fn a_missing_component_is_refused() {
    let dir = PolicyDir::new();
    let engine = dir.engine();
    std::fs::remove_file(dir.paths().modules.join("refund_limits.wasm")).unwrap();
    assert_refused(&engine, "refund_limits.wasm");
}

#[test]
fn reload_under_load_never_fails_a_decision_nor_mixes_revisions() {
    let (store, _) = shop();
    let dir = PolicyDir::new();
    let engine = Arc::new(dir.engine());
    let _watcher = engine.watch().unwrap();
    let rev10 = engine.current().revision().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let decider = {
        let (engine, store, stop) = (engine.clone(), store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut decisions = Vec::new();
            while !stop.load(Ordering::Relaxed) || decisions.len() < 2000 {
                decisions.push(cancel_decision(&engine, &store, "C002", "1015"));
            }
            decisions
        })
    };
    let mut rev14 = String::new();
    for round in 0..3 {
        dir.set_max_days(14);
        eventually("the 14-day revision", || {
            engine.current().revision() != rev10
        });
        rev14 = engine.current().revision().to_string();
        dir.set_max_days(10);
        eventually("back to 10 days", || engine.current().revision() == rev10);
        eprintln!("round {round} done");
    }
    stop.store(true, Ordering::Relaxed);
    let decisions = decider.join().unwrap();
    assert!(decisions.len() >= 2000);
    let mut seen = std::collections::HashSet::new();
    for decision in &decisions {
        assert!(
            decision.policies.iter().all(|p| p.failure.is_none()),
            "{decision:?}"
        );
        // A 12-day-old order is allowed exactly under the 14-day revision.
        match decision.verdict {
            Verdict::Allow => assert_eq!(decision.revision, rev14),
            Verdict::Deny => assert_eq!(decision.revision, rev10),
            other => panic!("unexpected {other:?}"),
        }
        seen.insert(decision.revision.clone());
    }
    eprintln!(
        "{} decisions over {} revisions",
        decisions.len(),
        seen.len()
    );
}

fn hostile_engine(attack: &str) -> (tempfile::TempDir, PolicyEngine) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("policies.toml");
    std::fs::write(
        &config,
        format!("[cancellation-window]\nparams = {{ max_days = 10 }}\n\n[hostile-policy]\nparams = {{ attack = \"{attack}\" }}\n"),
    )
    .unwrap();
    let modules = dir.path().join("modules");
    std::fs::create_dir(&modules).unwrap();
    for (from, name) in [
        (Path::new(BUILTIN_POLICIES_DIR), "cancellation_window.wasm"),
        (Path::new(TEST_POLICIES_DIR), "hostile_policy.wasm"),
    ] {
        std::fs::copy(from.join(name), modules.join(name)).unwrap();
    }
    let paths = PolicyPaths {
        config,
        modules,
        tests: dir.path().join("no-tests"),
    };
    let engine = PolicyEngine::load(Sandbox::new(sandbox_config()).unwrap(), paths).unwrap();
    (dir, engine)
}

#[test]
fn a_hostile_policy_is_contained_and_the_safe_answer_is_deny() {
    let (store, _) = shop();
    for (attack, failure) in [
        ("spin", "200 ms"),
        ("allocate", "MiB of memory"),
        ("panic", "panicked on purpose"),
    ] {
        let (_dir, engine) = hostile_engine(attack);
        let started = Instant::now();
        let decision = cancel_decision(&engine, &store, "C001", "1002");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(decision.verdict, Verdict::Deny, "{attack}");
        assert_eq!(decision.code.as_deref(), Some("policy-failed"));
        assert_eq!(decision.reason.as_deref(), Some(FAILED_POLICY_REASON));
        let hostile = decision
            .policies
            .iter()
            .find(|p| p.policy == "hostile-policy")
            .unwrap();
        assert!(
            hostile.failure.as_ref().unwrap().contains(failure),
            "{attack}: {hostile:?}"
        );
        // The other policy still answered normally.
        let window = decision
            .policies
            .iter()
            .find(|p| p.policy == "cancellation-window")
            .unwrap();
        assert_eq!(window.verdict, Verdict::Allow);
    }
}

#[test]
fn another_customers_order_stops_the_call_before_any_policy_sees_it() {
    let store = sqlite_shop();
    let gate = gate(&store, builtin_engine());
    let ana = CustomerScope::new("C001", store.clone(), Clock::fixed(NOW));
    // 1017 is Ben's, 35 days old: a policy that saw it would explain the
    // 10-day window about someone else's order. The tool's facts refuse
    // first, with the tool's own "not found", and nothing is audited.
    let args = json!({"order_id": "1017"});
    let error = gate
        .call(
            &ana,
            ToolCall {
                tool: "cancel_order",
                args: &args,
                conversation_id: None,
                confirmed: false,
            },
        )
        .unwrap_err();
    match &error {
        ToolError::Failed { code, message, .. } => {
            assert_eq!(code, "order-not-found");
            assert!(message.contains("can't find order 1017"), "{message}");
        }
        other => panic!("expected the tool's refusal, got {other:?}"),
    }
    assert!(store.decisions(10).unwrap().is_empty());
    assert_eq!(order_status(store.as_ref(), "1017"), "cancelled");
}

#[test]
fn facts_come_from_the_tool_and_never_reach_past_the_customer() {
    let (store, _) = shop();
    let request = request_for(
        &store,
        "C001",
        "refund",
        json!({"order_id": "1007", "reason": "scratched"}),
    )
    .unwrap();
    assert_eq!(request.facts["order_id"], "1007");
    assert_eq!(request.facts["status"], "delivered");
    assert_eq!(request.facts["total_cents"], 8_900);
    assert_eq!(request.facts["refunds_of_order"], 0);
    assert_eq!(request.facts["placed_at"], NOW - 15 * common::DAY);
    let ben = request_for(
        &store,
        "C002",
        "refund",
        json!({"order_id": "1007", "reason": "scratched"}),
    );
    assert!(matches!(ben, Err(ToolError::Failed { ref code, .. }) if code == "order-not-found"));
}

#[test]
fn a_policy_set_whose_tool_lacks_the_facts_it_reads_is_refused() {
    let dir = PolicyDir::new();
    // refund-limits reads an order's facts; track_order offers none.
    dir.edit(
        "[refund-limits]\n",
        "[refund-limits]\ntools = [\"refund\", \"track_order\"]\n",
    );
    let tools = Arc::new(builtin_registry());
    let error = PolicyEngine::load_for_tools(
        Sandbox::new(sandbox_config()).unwrap(),
        dir.paths(),
        tools.clone(),
    )
    .err()
    .expect("the set is refused");
    let text = error.to_string();
    assert!(
        text.contains("refund-limits") && text.contains("track_order"),
        "{text}"
    );
    assert!(text.contains("order_id"), "{text}");
    // Without the tool list the same files load.
    let dir = PolicyDir::new();
    assert!(
        PolicyEngine::load_for_tools(Sandbox::new(sandbox_config()).unwrap(), dir.paths(), tools)
            .is_ok()
    );
}
