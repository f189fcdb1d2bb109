//! What a conversation waits for between turns, and reading the customer's
//! next message as its answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::agent::Agent;
use super::arguments;
use super::error::AgentError;
use super::language::{self, Answer};
use super::state::TurnState;
use crate::plugins::CustomerScope;

/// What a conversation waits for, kept in the store between turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
pub(super) enum Pending {
    /// A yes or no to run exactly this call.
    Confirmation { tool: String, args: Value },
    /// The missing arguments of this tool.
    Argument {
        tool: String,
        /// The request that lacked them, to read the rest of it from.
        #[serde(default)]
        request: String,
        /// What was found already.
        #[serde(default)]
        args: Map<String, Value>,
        /// What was asked for.
        #[serde(default)]
        missing: Vec<String>,
    },
    /// A yes or no to passing a question on to a colleague.
    HumanOffer { question: String },
}

impl Pending {
    pub(super) fn label(&self) -> &'static str {
        match self {
            Pending::Confirmation { .. } => "confirmation",
            Pending::Argument { .. } => "argument",
            Pending::HumanOffer { .. } => "human_offer",
        }
    }
}

/// Whether the pending question took the turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answered {
    /// The message answered it; the turn is done.
    Done,
    /// The message is something new: route it.
    NewRequest,
}

impl Agent {
    /// Reads `message` as the answer to what the conversation waited for.
    pub(super) fn answer_pending(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        message: &str,
        history: &[String],
        pending: Pending,
    ) -> Result<Answered, AgentError> {
        match pending {
            Pending::Confirmation { tool, args } => match language::yes_or_no(message) {
                Answer::Yes => {
                    self.act(turn, scope, &tool, args, true)?;
                    self.end_reply(turn);
                    Ok(Answered::Done)
                }
                Answer::No if language::is_bare_answer(message) => {
                    turn.say("All right, I won't do that. Is there anything else I can help you with?");
                    Ok(Answered::Done)
                }
                // "wait, where is my parcel?": no, and a new request.
                Answer::No => {
                    turn.say("All right, I won't do that.");
                    Ok(Answered::NewRequest)
                }
                // Anything but a plain yes or no: the call is dropped and the
                // message handled as a new request.
                Answer::Other => Ok(Answered::NewRequest),
            },
            Pending::HumanOffer { question } => match language::yes_or_no(message) {
                Answer::Yes => {
                    self.hand_off(turn, scope, &question, None, None)?;
                    Ok(Answered::Done)
                }
                Answer::No => {
                    turn.say("All right. Is there anything else I can help you with?");
                    Ok(Answered::Done)
                }
                Answer::Other => Ok(Answered::NewRequest),
            },
            Pending::Argument {
                tool,
                request,
                mut args,
                missing,
            } => {
                let Some(plugin) = self.gate.tools().get(&tool) else {
                    return Ok(Answered::NewRequest);
                };
                if language::yes_or_no(message) == Answer::No || !is_an_answer(message) {
                    return Ok(Answered::NewRequest);
                }
                let properties = arguments::properties(plugin.manifest().params.source());
                let request = if request.is_empty() { message.to_string() } else { request };
                match arguments::answer(&properties, &missing, message, self.clock.today()) {
                    Some(values) => {
                        args.extend(values);
                        // The original request goes on, with what is known now.
                        self.use_tool(turn, scope, &tool, &request, history, &args)?;
                        Ok(Answered::Done)
                    }
                    // "My last one": a reference the request resolves with
                    // the answer read into it.
                    None if points_to_latest(&properties, &missing, message) => {
                        let combined = format!("{request} {message}");
                        self.use_tool(turn, scope, &tool, &combined, history, &args)?;
                        Ok(Answered::Done)
                    }
                    None => Ok(Answered::NewRequest),
                }
            }
        }
    }
}

/// Whether `message` answers a missing identifier with "my last one".
fn points_to_latest(properties: &[arguments::Property], missing: &[String], message: &str) -> bool {
    properties.iter().any(|p| {
        missing.contains(&p.name)
            && matches!(&p.kind, arguments::Kind::Identifier(identifier)
                if arguments::identifiers::mentions_latest(message, identifier))
    })
}

/// Whether a message reads as an answer ("it's 1003", "tomorrow afternoon",
/// "12 Baker Street") rather than a new question ("what about 1005?").
fn is_an_answer(message: &str) -> bool {
    let words = message.split_whitespace().count();
    words <= 12 && (!message.contains('?') || words <= 2)
}
