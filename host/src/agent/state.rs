//! A turn in progress: what it has said and done so far.

use std::time::Instant;

use super::conversation::Conversation;
use super::router::RouteDecision;
use super::trace::Step;
use super::turn::{ToolOutcome, TurnEvent, TurnOutcome};
use super::waiting::Pending;

/// A turn in progress.
pub(super) struct TurnState<'a> {
    pub(super) conversation_id: String,
    pub(super) customer_id: String,
    pub(super) emit: &'a dyn Fn(TurnEvent),
    pub(super) started: Instant,
    pub(super) message: String,
    pub(super) reply: String,
    pub(super) route: Option<RouteDecision>,
    pub(super) tools: Vec<ToolOutcome>,
    pub(super) handoff_id: Option<i64>,
    pub(super) retrieved: Vec<String>,
    pub(super) pending: Option<Pending>,
    pub(super) steps: Vec<Step>,
    pub(super) prompt_tokens: usize,
    pub(super) generated_tokens: usize,
    pub(super) first_token_ms: Option<f64>,
}

impl<'a> TurnState<'a> {
    pub(super) fn new(conversation: &Conversation, emit: &'a dyn Fn(TurnEvent)) -> Self {
        TurnState {
            conversation_id: conversation.id.clone(),
            customer_id: conversation.customer_id.clone(),
            emit,
            started: Instant::now(),
            message: String::new(),
            reply: String::new(),
            route: None,
            tools: Vec::new(),
            handoff_id: None,
            retrieved: Vec::new(),
            pending: None,
            steps: Vec::new(),
            prompt_tokens: 0,
            generated_tokens: 0,
            first_token_ms: None,
        }
    }

    /// The tools that ran and succeeded in this turn (their actions may be
    /// spoken of); lookups made to fill arguments are not among them.
    pub(super) fn succeeded(&self) -> Vec<String> {
        self.tools
            .iter()
            .filter(|t| t.executed && t.error.is_none() && !t.lookup)
            .map(|t| t.tool.clone())
            .collect()
    }

    pub(super) fn step(&mut self, step: Step) {
        (self.emit)(TurnEvent::Step(step.clone()));
        self.steps.push(step);
    }

    /// Appends a sentence (or several) to the reply and streams it.
    pub(super) fn say(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let piece = if self.reply.is_empty() {
            text.to_string()
        } else {
            format!(" {text}")
        };
        self.first_token_ms
            .get_or_insert_with(|| self.started.elapsed().as_secs_f64() * 1e3);
        self.reply.push_str(&piece);
        (self.emit)(TurnEvent::Text(piece));
    }

    pub(super) fn finish(self) -> TurnOutcome {
        let total_ms = self.started.elapsed().as_secs_f64() * 1e3;
        TurnOutcome {
            conversation_id: self.conversation_id,
            customer_id: self.customer_id,
            message: self.message,
            message_id: 0,
            reply: self.reply,
            reply_id: 0,
            route: self.route,
            tools: self.tools,
            handoff_id: self.handoff_id,
            retrieved: self.retrieved,
            waiting_for: self.pending.as_ref().map(|p| p.label().to_string()),
            steps: self.steps,
            prompt_tokens: self.prompt_tokens,
            generated_tokens: self.generated_tokens,
            first_token_ms: self.first_token_ms.unwrap_or(total_ms),
            total_ms,
        }
    }
}
