//! Verdicts, one policy's decision, and the combined decision of a set.

use serde::{Deserialize, Serialize};

/// What a policy says about a call. The order is the precedence: when
/// policies disagree, deny wins, then escalate, then confirm, then allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The call may run.
    Allow,
    /// The customer must say yes first.
    Confirm,
    /// A human must handle it.
    Escalate,
    /// The call must not run.
    Deny,
}

impl Verdict {
    /// The lowercase word used in files, logs and the audit table.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Confirm => "confirm",
            Verdict::Escalate => "escalate",
            Verdict::Deny => "deny",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Verdict::Allow),
            "confirm" => Ok(Verdict::Confirm),
            "escalate" => Ok(Verdict::Escalate),
            "deny" => Ok(Verdict::Deny),
            other => Err(format!(
                "unknown verdict {other:?}; expected allow, deny, escalate or confirm"
            )),
        }
    }
}

/// One policy's decision about one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDecision {
    /// The policy's name.
    pub policy: String,
    pub verdict: Verdict,
    /// Machine code of a denial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The sentence for the customer: why denied, why escalated, what to confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set when the policy itself failed (and so, to be safe, denied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// How long the evaluation took, in microseconds.
    pub micros: u64,
}

/// The decision of a whole policy set about one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The combined verdict.
    pub verdict: Verdict,
    /// The code of the deciding policy's denial, if denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The deciding policy's sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The revision (content hash) of the set that decided.
    pub revision: String,
    /// Every applicable policy's own decision, in configuration order.
    pub policies: Vec<PolicyDecision>,
}

impl Decision {
    /// Combines the decisions of one revision: the strongest verdict wins and
    /// the first policy with that verdict gives the code and reason.
    pub fn combine(revision: &str, policies: Vec<PolicyDecision>) -> Self {
        let verdict = policies
            .iter()
            .map(|d| d.verdict)
            .max()
            .unwrap_or(Verdict::Allow);
        let decider = policies.iter().find(|d| d.verdict == verdict);
        Decision {
            verdict,
            code: decider.and_then(|d| d.code.clone()),
            reason: decider.and_then(|d| d.reason.clone()),
            revision: revision.to_string(),
            policies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(policy: &str, verdict: Verdict, reason: &str) -> PolicyDecision {
        PolicyDecision {
            policy: policy.into(),
            verdict,
            code: None,
            reason: Some(reason.into()),
            failure: None,
            micros: 1,
        }
    }

    #[test]
    fn deny_beats_escalate_beats_confirm_beats_allow() {
        let all = vec![
            said("a", Verdict::Allow, "fine"),
            said("b", Verdict::Confirm, "sure?"),
            said("c", Verdict::Escalate, "big"),
            said("d", Verdict::Deny, "no"),
        ];
        assert_eq!(Decision::combine("r", all.clone()).verdict, Verdict::Deny);
        assert_eq!(
            Decision::combine("r", all[..3].to_vec()).reason.as_deref(),
            Some("big")
        );
        assert_eq!(
            Decision::combine("r", all[..2].to_vec()).verdict,
            Verdict::Confirm
        );
        let none = Decision::combine("r", Vec::new());
        assert_eq!(none.verdict, Verdict::Allow);
        assert_eq!(none.revision, "r");
    }
}
