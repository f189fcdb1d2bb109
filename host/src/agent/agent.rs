//! The agent: one customer message in, one grounded reply out, every step
//! traced and every action taken through the policies.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::{info, info_span, warn};

use super::arguments::{self, ArgumentContext, Filled};
use super::error::AgentError;
use super::input::clean_message;
use super::references::{self, Answer};
use super::reply;
use super::router::{Route, RouteDecision, RouteScore, Router};
use super::trace::{Step, StepKind, StepTimer};
use super::turn::{ToolFailure, ToolOutcome, TurnEvent, TurnOutcome, TurnStream};
use crate::clock::Clock;
use crate::llm::{ChatMessage, Engine, Event, Output, SamplingParams};
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{GatedCall, PolicyGate, ToolCall, Verdict};
use crate::retrieval::{Embedder, Hit, KnowledgeBase, SearchMode, cosine};
use crate::store::{ConversationRecord, ConversationStore, Handoff, Message, OrderStore, Role};

/// The tool that lists a customer's orders, used to resolve "my last order".
const LIST_ORDERS_TOOL: &str = "list_orders";

/// Below this similarity to every route's examples a message is out of scope.
const MIN_ROUTE_SCORE: f32 = 0.30;

/// How the agent behaves; the defaults suit the 135M default model.
#[derive(Debug, Clone)]
pub struct AgentSettings {
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

/// What a conversation waits for, kept in the store between turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
enum Pending {
    /// A yes or no to run exactly this call.
    Confirmation { tool: String, args: Value },
    /// The missing argument of this tool (an order number).
    Argument { tool: String },
    /// A yes or no to passing a question on to a colleague.
    HumanOffer { question: String },
}

impl Pending {
    fn label(&self) -> &'static str {
        match self {
            Pending::Confirmation { .. } => "confirmation",
            Pending::Argument { .. } => "argument",
            Pending::HumanOffer { .. } => "human_offer",
        }
    }
}

/// Builds an [`Agent`].
#[derive(Default)]
pub struct AgentBuilder {
    engine: Option<Arc<Engine>>,
    embedder: Option<Arc<Embedder>>,
    knowledge: Option<Arc<KnowledgeBase>>,
    gate: Option<Arc<PolicyGate>>,
    orders: Option<Arc<dyn OrderStore>>,
    conversations: Option<Arc<dyn ConversationStore>>,
    clock: Option<Clock>,
    runtime: Option<tokio::runtime::Handle>,
    settings: AgentSettings,
}

impl AgentBuilder {
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

    /// The orders the tools act on (required).
    pub fn orders(mut self, orders: Arc<dyn OrderStore>) -> Self {
        self.orders = Some(orders);
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
            router: Router::new(embedder.clone()),
            embedder,
            knowledge: self.knowledge,
            gate: self
                .gate
                .ok_or(AgentError::Missing("the tools and policies"))?,
            orders: self.orders.ok_or(AgentError::Missing("the order store"))?,
            conversations: self
                .conversations
                .ok_or(AgentError::Missing("the conversation store"))?,
            clock: self.clock.unwrap_or_else(Clock::system),
            runtime,
            settings: self.settings,
        }))
    }
}

/// The support agent. Cheap to share: wrap it in an `Arc` (the builder does).
pub struct Agent {
    engine: Arc<Engine>,
    embedder: Arc<Embedder>,
    router: Router,
    knowledge: Option<Arc<KnowledgeBase>>,
    gate: Arc<PolicyGate>,
    orders: Arc<dyn OrderStore>,
    conversations: Arc<dyn ConversationStore>,
    clock: Clock,
    runtime: tokio::runtime::Handle,
    settings: AgentSettings,
}

impl Agent {
    /// Starts building an agent.
    pub fn builder() -> AgentBuilder {
        AgentBuilder::default()
    }

    /// The settings in use.
    pub fn settings(&self) -> &AgentSettings {
        &self.settings
    }

