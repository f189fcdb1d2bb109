//! Answering questions from the help centre with its own sentences, and
//! the model-only baselines.

use serde_json::json;

use super::agent::Agent;
use super::error::AgentError;
use super::prompts;
use super::state::TurnState;
use super::trace::{StepKind, StepTimer};
use super::turn::TurnEvent;
use super::waiting::Pending;
use crate::llm::{ChatMessage, Event, ModelPrompt, Output};
use crate::retrieval::{Hit, SearchMode, cosine};

/// A section of at most this many sentences …
const WHOLE_SECTION_SENTENCES: usize = 8;
/// … and characters is quoted whole.
const WHOLE_SECTION_CHARS: usize = 1000;

impl Agent {
    /// Answers a question from the knowledge base, quoting the passages'
    /// most relevant sentences, or says it does not know.
    pub(super) fn answer_question(
        &self,
        turn: &mut TurnState<'_>,
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
                h.similarity >= self.desk.thresholds.knowledge && h.similarity >= best - 0.1
            })
            .take(3)
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
        let (chosen, section) = if sentences.is_empty() {
            (Vec::new(), 0)
        } else {
            let texts: Vec<&str> = sentences.iter().map(|(_, s)| s.as_str()).collect();
            let vectors = self.embedder.embed(&texts)?;
            let mut ranked: Vec<(usize, f32)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (i, cosine(question, v)))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            // The section whose passage and heading are both nearest the
            // question answers it, as a whole when it is short (a list of
            // steps is no answer without its steps); otherwise the sentences
            // nearest the question do.
            let headings: Vec<&str> = trusted.iter().map(|h| h.heading.as_str()).collect();
            let heading_vectors = self.embedder.embed(&headings)?;
            // And the sentence nearest the question, wherever it stands.
            let nearest_sentence = |i: usize| {
                ranked
                    .iter()
                    .find(|(s, _)| sentences[*s].0 == i)
                    .map(|(_, score)| *score)
                    .unwrap_or(0.0)
            };
            let fit = |i: usize| {
                trusted[i].similarity + cosine(question, &heading_vectors[i]) + nearest_sentence(i)
            };
            let section = (0..trusted.len())
                .max_by(|a, b| fit(*a).total_cmp(&fit(*b)))
                .unwrap_or(0);
            let whole: Vec<&String> = sentences
                .iter()
                .filter(|(rank, _)| *rank == section)
                .map(|(_, s)| s)
                .collect();
            let chars: usize = whole.iter().map(|s| s.chars().count()).sum();
            if whole.len() <= WHOLE_SECTION_SENTENCES && chars <= WHOLE_SECTION_CHARS {
                (whole.into_iter().cloned().collect(), section)
            } else {
                let top = ranked[0].1;
                let mut picked: Vec<usize> = ranked
                    .iter()
                    .take(3)
                    .filter(|(_, score)| *score >= top - 0.12)
                    .map(|(i, _)| *i)
                    .collect();
                picked.sort_unstable();
                let picked = picked
                    .into_iter()
                    .map(|i| sentences[i].1.clone())
                    .collect::<Vec<_>>();
                (picked, section)
            }
        };
        turn.retrieved = trusted.iter().map(|h| h.id.clone()).collect();
        turn.step(timer.finish(
            StepKind::Retrieval,
            format!("{} passages, best similarity {best:.2}", hits.len()),
            json!({"hits": hits.iter().map(|h| json!({"id": h.id, "heading": h.heading, "text": h.text,
                        "score": h.score, "similarity": h.similarity})).collect::<Vec<_>>(),
                   "used": turn.retrieved, "sentences": chosen}),
        ));
        if chosen.is_empty() {
            turn.say(&self.desk.voice.no_answer);
            turn.pending = Some(Pending::HumanOffer {
                question: message.to_string(),
            });
            return Ok(());
        }
        let source = trusted[section];
        turn.say(&format!(
            "{} (From our help centre: \"{}\", {}.)",
            chosen.join(" "),
            source.heading,
            source.source
        ));
        self.closing_line(turn);
        Ok(())
    }

    /// The baselines: the model answers alone, with the retrieved passages in
    /// its prompt for `rag-only`. Nothing is checked and no tool runs.
    pub(super) fn model_only_reply(
        &self,
        turn: &mut TurnState<'_>,
        message: &str,
        history: &[String],
    ) -> Result<(), AgentError> {
        let mut passages = Vec::new();
        if self.settings.variant.retrieves_for_model()
            && let Some(knowledge) = &self.knowledge
        {
            let timer = StepTimer::start();
            let hits = self
                .runtime
                .block_on(knowledge.search(message, SearchMode::Hybrid, 3))?;
            turn.retrieved = hits.iter().map(|h| h.id.clone()).collect();
            turn.step(timer.finish(
                StepKind::Retrieval,
                format!("{} passages", hits.len()),
                json!({"used": turn.retrieved}),
            ));
            passages = hits.into_iter().map(|h| h.text).collect();
        }
        let system = prompts::model_only_system(&self.desk.voice, &passages);
        let mut messages = vec![ChatMessage::new("system", system)];
        for (i, text) in history.iter().enumerate().rev().take(6).rev() {
            messages.push(ChatMessage::new(
                if i % 2 == 0 { "user" } else { "assistant" },
                text.clone(),
            ));
        }
        messages.push(ChatMessage::new("user", message));
        let timer = StepTimer::start();
        let prompt = ModelPrompt::chat(&messages, 1);
        let mut generation = self
            .model
            .generate(&prompt, self.sampling(96), Output::Text)?;
        let mut stats = None;
        while let Some(event) = generation.next_blocking() {
            match event {
                Event::Text(piece) => {
                    let piece = if turn.reply.is_empty() {
                        piece.trim_start().to_string()
                    } else {
                        piece
                    };
                    turn.first_token_ms
                        .get_or_insert_with(|| turn.started.elapsed().as_secs_f64() * 1e3);
                    turn.reply.push_str(&piece);
                    (turn.emit)(TurnEvent::Text(piece));
                }
                Event::Done(done) => {
                    stats = Some(done);
                    break;
                }
                Event::Failed(reason) => {
                    return Err(AgentError::Llm(crate::llm::LlmError::Inference(reason)));
                }
            }
        }
        if let Some(stats) = &stats {
            turn.prompt_tokens += stats.prompt_tokens;
            turn.generated_tokens += stats.generated_tokens;
        }
        turn.step(timer.finish(
            StepKind::Generation,
            format!(
                "{} tokens",
                stats.as_ref().map(|s| s.generated_tokens).unwrap_or(0)
            ),
            json!({"variant": self.settings.variant.as_str(), "stats": stats}),
        ));
        Ok(())
    }
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
        let starts_block = line.starts_with(['|', '#', '>']) || strip_list_marker(line) != line;
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
        if line.starts_with('#') || is_table_rule(line) {
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
            strip_list_marker(line).to_string()
        };
        let line = MARKDOWN_LINK
            .replace_all(&line.replace("**", "").replace('`', ""), "$1")
            .into_owned();
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

