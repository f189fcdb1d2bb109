//! The agent: one customer message in, one grounded reply out, every step
//! traced and every action taken through the policies.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
use tracing::{info, info_span, warn};

use super::error::AgentError;
use super::input::clean_message;
use super::pending::Pending;
use super::references::{self, Answer};
use super::router::{Route, RouteDecision, RouteScore, Router};
use super::state::TurnState;
use super::trace::{StepKind, StepTimer};
use super::turn::{TurnEvent, TurnOutcome, TurnStream};
use crate::clock::Clock;
use crate::llm::{ChatMessage, Engine};
use crate::plugins::{CustomerScope, Effect};
use crate::policy::PolicyGate;
use crate::retrieval::{Embedder, KnowledgeBase};
use crate::store::{ConversationRecord, ConversationStore, Message, RecordStore, Role};

/// Below this similarity to every route's examples a message is out of scope.
const MIN_ROUTE_SCORE: f32 = 0.30;

/// Which parts of the agent answer: the classic comparison of the model
/// alone, the model with retrieval, and the whole agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Routing, tools through policies, retrieval, checked replies.
    #[default]
    Full,
    /// The model writes every reply from the conversation and the retrieved
    /// help-centre passages; no tools run.
    RagOnly,
    /// The model writes every reply from the conversation alone.
    PromptOnly,
}

impl Variant {
    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Full => "full",
            Variant::RagOnly => "rag-only",
            Variant::PromptOnly => "prompt-only",
        }
    }
}

/// How the agent behaves; the defaults suit the 135M default model.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// Which parts answer (default: the whole agent).
    pub variant: Variant,
    /// When the two best routes score within this margin, the language model
    /// chooses between them. 0 turns the model out of routing.
    pub tie_margin: f32,
    /// Below this cosine similarity the best knowledge-base passage is not
    /// trusted, and the agent says it does not know.
    pub knowledge_threshold: f32,
    /// Whether the model adds a short closing sentence to factual replies.
    pub closing_line: bool,
    /// Sampling of everything the model writes.
    pub temperature: f32,
    pub seed: u64,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            variant: Variant::Full,
            tie_margin: 0.02,
            knowledge_threshold: 0.40,
            closing_line: true,
            temperature: 0.0,
            seed: 42,
        }
    }
}

/// A conversation of one customer. The customer comes from the session
/// (the CLI flag, the server's login), never from what they write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub customer_id: String,
}

/// Builds an [`Agent`].
#[derive(Default)]
pub struct AgentBuilder {
    engine: Option<Arc<Engine>>,
    embedder: Option<Arc<Embedder>>,
    knowledge: Option<Arc<KnowledgeBase>>,
    gate: Option<Arc<PolicyGate>>,
    records: Option<Arc<dyn RecordStore>>,
    conversations: Option<Arc<dyn ConversationStore>>,
    clock: Option<Clock>,
    runtime: Option<tokio::runtime::Handle>,
    router: Option<Arc<Router>>,
    settings: AgentSettings,
}

impl AgentBuilder {
    /// A router shared with other agents (their route examples are embedded
    /// once); by default the agent makes its own.
    pub fn router(mut self, router: Arc<Router>) -> Self {
        self.router = Some(router);
        self
    }

