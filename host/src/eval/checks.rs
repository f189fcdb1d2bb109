//! Checking a turn against its expectations, the reply's quality, and the
//! final state of the desk's records.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scenario::{ExpectedPolicy, FinalState, TurnExpectation};
use crate::agent::TurnOutcome;
use crate::policy::Verdict;
use crate::store::{ConversationStore, RecordStore};

/// One assertion and whether it held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked: `tool`, `args`, `policy`, `reply`, `final`.
    pub kind: String,
    pub passed: bool,
    /// Expected versus got, in words.
    pub detail: String,
}

/// Reply qualities that need no external judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// A greeting, thanks, apology or offer of help, and nothing rude.
    pub polite: bool,
    /// On deny: whether the reply gives the policy's reason (absent otherwise).
    pub reason_given: Option<bool>,
    /// Actions the reply claims that did not happen this turn ("cancelled"
    /// when nothing was cancelled).
    pub false_claims: Vec<String>,
}

static POLITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(please|thanks?|thank you|sorry|apolog\w*|hello|hi|welcome|glad|happy|of course|all right|certainly|help)\b")
        .expect("polite pattern")
});
static RUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(stupid|idiot|dumb|shut up|damn|crap|fool|moron)\b").expect("rude pattern")
});
/// The claims a reply can make of each acting tool: "has been cancelled",
/// "I've credited", from the first word of the tool's name.
pub fn claims_for(catalog: &crate::plugins::Catalog) -> Vec<(String, Regex)> {
    catalog
        .plugins()
        .filter(|p| p.manifest().effect != crate::plugins::Effect::ReadOnly)
        .filter_map(|p| {
            let name = &p.manifest().name;
            let verb = name.split('_').next().unwrap_or(name).to_lowercase();
            let stem = verb.trim_end_matches('e');
            let pattern = format!(
                r"(?i)\b(?:has|have|had)\s+(?:now\s+)?been\s+{stem}\w*\b|\bI(?:'ve| have)\s+(?:just\s+)?{stem}\w*\b|\bis now {stem}\w*\b"
            );
            Regex::new(&pattern).ok().map(|r| (name.clone(), r))
        })
        .collect()
}

/// The verdict of the acting tool's decision.
pub fn verdict(outcome: &TurnOutcome) -> Option<Verdict> {
    outcome.main_tool()?.decision.as_ref().map(|d| d.verdict)
}

/// Checks a turn against what the scenario expects of it.
pub fn check_turn(expect: &TurnExpectation, outcome: &TurnOutcome) -> Vec<Check> {
    let mut checks = Vec::new();
    let called: Vec<&str> = outcome.tools.iter().map(|t| t.tool.as_str()).collect();
    let acting = outcome.main_tool().map(|t| t.tool.as_str());
    if let Some(tool) = &expect.tool {
        let passed = if tool == "none" {
            acting.is_none()
        } else {
            acting == Some(tool.as_str())
        };
        checks.push(Check {
            kind: "tool".into(),
            passed,
            detail: format!("expected {tool}, got {}", acting.unwrap_or("none")),
        });
    }
    if let Some(tools) = &expect.tools {
        checks.push(Check {
            kind: "tool".into(),
            passed: called == tools.iter().map(String::as_str).collect::<Vec<_>>(),
            detail: format!(
                "expected [{}], got [{}]",
                tools.join(", "),
                called.join(", ")
            ),
        });
    }
    if let Some(args) = &expect.args {
        let got = outcome.main_tool().map(|t| &t.args);
        let passed = got.is_some_and(|got| {
            args.iter()
                .all(|(k, v)| got.get(k).is_some_and(|g| same_value(g, v)))
        });
        checks.push(Check {
            kind: "args".into(),
            passed,
            detail: format!(
                "expected ⊇ {}, got {}",
                Value::Object(args.clone()),
                got.map(Value::to_string)
                    .unwrap_or_else(|| "no call".into())
            ),
        });
    }
    if let Some(policy) = expect.policy {
        let got = verdict(outcome);
        checks.push(Check {
            kind: "policy".into(),
            passed: policy.matches(got),
            detail: format!(
                "expected {}, got {}",
                policy.as_str(),
                got.map(|v| v.as_str()).unwrap_or("none")
            ),
        });
    }
    if let Some(reply) = &expect.reply {
        let lower = outcome.reply.to_lowercase();
        for needle in &reply.contains {
            checks.push(reply_check(
                lower.contains(&needle.to_lowercase()),
                format!("contains {needle:?}"),
            ));
        }
        if !reply.contains_any.is_empty() {
            let passed = reply
                .contains_any
                .iter()
                .any(|n| lower.contains(&n.to_lowercase()));
            checks.push(reply_check(
                passed,
                format!("contains one of {:?}", reply.contains_any),
            ));
        }
        for needle in &reply.not_contains {
            checks.push(reply_check(
                !lower.contains(&needle.to_lowercase()),
                format!("does not contain {needle:?}"),
            ));
        }
        if let Some(pattern) = &reply.matches {
            let passed = Regex::new(pattern)
                .map(|r| r.is_match(&outcome.reply))
                .unwrap_or(false);
            checks.push(reply_check(passed, format!("matches /{pattern}/")));
        }
    }
    checks
}

