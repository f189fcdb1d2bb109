//! Training examples made from a desk, in the exact prompts the agent gives
//! the model ([`crate::agent::prompts`]):
//!
//! * routing: every example message of every tool (and of the desk's own
//!   routes) as a tie-break between its route and another, both orders;
//! * argument decoding: every tool example whose arguments the rules fill
//!   completely, answered with those arguments as JSON;
//! * grounded answers: every help-centre section asked about (its heading
//!   as a question), answered from the passage with the page cited, as the
//!   RAG baseline's prompt gives it;
//! * the desk's voice: greetings and out-of-scope messages answered with the
//!   desk's own sentences;
//!
//! plus the shipped customer-service set ([`customer_service`]).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::data::{Example, parse_jsonl};
use super::error::TuneError;
use crate::agent::arguments::{self, ArgumentContext, Filled};
use crate::agent::prompts;
use crate::desk::Desk;
use crate::plugins::ToolManifest;
use crate::retrieval::Chunk;

/// The project's customer-service set: empathy, refusals, admitting not
/// knowing, de-escalation and plain helpfulness (`tuning/`, made by
/// `tuning/make_customer_service.py`).
const CUSTOMER_SERVICE: &str = include_str!("../../../tuning/customer_service.jsonl");

/// The shipped customer-service examples.
pub fn customer_service() -> Result<Vec<Example>, TuneError> {
    let mut examples = parse_jsonl(CUSTOMER_SERVICE, "customer service")?;
    for e in &mut examples {
        e.source = format!("customer service: {}", e.source);
    }
    Ok(examples)
}

/// What a desk offers to learn from.
pub struct DeskMaterial<'a> {
    pub desk: &'a Desk,
    pub tools: &'a [&'a ToolManifest],
    pub sections: &'a [Chunk],
    /// The business's today, for dates in the tools' examples.
    pub today: NaiveDate,
}

/// Every example the desk gives.
pub fn desk_examples(material: &DeskMaterial<'_>) -> Vec<Example> {
    let mut examples = routing(material);
    examples.extend(argument_decoding(material));
    examples.extend(grounded_answers(material));
    examples.extend(voice(material));
    examples
}

/// Tie-breaks between each message's route and every other route, the
/// right one first and second in turn.
fn routing(m: &DeskMaterial<'_>) -> Vec<Example> {
    let voice = &m.desk.voice;
    let mut routes: Vec<(String, Vec<String>)> = m
        .tools
        .iter()
        .map(|t| {
            (
                prompts::tool_route(&t.name, Some(&t.description)),
                t.examples.clone(),
            )
        })
        .collect();
    routes.push((
        voice.knowledge_route.clone(),
        m.desk.routes.knowledge.clone(),
    ));
    routes.push((
        prompts::SMALL_TALK_ROUTE.to_string(),
        m.desk.routes.small_talk.clone(),
    ));
    routes.push((
        prompts::HUMAN_ROUTE.to_string(),
        m.desk.routes.human.clone(),
    ));
    routes.push((
        voice.out_of_scope_route.clone(),
        m.desk.routes.out_of_scope.clone(),
    ));
    let mut examples = Vec::new();
    for (r, (label, messages)) in routes.iter().enumerate() {
        // Another route for each message, in rotation, so every pair is seen.
        let others: Vec<usize> = (0..routes.len()).filter(|&o| o != r).collect();
        if others.is_empty() {
            continue;
        }
        for (i, message) in messages.iter().enumerate() {
            let other = &routes[others[i % others.len()]].0;
            let first = (i + r) % 2 == 0;
            let (a, b) = if first {
                (label, other)
            } else {
                (other, label)
            };
            let chat = prompts::tie_break(&m.desk.name, message, a, b);
            let answer = prompts::TIE_BREAK_OPTIONS[usize::from(!first)];
            examples.push(Example::exchange(
                "desk routing",
                &chat[0].content,
                &chat[1].content,
                answer,
            ));
        }
    }
    examples
}

