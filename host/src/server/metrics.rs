//! Prometheus metrics: requests, latencies, turns, tokens, tool calls,
//! policy decisions, reloads and the queue, rendered in the text format.

use std::collections::BTreeMap;
use std::fmt::Write;

use parking_lot::Mutex;

use crate::agent::{ToolOutcome, TurnOutcome};
use crate::policy::Verdict;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A cumulative histogram over [`BUCKETS`].
#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Values read when the metrics are scraped.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Turns waiting for a free slot.
    pub queue_depth: usize,
    /// Turns running now.
    pub running_turns: usize,
    /// Policy revisions activated since start (the first load counts).
    pub policy_reloads: u64,
    /// Policy changes refused since start.
    pub policy_rejected: u64,
    /// Tool plugins loaded.
    pub plugins: usize,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    request_latency: BTreeMap<String, Histogram>,
    turns: BTreeMap<&'static str, u64>,
    turn_latency: Histogram,
    first_token: Histogram,
    prompt_tokens: u64,
    generated_tokens: u64,
    tool_calls: BTreeMap<(String, &'static str), u64>,
    policy_decisions: BTreeMap<String, u64>,
    rejected_requests: BTreeMap<&'static str, u64>,
}

/// The server's counters and histograms.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// What became of a tool call, as a metric label.
fn tool_outcome(tool: &ToolOutcome) -> &'static str {
    match (&tool.executed, &tool.error, &tool.decision) {
        (true, None, _) => "ok",
        (true, Some(_), _) => "failed",
        (false, _, Some(decision)) => match decision.verdict {
            Verdict::Deny => "denied",
            Verdict::Escalate => "escalated",
            Verdict::Confirm => "awaiting_confirmation",
            Verdict::Allow => "not_run",
        },
        (false, Some(_), None) => "failed",
        (false, None, None) => "not_run",
    }
}

