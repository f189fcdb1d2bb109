//! The scenario format: YAML conversations with what each turn must do and
//! the state the desk's records must end in. Loading is in
//! [`loader`](super::loader).
//!
//! Unknown keys are errors, and every error names the file and line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// The desk it runs on (default: the suite file's, or the desk whose
    /// scenarios folder holds the file).
    #[serde(default)]
    pub desk: Option<String>,
    /// The session's customer.
    pub customer: String,
    /// The scenario's own data; without it the desk's seed is used.
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

/// A scenario's own data: customers and rows of any collections, in the
/// seed file's format (times such as `now-20d` are relative to the
/// scenario's clock).
pub type Fixtures = crate::store::seed::SeedData;

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
    /// A reply a good agent would give, for the reply-quality metrics
    /// (BLEU, BERTScore-style F1, perplexity); it is not a pass/fail check.
    #[serde(default)]
    pub reference: Option<String>,
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

/// The state after the last turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalState {
    /// Per collection: how many rows, and fields of given rows.
    #[serde(default)]
    pub records: BTreeMap<String, FinalCollection>,
    #[serde(default)]
    pub handoffs: Option<Count>,
}

/// What one collection must hold at the end.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalCollection {
    /// The number of rows, across customers.
    #[serde(default)]
    pub count: Option<usize>,
    /// Row id → fields it must have (a subset; nested values compared whole).
    #[serde(default)]
    pub rows: BTreeMap<String, serde_json::Map<String, Value>>,
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
