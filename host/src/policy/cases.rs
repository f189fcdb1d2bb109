//! Policy test cases (`policies/tests/*.toml`): a request and the expected
//! decision. `deskhand policies test` runs them, and so does every reload,
//! which is refused when one fails.
//!
//! ```toml
//! [[case]]
//! name = "a 20-day-old order cannot be cancelled"
//! policy = "cancellation-window"     # one policy; omit to run the whole set
//! tool = "cancel_order"
//! effect = "reversible"              # optional, default reversible
//! args = { order_id = "1001" }
//! params = { max_days = 10 }         # optional (only with `policy`): else the file's
//! now = "2026-06-15T12:00:00Z"       # optional, this is the default
//! confirmed = false                  # optional
//! expect = "deny"
//! code = "outside-cancellation-window"   # optional
//! reason_contains = ["10 days", "20 days ago"]  # optional
//! # What the tool's `facts` would return (optional, default {}). A string
//! # "N days ago" / "N hours ago" / "N minutes ago" (or "in N days") is
//! # unix seconds relative to `now`.
//! facts = { order_id = "1001", status = "processing", placed_at = "480 hours ago", total_cents = 5990 }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::decision::{Decision, Verdict};
use super::request::PolicyRequest;
use super::set::PolicySet;
use crate::plugins::Effect;
/// 2026-06-15T12:00:00Z, the default `now` of a case.
const DEFAULT_NOW: i64 = 1_781_524_800;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    policy: Option<String>,
    tool: String,
    effect: Option<Effect>,
    #[serde(default)]
    args: toml::Table,
    params: Option<toml::Table>,
    now: Option<String>,
    #[serde(default)]
    confirmed: bool,
    expect: String,
    code: Option<String>,
    #[serde(default)]
    reason_contains: Vec<String>,
    #[serde(default)]
    facts: toml::Table,
}

/// One test case, ready to run.
#[derive(Debug, Clone)]
pub struct PolicyCase {
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Evaluate only this policy; `None` evaluates the whole set.
    pub policy: Option<String>,
    /// Parameters replacing the file's, for a single policy.
    pub params: Option<Value>,
    pub request: PolicyRequest,
    pub expect: Verdict,
    pub code: Option<String>,
    pub reason_contains: Vec<String>,
}

/// The result of running one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub name: String,
    pub file: PathBuf,
    pub passed: bool,
    /// What was decided, and what was expected when it differs.
    pub detail: String,
}

/// `"20 days ago"`, `"239 hours ago"`, `"in 4 days"` as unix seconds
/// relative to `now`; anything else is left alone.
fn relative_time(text: &str, now: i64) -> Option<i64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (amount, unit, sign) = match words.as_slice() {
        [amount, unit, "ago"] => (*amount, *unit, -1),
        ["in", amount, unit] => (*amount, *unit, 1),
        _ => return None,
    };
    let amount: f64 = amount.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "day" => 86_400.0,
        "hour" => 3_600.0,
        "minute" => 60.0,
        "second" => 1.0,
        _ => return None,
    };
    Some(now + sign * (amount * seconds).round() as i64)
}

fn resolve_times(value: &mut Value, now: i64) {
    match value {
        Value::String(text) => {
            if let Some(at) = relative_time(text, now) {
                *value = Value::from(at);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_times(v, now)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_times(v, now)),
        _ => {}
    }
}

impl RawCase {
    fn into_case(self, file: &Path) -> Result<PolicyCase, String> {
        let here = format!("{}: case {:?}", file.display(), self.name);
        let now = match &self.now {
            Some(text) => {
                crate::clock::parse_rfc3339(text).map_err(|e| format!("{here}: now: {e}"))?
            }
            None => DEFAULT_NOW,
        };
        let expect: Verdict = self
            .expect
            .parse()
            .map_err(|e| format!("{here}: expect: {e}"))?;
        if self.params.is_some() && self.policy.is_none() {
            return Err(format!(
                "{here}: `params` needs `policy`: parameters belong to one policy"
            ));
        }
        let json =
            |table: toml::Table| serde_json::to_value(table).map_err(|e| format!("{here}: {e}"));
        Ok(PolicyCase {
            name: self.name,
            file: file.to_path_buf(),
            policy: self.policy,
            params: self.params.map(json).transpose()?,
            request: PolicyRequest {
                tool: self.tool,
                effect: self.effect.unwrap_or(Effect::Reversible),
                args: json(self.args)?,
                facts: {
                    let mut facts = json(self.facts)?;
                    resolve_times(&mut facts, now);
                    facts
                },
                customer_id: "C-TEST".into(),
                confirmed: self.confirmed,
                now,
            },
            expect,
            code: self.code,
            reason_contains: self.reason_contains,
        })
    }
}

/// Reads every `*.toml` file in `dir`, sorted by name. A missing directory
/// holds no cases; a broken file is an error naming it.
pub fn load_cases(dir: &Path) -> Result<Vec<PolicyCase>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let parsed: CaseFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for raw in parsed.case {
            cases.push(raw.into_case(&file)?);
        }
    }
    Ok(cases)
}

/// Runs every case against `set`.
pub fn run_cases(set: &PolicySet, cases: &[PolicyCase]) -> Vec<CaseOutcome> {
    cases.iter().map(|case| run_case(set, case)).collect()
}

fn run_case(set: &PolicySet, case: &PolicyCase) -> CaseOutcome {
    let outcome = |passed, detail| CaseOutcome {
        name: case.name.clone(),
        file: case.file.clone(),
        passed,
        detail,
    };
    let decision = match &case.policy {
        Some(name) => match set.policy(name) {
            Some(policy) => Decision::combine(
                set.revision(),
                vec![policy.evaluate(&case.request, case.params.as_ref())],
            ),
            None => return outcome(false, format!("policy {name} is not active")),
        },
        None => set.evaluate(&case.request),
    };
    let got = match &decision.reason {
        Some(reason) => format!("{}: {reason}", decision.verdict.as_str()),
        None => decision.verdict.as_str().to_string(),
    };
    let mut problems = Vec::new();
    if decision.verdict != case.expect {
        problems.push(format!("expected {}", case.expect.as_str()));
    }
    if let Some(code) = &case.code
        && decision.code.as_deref() != Some(code.as_str())
    {
        problems.push(format!("expected code {code}, got {:?}", decision.code));
    }
    let reason = decision.reason.as_deref().unwrap_or("");
    for needle in &case.reason_contains {
        if !reason.contains(needle.as_str()) {
            problems.push(format!("the reason lacks {needle:?}"));
        }
    }
    if problems.is_empty() {
        outcome(true, got)
    } else {
        outcome(false, format!("got {got}; {}", problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_like_the_policy_rules() {
        let now = DEFAULT_NOW;
        assert_eq!(relative_time("20 days ago", now), Some(now - 20 * 86_400));
        assert_eq!(relative_time("1 day ago", now), Some(now - 86_400));
        assert_eq!(relative_time("239 hours ago", now), Some(now - 239 * 3_600));
        assert_eq!(relative_time("in 4 days", now), Some(now + 4 * 86_400));
        assert_eq!(relative_time("0 hours ago", now), Some(now));
        assert_eq!(relative_time("processing", now), None);
        assert_eq!(relative_time("many days ago", now), None);
    }
}
