//! What a turn produces: events as they happen, and the outcome at the end.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::AgentError;
use super::router::RouteDecision;
use super::trace::Step;
use crate::plugins::ToolError;
use crate::policy::{Decision, GatedCall};

/// A tool call the turn made (or stopped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolOutcome {
    pub tool: String,
    pub args: Value,
    /// The policies' decision (none for read-only tools).
    pub decision: Option<Decision>,
    /// Whether the tool ran.
    pub executed: bool,
    /// A lookup made to fill another call's arguments ("my last order").
    #[serde(default)]
    pub lookup: bool,
    /// Its result, when it ran and succeeded.
    pub result: Option<Value>,
    /// Its error code and customer message, when it failed.
    pub error: Option<ToolFailure>,
}

impl ToolOutcome {
    /// What a gated call did, for the trace and the outcome.
    pub fn from_call(tool: &str, args: &Value, result: &Result<GatedCall, ToolError>) -> Self {
        let failure = |e: &ToolError| ToolFailure {
            code: e.code().to_string(),
            message: e.customer_message(),
        };
        let (decision, executed, value, error) = match result {
            Err(e) => (None, false, None, Some(failure(e))),
            Ok(GatedCall::Stopped { decision }) => (Some(decision.clone()), false, None, None),
            Ok(GatedCall::Ran { decision, result }) => match result {
                Ok(v) => (decision.clone(), true, Some(v.clone()), None),
                Err(e) => (decision.clone(), true, None, Some(failure(e))),
            },
        };
        ToolOutcome {
            tool: tool.to_string(),
            args: args.clone(),
            decision,
            executed,
            lookup: false,
            result: value,
            error,
        }
    }
}

/// A failed tool call, as the customer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolFailure {
    pub code: String,
    pub message: String,
}

/// Everything about one finished turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnOutcome {
    pub conversation_id: String,
    pub customer_id: String,
    /// The message after cleaning.
    pub message: String,
    /// The stored customer message's id.
    #[serde(default)]
    pub message_id: i64,
    pub reply: String,
    /// The stored reply's id (for feedback).
    #[serde(default)]
    pub reply_id: i64,
    /// How the message was routed (absent when the turn answered a pending
    /// question, such as a confirmation).
    pub route: Option<RouteDecision>,
    /// The tool calls, in order (a lookup of "my last order" comes first).
    pub tools: Vec<ToolOutcome>,
    /// A handoff created by this turn.
    pub handoff_id: Option<i64>,
    /// Chunk ids the answer was grounded in.
    pub retrieved: Vec<String>,
    /// What the agent now waits for (a yes/no, an order number).
    pub waiting_for: Option<String>,
    pub steps: Vec<Step>,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    /// From the start of the turn to the first piece of reply text.
    pub first_token_ms: f64,
    pub total_ms: f64,
}

impl TurnOutcome {
    /// The tool call the turn was about (not a lookup made to fill it).
    pub fn main_tool(&self) -> Option<&ToolOutcome> {
        self.tools.iter().rev().find(|t| !t.lookup)
    }
}

/// One thing that happened during a turn.
#[derive(Debug)]
pub enum TurnEvent {
    /// A step finished (route, args, policy, tool, retrieval, generation).
    Step(Step),
    /// More reply text.
    Text(String),
    /// The turn is over.
    Done(Box<TurnOutcome>),
    /// The turn failed; nothing more follows.
    Failed(AgentError),
}

/// The events of a running turn.
pub struct TurnStream {
    pub(crate) events: mpsc::UnboundedReceiver<TurnEvent>,
}

impl TurnStream {
    /// The next event.
    pub async fn next(&mut self) -> Option<TurnEvent> {
        self.events.recv().await
    }

    /// The next event, blocking; for code outside an async runtime.
    pub fn next_blocking(&mut self) -> Option<TurnEvent> {
        self.events.blocking_recv()
    }

    /// Waits for the end of the turn.
    pub async fn outcome(mut self) -> Result<TurnOutcome, AgentError> {
        while let Some(event) = self.next().await {
            if let Some(end) = event.into_end() {
                return end;
            }
        }
        Err(AgentError::Stopped("no outcome".into()))
    }

    /// Waits for the end of the turn, blocking.
    pub fn outcome_blocking(mut self) -> Result<TurnOutcome, AgentError> {
        while let Some(event) = self.next_blocking() {
            if let Some(end) = event.into_end() {
                return end;
            }
        }
        Err(AgentError::Stopped("no outcome".into()))
    }
}

impl TurnEvent {
    /// The turn's result if this event ends it (`Done` or `Failed`).
    pub fn into_end(self) -> Option<Result<TurnOutcome, AgentError>> {
        match self {
            TurnEvent::Done(outcome) => Some(Ok(*outcome)),
            TurnEvent::Failed(error) => Some(Err(error)),
            TurnEvent::Step(_) | TurnEvent::Text(_) => None,
        }
    }
}
