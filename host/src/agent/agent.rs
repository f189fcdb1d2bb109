//! The agent: one customer message in, one grounded reply out, every step
//! traced and every action taken through the policies.
//!
//! The natural path of a turn, a file each: the message is cleaned
//! ([`input`](super::input)); a pending question is answered
//! ([`pending`](super::pending)); otherwise the message is routed
//! ([`routing`](super::routing)); a tool's arguments are filled
//! ([`tool`](super::tool), [`arguments`](super::arguments)); the call goes
//! through the policies ([`act`](super::act)); and the reply is rendered
//! ([`reply`](super::reply)) with the model's checked sentences around it
//! ([`voice`](super::voice)).

use std::sync::Arc;

use serde_json::{Map, json};
use tokio::sync::mpsc;
use tracing::{info, info_span, warn};

use super::conversation::Conversation;
use super::error::AgentError;
use super::input::clean_message;
use super::reply::Replies;
use super::router::{Route, Router};
use super::settings::AgentSettings;
use super::state::TurnState;
use super::tools_view::ToolsView;
use super::trace::{StepKind, StepTimer};
use super::turn::{TurnEvent, TurnOutcome, TurnStream};
use super::waiting::{Answered, Pending};
use crate::clock::Clock;
use crate::desk::Desk;
use crate::llm::ModelBackend;
use crate::plugins::CustomerScope;
use crate::policy::PolicyGate;
use crate::retrieval::{Embedder, KnowledgeBase};
use crate::store::{ConversationRecord, ConversationStore, Message, RecordStore, Role};

/// The support agent. Cheap to share: wrap it in an `Arc` (the builder does).
pub struct Agent {
    /// The language model, local or on a server.
    pub(super) model: Arc<dyn ModelBackend>,
    pub(super) embedder: Arc<Embedder>,
    pub(super) router: Arc<Router>,
    /// The business served: its voice, thresholds and words.
    pub(super) desk: Arc<Desk>,
    /// Renders tool results.
    pub(super) replies: Replies,
    /// What the agent reads from the tools loaded now, made once per catalog.
    pub(super) tools_view: parking_lot::Mutex<Option<Arc<ToolsView>>>,
    pub(super) knowledge: Option<Arc<KnowledgeBase>>,
    pub(super) gate: Arc<PolicyGate>,
    pub(super) records: Arc<dyn RecordStore>,
    pub(super) conversations: Arc<dyn ConversationStore>,
    pub(super) clock: Clock,
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) settings: AgentSettings,
}

impl Agent {
    /// The settings in use.
    pub fn settings(&self) -> &AgentSettings {
        &self.settings
    }

    /// The desk served.
    pub fn desk(&self) -> &Arc<Desk> {
        &self.desk
    }

    /// What the agent reads from the tools loaded now (their argument kinds,
    /// action words and the sentence checks), rebuilt when the catalog changes.
    pub(super) fn tools_view(&self) -> Arc<ToolsView> {
        let catalog = self.gate.tools().catalog();
        let mut cached = self.tools_view.lock();
        if let Some(view) = cached.as_ref()
            && view.is_for(&catalog)
        {
            return view.clone();
        }
        let view = Arc::new(ToolsView::new(catalog, &self.desk.claims));
        *cached = Some(view.clone());
        view
    }

    /// The tools behind their policies.
    pub fn gate(&self) -> &Arc<PolicyGate> {
        &self.gate
    }

    /// Where conversations, traces and handoffs are kept.
    pub fn conversations(&self) -> &Arc<dyn ConversationStore> {
        &self.conversations
    }

    /// The customers and records the tools act on.
    pub fn records(&self) -> &Arc<dyn RecordStore> {
        &self.records
    }

    /// The language model.
    pub fn model(&self) -> &Arc<dyn ModelBackend> {
        &self.model
    }

    /// The business clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The help centre, if the agent has one.
    pub fn knowledge(&self) -> Option<&Arc<KnowledgeBase>> {
        self.knowledge.as_ref()
    }

    /// Starts a new conversation for `customer_id`, who must exist.
    pub fn start(&self, customer_id: &str) -> Result<Conversation, AgentError> {
        if self.records.customer(customer_id)?.is_none() {
            return Err(AgentError::UnknownCustomer(customer_id.to_string()));
        }
        let id = format!("c-{:016x}", rand::random::<u64>());
        self.conversations
            .create_conversation(&ConversationRecord {
                id: id.clone(),
                customer_id: customer_id.to_string(),
                created_at: self.clock.now(),
                pending: None,
            })?;
        Ok(Conversation {
            id,
            customer_id: customer_id.to_string(),
        })
    }

    /// Continues an existing conversation of `customer_id`.
    pub fn resume(
        &self,
        customer_id: &str,
        conversation_id: &str,
    ) -> Result<Conversation, AgentError> {
        self.conversations
            .conversation(customer_id, conversation_id)?
            .map(|record| Conversation {
                id: record.id,
                customer_id: record.customer_id,
            })
            .ok_or_else(|| AgentError::UnknownConversation(conversation_id.to_string()))
    }

