//! Putting an [`Agent`] together.

use std::sync::Arc;

use super::agent::Agent;
use super::error::AgentError;
use super::reply::Replies;
use super::router::Router;
use super::settings::AgentSettings;
use crate::clock::Clock;
use crate::desk::Desk;
use crate::llm::{Engine, ModelBackend};
use crate::policy::PolicyGate;
use crate::retrieval::{Embedder, KnowledgeBase};
use crate::store::{ConversationStore, RecordStore};

impl Agent {
    /// Starts building an agent.
    pub fn builder() -> AgentBuilder {
        AgentBuilder::default()
    }
}

/// Builds an [`Agent`].
#[derive(Default)]
pub struct AgentBuilder {
    desk: Option<Arc<Desk>>,
    model: Option<Arc<dyn ModelBackend>>,
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
    /// The business the agent serves (default: the shipped demo shop).
    pub fn desk(mut self, desk: Arc<Desk>) -> Self {
        self.desk = Some(desk);
        self
    }

    /// A router shared with other agents of the same desk (their route
    /// examples are embedded once); by default the agent makes its own.
    pub fn router(mut self, router: Arc<Router>) -> Self {
        self.router = Some(router);
        self
    }

    /// The language model, local or remote (required).
    pub fn model(mut self, model: Arc<dyn ModelBackend>) -> Self {
        self.model = Some(model);
        self
    }

    /// A local engine as the language model.
    pub fn engine(self, engine: Arc<Engine>) -> Self {
        self.model(engine)
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
        let desk = match self.desk {
            Some(desk) => desk,
            None => Arc::new(Desk::default_desk().map_err(|e| AgentError::Desk(e.to_string()))?),
        };
        let router = match self.router {
            Some(router) => router,
            None => Arc::new(router_for(
                &desk,
                self.knowledge.as_deref(),
                &embedder,
                &runtime,
            )?),
        };
        Ok(Arc::new(Agent {
            model: self.model.ok_or(AgentError::Missing("a language model"))?,
            router,
            replies: Replies::new(desk.replies.clone()),
            desk,
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
            tools_view: Default::default(),
        }))
    }
}

/// The router of `desk`: its route examples, and the headings of its help
/// centre as examples of the knowledge route.
pub fn router_for(
    desk: &Desk,
    knowledge: Option<&KnowledgeBase>,
    embedder: &Arc<Embedder>,
    runtime: &tokio::runtime::Handle,
) -> Result<Router, AgentError> {
    let mut examples = desk.routes.clone();
    if let Some(knowledge) = knowledge {
        let headings = std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(knowledge.headings()))
                .join()
                .map_err(|_| AgentError::Stopped("reading the help centre's headings".into()))
        })??;
        examples.knowledge.extend(headings);
    }
    Ok(Router::new(embedder.clone(), examples))
}
