//! Reading the customer's next message as the answer to what the
//! conversation waited for: a yes or no, or the arguments that were missing.

use super::agent::Agent;
use super::arguments;
use super::error::AgentError;
use super::language::{self, Answer};
use super::state::TurnState;
use super::waiting::{Answered, Pending};
use crate::plugins::CustomerScope;

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
            Pending::Confirmation { tool, args } => {
                match language::yes_or_no(message) {
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
                }
            }
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
                if self.gate.tools().get(&tool).is_none() {
                    return Ok(Answered::NewRequest);
                }
                if language::yes_or_no(message) == Answer::No || !is_an_answer(message) {
                    return Ok(Answered::NewRequest);
                }
                let view = self.tools_view();
                let properties = view.properties(&tool);
                let request = if request.is_empty() {
                    message.to_string()
                } else {
                    request
                };
                match arguments::answer(properties, &missing, message, self.clock.today()) {
                    Some(values) => {
                        args.extend(values);
                        // The original request goes on, with what is known now.
                        self.use_tool(turn, scope, &tool, &request, history, &args)?;
                        Ok(Answered::Done)
                    }
                    // "My last one": a reference the request resolves with
                    // the answer read into it.
                    None if points_to_latest(properties, &missing, message) => {
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
