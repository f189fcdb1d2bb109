//! Choosing the route of a message: the router's similarities, the model's
//! choice on a near tie, then the rules of language that override both (a
//! question about how things work is not a request to act; a polite
//! request naming one of the customer's things is one).

use serde_json::json;
use tracing::warn;

use super::agent::Agent;
use super::arguments::{self, Kind, identifiers};
use super::error::AgentError;
use super::language;
use super::prompts;
use super::router::{Route, RouteDecision, RouteScore};
use super::sentences;
use super::state::TurnState;
use super::tools_view::ToolsView;
use super::trace::{StepKind, StepTimer};
use crate::llm::ModelPrompt;
use crate::plugins::Effect;

/// How close a lower route must be for a rule to prefer it.
const RULE_MARGIN: f32 = 0.15;

/// What a message says about one tool.
struct ToolSignal {
    tool: String,
    /// It names the tool's action ("report" for report_outage).
    named: bool,
    /// It has the first word of the tool's description ("check").
    described: bool,
    /// It carries every value the tool needs, some of them specific
    /// (a date, an amount, a choice).
    fits: bool,
}

/// What a message says about the tools' identifiers.
struct References {
    /// Tools whose identifier the message writes or points to ("my bill").
    tools: Vec<String>,
    /// Tools that need an identifier the message does not give or resolve.
    lacking: Vec<String>,
}

impl Agent {
    /// Routes `message`, traced; returns the decision and the message's
    /// embedding.
    pub(super) fn route(
        &self,
        turn: &mut TurnState<'_>,
        message: &str,
    ) -> Result<(RouteDecision, Vec<f32>), AgentError> {
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
        Ok((decision, vector))
    }

    /// The best route: by similarity, a near tie settled by what the message
    /// says (or else by the model), then the rules that override both.
    fn decide_route(
        &self,
        message: &str,
        scores: Vec<RouteScore>,
    ) -> Result<RouteDecision, AgentError> {
        let thresholds = self.desk.thresholds;
        let view = self.tools_view();
        let references = self.references(&view, message);
        let signals = self.tool_signals(&view, message);
        let names_something = !references.tools.is_empty();
        let mut tie_broken_by_model = false;
        // "Human" needs someone to be asked for; otherwise the next route.
        let candidates: Vec<&RouteScore> = scores
            .iter()
            .filter(|s| s.route != Route::Human || language::asks_for_person(message))
            .collect();
        let mut route = match candidates.first() {
            Some(best) if best.score >= thresholds.out_of_scope || names_something => {
                best.route.clone()
            }
            // Nothing the desk handles is anywhere near.
            _ => Route::OutOfScope,
        };
        let best = candidates.first().map(|s| s.score).unwrap_or_default();
        let signal = |route: &Route| match route {
            Route::Tool(name) => signals.iter().find(|s| &s.tool == name),
            _ => None,
        };
        if candidates.len() >= 2
            && best >= thresholds.out_of_scope
            && thresholds.tie_margin > 0.0
            && best - candidates[1].score < thresholds.tie_margin
        {
            let pair = [&candidates[0].route, &candidates[1].route];
            let says = |r: &Route| signal(r).is_some_and(|s| s.named || s.described || s.fits);
            match (says(pair[0]), says(pair[1])) {
                // What the message says settles it.
                (true, false) => route = pair[0].clone(),
                (false, true) => route = pair[1].clone(),
                // The model only refines the similarity ranking: if it cannot
                // answer (busy, prompt too long), the best score stands.
                _ => match self.break_tie(message, pair) {
                    Ok(chosen) => {
                        route = chosen;
                        tie_broken_by_model = true;
                    }
                    Err(error) => warn!(%error, "the model could not break a routing tie"),
                },
            }
        }
        // A message that names a tool's action ("report a fault"), or carries
        // exactly the values it needs ("Saturday morning"), is for that tool
        // when it is near the best.
        let strong = |route: &Route| signal(route).is_some_and(|s| s.named || s.fits);
        if !strong(&route)
            && route != Route::Human
            && best >= thresholds.out_of_scope
            && let Some(tool) = candidates
                .iter()
                .filter(|s| best - s.score < RULE_MARGIN)
                .find(|s| strong(&s.route))
        {
            route = tool.route.clone();
        }
        let effect = |route: &Route| match route {
            Route::Tool(name) => self.gate.tools().get(name).map(|p| p.manifest().effect),
            _ => None,
        };
        let score_of = |wanted: &Route| {
            candidates
                .iter()
                .find(|s| &s.route == wanted)
                .map(|s| s.score)
                .unwrap_or(f32::MIN)
        };
        let information = language::is_information_question(message);
        if let Route::Tool(tool) = &route {
            let acts = effect(&route).is_some_and(|e| e != Effect::ReadOnly);
            let would_ask = references.lacking.contains(tool);
            // Thanks for something done is not a request to do it again.
            if acts && language::is_thanks(message) {
                route = Route::SmallTalk;
            // A question about how things work is not a request to act, nor
            // to look up something it does not name; one that carries the
            // values the tool needs ("can a nurse come on Tuesday
            // afternoon?") is a request.
            } else if information && (acts || would_ask) && !signal(&route).is_some_and(|s| s.fits)
            {
                route = Route::Knowledge;
            }
        }
        if route == Route::Knowledge {
            let knowledge = score_of(&Route::Knowledge);
            let close = |s: &&&RouteScore| knowledge - s.score < RULE_MARGIN;
            // A message about one of the customer's own things is about that
            // thing, whatever the help centre says: "where is my last order?"
            // looks it up, a polite request ("can you cancel 4711?") acts.
            let about_a_thing = || {
                candidates.iter().filter(close).find(|s| match &s.route {
                    Route::Tool(name) => {
                        !information
                            && references.tools.contains(name)
                            && (language::is_request(message)
                                || effect(&s.route) == Some(Effect::ReadOnly))
                    }
                    _ => false,
                })
            };
            // A question about the customer's own situation ("is there an
            // outage in my area?") is answered from their data by a lookup
            // that needs nothing more.
            let about_their_situation = || {
                language::asks_about_own_situation(message)
                    .then(|| {
                        candidates.iter().filter(close).find(|s| match &s.route {
                            Route::Tool(name) => {
                                effect(&s.route) == Some(Effect::ReadOnly)
                                    && !references.lacking.contains(name)
                            }
                            _ => false,
                        })
                    })
                    .flatten()
            };
            if let Some(tool) = about_a_thing().or_else(about_their_situation) {
                route = tool.route.clone();
            }
        }
        // A reference beside small talk or an odd phrasing ("what about
        // 1006?") is a lookup: only read-only tools are reached this way.
        if matches!(route, Route::SmallTalk | Route::OutOfScope)
            && names_something
            && let Some(tool) = candidates.iter().find(|s| {
                effect(&s.route) == Some(Effect::ReadOnly)
                    && matches!(&s.route, Route::Tool(name) if references.tools.contains(name))
            })
            && best - tool.score < RULE_MARGIN
        {
            route = tool.route.clone();
        }
        Ok(RouteDecision {
            route,
            scores,
            tie_broken_by_model,
        })
    }