    /// Starts a new conversation for `customer_id`, who must exist.
    pub fn start(&self, customer_id: &str) -> Result<Conversation, AgentError> {
        if self.orders.customer(customer_id)?.is_none() {
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
        self.runtime.spawn_blocking(move || {
            let emit = |event: TurnEvent| {
                let _ = sender.send(event);
            };
            match agent.run_turn(&conversation, &message, &emit) {
                Ok(outcome) => emit(TurnEvent::Done(Box::new(outcome))),
                Err(error) => emit(TurnEvent::Failed(error)),
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
        let pending: Option<Pending> = record.pending.and_then(|p| serde_json::from_value(p).ok());
        turn.message = message.clone();
        turn.step(timer.finish(
            StepKind::Input,
            format!("{} characters", message.chars().count()),
            json!({"raw_chars": raw_message.chars().count(), "message": message,
                   "pending": pending.as_ref().map(Pending::label)}),
        ));
        self.conversations.append_message(
            &conversation.id,
            &Message {
                role: Role::User,
                content: message.clone(),
                at: self.clock.now(),
            },
        )?;
        let scope = CustomerScope::new(
            conversation.customer_id.clone(),
            self.orders.clone(),
            self.clock.clone(),
        );
        self.respond(&mut turn, &scope, &message, &history, pending)?;
        // Persist what the turn said and did.
        self.conversations.set_pending(
            &conversation.id,
            turn.pending
                .as_ref()
                .map(|p| serde_json::to_value(p).unwrap_or_default())
                .as_ref(),
        )?;
        self.conversations.append_message(
            &conversation.id,
            &Message {
                role: Role::Assistant,
                content: turn.reply.clone(),
                at: self.clock.now(),
            },
        )?;
        let outcome = turn.finish();
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
        match pending {
            Some(Pending::Confirmation { tool, args }) => {
                match references::yes_or_no(message) {
                    Answer::Yes => return self.act(turn, scope, &tool, args, true),
                    Answer::No => {
                        turn.say("All right, I won't do that. Is there anything else I can help you with?");
                        return Ok(());
                    }
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
            Some(Pending::Argument { tool }) => {
                let gives_order = !references::order_ids(message).is_empty()
                    || references::mentions_latest_order(message);
                if gives_order && self.gate.tools().get(&tool).is_some() {
                    return self.use_tool(turn, scope, &tool, message, history);
                }
            }
            None => {}
        }
        let timer = StepTimer::start();
        let vector = self.embedder.embed_one(message)?;
        let catalog = self.gate.tools().catalog();
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
            serde_json::to_value(&decision).unwrap_or_default(),
        ));
        let route = decision.route.clone();
        turn.route = Some(decision);
        match route {
            Route::Tool(tool) => self.use_tool(turn, scope, &tool, message, history),
            Route::Knowledge => self.answer_question(turn, scope, message, &vector),
            Route::SmallTalk => self.small_talk(turn, message, history),
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

    /// The best route, after the rules that override similarity and, on a
    /// near tie, the model's choice.
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
        // An order number is a strong sign of an action on that order.
        if !matches!(route, Route::Tool(_) | Route::Human)
            && has_order_id
            && let (Some(best), Some(tool)) = (
                candidates.first(),
                candidates
                    .iter()
                    .find(|s| matches!(s.route, Route::Tool(_))),
            )
            && best.score - tool.score < 0.15
        {
            route = tool.route.clone();
        } else if candidates.len() >= 2
            && candidates[0].score >= MIN_ROUTE_SCORE
            && self.settings.tie_margin > 0.0
            && candidates[0].score - candidates[1].score < self.settings.tie_margin
        {
            let options = [&candidates[0].route, &candidates[1].route];
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
            route = options[choice.best].clone();
            tie_broken_by_model = true;
        }
        Ok(RouteDecision {
            route,
            scores,
            tie_broken_by_model,
        })
    }

    /// Fills the tool's arguments and, if they are complete, acts.
    fn use_tool(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        message: &str,
        history: &[String],
    ) -> Result<(), AgentError> {
        let Some(plugin) = self.gate.tools().get(tool) else {
            turn.say("I'm sorry, I can't do that right now. Would you like me to pass this on to a colleague?");
            turn.pending = Some(Pending::HumanOffer {
                question: message.to_string(),
            });
            return Ok(());
        };
        let timer = StepTimer::start();
        let lookups = std::cell::RefCell::new(Vec::new());
        let conversation_id = turn.conversation_id.clone();
        let latest_order = || -> Option<String> {
            let (outcome, step, latest) = self.latest_order(scope, &conversation_id);
            lookups.borrow_mut().push((outcome, step));
            latest
        };
        let decode_tokens = std::cell::Cell::new((0usize, 0usize));
        let decode = |schema: &Value| -> Option<Value> {
            let prompt = self
                .engine
                .chat_prompt(
                    &[
                        ChatMessage::new(
                            "system",
                            format!(
                                "Fill in the arguments of the tool {} ({}) from the customer's \
                                 messages. Use only what the customer wrote.",
                                plugin.name(),
                                plugin.manifest().description
                            ),
                        ),
                        ChatMessage::new(
                            "user",
                            format!(
                                "{}\n{message}",
                                history
                                    .iter()
                                    .rev()
                                    .take(4)
                                    .rev()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            ),
                        ),
                    ],
                    0,
                )
                .ok()?;
            let (value, stats) = self
                .engine
                .generate_json(prompt, schema, self.sampling(64))
                .map_err(|e| warn!(error = %e, "decoding arguments failed"))
                .ok()?;
            decode_tokens.set((stats.prompt_tokens, stats.generated_tokens));
            Some(value)
        };
        let filled = arguments::fill(
            plugin.manifest().params.source(),
            &ArgumentContext {
                message,
                history,
                latest_order: &latest_order,
                decode: &decode,
            },
        );
        let (prompt_tokens, generated_tokens) = decode_tokens.get();
        turn.prompt_tokens += prompt_tokens;
        turn.generated_tokens += generated_tokens;
        for (outcome, step) in lookups.into_inner() {
            turn.step(step);
            turn.tools.push(outcome);
        }
        match filled {
            Filled::Ask { question, missing } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool}: missing {}", missing.join(", ")),
                    json!({"tool": tool, "missing": missing}),
                ));
                turn.say(&question);
                turn.pending = Some(Pending::Argument {
                    tool: tool.to_string(),
                });
                Ok(())
            }
            Filled::Ready { args, order_source } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool} {args}"),
                    json!({"tool": tool, "args": args, "order_source": order_source}),
                ));
                self.act(turn, scope, tool, args, false)
            }
        }
    }

    /// The customer's newest order, looked up with the `list_orders` tool.
    fn latest_order(
        &self,
        scope: &CustomerScope,
        conversation_id: &str,
    ) -> (ToolOutcome, Step, Option<String>) {
        let args = json!({"limit": 1});
        let timer = StepTimer::start();
        let result = self.gate.call(
            scope,
            ToolCall {
                tool: LIST_ORDERS_TOOL,
                args: &args,
                conversation_id: Some(conversation_id),
                confirmed: false,
            },
        );
        let latest = match &result {
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => value
                .pointer("/orders/0/order_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        };
        let outcome = tool_outcome(LIST_ORDERS_TOOL, &args, &result);
        let step = timer.finish(
            StepKind::Tool,
            format!(
                "{LIST_ORDERS_TOOL}: latest order {}",
                latest.as_deref().unwrap_or("none")
            ),
            json!({"tool": LIST_ORDERS_TOOL, "args": args, "executed": outcome.executed,
                   "purpose": "resolve \"my last order\"", "latest": latest}),
        );
        (outcome, step, latest)
    }

    /// Runs a call through the policies and says what happened.
    fn act(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        args: Value,
        confirmed: bool,
    ) -> Result<(), AgentError> {
        let span = info_span!("tool_call", tool, confirmed);
        let _entered = span.enter();
        // The same answer for someone else's order as for one that does not
        // exist, before any policy is asked (so nothing about it is revealed).
        if let Some(order_id) = args.get("order_id").and_then(Value::as_str)
            && self.orders.order(&scope.customer_id, order_id)?.is_none()
        {
            turn.step(StepTimer::start().finish(
                StepKind::Tool,
                format!("{tool}: order {order_id} not on this account"),
                json!({"tool": tool, "args": args, "executed": false, "reason": "order-not-found"}),
            ));
            turn.tools.push(ToolOutcome {
                tool: tool.to_string(),
                args: args.clone(),
                decision: None,
                executed: false,
                result: None,
                error: Some(ToolFailure {
                    code: "order-not-found".into(),
                    message: format!("I can't find order {order_id} on your account."),
                }),
            });
            turn.say(&format!(
                "I'm sorry, I can't find order {order_id} on your account. Please check the order \
                 number; I can also list your recent orders."
            ));
            return Ok(());
        }
        let timer = StepTimer::start();
        let result = self.gate.call(
            scope,
            ToolCall {
                tool,
                args: &args,
                conversation_id: Some(&turn.conversation_id),
                confirmed,
            },
        );
        let outcome = tool_outcome(tool, &args, &result);
        if let Some(decision) = &outcome.decision {
            turn.step(StepTimer::start().finish(
                StepKind::Policy,
                format!(
                    "{} (revision {})",
                    decision.verdict.as_str(),
                    short(&decision.revision)
                ),
                serde_json::to_value(decision).unwrap_or_default(),
            ));
        }
        turn.step(timer.finish(
            StepKind::Tool,
            format!(
                "{tool}: {}",
                match (&outcome.executed, &outcome.error) {
                    (true, None) => "ok".to_string(),
                    (true, Some(e)) => e.code.clone(),
                    (false, _) => "not run".to_string(),
                }
            ),
            json!({"tool": tool, "args": args, "executed": outcome.executed,
                   "result": outcome.result, "error": outcome.error}),
        ));
        turn.tools.push(outcome);
        let order_phrase = args
            .get("order_id")
            .and_then(Value::as_str)
            .map(|id| format!(" order {id}"))
            .unwrap_or_default();
        match result {
            Err(error) => {
                turn.say(&format!("I'm sorry: {}", error.customer_message()));
                Ok(())
            }
            Ok(GatedCall::Ran {
                result: Err(error), ..
            }) => {
                turn.say(&failure_reply(&error));
                self.closing_line(turn, "apologise briefly and offer further help")
            }
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => {
                turn.say(&reply::describe_result(&value));
                self.closing_line(turn, "offer further help")
            }
            Ok(GatedCall::Stopped { decision }) => {
                let reason = decision.reason.clone().unwrap_or_default();
                match decision.verdict {
                    Verdict::Deny => {
                        turn.say(&format!(
                            "I'm sorry, I can't {}{order_phrase}. {reason}",
                            action_words(tool)
                        ));
                        self.closing_line(turn, "apologise briefly and offer further help")
                    }
                    Verdict::Escalate => {
                        turn.say(&reason);
                        let reason_for_colleague = format!("{tool}{order_phrase}: {reason}");
                        self.hand_off(turn, scope, &reason_for_colleague, Some(tool), Some(&args))
                    }
                    Verdict::Confirm => {
                        turn.say(&format!("{reason} Please answer yes or no."));
                        turn.pending = Some(Pending::Confirmation {
                            tool: tool.to_string(),
                            args,
                        });
                        Ok(())
                    }
                    Verdict::Allow => unreachable!("an allowed call runs"),
                }
            }
        }
    }

    /// Records a handoff and tells the customer a colleague will follow up.
    fn hand_off(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        reason: &str,
        tool: Option<&str>,
        args: Option<&Value>,
    ) -> Result<(), AgentError> {
        let timer = StepTimer::start();
        let id = self.conversations.create_handoff(&Handoff {
            id: 0,
            conversation_id: turn.conversation_id.clone(),
            customer_id: scope.customer_id.clone(),
            at: self.clock.now(),
            reason: reason.to_string(),
            tool: tool.map(str::to_string),
            args: args.cloned(),
        })?;
        turn.step(timer.finish(
            StepKind::Handoff,
            format!("handoff #{id}"),
            json!({"id": id, "reason": reason, "tool": tool, "args": args}),
        ));
        turn.handoff_id = Some(id);
        turn.say(&format!(
            "I've passed this on to a colleague (reference #{id}), who will follow up with you \
             personally as soon as possible."
        ));
        Ok(())
    }

    /// Answers a question from the knowledge base, quoting the passages'
    /// most relevant sentences, or says it does not know.
    fn answer_question(
        &self,
        turn: &mut TurnState<'_>,
        _scope: &CustomerScope,
        message: &str,
        question: &[f32],
    ) -> Result<(), AgentError> {
        let timer = StepTimer::start();
        let hits: Vec<Hit> = match &self.knowledge {
            Some(knowledge) => {
                self.runtime
                    .block_on(knowledge.search(message, SearchMode::Hybrid, 3))?
            }
            None => Vec::new(),
        };
        let best = hits.iter().map(|h| h.similarity).fold(f32::MIN, f32::max);
        let trusted: Vec<&Hit> = hits
            .iter()
            .filter(|h| {
                h.similarity >= self.settings.knowledge_threshold && h.similarity >= best - 0.1
            })
            .take(2)
            .collect();
        let sentences: Vec<(usize, String)> = trusted
            .iter()
            .enumerate()
            .flat_map(|(rank, hit)| {
                // The first paragraph repeats the page title and heading.
                let body = hit
                    .text
                    .split_once("\n\n")
                    .map_or(hit.text.as_str(), |(_, b)| b);
                passage_sentences(body).into_iter().map(move |s| (rank, s))
            })
            .collect();
        let chosen = if sentences.is_empty() {
            Vec::new()
        } else {
            let texts: Vec<&str> = sentences.iter().map(|(_, s)| s.as_str()).collect();
            let vectors = self.embedder.embed(&texts)?;
            let mut ranked: Vec<(usize, f32)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (i, cosine(question, v)))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            let top = ranked.first().map(|r| r.1).unwrap_or_default();
            let mut picked: Vec<usize> = ranked
                .iter()
                .take(2)
                .filter(|(_, score)| *score >= top - 0.12)
                .map(|(i, _)| *i)
                .collect();
            picked.sort_unstable();
            picked
                .into_iter()
                .map(|i| sentences[i].1.clone())
                .collect::<Vec<_>>()
        };
        turn.retrieved = trusted.iter().map(|h| h.id.clone()).collect();
        turn.step(timer.finish(
            StepKind::Retrieval,
            format!("{} passages, best similarity {best:.2}", hits.len()),
            json!({"hits": hits.iter().map(|h| json!({"id": h.id, "heading": h.heading,
                        "score": h.score, "similarity": h.similarity})).collect::<Vec<_>>(),
                   "used": turn.retrieved, "sentences": chosen}),
        ));
        if chosen.is_empty() {
            turn.say(
                "I'm sorry, I couldn't find that in our help centre, and I don't want to guess. \
                 Would you like me to pass your question on to a colleague?",
            );
            turn.pending = Some(Pending::HumanOffer {
                question: message.to_string(),
            });
            return Ok(());
        }
        let source = trusted[0];
        turn.say(&format!(
            "{} (From our help centre: \"{}\", {}.)",
            chosen.join(" "),
            source.heading,
            source.source
        ));
        self.closing_line(turn, "offer further help")
    }

    /// Greetings, thanks and goodbyes, in the model's words when they pass
    /// the checks, in fixed words otherwise.
    fn small_talk(
        &self,
        turn: &mut TurnState<'_>,
        message: &str,
        history: &[String],
    ) -> Result<(), AgentError> {
        let first_contact = history.is_empty();
        let fallback = if first_contact {
            "Hello! I'm the shop's assistant. I can look up, cancel or refund your orders and \
             answer questions about shipping, returns, payments and more. How can I help?"
        } else {
            "You're welcome! Is there anything else I can help you with?"
        };
        let sentence = self.model_sentence(
            turn,
            "You are the friendly assistant of an online shop. Reply to the customer's message \
             with one short, warm sentence. Do not mention orders, numbers or actions.",
            message,
        )?;
        match sentence {
            Some(sentence) if first_contact => turn.say(&format!(
                "{sentence} I can look up, cancel or refund your orders and answer questions \
                 about shipping, returns, payments and more."
            )),
            // An echo ("thanks!" → "Thanks!") is no answer.
            Some(sentence) if !sentence.eq_ignore_ascii_case(message) => turn.say(&sentence),
            _ => turn.say(fallback),
        }
        Ok(())
    }

    /// Adds one closing sentence written by the model, if it passes the checks.
    fn closing_line(&self, turn: &mut TurnState<'_>, intent: &str) -> Result<(), AgentError> {
        if !self.settings.closing_line {
            return Ok(());
        }
        let facts = turn.reply.clone();
        if let Some(sentence) = self.model_sentence(
            turn,
            &format!(
                "You are the polite assistant of an online shop. The customer has just been told \
                 the text below. Write one short closing sentence to {intent}. Do not repeat or \
                 add any facts, numbers or actions."
            ),
            &facts,
        )? && reply::is_closing(&sentence)
        {
            turn.say(&sentence);
        }
        Ok(())
    }

    /// One sentence from the model, checked; `None` when it fails the checks.
    fn model_sentence(
        &self,
        turn: &mut TurnState<'_>,
        system: &str,
        user: &str,
    ) -> Result<Option<String>, AgentError> {
        let span = info_span!("model_step", purpose = "sentence");
        let _entered = span.enter();
        let timer = StepTimer::start();
        let prompt = self.engine.chat_prompt(
            &[
                ChatMessage::new("system", system),
                ChatMessage::new("user", user),
            ],
            1,
        )?;
        let mut generation = self
            .engine
            .generate(prompt, self.sampling(40), Output::Text)?;
        let mut text = String::new();
        let mut stats = None;
        while let Some(event) = generation.next_blocking() {
            match event {
                Event::Text(piece) => {
                    text.push_str(&piece);
                    // One sentence is all we keep; stop as soon as it is complete.
                    if reply::first_sentence(&text).len() < text.trim_start().len() {
                        generation.cancel();
                    }
                }
                Event::Done(done) => {
                    stats = Some(done);
                    break;
                }
                Event::Failed(reason) => {
                    warn!(reason, "the model failed to write a sentence");
                    break;
                }
            }
        }
        let sentence = reply::first_sentence(&text).to_string();
        let checked = reply::check_model_sentence(&sentence);
        if let Some(stats) = &stats {
            turn.prompt_tokens += stats.prompt_tokens;
            turn.generated_tokens += stats.generated_tokens;
        }
        turn.step(timer.finish(
            StepKind::Generation,
            match &checked {
                Ok(_) => format!(
                    "{} tokens",
                    stats.as_ref().map(|s| s.generated_tokens).unwrap_or(0)
                ),
                Err(why) => format!("rejected: {why}"),
            },
            json!({"text": text, "accepted": checked.is_ok(),
                   "rejected_because": checked.as_ref().err(), "stats": stats}),
        ));
        Ok(checked.ok())
    }

    fn sampling(&self, max_tokens: usize) -> SamplingParams {
        SamplingParams {
            max_tokens,
            temperature: self.settings.temperature,
            seed: self.settings.seed,
            stop: vec!["\n".into()],
            ..SamplingParams::default()
        }
    }
}