fn reply_check(passed: bool, detail: String) -> Check {
    Check {
        kind: "reply".into(),
        passed,
        detail,
    }
}

/// Equal, with numbers compared as numbers and strings case-insensitively.
fn same_value(got: &Value, expected: &Value) -> bool {
    match (got, expected) {
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64().unwrap_or(f64::NAN) - b.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
        }
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            a == &b.to_string()
        }
        (a, b) => a == b,
    }
}

/// Whether an action ran that the expected policy decision forbids: the
/// dangerous kind of policy error.
pub fn is_dangerous(expect: Option<&TurnExpectation>, outcome: &TurnOutcome) -> bool {
    let forbidden = expect.and_then(|e| e.policy).is_some_and(|p| {
        matches!(
            p,
            ExpectedPolicy::Deny | ExpectedPolicy::Escalate | ExpectedPolicy::Confirm
        )
    });
    forbidden
        && outcome
            .main_tool()
            .is_some_and(|t| t.executed && t.error.is_none())
}

/// The reply's quality; `claims` from [`claims_for`].
pub fn quality(outcome: &TurnOutcome, claims: &[(String, Regex)]) -> Quality {
    let reply = &outcome.reply;
    let decision = outcome.main_tool().and_then(|t| t.decision.as_ref());
    let reason_given = decision.filter(|d| d.verdict == Verdict::Deny).map(|d| {
        d.reason
            .as_deref()
            .is_none_or(|reason| reply.contains(reason.trim()))
    });
    let false_claims = claims
        .iter()
        .filter(|(tool, claim)| {
            claim.is_match(reply)
                && !outcome
                    .tools
                    .iter()
                    .any(|t| t.tool == *tool && t.executed && t.error.is_none())
        })
        .map(|(tool, _)| tool.clone())
        .collect();
    Quality {
        polite: POLITE.is_match(reply) && !RUDE.is_match(reply),
        reason_given,
        false_claims,
    }
}

/// Checks the end state of the records and handoffs; rows are looked up
/// among the scenario customer's first, then anyone's.
pub fn check_final(
    expect: &FinalState,
    customer: &str,
    records: &dyn RecordStore,
    conversations: &dyn ConversationStore,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let check = |passed: bool, detail: String| Check {
        kind: "final".into(),
        passed,
        detail,
    };
    for (collection, expected) in &expect.records {
        for (id, fields) in &expected.rows {
            let row = match records.record(customer, collection, id) {
                Ok(Some(row)) => Some(row),
                _ => records
                    .find_records(collection, id)
                    .ok()
                    .and_then(|rows| rows.into_iter().next()),
            };
            let Some(row) = row else {
                checks.push(check(false, format!("{collection} {id} does not exist")));
                continue;
            };
            for (field, want) in fields {
                let got = row.data.get(field).cloned().unwrap_or(Value::Null);
                checks.push(check(
                    same_value(&got, want),
                    format!("{collection} {id}: {field} expected {want}, got {got}"),
                ));
            }
        }
        if let Some(count) = expected.count {
            let got = records
                .all_records(Some(collection))
                .map(|r| r.len())
                .unwrap_or(usize::MAX);
            checks.push(check(
                got == count,
                format!("expected {count} {collection}, got {got}"),
            ));
        }
    }
    if let Some(count) = expect.handoffs {
        let got = conversations
            .handoffs()
            .map(|h| h.len())
            .unwrap_or(usize::MAX);
        checks.push(Check {
            kind: "final".into(),
            passed: got == count.count,
            detail: format!("expected {} handoffs, got {got}", count.count),
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_loosely() {
        assert!(same_value(
            &serde_json::json!("1002"),
            &serde_json::json!(1002)
        ));
        assert!(same_value(&serde_json::json!(20.0), &serde_json::json!(20)));
        assert!(!same_value(
            &serde_json::json!("1002"),
            &serde_json::json!("1003")
        ));
    }
}
