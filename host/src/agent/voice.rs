//! What the model writes itself: greetings and closing lines, one checked
//! sentence at a time. A sentence that fails the checks (or a model that
//! fails) never fails the turn: the fixed words are used instead.

use serde_json::json;
use tracing::{info_span, warn};

use super::agent::Agent;
use super::sentences;
use super::state::TurnState;
use super::trace::{StepKind, StepTimer};
use crate::llm::{
    ChatMessage, Event, GenerationStats, LlmError, ModelPrompt, Output, SamplingParams,
};

/// What the closing line falls back to.
pub(super) const OFFER_OF_HELP: &str = "Is there anything else I can help you with?";

impl Agent {
    /// Greetings, thanks and goodbyes, in the model's words when they pass
    /// the checks, in fixed words otherwise.
    pub(super) fn small_talk(&self, turn: &mut TurnState<'_>, message: &str, history: &[String]) {
        let voice = &self.desk.voice;
        let first_contact = history.is_empty();
        let sentence = self
            .model_sentence(turn, &voice.small_talk_prompt, message)
            // A greeting, not a parrot: "repeat after me: …" is not repeated.
            .filter(|s| sentences::is_closing(s) && !sentences::echoes(s, message));
        match sentence {
            Some(sentence) if first_contact => {
                turn.say(&format!("{sentence} {}", voice.capabilities))
            }
            Some(sentence) => turn.say(&sentence),
            None if first_contact => {
                turn.say(&format!("{} {}", voice.greeting, voice.capabilities))
            }
            None => turn.say("You're welcome! Is there anything else I can help you with?"),
        }
    }

    /// Ends a reply that reported a success with a closing sentence: the
    /// model's when it passes the checks, a fixed offer of help otherwise.
    pub(super) fn closing_line(&self, turn: &mut TurnState<'_>) {
        let sentence = if self.settings.closing_line {
            let facts = turn.reply.clone();
            let prompt = self.desk.voice.closing_prompt.clone();
            self.model_sentence(turn, &prompt, &facts)
                // A closing line, not a copy of what was just said.
                .filter(|s| sentences::is_closing(s) && !sentences::echoes(s, &facts))
        } else {
            None
        };
        turn.say(sentence.as_deref().unwrap_or(OFFER_OF_HELP));
    }

    /// One sentence from the model, checked; `None` when it fails the checks
    /// or the model fails (logged).
    pub(super) fn model_sentence(
        &self,
        turn: &mut TurnState<'_>,
        system: &str,
        user: &str,
    ) -> Option<String> {
        let span = info_span!("model_step", purpose = "sentence");
        let _entered = span.enter();
        let timer = StepTimer::start();
        let (text, stats) = match self.one_sentence(system, user) {
            Ok(written) => written,
            Err(error) => {
                warn!(%error, "the model failed to write a sentence");
                turn.step(timer.finish(
                    StepKind::Generation,
                    format!("failed: {error}"),
                    json!({"error": error.to_string()}),
                ));
                return None;
            }
        };
        let sentence = sentences::first_sentence(&text).to_string();
        let checked = self
            .tools_view()
            .sentences
            .check(&sentence, &turn.succeeded());
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
        checked.ok()
    }

    /// Generates until the first sentence is complete.
    fn one_sentence(
        &self,
        system: &str,
        user: &str,
    ) -> Result<(String, Option<GenerationStats>), LlmError> {
        let prompt = ModelPrompt::chat(
            &[
                ChatMessage::new("system", system),
                ChatMessage::new("user", user),
            ],
            1,
        );
        let mut generation = self
            .model
            .generate(&prompt, self.sampling(40), Output::Text)?;
        let mut text = String::new();
        while let Some(event) = generation.next_blocking() {
            match event {
                Event::Text(piece) => {
                    text.push_str(&piece);
                    // One sentence is all we keep; stop as soon as it is complete.
                    if sentences::first_sentence(&text).len() < text.trim_start().len() {
                        generation.cancel();
                    }
                }
                Event::Done(stats) => return Ok((text, Some(stats))),
                Event::Failed(reason) => return Err(LlmError::Inference(reason)),
            }
        }
        Ok((text, None))
    }

    pub(super) fn sampling(&self, max_tokens: usize) -> SamplingParams {
        SamplingParams {
            max_tokens,
            temperature: self.settings.temperature,
            seed: self.settings.seed,
            stop: vec!["\n".into()],
            ..SamplingParams::default()
        }
    }
}
