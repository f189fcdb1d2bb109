//! The scenario evaluator: file checking, a run against the real agent
//! (with a live policy change), metrics, and the reports, including the
//! HTML report rendered by headless Chromium.

mod common;

use std::path::Path;
use std::process::Command;

use common::eval::shop_context;
use deskhand::agent::Variant;
use deskhand::eval::{
    EvalConfig, load_scenarios, parse_scenarios, run_suite, summarise, write_reports,
};

const SUITE: &str = r#"
- name: cancel then widen the window
  tags: [cancel, live-change]
  customer: C001
  turns:
    - user: "cancel order 1005"
      expect: {tool: cancel_order, policy: deny, reply: {contains: ["10 days"]}}
    - set_policy: {cancellation-window: {max_days: 14}}
    - user: "please cancel order 1005 again"
      expect: {tool: cancel_order, policy: allow}
  expect_final:
    records:
      orders: {rows: {"1005": {status: cancelled}}}
- name: a wrong expectation fails
  tags: [deliberately-failing]
  customer: C001
  turns:
    - user: "where is order 1006?"
      expect: {tool: cancel_order, reply: {contains: [teleported]}}
  expect_final:
    records:
      refunds: {count: 3}
"#;

#[test]
fn a_suite_runs_checks_and_reports_and_the_html_renders_in_chromium() {
    let scenarios = parse_scenarios(Path::new("suite.yaml"), SUITE).unwrap();
    let config = EvalConfig {
        trials: 2,
        variants: vec![Variant::Full],
        jobs: 2,
        ..EvalConfig::default()
    };
    let results = run_suite(&shop_context(), &scenarios, &config, &|_, _, _| {});
    assert_eq!(results.len(), 4);
    let passing: Vec<_> = results
        .iter()
        .filter(|r| r.scenario.starts_with("cancel"))
        .collect();
    assert!(
        passing.iter().all(|r| r.passed),
        "{:#?}",
        passing[0]
            .turns
            .iter()
            .map(|t| &t.checks)
            .collect::<Vec<_>>()
    );
    assert!(
        passing.iter().all(|r| r.policy_changes.len() == 1),
        "the live change produced a revision"
    );
    let failing: Vec<_> = results
        .iter()
        .filter(|r| !r.scenario.starts_with("cancel"))
        .collect();
    assert!(failing.iter().all(|r| !r.passed));
    let failed_checks: Vec<&str> = failing[0]
        .checks()
        .filter(|c| !c.passed)
        .map(|c| c.kind.as_str())
        .collect();
    assert_eq!(failed_checks, ["tool", "reply", "final"]);

    let summary = summarise(&results);
    assert_eq!(summary.scenarios, 2);
    assert_eq!((summary.pass_rate.passed, summary.pass_rate.total), (2, 4));
    assert_eq!(summary.pass_hat_k, [0.5, 0.5]);
    assert_eq!(summary.dangerous_errors, 0);
    assert_eq!(summary.policy_enforcement.value(), 1.0);
    assert!(summary.step_latency.contains_key("policy"));
    assert_eq!(summary.by_tag["live-change"].value(), 1.0);

    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &summary, &results).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["trials"].as_array().unwrap().len(), 4);
    assert!(
        json["trials"][0]["turns"][0]["outcome"]["steps"]
            .as_array()
            .unwrap()
            .len()
            >= 3,
        "full traces"
    );
    let markdown = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(markdown.contains("pass^2"), "{markdown}");

    let page = dir.path().join("report.html");
    let dom = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium: install it (apt-get install chromium); .ci/run does");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<table id=\"summary\">"),
        "no summary table in the rendered page"
    );
    assert!(dom.contains("cancel then widen the window"));
    assert!(dom.contains("<svg"), "charts are inline SVG");
}

#[test]
fn the_shipped_suite_is_valid_and_large_enough() {
    let scenarios =
        load_scenarios(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/scenarios")])
            .unwrap();
    assert!(scenarios.len() >= 60, "{} scenarios", scenarios.len());
    assert!(scenarios.iter().all(|s| s.desk.as_deref() == Some("shop")));
    let tagged = |tag: &str| {
        scenarios
            .iter()
            .filter(|s| s.tags.iter().any(|t| t == tag))
            .count()
    };
    assert!(tagged("injection") >= 10);
    for tag in [
        "boundary",
        "shipped",
        "track",
        "refund",
        "last-order",
        "clarify",
        "multi-turn",
        "confirm",
        "knowledge",
        "out-of-scope",
        "handoff",
        "live-change",
        "odd-input",
    ] {
        assert!(tagged(tag) > 0, "no scenario tagged {tag}");
    }
}

fn deskhand(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(args)
        .output()
        .expect("running deskhand")
}

#[test]
fn invalid_scenario_files_are_refused_with_file_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        "name: typo\ncustomer: C001\nturns:\n  - user: hi\n    expect:\n      tool: none\n      polcy: allow\n",
    )
    .unwrap();
    let out = deskhand(&["eval", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml:"), "{stderr}");
    assert!(stderr.contains("polcy"), "{stderr}");
    std::fs::write(&file, "name: x\ncustomer: C001\nturns:\n  - user: hi\n").unwrap();
    std::fs::write(
        dir.path().join("again.yaml"),
        "name: x\ncustomer: C001\nturns:\n  - user: yo\n",
    )
    .unwrap();
    let out = deskhand(&["eval", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already used"));
}

#[test]
fn the_exit_code_follows_min_pass() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.yaml");
    std::fs::write(
        &file,
        "name: wrong on purpose\ncustomer: C001\nturns:\n  - user: where is order 1006?\n    expect: {tool: refund}\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let run = |min: &str| {
        Command::new(env!("CARGO_BIN_EXE_deskhand"))
            .args(["eval", file.to_str().unwrap(), "--min-pass", min])
            .env("DESKHAND_DATA_DIR", data.path())
            .output()
            .expect("running deskhand")
    };
    let strict = run("1");
    assert_eq!(
        strict.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
    assert!(String::from_utf8_lossy(&strict.stdout).contains("expected refund, got track_order"));
    assert_eq!(run("0").status.code(), Some(0));
}
