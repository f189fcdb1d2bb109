//! The scenario format: YAML conversations with what each turn must do and
//! the state the shop must end in. One scenario per file, or a list.
//!
//! Unknown keys are errors, and every error names the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::EvalError;
use crate::policy::Verdict;

/// One scripted conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique across the suite.
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The business clock, RFC 3339; default [`DEFAULT_NOW`].
    #[serde(default)]
    pub now: Option<String>,
    /// The session's customer.
    pub customer: String,
    /// The shop; without it the standard demo seed is used.
    #[serde(default)]
    pub fixtures: Option<Fixtures>,
    /// Policy parameter overrides: policy name → parameters to change.
    #[serde(default)]
    pub policies: BTreeMap<String, BTreeMap<String, Value>>,
    pub turns: Vec<Step>,
    #[serde(default)]
    pub expect_final: Option<FinalState>,
    /// Where it was read from (set by the loader).
    #[serde(skip)]
    pub source: Option<SourceLocation>,
}

/// The file and line a scenario starts at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub path: PathBuf,
    pub line: usize,
}

/// The instant scenarios run at unless they say otherwise.
pub const DEFAULT_NOW: &str = "2026-06-15T12:00:00Z";

/// A scenario's own shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub customers: Vec<FixtureCustomer>,
    #[serde(default)]
    pub orders: Vec<FixtureOrder>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureCustomer {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureOrder {
    pub id: String,
    pub customer: String,
    #[serde(default)]
    pub placed_days_ago: Option<f64>,
    #[serde(default)]
    pub placed_at: Option<String>,
    pub status: OrderStatus,
    pub total: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default)]
    pub items: Vec<FixtureItem>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipped_days_ago: Option<f64>,
    #[serde(default)]
    pub delivered_days_ago: Option<f64>,
    #[serde(default)]
    pub eta_days: Option<f64>,
}

/// Where a fixture order is in its life: the demo shop's statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
}

impl OrderStatus {
    /// The lowercase word stored in the order document.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn default_currency() -> String {
    "EUR".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureItem {
    pub sku: String,
    pub name: String,
    #[serde(default = "one")]
    pub qty: u32,
    pub price: f64,
}

fn one() -> u32 {
    1
}

/// One step of the script: a customer message, or a live policy change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
// A script has a handful of steps: boxing the larger one would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    User(UserTurn),
    SetPolicy(SetPolicy),
}

impl<'de> Deserialize<'de> for Step {
    /// Picks the kind by its key, so that a mistake inside a turn is reported
    /// as itself ("unknown field `polcy`") rather than as "no variant matched".
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_yaml_ng::Value::deserialize(deserializer)?;
        let is_policy_change = value
            .as_mapping()
            .is_some_and(|m| m.contains_key("set_policy"));
        if is_policy_change {
            serde_yaml_ng::from_value(value)
                .map(Step::SetPolicy)
                .map_err(D::Error::custom)
        } else if value.as_mapping().is_some_and(|m| m.contains_key("user")) {
            serde_yaml_ng::from_value(value)
                .map(Step::User)
                .map_err(D::Error::custom)
        } else {
            Err(D::Error::custom(
                "each turn must be either `user: ...` (with an optional `expect:`) or `set_policy: {...}`",
            ))
        }
    }
}

/// A customer message and what the agent must do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserTurn {
    pub user: String,
    #[serde(default)]
    pub expect: Option<TurnExpectation>,
}

/// A change of policy parameters, through the hot-reload path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPolicy {
    pub set_policy: BTreeMap<String, BTreeMap<String, Value>>,
}

/// What one turn must do; every key optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnExpectation {
    /// The tool that acts (the last one called), or `none`.
    #[serde(default)]
    pub tool: Option<String>,
    /// Every tool called, in order.
    #[serde(default)]
    pub tools: Option<Vec<String>>,
    /// A subset of the acting tool's arguments.
    #[serde(default)]
    pub args: Option<serde_json::Map<String, Value>>,
    /// The policies' decision, or `none` when no policy decided.
    #[serde(default)]
    pub policy: Option<ExpectedPolicy>,
    #[serde(default)]
    pub reply: Option<ReplyExpectation>,
}

/// An expected policy decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedPolicy {
    Allow,
    Deny,
    Escalate,
    Confirm,
    None,
}