/// Tool examples answered with the arguments the rules find in them.
fn argument_decoding(m: &DeskMaterial<'_>) -> Vec<Example> {
    let mut examples = Vec::new();
    let no_latest = |_: &arguments::Latest| None;
    let no_model = |_: &Value| None;
    for tool in m.tools {
        let properties = arguments::properties(tool.params.source());
        if properties.is_empty() {
            continue;
        }
        for message in &tool.examples {
            let context = ArgumentContext {
                message,
                history: &[],
                customer_text: message,
                today: m.today,
                latest: &no_latest,
                decode: &no_model,
            };
            let Filled::Ready { args, .. } = arguments::fill(&properties, &Map::new(), &context)
            else {
                continue;
            };
            let chat = prompts::argument_fill(&tool.name, &tool.description, &[], message);
            examples.push(Example::exchange(
                "desk arguments",
                &chat[0].content,
                &chat[1].content,
                &args.to_string(),
            ));
        }
    }
    examples
}

/// The first sentences of a passage, at most `limit` characters.
fn opening(text: &str, limit: usize) -> String {
    let mut out = String::new();
    for sentence in text.split_inclusive(['.', '!', '?']) {
        if !out.is_empty() && out.len() + sentence.len() > limit {
            break;
        }
        out.push_str(sentence);
    }
    out.trim().to_string()
}

/// Each help-centre section asked about and answered from its passage.
fn grounded_answers(m: &DeskMaterial<'_>) -> Vec<Example> {
    let mut examples = Vec::new();
    for chunk in m.sections {
        let heading = chunk.heading.trim();
        if heading.is_empty() {
            continue;
        }
        let body = chunk
            .text
            .lines()
            .filter(|l| {
                !l.trim().is_empty()
                    && !l.starts_with('#')
                    && l.trim() != chunk.title
                    && l.trim() != heading
            })
            .collect::<Vec<_>>()
            .join(" ");
        let answer = opening(&body, 320);
        if answer.is_empty() {
            continue;
        }
        let question = if heading.ends_with('?') {
            heading.to_string()
        } else {
            format!("Can you tell me about {}?", heading.to_lowercase())
        };
        let system = prompts::model_only_system(&m.desk.voice, std::slice::from_ref(&chunk.text));
        let reply = format!(
            "{answer} (From our help centre: \"{heading}\", {}.)",
            chunk.source
        );
        examples.push(Example::exchange(
            "desk help centre",
            &system,
            &question,
            &reply,
        ));
    }
    examples
}

/// Greetings and out-of-scope messages in the desk's own words.
fn voice(m: &DeskMaterial<'_>) -> Vec<Example> {
    let voice = &m.desk.voice;
    let system = prompts::model_only_system(voice, &[]);
    let mut examples = Vec::new();
    for message in &m.desk.routes.small_talk {
        let lower = message.to_lowercase();
        if ["hi", "hello", "hey", "good morning", "good afternoon"]
            .iter()
            .any(|g| lower.starts_with(g))
        {
            let reply = format!("{} {}", voice.greeting, voice.capabilities);
            examples.push(Example::exchange("desk voice", &system, message, &reply));
        }
    }
    for message in &m.desk.routes.out_of_scope {
        examples.push(Example::exchange(
            "desk voice",
            &system,
            message,
            &voice.out_of_scope,
        ));
    }
    examples
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_service_set_is_large_and_covers_its_five_kinds() {
        let examples = customer_service().unwrap();
        assert!(examples.len() >= 1000, "{} examples", examples.len());
        for kind in ["empathy", "refusal", "unknown", "deescalation", "helpful"] {
            let n = examples.iter().filter(|e| e.source.ends_with(kind)).count();
            assert!(n >= 150, "{n} {kind} examples");
        }
    }

    #[test]
    fn an_opening_keeps_whole_sentences() {
        assert_eq!(opening("One. Two two. Three three three.", 10), "One.");
        assert_eq!(
            opening("A long first sentence without end", 5),
            "A long first sentence without end"
        );
    }
}
