//! What the trials of a suite share: the models, the sandbox, and each
//! desk's help centre, tools and router.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::checks;
use super::error::EvalError;
use super::scenario::Scenario;
use crate::agent::{Router, Variant};
use crate::desk::Desk;
use crate::llm::ModelBackend;
use crate::plugins::{PluginRegistry, Sandbox};
use crate::retrieval::{Embedder, KnowledgeBase};

/// What every trial of one desk shares: the desk, its help centre, its
/// tools and its router.
pub struct DeskContext {
    pub desk: Arc<Desk>,
    pub knowledge: Arc<KnowledgeBase>,
    pub tools: Arc<PluginRegistry>,
    /// The chat model with the desk's LoRA adapter, for the tuned variants.
    pub tuned_engine: Option<Arc<dyn ModelBackend>>,
    pub(super) router: Arc<Router>,
    pub(super) claims: Vec<(String, regex::Regex)>,
}

/// What every trial shares: the models, the sandbox, and each desk's parts.
pub struct EvalContext {
    pub engine: Arc<dyn ModelBackend>,
    pub embedder: Arc<Embedder>,
    pub sandbox: Arc<Sandbox>,
    pub runtime: tokio::runtime::Handle,
    /// The model that rates replies, when the run asks for a judge.
    pub judge: Option<Arc<dyn ModelBackend>>,
    desks: BTreeMap<String, DeskContext>,
    /// The desk of scenarios that name none.
    default_desk: Option<String>,
}

impl EvalContext {
    /// A context over these parts, with no desk yet.
    pub fn new(
        engine: Arc<dyn ModelBackend>,
        embedder: Arc<Embedder>,
        sandbox: Arc<Sandbox>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        EvalContext {
            engine,
            embedder,
            sandbox,
            runtime,
            judge: None,
            desks: BTreeMap::new(),
            default_desk: None,
        }
    }

    /// Adds a desk with its help centre and tools; the first added is the
    /// desk of scenarios that name none. The policies come from the desk
    /// (their parameters are copied and overridden per trial; their test
    /// cases are not used, since a scenario may set parameters the shipped
    /// cases do not expect).
    pub fn add_desk(
        &mut self,
        desk: Arc<Desk>,
        knowledge: Arc<KnowledgeBase>,
        tools: Arc<PluginRegistry>,
    ) -> Result<(), EvalError> {
        let router =
            crate::agent::router_for(&desk, Some(&knowledge), &self.embedder, &self.runtime)
                .map_err(|e| EvalError::Setup {
                    scenario: format!("(desk {})", desk.id),
                    message: e.to_string(),
                })?;
        let claims = checks::claims_for(&tools.catalog());
        self.default_desk.get_or_insert_with(|| desk.id.clone());
        self.desks.insert(
            desk.id.clone(),
            DeskContext {
                desk,
                knowledge,
                tools,
                tuned_engine: None,
                router: Arc::new(router),
                claims,
            },
        );
        Ok(())
    }

    /// Gives the desk `id` its fine-tuned model (the base model with the
    /// desk's adapter), which the tuned variants run on.
    pub fn set_tuned_engine(
        &mut self,
        id: &str,
        engine: Arc<dyn ModelBackend>,
    ) -> Result<(), EvalError> {
        let desk = self.desks.get_mut(id).ok_or_else(|| EvalError::Setup {
            scenario: format!("(desk {id})"),
            message: "the desk is not loaded".into(),
        })?;
        desk.tuned_engine = Some(engine);
        Ok(())
    }

    /// The model a variant runs on for this desk: the tuned variants need
    /// the desk's fine-tuned model.
    pub fn engine_for(
        &self,
        desk: &DeskContext,
        variant: Variant,
    ) -> Result<Arc<dyn ModelBackend>, String> {
        if !variant.is_tuned() {
            return Ok(self.engine.clone());
        }
        desk.tuned_engine.clone().ok_or_else(|| {
            format!(
                "the variant {} needs a LoRA adapter for desk {}: train one with \
                 `deskhand --desk {} tune`, or give --adapter",
                variant.as_str(),
                desk.desk.id,
                desk.desk.id
            )
        })
    }

    /// The desk a scenario runs on.
    pub fn desk_of(&self, scenario: &Scenario) -> Result<&DeskContext, String> {
        let id = scenario
            .desk
            .as_ref()
            .or(self.default_desk.as_ref())
            .ok_or("no desk is loaded")?;
        self.desks.get(id).ok_or_else(|| {
            format!(
                "the scenario runs on desk {id:?}, which is not loaded; the desks are: {}",
                self.desks.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}
