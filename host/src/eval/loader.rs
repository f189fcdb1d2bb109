//! Reading scenario files: one scenario, a list of them, or a suite
//! (`desk: NAME` with `scenarios: [...]`), every error with its file and line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::EvalError;
use super::scenario::{Scenario, SourceLocation};

/// Reads every scenario under `paths` (files, or folders searched for
/// `*.yaml`/`*.yml`), checking each; the first invalid file stops it.
pub fn load_scenarios(paths: &[PathBuf]) -> Result<Vec<Scenario>, EvalError> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    files.sort();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in &files {
        for scenario in load_file(file)? {
            if let Some(earlier) = scenarios.iter().find(|s| s.name == scenario.name) {
                return Err(invalid(
                    file,
                    scenario.source.as_ref().map(|s| s.line).unwrap_or(0),
                    format!(
                        "the scenario name {:?} is already used at {}; names must be unique",
                        scenario.name,
                        earlier.location()
                    ),
                ));
            }
            scenarios.push(scenario);
        }
    }
    Ok(scenarios)
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), EvalError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| invalid(path, 0, format!("cannot read the folder: {e}")))?;
        for entry in entries.flatten() {
            let child = entry.path();
            if child.is_dir() {
                collect_files(&child, files)?;
            } else if matches!(
                child.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(child);
            }
        }
        Ok(())
    } else if path.is_file() {
        files.push(path.to_path_buf());
        Ok(())
    } else {
        Err(invalid(path, 0, "no such file or folder".into()))
    }
}

fn invalid(path: &Path, line: usize, message: String) -> EvalError {
    EvalError::InvalidScenario {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The scenarios of one file: a mapping (one) or a sequence (several).
pub fn load_file(path: &Path) -> Result<Vec<Scenario>, EvalError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(path, 0, format!("cannot read: {e}")))?;
    parse_scenarios(path, &text)
}

/// Parses and checks the scenarios in `text` (read from `path`).
pub fn parse_scenarios(path: &Path, text: &str) -> Result<Vec<Scenario>, EvalError> {
    let yaml_error = |e: serde_yaml_ng::Error| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        invalid(path, line, friendlier(&e.to_string()))
    };
    let document: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
    // Parsed from the text (not the value) so that errors carry lines.
    let mut scenarios: Vec<Scenario> = match document {
        serde_yaml_ng::Value::Sequence(_) => serde_yaml_ng::from_str(text).map_err(yaml_error)?,
        serde_yaml_ng::Value::Mapping(map) if map.contains_key("scenarios") => {
            let suite: Suite = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
            let mut scenarios = suite.scenarios;
            for scenario in &mut scenarios {
                if scenario.desk.is_none() {
                    scenario.desk.clone_from(&suite.desk);
                }
            }
            scenarios
        }
        serde_yaml_ng::Value::Mapping(_) => {
            vec![serde_yaml_ng::from_str(text).map_err(yaml_error)?]
        }
        _ => {
            return Err(invalid(
                path,
                1,
                "expected a scenario (a mapping) or a list of scenarios".into(),
            ));
        }
    };
    let starts = scenario_start_lines(text, scenarios.len());
    for (index, scenario) in scenarios.iter_mut().enumerate() {
        let start = starts.get(index).copied().unwrap_or(1);
        scenario.source = Some(SourceLocation {
            path: path.to_path_buf(),
            line: start,
        });
        check(scenario).map_err(|message| {
            invalid(
                path,
                start,
                format!("scenario {:?}: {message}", scenario.name),
            )
        })?;
    }
    Ok(scenarios)
}

/// A suite file: the desk its scenarios run on, and the scenarios.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    #[serde(default)]
    desk: Option<String>,
    scenarios: Vec<Scenario>,
}

/// The line each scenario starts at: the `name:` key of a single mapping,
/// or each `- ` item of a top-level list (or of a suite's `scenarios:`).
fn scenario_start_lines(text: &str, count: usize) -> Vec<usize> {
    let items = |indent: &str| -> Vec<usize> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| {
                l.strip_prefix(indent)
                    .is_some_and(|rest| rest.starts_with("- ") || rest == "-")
            })
            .map(|(i, _)| i + 1)
            .collect()
    };
    for indent in ["", "  "] {
        let list_items = items(indent);
        if list_items.len() == count && count > 0 && !text.lines().any(|l| l.starts_with("name:")) {
            return list_items;
        }
    }
    let first = text
        .lines()
        .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|i| i + 1)
        .unwrap_or(1);
    vec![first]
}

/// serde's messages, with the list of expected keys kept.
fn friendlier(message: &str) -> String {
    message
        .replace("data did not match any variant of untagged enum Step", "each turn must be either `user: ...` (with an optional `expect:`) or `set_policy: {...}`; check for misspelt keys")
}