    /// The language model (required).
    pub fn engine(mut self, engine: Arc<Engine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The sentence embedder used for routing and answers (required).
    pub fn embedder(mut self, embedder: Arc<Embedder>) -> Self {
        self.embedder = Some(embedder);
        self
    }

    /// The knowledge base; without one, questions are answered with an offer
    /// to pass them on.
    pub fn knowledge_base(mut self, knowledge: Arc<KnowledgeBase>) -> Self {
        self.knowledge = Some(knowledge);
        self
    }

    /// Tools behind policies (required).
    pub fn gate(mut self, gate: Arc<PolicyGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The customers and records the tools act on (required).
    pub fn records(mut self, records: Arc<dyn RecordStore>) -> Self {
        self.records = Some(records);
        self
    }

    /// Where conversations, traces and handoffs are kept (required).
    pub fn conversations(mut self, conversations: Arc<dyn ConversationStore>) -> Self {
        self.conversations = Some(conversations);
        self
    }

    /// The business clock (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The tokio runtime for LanceDB and for running turns (default: the
    /// current one).
    pub fn runtime(mut self, runtime: tokio::runtime::Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Behaviour settings.
    pub fn settings(mut self, settings: AgentSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The agent.
    pub fn build(self) -> Result<Arc<Agent>, AgentError> {
        let embedder = self.embedder.ok_or(AgentError::Missing("an embedder"))?;
        let runtime = match self.runtime {
            Some(runtime) => runtime,
            None => tokio::runtime::Handle::try_current()
                .map_err(|_| AgentError::Missing("a tokio runtime"))?,
        };
        Ok(Arc::new(Agent {
            engine: self.engine.ok_or(AgentError::Missing("a language model"))?,
            router: self
                .router
                .unwrap_or_else(|| Arc::new(Router::new(embedder.clone()))),
            embedder,
            knowledge: self.knowledge,
            gate: self
                .gate
                .ok_or(AgentError::Missing("the tools and policies"))?,
            records: self
                .records
                .ok_or(AgentError::Missing("the record store"))?,
            conversations: self
                .conversations
                .ok_or(AgentError::Missing("the conversation store"))?,
            clock: self.clock.unwrap_or_else(Clock::system),
            runtime,
            settings: self.settings,
            turn_locks: parking_lot::Mutex::new(std::collections::HashMap::new()),
        }))
    }
}

/// The support agent. Cheap to share: wrap it in an `Arc` (the builder does).
pub struct Agent {
    pub(super) engine: Arc<Engine>,
    pub(super) embedder: Arc<Embedder>,
    pub(super) router: Arc<Router>,
    pub(super) knowledge: Option<Arc<KnowledgeBase>>,
    pub(super) gate: Arc<PolicyGate>,
    pub(super) records: Arc<dyn RecordStore>,
    pub(super) conversations: Arc<dyn ConversationStore>,
    pub(super) clock: Clock,
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) settings: AgentSettings,
    /// One lock per conversation with a turn running.
    pub(super) turn_locks:
        parking_lot::Mutex<std::collections::HashMap<String, Arc<parking_lot::Mutex<()>>>>,
}

impl Agent {
    /// Starts building an agent.
    pub fn builder() -> AgentBuilder {
        AgentBuilder::default()
    }

    /// The lock that serialises the turns of one conversation.
    fn conversation_lock(&self, conversation_id: &str) -> Arc<parking_lot::Mutex<()>> {
        let mut locks = self.turn_locks.lock();
        // Forget locks nobody holds, so the map does not grow forever.
        if locks.len() > 1024 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks
            .entry(conversation_id.to_string())
            .or_default()
            .clone()
    }

    /// The settings in use.
    pub fn settings(&self) -> &AgentSettings {
        &self.settings
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

    /// The business clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
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
        // One turn at a time per conversation: a double-submitted "yes" must
        // not run the confirmed call twice.
        let lock = self.conversation_lock(&conversation.id);
        let _serialised = lock.lock();
        let record = self
            .conversations
            .conversation(&conversation.customer_id, &conversation.id)?
            .ok_or_else(|| AgentError::UnknownConversation(conversation.id.clone()))?;
        let history: Vec<String> = self
            .conversations
            .messages(&conversation.id)?
            .into_iter()
            .map(|m| m.content)
            .collect();
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

    /// Decides what to do with the message and does it.
    fn respond(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        message: &str,
        history: &[String],
        pending: Option<Pending>,
    ) -> Result<(), AgentError> {
        if self.settings.variant != Variant::Full {
            return self.model_only_reply(turn, message, history);
        }
        match pending {
            Some(Pending::Confirmation { tool, args }) => {
                match references::yes_or_no(message) {
                    Answer::Yes => return self.act(turn, scope, &tool, args, true),
                    Answer::No if references::is_bare_answer(message) => {
                        turn.say("All right, I won't do that. Is there anything else I can help you with?");
                        return Ok(());
                    }
                    // "wait, where is order 1006?": no, and a new request.
                    Answer::No => turn.say("All right, I won't do that."),
                    // Anything but a plain yes or no: the call is dropped and the
                    // message handled as a new request.
                    Answer::Other => {}
                }
            }
            Some(Pending::HumanOffer { question }) => match references::yes_or_no(message) {
                Answer::Yes => return self.hand_off(turn, scope, &question, None, None),
                Answer::No => {
                    turn.say("All right. Is there anything else I can help you with?");
                    return Ok(());
                }
                Answer::Other => {}
            },
            // Only an answer that is just an order continues the request;
            // anything else is a new request.
            Some(Pending::Argument { tool, request })
                if references::is_only_an_order(message)
                    && references::yes_or_no(message) != Answer::No
                    && self.gate.tools().get(&tool).is_some() =>
            {
                let combined = format!("{} {message}", references::without_order_ids(&request));
                return self.use_tool(turn, scope, &tool, combined.trim(), history);
            }
            Some(Pending::Argument { .. }) => {}
            None => {}
        }
        let timer = StepTimer::start();
        let catalog = self.gate.tools().catalog();
        let (routed, corrections) = self.router.correct_typos(&catalog, message)?;
        let vector = self.embedder.embed_one(&routed)?;
        let scores = self.router.score(&catalog, &vector)?;
        let decision = self.decide_route(message, scores)?;
        turn.step(timer.finish(
            StepKind::Route,
            format!(
                "{} ({:.2}){}",
                decision.route.label(),
                decision.scores.first().map(|s| s.score).unwrap_or_default(),
                if decision.tie_broken_by_model {
                    ", tie broken by the model"
                } else {
                    ""
                }
            ),
            json!({"decision": decision, "typos_corrected": corrections}),
        ));
        let route = decision.route.clone();
        turn.route = Some(decision);
        match route {
            Route::Tool(tool) => self.use_tool(turn, scope, &tool, message, history),
            Route::Knowledge => self.answer_question(turn, scope, message, &vector),
            Route::SmallTalk => {
                self.small_talk(turn, message, history);
                Ok(())
            }
            Route::Human => self.hand_off(turn, scope, message, None, None),
            Route::OutOfScope => {
                turn.say(
                    "I'm sorry, but I can only help with your orders and with questions about our \
                     shop, such as shipping, returns, refunds and payments. Is there something \
                     like that I can do for you?",
                );
                Ok(())
            }
        }
    }

    /// The best route: by similarity, the model's choice on a near tie, then
    /// the rules that override both.
    fn decide_route(
        &self,
        message: &str,
        scores: Vec<RouteScore>,
    ) -> Result<RouteDecision, AgentError> {
        let mut tie_broken_by_model = false;
        let has_order_id = !references::order_ids(message).is_empty();
        // "Human" needs someone to be asked for; otherwise the next route.
        let candidates: Vec<&RouteScore> = scores
            .iter()
            .filter(|s| s.route != Route::Human || references::asks_for_person(message))
            .collect();
        let mut route = match candidates.first() {
            Some(best) if best.score >= MIN_ROUTE_SCORE || has_order_id => best.route.clone(),
            // Nothing the shop handles is anywhere near.
            _ => Route::OutOfScope,
        };
        if candidates.len() >= 2
            && candidates[0].score >= MIN_ROUTE_SCORE
            && self.settings.tie_margin > 0.0
            && candidates[0].score - candidates[1].score < self.settings.tie_margin
        {
            // The model only refines the similarity ranking: if it cannot
            // answer (busy, prompt too long), the best score stands.
            match self.break_tie(message, [&candidates[0].route, &candidates[1].route]) {
                Ok(chosen) => {
                    route = chosen;
                    tie_broken_by_model = true;
                }
                Err(error) => warn!(%error, "the model could not break a routing tie"),
            }
        }
        let effect = |route: &Route| match route {
            Route::Tool(name) => self.gate.tools().get(name).map(|p| p.manifest().effect),
            _ => None,
        };
        let acts = |route: &Route| effect(route).is_some_and(|e| e != Effect::ReadOnly);
        // A question about how things work, or thanks for something done, is
        // not a request to act, whatever the similarity or the model says.
        if acts(&route) {
            if references::is_thanks(message) {
                route = Route::SmallTalk;
            } else if references::is_information_question(message) {
                route = Route::Knowledge;
            }
        }
        // An order number beside small talk or an odd phrasing ("what about
        // 1006?") is a lookup: only read-only tools are reached this way.
        if matches!(route, Route::SmallTalk | Route::OutOfScope)
            && has_order_id
            && let (Some(best), Some(tool)) = (
                candidates.first(),
                candidates
                    .iter()
                    .find(|s| effect(&s.route) == Some(Effect::ReadOnly)),
            )
            && best.score - tool.score < 0.15
        {
            route = tool.route.clone();
        }
        Ok(RouteDecision {
            route,
            scores,
            tie_broken_by_model,
        })
    }

    /// The language model's choice between two close routes.
    fn break_tie(&self, message: &str, options: [&Route; 2]) -> Result<Route, AgentError> {
        // The start of a long message says what it is about.
        let message: String = message.chars().take(400).collect();
        let labels: Vec<String> = options
            .iter()
            .map(|r| describe_route(r, &self.gate))
            .collect();
        let prompt = self.engine.chat_prompt(
            &[
                ChatMessage::new(
                    "system",
                    "You sort customer messages of an online shop. Answer with the option that \
                     fits the message best.",
                ),
                ChatMessage::new(
                    "user",
                    format!(
                        "Message: \"{message}\"\nOption A: {}\nOption B: {}\nWhich option fits?",
                        labels[0], labels[1]
                    ),
                ),
            ],
            1,
        )?;
        let choice = self.engine.choose(prompt, &["Option A", "Option B"])?;
        Ok(options[choice.best].clone())
    }
}

/// What a route means, for the model's tie-break.
fn describe_route(route: &Route, gate: &PolicyGate) -> String {
    match route {
        Route::Tool(name) => gate
            .tools()
            .get(name)
            .map(|p| format!("use the tool {name}: {}", p.manifest().description))
            .unwrap_or_else(|| format!("use the tool {name}")),
        Route::Knowledge => {
            "a question about the shop's rules or services, answered from the help centre".into()
        }
        Route::SmallTalk => "a greeting, thanks or goodbye".into(),
        Route::Human => "the customer wants to talk to a person".into(),
        Route::OutOfScope => "something unrelated to the shop".into(),
    }
}
