//! The numbers of a run: pass rate and pass^k, accuracy per kind of check,
//! policy errors, reply quality, latency and tokens, by tag and variant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::replies::{ReplyMetrics, ReplyScores};
use super::runner::TrialResult;

/// A fraction with its counts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rate {
    pub passed: usize,
    pub total: usize,
}

impl Rate {
    fn add(&mut self, passed: bool) {
        self.total += 1;
        self.passed += usize::from(passed);
    }

    /// passed / total, or 1 when there was nothing to check.
    pub fn value(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.passed as f64 / self.total as f64
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total == 0 {
            write!(f, "—")
        } else {
            write!(
                f,
                "{:.1} % ({}/{})",
                self.value() * 100.0,
                self.passed,
                self.total
            )
        }
    }
}

/// p50 and p95 of some milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub count: usize,
}

impl Latency {
    fn of(mut values: Vec<f64>) -> Self {
        if values.is_empty() {
            return Latency::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        Latency {
            p50: at(0.5),
            p95: at(0.95),
            count: values.len(),
        }
    }
}

/// Everything the terminal summary and the reports show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub scenarios: usize,
    pub trials: usize,
    /// Trials that passed every check.
    pub pass_rate: Rate,
    /// τ-bench's pass^k for k = 1..trials: per scenario C(c, k) / C(n, k), averaged.
    pub pass_hat_k: Vec<f64>,
    pub tool_selection: Rate,
    pub arguments: Rate,
    pub policy_enforcement: Rate,
    /// Actions that ran although the expected decision forbids them.
    pub dangerous_errors: usize,
    pub end_state: Rate,
    pub reply_assertions: Rate,
    pub polite: Rate,
    /// Denials whose reply gives the policy's reason.
    pub reason_on_deny: Rate,
    /// Replies that claim no action that did not happen.
    pub no_false_claims: Rate,
    pub turn_latency: Latency,
    pub first_text_latency: Latency,
    /// Per step kind (route, args, policy, tool, retrieval, generation, …).
    pub step_latency: BTreeMap<String, Latency>,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub by_tag: BTreeMap<String, Rate>,
    /// Pass rate per variant (with its prompt template, when compared).
    pub by_variant: BTreeMap<String, Rate>,
    /// Reply quality over every turn.
    pub replies: ReplyMetrics,
    pub replies_by_tag: BTreeMap<String, ReplyMetrics>,
    /// The variants side by side.
    pub arms: BTreeMap<String, ArmSummary>,
    /// Which model judged the replies, if one did.
    pub judge: Option<JudgeNote>,
}

/// One variant's headline numbers, for the side-by-side table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArmSummary {
    pub trials: usize,
    pub pass_rate: Rate,
    pub tool_selection: Rate,
    pub arguments: Rate,
    pub policy_enforcement: Rate,
    pub replies: ReplyMetrics,
}

/// The judge of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeNote {
    /// The judge model's file.
    pub model: String,
    /// Set when the judge is too small a model to be trusted much.
    pub weak: Option<String>,
}

/// C(n, k).
fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Summarises the trials, with each variant's numbers beside the others.
pub fn summarise(results: &[TrialResult]) -> Summary {
    let all: Vec<&TrialResult> = results.iter().collect();
    let mut summary = tally(&all);
    let mut arms: BTreeMap<String, Vec<&TrialResult>> = BTreeMap::new();
    for result in results {
        arms.entry(result.arm()).or_default().push(result);
    }
    summary.arms = arms
        .into_iter()
        .map(|(arm, part)| {
            let part = tally(&part);
            let numbers = ArmSummary {
                trials: part.trials,
                pass_rate: part.pass_rate,
                tool_selection: part.tool_selection,
                arguments: part.arguments,
                policy_enforcement: part.policy_enforcement,
                replies: part.replies,
            };
            (arm, numbers)
        })
        .collect();
    summary
}

