//! A turn's trace: every step with its inputs, outputs and duration.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Input,
    Route,
    Args,
    Policy,
    Tool,
    Retrieval,
    Generation,
    Handoff,
}

impl StepKind {
    /// The lowercase word used in traces and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Input => "input",
            StepKind::Route => "route",
            StepKind::Args => "args",
            StepKind::Policy => "policy",
            StepKind::Tool => "tool",
            StepKind::Retrieval => "retrieval",
            StepKind::Generation => "generation",
            StepKind::Handoff => "handoff",
        }
    }
}

/// One step of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    /// A one-line summary, e.g. "cancel_order (0.71)".
    pub summary: String,
    /// The step's details: inputs and outputs, as JSON.
    pub detail: Value,
    /// Milliseconds.
    pub ms: f64,
}

/// Times a step; finish it with [`StepTimer::finish`].
pub(crate) struct StepTimer(Instant);

impl StepTimer {
    pub(crate) fn start() -> Self {
        StepTimer(Instant::now())
    }

    pub(crate) fn finish(self, kind: StepKind, summary: impl Into<String>, detail: Value) -> Step {
        Step {
            kind,
            summary: summary.into(),
            detail,
            ms: self.0.elapsed().as_secs_f64() * 1e3,
        }
    }
}