/// The checks serde cannot make.
fn check(scenario: &Scenario) -> Result<(), String> {
    if scenario.name.trim().is_empty() {
        return Err("the name is empty".into());
    }
    if scenario.customer.trim().is_empty() {
        return Err("`customer` is empty".into());
    }
    if let Some(now) = &scenario.now {
        crate::clock::parse_rfc3339(now).map_err(|e| {
            format!(
                "`now: {now}` is not an RFC 3339 instant ({e}); write e.g. 2026-06-15T12:00:00Z"
            )
        })?;
    }
    if scenario.user_turns().next().is_none() {
        return Err("there are no `user:` turns".into());
    }
    if let Some(fixtures) = &scenario.fixtures {
        let known = |id: &str| fixtures.customers.iter().any(|c| c.id == id);
        if !known(&scenario.customer) {
            return Err(format!(
                "the customer {:?} is not among the fixtures' customers",
                scenario.customer
            ));
        }
        for (collection, rows) in &fixtures.collections {
            let mut ids = std::collections::HashSet::new();
            for (index, row) in rows.iter().enumerate() {
                let owner = row.get("customer").and_then(|c| c.as_str());
                match owner {
                    Some(owner) if known(owner) => {}
                    Some(owner) => {
                        return Err(format!(
                            "{collection}[{index}] belongs to unknown customer {owner:?}"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "{collection}[{index}] needs a \"customer\" (the id of its owner)"
                        ));
                    }
                }
                if let Some(id) = row.get("id").and_then(|i| i.as_str())
                    && !ids.insert((owner, id))
                {
                    return Err(format!(
                        "{collection} row {id:?} appears twice in the fixtures"
                    ));
                }
            }
        }
    }
    for turn in scenario.user_turns() {
        if let Some(expect) = &turn.expect {
            if expect.tool.is_some() && expect.tools.is_some() {
                return Err(format!(
                    "turn {:?}: use `tool` or `tools`, not both",
                    turn.user
                ));
            }
            if let Some(pattern) = expect.reply.as_ref().and_then(|r| r.matches.as_ref()) {
                regex::Regex::new(pattern).map_err(|e| {
                    format!(
                        "turn {:?}: `matches: {pattern}` is not a valid regex: {e}",
                        turn.user
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::scenario::Step;

    fn parse(text: &str) -> Result<Vec<Scenario>, EvalError> {
        parse_scenarios(Path::new("s.yaml"), text)
    }

    const ONE: &str = "name: cancel\ntags: [cancel]\ncustomer: C001\nturns:\n  - user: cancel order 1002\n    expect:\n      tool: cancel_order\n      args: {order_id: \"1002\"}\n      policy: allow\n      reply:\n        contains: [cancelled]\n  - set_policy: {cancellation-window: {max_days: 14}}\n  - user: and 1001?\nexpect_final:\n  records:\n    orders:\n      rows: {\"1002\": {status: cancelled}}\n    refunds: {count: 0}\n";

    #[test]
    fn a_full_scenario_parses() {
        let scenarios = parse(ONE).unwrap();
        assert_eq!(scenarios.len(), 1);
        let s = &scenarios[0];
        assert_eq!(s.turns.len(), 3);
        assert!(
            matches!(&s.turns[1], Step::SetPolicy(p) if p.set_policy["cancellation-window"]["max_days"] == 14)
        );
        let last = s.expect_final.as_ref().unwrap();
        assert_eq!(last.records["orders"].rows["1002"]["status"], "cancelled");
        assert_eq!(last.records["refunds"].count, Some(0));
    }

    #[test]
    fn a_suite_names_its_desk_and_fixtures_are_any_collection() {
        let text = "desk: telecom\nscenarios:\n  - name: a\n    customer: T001\n    turns: [{user: hi}]\n  - name: b\n    desk: other\n    customer: T009\n    fixtures:\n      customers: [{id: T009, name: Eve, email: e@x.example}]\n      collections:\n        bills: [{customer: T009, id: B1, amount_cents: 100, issued_at: now-70d}]\n    turns: [{user: hi}]\n";
        let scenarios = parse(text).unwrap();
        assert_eq!(scenarios[0].desk.as_deref(), Some("telecom"));
        assert_eq!(scenarios[1].desk.as_deref(), Some("other"));
        assert_eq!(scenarios[1].source.as_ref().unwrap().line, 6);
        let fixtures = scenarios[1].fixtures.as_ref().unwrap();
        assert_eq!(fixtures.collections["bills"][0]["amount_cents"], 100);
        let error = parse(&text.replace("{customer: T009, id: B1", "{customer: T010, id: B1"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown customer \"T010\""), "{error}");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let text = ONE.replace("      policy: allow", "      polcy: allow");
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.starts_with("s.yaml:"), "{error}");
        assert!(!error.starts_with("s.yaml:0"), "{error}");
        assert!(error.contains("polcy"), "{error}");
    }

    #[test]
    fn bad_values_are_named() {
        let error = parse(&ONE.replace("policy: allow", "policy: maybe"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("maybe"), "{error}");
        let error = parse(&ONE.replace("customer: C001", "customer: C001\nnow: yesterday"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("RFC 3339"), "{error}");
    }

    #[test]
    fn a_list_of_scenarios_reports_the_line_of_the_broken_one() {
        let text = "- name: a\n  customer: C001\n  turns: [{user: hi}]\n- name: b\n  customer: C001\n  turns: []\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(error.starts_with("s.yaml:4:"), "{error}");
        let text = "- name: a\n  customer: C001\n  turns: [{user: hi}]\n- name: a\n  customer: C001\n  turns: [{user: yo}]\n";
        assert_eq!(
            parse(text).unwrap().len(),
            2,
            "duplicates are caught across the suite by load_scenarios"
        );
    }
}