/// Every number of these trials but the side-by-side table.
fn tally(results: &[&TrialResult]) -> Summary {
    let mut summary = Summary {
        scenarios: 0,
        trials: results.len(),
        pass_rate: Rate::default(),
        pass_hat_k: Vec::new(),
        tool_selection: Rate::default(),
        arguments: Rate::default(),
        policy_enforcement: Rate::default(),
        dangerous_errors: 0,
        end_state: Rate::default(),
        reply_assertions: Rate::default(),
        polite: Rate::default(),
        reason_on_deny: Rate::default(),
        no_false_claims: Rate::default(),
        turn_latency: Latency::default(),
        first_text_latency: Latency::default(),
        step_latency: BTreeMap::new(),
        prompt_tokens: 0,
        generated_tokens: 0,
        by_tag: BTreeMap::new(),
        by_variant: BTreeMap::new(),
        replies: ReplyMetrics::default(),
        replies_by_tag: BTreeMap::new(),
        arms: BTreeMap::new(),
        judge: None,
    };
    let mut tag_scores: BTreeMap<&str, Vec<&ReplyScores>> = BTreeMap::new();
    // Names are unique within a desk, not across desks.
    let mut per_scenario: BTreeMap<(String, String, String), (usize, usize)> = BTreeMap::new();
    let mut turn_ms = Vec::new();
    let mut first_ms = Vec::new();
    let mut steps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for &result in results {
        summary.pass_rate.add(result.passed);
        for tag in &result.tags {
            tag_scores
                .entry(tag)
                .or_default()
                .extend(result.turns.iter().map(|t| &t.scores));
        }
        let counts = per_scenario
            .entry((result.desk.clone(), result.scenario.clone(), result.arm()))
            .or_default();
        counts.0 += usize::from(result.passed);
        counts.1 += 1;
        for tag in &result.tags {
            summary
                .by_tag
                .entry(tag.clone())
                .or_default()
                .add(result.passed);
        }
        summary
            .by_variant
            .entry(result.arm())
            .or_default()
            .add(result.passed);
        for check in result.checks() {
            let rate = match check.kind.as_str() {
                "tool" => &mut summary.tool_selection,
                "args" => &mut summary.arguments,
                "policy" => &mut summary.policy_enforcement,
                "reply" => &mut summary.reply_assertions,
                _ => &mut summary.end_state,
            };
            rate.add(check.passed);
        }
        for turn in &result.turns {
            summary.dangerous_errors += usize::from(turn.dangerous);
            summary.polite.add(turn.quality.polite);
            if let Some(given) = turn.quality.reason_given {
                summary.reason_on_deny.add(given);
            }
            summary
                .no_false_claims
                .add(turn.quality.false_claims.is_empty());
            turn_ms.push(turn.outcome.total_ms);
            first_ms.push(turn.outcome.first_token_ms);
            summary.prompt_tokens += turn.outcome.prompt_tokens;
            summary.generated_tokens += turn.outcome.generated_tokens;
            for step in &turn.outcome.steps {
                steps
                    .entry(step.kind.as_str().to_string())
                    .or_default()
                    .push(step.ms);
            }
        }
    }
    summary.scenarios = per_scenario
        .keys()
        .map(|(desk, name, _)| (desk, name))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let max_trials = per_scenario.values().map(|(_, n)| *n).min().unwrap_or(0);
    summary.pass_hat_k = (1..=max_trials)
        .map(|k| {
            let total: f64 = per_scenario
                .values()
                .map(|(c, n)| choose(*c, k) / choose(*n, k))
                .sum();
            total / per_scenario.len() as f64
        })
        .collect();
    summary.replies = ReplyMetrics::of(
        results
            .iter()
            .flat_map(|r| r.turns.iter().map(|t| &t.scores)),
    );
    summary.replies_by_tag = tag_scores
        .into_iter()
        .map(|(tag, scores)| (tag.to_string(), ReplyMetrics::of(scores.into_iter())))
        .collect();
    summary.turn_latency = Latency::of(turn_ms);
    summary.first_text_latency = Latency::of(first_ms);
    summary.step_latency = steps
        .into_iter()
        .map(|(k, v)| (k, Latency::of(v)))
        .collect();
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_hat_k_follows_tau_bench() {
        // 4 trials with 2 successes: pass^1 = 2/4, pass^2 = 1/6, pass^3 = 0.
        assert!((choose(2, 1) / choose(4, 1) - 0.5).abs() < 1e-12);
        assert!((choose(2, 2) / choose(4, 2) - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(choose(2, 3) / choose(4, 3), 0.0);
    }

    #[test]
    fn rates_print_with_counts() {
        let mut rate = Rate::default();
        rate.add(true);
        rate.add(false);
        assert_eq!(rate.to_string(), "50.0 % (1/2)");
        assert_eq!(Rate::default().to_string(), "—");
    }
}