static MARKDOWN_LINK: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\[([^\]]+)\]\([^)]*\)").expect("link pattern"));

/// A Markdown table's alignment row: `|---|:--:|`.
fn is_table_rule(line: &str) -> bool {
    line.starts_with('|')
        && line.trim_matches('|').split('|').all(|cell| {
            let cell = cell.trim().trim_matches(':');
            !cell.is_empty() && cell.chars().all(|c| c == '-')
        })
}

/// A line without its list marker ("- ", "* ", "3. ", "> "); numbers that
/// start a sentence ("30 days to return…") stay.
fn strip_list_marker(line: &str) -> &str {
    let line = line.trim_start_matches(['>', ' ']);
    if let Some(rest) = line.strip_prefix(['-', '*', '+'])
        && rest.starts_with(' ')
    {
        return rest.trim_start();
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0
        && let Some(rest) = line[digits..].strip_prefix(['.', ')'])
        && rest.starts_with(' ')
    {
        return rest.trim_start();
    }
    line
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
        assert_eq!(
            passage_sentences(
                "30 days to return an item.\n\n1. Pack it well.\n|:---|---:|\nWrite to\n**us@x.example**. See [the form](https://x.example/f) today."
            ),
            [
                "30 days to return an item.",
                "Pack it well.",
                "Write to us@x.example.",
                "See the form today."
            ]
        );
    }
}