/// A turn in progress.
struct TurnState<'a> {
    conversation_id: String,
    customer_id: String,
    emit: &'a dyn Fn(TurnEvent),
    started: Instant,
    message: String,
    reply: String,
    route: Option<RouteDecision>,
    tools: Vec<ToolOutcome>,
    handoff_id: Option<i64>,
    retrieved: Vec<String>,
    pending: Option<Pending>,
    steps: Vec<Step>,
    prompt_tokens: usize,
    generated_tokens: usize,
    first_token_ms: Option<f64>,
}

impl<'a> TurnState<'a> {
    fn new(conversation: &Conversation, emit: &'a dyn Fn(TurnEvent)) -> Self {
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

    fn step(&mut self, step: Step) {
        (self.emit)(TurnEvent::Step(step.clone()));
        self.steps.push(step);
    }

    /// Appends a sentence (or several) to the reply and streams it.
    fn say(&mut self, text: &str) {
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

    fn finish(self) -> TurnOutcome {
        let total_ms = self.started.elapsed().as_secs_f64() * 1e3;
        TurnOutcome {
            conversation_id: self.conversation_id,
            customer_id: self.customer_id,
            message: self.message,
            reply: self.reply,
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

/// What a gated call did, for the trace and the outcome.
fn tool_outcome(tool: &str, args: &Value, result: &Result<GatedCall, ToolError>) -> ToolOutcome {
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
        result: value,
        error,
    }
}

/// An honest reply to a tool's failure.
fn failure_reply(error: &ToolError) -> String {
    if error.is_business_failure() {
        format!("I'm sorry: {}", error.customer_message())
    } else {
        error.customer_message()
    }
}

/// "cancel_order" → "cancel", "refund" → "refund", "change_address" → "change address".
fn action_words(tool: &str) -> String {
    tool.trim_end_matches("_order").replace('_', " ")
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

fn short(revision: &str) -> &str {
    &revision[..revision.len().min(12)]
}

/// A passage's sentences: Markdown headings dropped, list markers and
/// emphasis removed, table rows read as "cell, cell".
fn passage_sentences(text: &str) -> Vec<String> {
    // Logical lines: wrapped paragraph lines joined, list items and table
    // rows kept apart.
    let mut lines: Vec<String> = Vec::new();
    let mut joinable = false;
    for line in text.lines() {
        let line = line.trim();
        let starts_block = line.starts_with(['-', '*', '+', '|', '#', '>'])
            || line
                .split_once(". ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
        if line.is_empty() {
            joinable = false;
        } else if joinable && !starts_block {
            if let Some(last) = lines.last_mut() {
                last.push(' ');
                last.push_str(line);
            }
        } else {
            lines.push(line.to_string());
            joinable = !line.starts_with(['|', '#']);
        }
    }
    let mut sentences = Vec::new();
    for line in &lines {
        let line = line.as_str();
        if line.starts_with('#') || line.starts_with("|-") || line.starts_with("| -") {
            continue;
        }
        let line = if line.starts_with('|') {
            line.trim_matches('|')
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(": ")
                + "."
        } else {
            line.trim_start_matches(['-', '*', '+', '>', ' '])
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches(['.', ')', ' '])
                .to_string()
        };
        let line = line.replace("**", "").replace('`', "");
        // A sentence ends at . ! or ? followed by a space and a capital
        // letter, so "e.g. this" stays whole.
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut start = 0;
        for (i, &(at, c)) in chars.iter().enumerate() {
            let ends = matches!(c, '.' | '!' | '?')
                && chars.get(i + 1).is_some_and(|(_, n)| n.is_whitespace())
                && chars.get(i + 2).is_some_and(|(_, n)| n.is_uppercase());
            if ends {
                push_sentence(&mut sentences, &line[start..at + c.len_utf8()]);
                start = at + c.len_utf8();
            }
        }
        push_sentence(&mut sentences, &line[start..]);
    }
    sentences
}

fn push_sentence(sentences: &mut Vec<String>, sentence: &str) {
    let sentence = sentence.trim();
    // Questions are FAQ headings, not answers.
    if sentence.chars().count() >= 12 && !sentence.ends_with('?') {
        sentences.push(sentence.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_become_sentences() {
        let text = "## Refund times\n\nRefunds go to the original payment method. They arrive\n\
                    within 5 business days of approval, e.g. for cards.\n\n- **Above 200 €** a\n\
                    specialist reviews it.\n| Method | Time |\n|---|---|\n| Card | 5 days |";
        let sentences = passage_sentences(text);
        assert_eq!(
            sentences,
            [
                "Refunds go to the original payment method.",
                "They arrive within 5 business days of approval, e.g. for cards.",
                "Above 200 € a specialist reviews it.",
                "Method: Time.",
                "Card: 5 days."
            ]
        );
    }

    #[test]
    fn action_words_read_naturally() {
        assert_eq!(action_words("cancel_order"), "cancel");
        assert_eq!(action_words("refund"), "refund");
        assert_eq!(action_words("change_address"), "change address");
    }
}