    /// Runs one turn in the background; its events stream back as they happen.
    pub fn turn(self: &Arc<Self>, conversation: &Conversation, message: &str) -> TurnStream {
        let (sender, events) = mpsc::unbounded_channel();
        let agent = self.clone();
        let conversation = conversation.clone();
        let message = message.to_string();
        let failed = sender.clone();
        let worker = self.runtime.spawn_blocking(move || {
            let emit = |event: TurnEvent| {
                let _ = sender.send(event);
            };
            match agent.run_turn(&conversation, &message, &emit) {
                Ok(outcome) => emit(TurnEvent::Done(Box::new(outcome))),
                Err(error) => emit(TurnEvent::Failed(error)),
            }
        });
        // A panic in the turn is a bug; report it instead of ending silently.
        self.runtime.spawn(async move {
            if let Err(error) = worker.await {
                tracing::error!(%error, "a turn panicked");
                let _ = failed.send(TurnEvent::Failed(AgentError::Stopped(format!(
                    "the turn failed unexpectedly: {error}"
                ))));
            }
        });
        TurnStream { events }
    }

    /// Runs one turn on this thread, sending events to `emit`. Must not be
    /// called from inside an async task (it blocks).
    pub fn run_turn(
        &self,
        conversation: &Conversation,
        raw_message: &str,
        emit: &dyn Fn(TurnEvent),
    ) -> Result<TurnOutcome, AgentError> {
        let span = info_span!("turn", conversation = %conversation.id, customer = %conversation.customer_id);
        let _entered = span.enter();
        let mut turn = TurnState::new(conversation, emit);
        let timer = StepTimer::start();
        let message = clean_message(raw_message)?;
        // One turn at a time per conversation, on every host that shares
        // the store: a double-submitted "yes" must not run the confirmed
        // call twice.
        let _serialised = self.conversations.lock_conversation(&conversation.id)?;
        let record = self
            .conversations
            .conversation(&conversation.customer_id, &conversation.id)?
            .ok_or_else(|| AgentError::UnknownConversation(conversation.id.clone()))?;
        let history = exchanges(self.conversations.messages(&conversation.id)?);
        // Taken, not read: whatever happens next, what was pending is used
        // at most once.
        let pending: Option<Pending> = match &record.pending {
            Some(value) if self.conversations.take_pending(&conversation.id, value)? => {
                serde_json::from_value(value.clone())
                    .map_err(|e| warn!(error = %e, "ignoring an unreadable pending state"))
                    .ok()
            }
            _ => None,
        };
        turn.message = message.clone();
        turn.step(timer.finish(
            StepKind::Input,
            format!("{} characters", message.chars().count()),
            json!({"raw_chars": raw_message.chars().count(), "message": message,
                   "pending": pending.as_ref().map(Pending::label)}),
        ));
        let question_id = self.conversations.append_message(
            &conversation.id,
            &Message {
                id: 0,
                role: Role::User,
                content: message.clone(),
                at: self.clock.now(),
            },
        )?;
        let scope = CustomerScope::new(
            conversation.customer_id.clone(),
            self.records.clone(),
            self.clock.clone(),
        );
        self.respond(&mut turn, &scope, &message, &history, pending)?;
        // Persist what the turn said and did.
        if let Some(pending) = &turn.pending {
            let value = serde_json::to_value(pending)
                .map_err(|e| AgentError::Stopped(format!("saving what the turn waits for: {e}")))?;
            self.conversations
                .set_pending(&conversation.id, Some(&value))?;
        }
        let reply_id = self.conversations.append_message(
            &conversation.id,
            &Message {
                id: 0,
                role: Role::Assistant,
                content: turn.reply.clone(),
                at: self.clock.now(),
            },
        )?;
        let mut outcome = turn.finish();
        outcome.message_id = question_id;
        outcome.reply_id = reply_id;
        self.conversations.record_turn(
            &conversation.id,
            self.clock.now(),
            &serde_json::to_value(&outcome).unwrap_or_default(),
        )?;
        info!(
            route = outcome
                .route
                .as_ref()
                .map(|r| r.route.label())
                .unwrap_or_default(),
            ms = outcome.total_ms,
            "turn answered"
        );
        Ok(outcome)
    }

    /// Decides what to do with the message and does it: the pending
    /// question first, then the route.
    fn respond(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        message: &str,
        history: &[String],
        pending: Option<Pending>,
    ) -> Result<(), AgentError> {
        if !self.settings.variant.is_whole_agent() {
            return self.model_only_reply(turn, message, history);
        }
        if let Some(pending) = pending
            && self.answer_pending(turn, scope, message, history, pending)? == Answered::Done
        {
            return Ok(());
        }
        let (decision, vector) = self.route(turn, message)?;
        let route = decision.route.clone();
        turn.route = Some(decision);
        match route {
            Route::Tool(tool) => self.use_tool(turn, scope, &tool, message, history, &Map::new()),
            Route::Knowledge => self.answer_question(turn, message, &vector),
            Route::SmallTalk => {
                self.small_talk(turn, message, history);
                Ok(())
            }
            Route::Human => self.hand_off(turn, scope, message, None, None),
            Route::OutOfScope => {
                turn.say(&self.desk.voice.out_of_scope);
                Ok(())
            }
        }
    }
}

/// The conversation so far as alternating customer and assistant messages,
/// oldest first: a customer message left unanswered by a failed turn is
/// dropped, so every even position is the customer's.
fn exchanges(messages: Vec<Message>) -> Vec<String> {
    let mut history: Vec<String> = Vec::with_capacity(messages.len());
    let mut question: Option<String> = None;
    for message in messages {
        match message.role {
            Role::User => question = Some(message.content),
            Role::Assistant => {
                if let Some(asked) = question.take() {
                    history.push(asked);
                    history.push(message.content);
                }
            }
        }
    }
    history
}