impl ExpectedPolicy {
    /// Whether `verdict` (none when no policy decided) is this.
    pub fn matches(self, verdict: Option<Verdict>) -> bool {
        matches!(
            (self, verdict),
            (ExpectedPolicy::None, None)
                | (ExpectedPolicy::Allow, Some(Verdict::Allow))
                | (ExpectedPolicy::Deny, Some(Verdict::Deny))
                | (ExpectedPolicy::Escalate, Some(Verdict::Escalate))
                | (ExpectedPolicy::Confirm, Some(Verdict::Confirm))
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedPolicy::Allow => "allow",
            ExpectedPolicy::Deny => "deny",
            ExpectedPolicy::Escalate => "escalate",
            ExpectedPolicy::Confirm => "confirm",
            ExpectedPolicy::None => "none",
        }
    }
}

/// Assertions on the reply text (case-insensitive, except `matches`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyExpectation {
    /// Every one of these.
    #[serde(default)]
    pub contains: Vec<String>,
    /// At least one of these.
    #[serde(default)]
    pub contains_any: Vec<String>,
    /// None of these.
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// A regular expression.
    #[serde(default)]
    pub matches: Option<String>,
}

/// The shop's state after the last turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalState {
    #[serde(default)]
    pub orders: BTreeMap<String, FinalOrder>,
    #[serde(default)]
    pub refunds: Option<Count>,
    #[serde(default)]
    pub handoffs: Option<Count>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalOrder {
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// The total refunded on it.
    #[serde(default)]
    pub refunded: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub count: usize,
}

impl Scenario {
    /// The user turns, in order.
    pub fn user_turns(&self) -> impl Iterator<Item = &UserTurn> {
        self.turns.iter().filter_map(|s| match s {
            Step::User(turn) => Some(turn),
            Step::SetPolicy(_) => None,
        })
    }

    /// Where it comes from, as "file:line".
    pub fn location(&self) -> String {
        self.source
            .as_ref()
            .map(|s| format!("{}:{}", s.path.display(), s.line))
            .unwrap_or_default()
    }
}

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

/// The line each top-level scenario starts at: the `name:` key of a single
/// mapping, or each `- ` item of a top-level list.
fn scenario_start_lines(text: &str, count: usize) -> Vec<usize> {
    let list_items: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("- ") || *l == "-")
        .map(|(i, _)| i + 1)
        .collect();
    if list_items.len() == count && count > 0 && !text.lines().any(|l| l.starts_with("name:")) {
        return list_items;
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
        let mut ids = std::collections::HashSet::new();
        for order in &fixtures.orders {
            if !ids.insert(order.id.as_str()) {
                return Err(format!(
                    "order {:?} appears twice in the fixtures",
                    order.id
                ));
            }
            if !known(&order.customer) {
                return Err(format!(
                    "order {} belongs to unknown customer {:?}",
                    order.id, order.customer
                ));
            }
            match (order.placed_days_ago, &order.placed_at) {
                (Some(_), Some(_)) => {
                    return Err(format!(
                        "order {}: give placed_days_ago or placed_at, not both",
                        order.id
                    ));
                }
                (None, None) => {
                    return Err(format!(
                        "order {}: placed_days_ago or placed_at is required",
                        order.id
                    ));
                }
                (None, Some(at)) => {
                    crate::clock::parse_rfc3339(at).map_err(|e| {
                        format!("order {}: placed_at {at:?} is not RFC 3339 ({e})", order.id)
                    })?;
                }
                _ => {}
            }
            if order.total < 0.0 {
                return Err(format!("order {}: the total is negative", order.id));
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

    fn parse(text: &str) -> Result<Vec<Scenario>, EvalError> {
        parse_scenarios(Path::new("s.yaml"), text)
    }

    const ONE: &str = "name: cancel\ntags: [cancel]\ncustomer: C001\nturns:\n  - user: cancel order 1002\n    expect:\n      tool: cancel_order\n      args: {order_id: \"1002\"}\n      policy: allow\n      reply:\n        contains: [cancelled]\n  - set_policy: {cancellation-window: {max_days: 14}}\n  - user: and 1001?\nexpect_final:\n  orders:\n    \"1002\": {status: cancelled}\n  refunds: {count: 0}\n";

    #[test]
    fn a_full_scenario_parses() {
        let scenarios = parse(ONE).unwrap();
        assert_eq!(scenarios.len(), 1);
        let s = &scenarios[0];
        assert_eq!(s.turns.len(), 3);
        assert!(
            matches!(&s.turns[1], Step::SetPolicy(p) if p.set_policy["cancellation-window"]["max_days"] == 14)
        );
        assert_eq!(
            s.expect_final.as_ref().unwrap().orders["1002"].status,
            Some(OrderStatus::Cancelled)
        );
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
