//! Routing a message: which tool, or a question for the knowledge base,
//! small talk, a request for a human, or something out of scope.
//!
//! Each route has example messages; a message goes where its nearest
//! examples are (cosine similarity of MiniLM embeddings). Tool routes take
//! their examples and description from the plugin manifests, so a plugin
//! dropped into the plugins folder is routable without any host change; the
//! knowledge route takes the headings of the desk's own help centre, and the
//! other routes their examples from the desk.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::spelling::{self, Correction};
use crate::desk::RouteExamples;
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
    /// Nothing the desk's assistant should answer.
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
    examples: RouteExamples,
    table: Mutex<Option<Arc<RouteTable>>>,
}

impl Router {
    /// A router using `embedder`, with these examples of the routes that are
    /// not tools (the desk's, plus the help centre's headings).
    pub fn new(embedder: Arc<Embedder>, examples: RouteExamples) -> Self {
        Router {
            embedder,
            examples,
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
            (Route::Knowledge, &self.examples.knowledge),
            (Route::SmallTalk, &self.examples.small_talk),
            (Route::Human, &self.examples.human),
            (Route::OutOfScope, &self.examples.out_of_scope),
        ] {
            // A route without examples is never chosen by similarity.
            if !examples.is_empty() {
                routes.push((route, examples.clone()));
            }
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