impl Metrics {
    /// One HTTP request to `route` (the matched path template).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock();
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        inner
            .request_latency
            .entry(route.to_string())
            .or_default()
            .observe(seconds);
    }

    /// A finished turn: latency, tokens, tool calls and policy decisions.
    pub fn turn(&self, outcome: &TurnOutcome) {
        let mut inner = self.inner.lock();
        *inner.turns.entry("answered").or_default() += 1;
        inner.turn_latency.observe(outcome.total_ms / 1e3);
        inner.first_token.observe(outcome.first_token_ms / 1e3);
        inner.prompt_tokens += outcome.prompt_tokens as u64;
        inner.generated_tokens += outcome.generated_tokens as u64;
        drop(inner);
        for tool in &outcome.tools {
            self.tool_call(tool);
        }
    }

    /// A turn that failed.
    pub fn failed_turn(&self) {
        *self.inner.lock().turns.entry("failed").or_default() += 1;
    }

    /// A tool call (from a turn or a direct invocation).
    pub fn tool_call(&self, tool: &ToolOutcome) {
        let mut inner = self.inner.lock();
        *inner
            .tool_calls
            .entry((tool.tool.clone(), tool_outcome(tool)))
            .or_default() += 1;
        if let Some(decision) = &tool.decision {
            *inner
                .policy_decisions
                .entry(decision.verdict.as_str().to_string())
                .or_default() += 1;
        }
    }

    /// A chat refused before it ran (`busy`, `too_large`, …).
    pub fn rejected(&self, reason: &'static str) {
        *self
            .inner
            .lock()
            .rejected_requests
            .entry(reason)
            .or_default() += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: &Gauges) -> String {
        let inner = self.inner.lock();
        let mut out = String::new();
        let family = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            &mut out,
            "deskhand_http_requests_total",
            "counter",
            "HTTP requests by method, route and status.",
        );
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "deskhand_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        family(
            &mut out,
            "deskhand_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by route.",
        );
        for (route, histogram) in &inner.request_latency {
            histogram.render(
                &mut out,
                "deskhand_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(route)),
            );
        }
        family(
            &mut out,
            "deskhand_turns_total",
            "counter",
            "Agent turns by outcome.",
        );
        for (outcome, count) in &inner.turns {
            let _ = writeln!(out, "deskhand_turns_total{{outcome=\"{outcome}\"}} {count}");
        }
        family(
            &mut out,
            "deskhand_turn_duration_seconds",
            "histogram",
            "Whole-turn latency.",
        );
        inner
            .turn_latency
            .render(&mut out, "deskhand_turn_duration_seconds", "");
        family(
            &mut out,
            "deskhand_turn_first_token_seconds",
            "histogram",
            "Time to the first reply text.",
        );
        inner
            .first_token
            .render(&mut out, "deskhand_turn_first_token_seconds", "");
        family(
            &mut out,
            "deskhand_tokens_total",
            "counter",
            "Language-model tokens by kind.",
        );
        let _ = writeln!(
            out,
            "deskhand_tokens_total{{kind=\"prompt\"}} {}",
            inner.prompt_tokens
        );
        let _ = writeln!(
            out,
            "deskhand_tokens_total{{kind=\"generated\"}} {}",
            inner.generated_tokens
        );
        family(
            &mut out,
            "deskhand_tool_calls_total",
            "counter",
            "Tool calls by tool and outcome.",
        );
        for ((tool, outcome), count) in &inner.tool_calls {
            let _ = writeln!(
                out,
                "deskhand_tool_calls_total{{tool=\"{}\",outcome=\"{outcome}\"}} {count}",
                escape(tool)
            );
        }
        family(
            &mut out,
            "deskhand_policy_decisions_total",
            "counter",
            "Policy decisions by verdict.",
        );
        for (verdict, count) in &inner.policy_decisions {
            let _ = writeln!(
                out,
                "deskhand_policy_decisions_total{{verdict=\"{verdict}\"}} {count}"
            );
        }
        family(
            &mut out,
            "deskhand_chat_rejected_total",
            "counter",
            "Chats refused before running, by reason.",
        );
        for (reason, count) in &inner.rejected_requests {
            let _ = writeln!(
                out,
                "deskhand_chat_rejected_total{{reason=\"{reason}\"}} {count}"
            );
        }
        family(
            &mut out,
            "deskhand_policy_reloads_total",
            "counter",
            "Policy revisions activated since start.",
        );
        let _ = writeln!(
            out,
            "deskhand_policy_reloads_total {}",
            gauges.policy_reloads
        );
        family(
            &mut out,
            "deskhand_policy_rejected_changes_total",
            "counter",
            "Policy changes refused since start.",
        );
        let _ = writeln!(
            out,
            "deskhand_policy_rejected_changes_total {}",
            gauges.policy_rejected
        );
        family(
            &mut out,
            "deskhand_queue_depth",
            "gauge",
            "Turns waiting for a free slot.",
        );
        let _ = writeln!(out, "deskhand_queue_depth {}", gauges.queue_depth);
        family(
            &mut out,
            "deskhand_running_turns",
            "gauge",
            "Turns running now.",
        );
        let _ = writeln!(out, "deskhand_running_turns {}", gauges.running_turns);
        family(
            &mut out,
            "deskhand_plugins",
            "gauge",
            "Tool plugins loaded.",
        );
        let _ = writeln!(out, "deskhand_plugins {}", gauges.plugins);
        out
    }
}

/// Escapes a label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_counters_carry_labels() {
        let metrics = Metrics::default();
        metrics.request("GET", "/healthz", 200, 0.002);
        metrics.request("GET", "/healthz", 200, 0.2);
        let text = metrics.render(&Gauges {
            queue_depth: 3,
            ..Gauges::default()
        });
        assert!(text.contains(
            "deskhand_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "deskhand_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "deskhand_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("deskhand_queue_depth 3"));
    }
}