    /// What `message` says about each tool: whether it names the tool's
    /// action, its description's first word, or carries its values.
    fn tool_signals(&self, view: &ToolsView, message: &str) -> Vec<ToolSignal> {
        let today = self.clock.today();
        view.tools()
            .map(|(name, tool)| ToolSignal {
                tool: name.clone(),
                named: !tool.verbs.is_empty() && sentences::uses_stem(message, &tool.verbs),
                described: sentences::uses_stem(message, &tool.stems),
                fits: tool.specific && arguments::fits(&tool.properties, message, today),
            })
            .collect()
    }

    /// Which tools' identifiers `message` writes or points to, and which
    /// tools need one it does not give.
    fn references(&self, view: &ToolsView, message: &str) -> References {
        let mut references = References {
            tools: Vec::new(),
            lacking: Vec::new(),
        };
        for (name, tool) in view.tools() {
            for property in &tool.properties {
                let Kind::Identifier(identifier) = &property.kind else {
                    continue;
                };
                let given = !identifiers::find(message, identifier).is_empty()
                    || identifiers::mentions_latest(message, identifier);
                if given || identifiers::mentions_own(message, identifier) {
                    references.tools.push(name.clone());
                }
                if !given && property.required {
                    references.lacking.push(name.clone());
                }
            }
        }
        references
    }

    /// The language model's choice between two close routes.
    fn break_tie(&self, message: &str, options: [&Route; 2]) -> Result<Route, AgentError> {
        // The start of a long message says what it is about.
        let message: String = message.chars().take(400).collect();
        let labels: Vec<String> = options.iter().map(|r| self.describe_route(r)).collect();
        let prompt = ModelPrompt::chat(
            &prompts::tie_break(&self.desk.name, &message, &labels[0], &labels[1]),
            1,
        );
        // Without the model (a server down, say) the closer route stands:
        // the turn goes on rather than failing after its state was taken.
        let best = match self.model.choose(&prompt, &prompts::TIE_BREAK_OPTIONS) {
            Ok(choice) => choice.best,
            Err(error) => {
                warn!(%error, "the model could not break a tie; taking the closer route");
                0
            }
        };
        Ok(options[best].clone())
    }

    /// What a route means, for the model's tie-break.
    fn describe_route(&self, route: &Route) -> String {
        let voice = &self.desk.voice;
        match route {
            Route::Tool(name) => self
                .gate
                .tools()
                .get(name)
                .map(|p| prompts::tool_route(name, Some(&p.manifest().description)))
                .unwrap_or_else(|| prompts::tool_route(name, None)),
            Route::Knowledge => voice.knowledge_route.clone(),
            Route::SmallTalk => prompts::SMALL_TALK_ROUTE.into(),
            Route::Human => prompts::HUMAN_ROUTE.into(),
            Route::OutOfScope => voice.out_of_scope_route.clone(),
        }
    }
}
