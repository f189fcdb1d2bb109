//! Routing a message: which tool, or a question for the knowledge base,
//! small talk, a request for a human, or something out of scope.
//!
//! Each route has example messages; a message goes where its nearest
//! examples are (cosine similarity of MiniLM embeddings). Tool routes take
//! their examples and description from the plugin manifests, so a plugin
//! dropped into the plugins folder is routable without any host change. When
//! the two best routes are close, the language model's constrained `choose`
//! breaks the tie.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::spelling::{self, Correction};
use crate::plugins::Catalog;
use crate::retrieval::{Embedder, RetrievalError, cosine};

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tool", rename_all = "snake_case")]
pub enum Route {
    /// An action (or lookup) with this tool.
    Tool(String),
    /// A question for the knowledge base.
    Knowledge,
    /// A greeting, thanks, goodbye.
    SmallTalk,
    /// The customer asks for a person.
    Human,
    /// Nothing the shop's assistant should answer.
    OutOfScope,
}

impl Route {
    /// A short label: the tool's name, or the route's kind.
    pub fn label(&self) -> String {
        match self {
            Route::Tool(name) => name.clone(),
            Route::Knowledge => "knowledge".into(),
            Route::SmallTalk => "small_talk".into(),
            Route::Human => "human".into(),
            Route::OutOfScope => "out_of_scope".into(),
        }
    }
}

/// One route's score for a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteScore {
    pub route: Route,
    /// The best cosine similarity between the message and the route's examples.
    pub score: f32,
}

/// The routing decision, with every route's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    pub route: Route,
    /// Best first.
    pub scores: Vec<RouteScore>,
    /// Whether the language model broke a tie between the two best routes.
    pub tie_broken_by_model: bool,
}

const KNOWLEDGE_EXAMPLES: &[&str] = &[
    "how long does a refund take?",
    "what is your return policy?",
    "how many days do I have to send something back",
    "how much does shipping cost?",
    "do you ship abroad",
    "how long does delivery take",
    "do you have express delivery",
    "what payment methods do you accept?",
    "can I pay with paypal",
    "how do I reset my password",
    "when are you open? what are your hours",
    "how can I contact you, what's your email",
    "how do I unsubscribe from the newsletter",
    "is there a warranty on your products",
    "my item arrived damaged, what should I do",
    "you sent me the wrong item, what now",
    "can I exchange something for a different size",
    "where can I download my invoice",
    "when do I get the invoice",
    "until when can I cancel an order?",
    "can I cancel after it has shipped?",
    "what do you do with my personal data",
    "how does tracking work",
    "do refunds go back to my card",
];

const SMALL_TALK_EXAMPLES: &[&str] = &[
    "hi",
    "hello there",
    "good morning",
    "hey, anyone there?",
    "thanks!",
    "thank you so much for your help",
    "how are you?",
    "bye",
    "have a nice day",
    "ok great, that's all",
];

const HUMAN_EXAMPLES: &[&str] = &[
    "I want to talk to a human",
    "connect me to a real person please",
    "can I speak to an agent",
    "let me talk to your manager",
    "transfer me to a member of staff",
    "I need a human being, not a bot",
    "can someone from your team call me",
];

const OUT_OF_SCOPE_EXAMPLES: &[&str] = &[
    "what's the weather like tomorrow",
    "write me a poem about the sea",
    "who won the football match yesterday",
    "what is the capital of France",
    "help me with my math homework",
    "tell me a joke",
    "what's the price of bitcoin",
    "recommend a good movie",
    "write some python code for me",
    "what do you think about the election",
    "can you book me a flight",
    "what is the meaning of life",
    "translate this sentence into German",
    "what's 2+2",
];

/// The embedded examples of every route, for one tool catalog.
struct RouteTable {
    /// Which catalog they were made for.
    catalog: Arc<Catalog>,
    /// Every word of every example, for typo correction.
    vocabulary: HashSet<String>,
    routes: Vec<(Route, Vec<Vec<f32>>)>,
}

/// Routes messages; rebuilds its examples when the tool catalog changes.
pub struct Router {
    embedder: Arc<Embedder>,
    table: Mutex<Option<Arc<RouteTable>>>,
}

impl Router {
    /// A router using `embedder`.
    pub fn new(embedder: Arc<Embedder>) -> Self {
        Router {
            embedder,
            table: Mutex::new(None),
        }
    }

    /// `message` with typos corrected towards the words of the route
    /// examples, for routing (the message itself is kept as written).
    pub fn correct_typos(
        &self,
        catalog: &Arc<Catalog>,
        message: &str,
    ) -> Result<(String, Vec<Correction>), RetrievalError> {
        let table = self.table_for(catalog)?;
        Ok(spelling::correct(message, &table.vocabulary))
    }

    /// Scores every route for `message` (its embedding), best first.
    pub fn score(
        &self,
        catalog: &Arc<Catalog>,
        message: &[f32],
    ) -> Result<Vec<RouteScore>, RetrievalError> {
        let table = self.table_for(catalog)?;
        let mut scores: Vec<RouteScore> = table
            .routes
            .iter()
            .map(|(route, examples)| RouteScore {
                route: route.clone(),
                score: examples
                    .iter()
                    .map(|example| cosine(message, example))
                    .fold(f32::MIN, f32::max),
            })
            .collect();
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(scores)
    }

    fn table_for(&self, catalog: &Arc<Catalog>) -> Result<Arc<RouteTable>, RetrievalError> {
        let mut cached = self.table.lock();
        if let Some(table) = cached.as_ref()
            && Arc::ptr_eq(&table.catalog, catalog)
        {
            return Ok(table.clone());
        }
        let mut routes: Vec<(Route, Vec<String>)> = catalog
            .plugins()
            .map(|plugin| {
                let manifest = plugin.manifest();
                let mut examples = manifest.examples.clone();
                examples.push(manifest.description.clone());
                (Route::Tool(manifest.name.clone()), examples)
            })
            .collect();
        for (route, examples) in [
            (Route::Knowledge, KNOWLEDGE_EXAMPLES),
            (Route::SmallTalk, SMALL_TALK_EXAMPLES),
            (Route::Human, HUMAN_EXAMPLES),
            (Route::OutOfScope, OUT_OF_SCOPE_EXAMPLES),
        ] {
            routes.push((route, examples.iter().map(|e| e.to_string()).collect()));
        }
        let texts: Vec<&str> = routes
            .iter()
            .flat_map(|(_, examples)| examples.iter().map(String::as_str))
            .collect();
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(32) {
            vectors.extend(self.embedder.embed(batch)?);
        }
        let mut vectors = vectors.into_iter();
        let vocabulary = texts.iter().flat_map(|t| spelling::words(t)).collect();
        let table = Arc::new(RouteTable {
            catalog: catalog.clone(),
            vocabulary,
            routes: routes
                .into_iter()
                .map(|(route, examples)| (route, vectors.by_ref().take(examples.len()).collect()))
                .collect(),
        });
        *cached = Some(table.clone());
        Ok(table)
    }
}
