//! Acting: one call through the policies, and what the customer is told.
//!
//! Before any policy is asked, every identifier argument that names a row
//! of a records collection must be the customer's: someone else's row gets
//! the same answer as one that does not exist, so nothing about it leaks.

use serde_json::{Value, json};
use tracing::info_span;

use super::agent::Agent;
use super::arguments::Kind;
use super::error::AgentError;
use super::state::TurnState;
use super::trace::{StepKind, StepTimer};
use super::turn::{ToolFailure, ToolOutcome};
use super::waiting::Pending;
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{GatedCall, ToolCall, Verdict};

/// How a call ended, for a caller running several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Acted {
    /// It ran, was refused, or failed: the turn may go on.
    Finished,
    /// It waits for the customer (a confirmation) or went to a person.
    Waiting,
}

impl Agent {
    /// Runs a call through the policies and says what happened.
    pub(super) fn act(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        args: Value,
        confirmed: bool,
    ) -> Result<Acted, AgentError> {
        let span = info_span!("tool_call", tool, confirmed);
        let _entered = span.enter();
        if let Some((noun, id)) = self.foreign_reference(scope, tool, &args)? {
            let sentence = self.desk.voice.not_found(&noun, &id);
            turn.step(StepTimer::start().finish(
                StepKind::Tool,
                format!("{tool}: {noun} {id} not on this account"),
                json!({"tool": tool, "args": args, "executed": false, "reason": "not-found"}),
            ));
            turn.tools.push(ToolOutcome {
                tool: tool.to_string(),
                args: args.clone(),
                decision: None,
                executed: false,
                lookup: false,
                result: None,
                error: Some(ToolFailure {
                    code: "not-found".into(),
                    message: sentence.clone(),
                }),
            });
            turn.say(&sentence);
            return Ok(Acted::Finished);
        }
        let timer = StepTimer::start();
        let result = self.gate.call(
            scope,
            ToolCall {
                tool,
                args: &args,
                conversation_id: Some(&turn.conversation_id),
                confirmed,
            },
        );
        let outcome = ToolOutcome::from_call(tool, &args, &result);
        if let Some(decision) = &outcome.decision {
            turn.step(StepTimer::start().finish(
                StepKind::Policy,
                format!(
                    "{} (revision {})",
                    decision.verdict.as_str(),
                    &decision.revision[..decision.revision.len().min(12)]
                ),
                serde_json::to_value(decision).unwrap_or_default(),
            ));
        }
        turn.step(timer.finish(
            StepKind::Tool,
            format!(
                "{tool}: {}",
                match (&outcome.executed, &outcome.error) {
                    (true, None) => "ok".to_string(),
                    (true, Some(e)) => e.code.clone(),
                    (false, _) => "not run".to_string(),
                }
            ),
            json!({"tool": tool, "args": args, "executed": outcome.executed,
                   "result": outcome.result, "error": outcome.error}),
        ));
        turn.tools.push(outcome);
        let subject = self.subject(tool, &args);
        match result {
            Err(error) => {
                turn.say(&format!("I'm sorry: {}", error.customer_message()));
                Ok(Acted::Finished)
            }
            Ok(GatedCall::Ran {
                result: Err(error), ..
            }) => {
                turn.say(&failure_reply(&error));
                Ok(Acted::Finished)
            }
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => {
                let schema = self
                    .gate
                    .tools()
                    .get(tool)
                    .map(|p| p.manifest().result.source().clone())
                    .unwrap_or(Value::Null);
                turn.say(&self.replies.describe(tool, &schema, &value));
                Ok(Acted::Finished)
            }
            Ok(GatedCall::Stopped { decision }) => {
                let reason = decision.reason.clone().unwrap_or_default();
                let reason = reason.trim();
                match decision.verdict {
                    Verdict::Deny => {
                        let about = subject
                            .as_ref()
                            .map(|(noun, id)| format!(" for {noun} {id}"))
                            .unwrap_or_default();
                        turn.say(&format!("I'm sorry, I can't do that{about}. {reason}"));
                        Ok(Acted::Finished)
                    }
                    Verdict::Escalate => {
                        turn.say(reason);
                        let about = subject
                            .as_ref()
                            .map(|(noun, id)| format!(" {noun} {id}"))
                            .unwrap_or_default();
                        let for_colleague = format!("{tool}{about}: {reason}");
                        self.hand_off(turn, scope, &for_colleague, Some(tool), Some(&args))?;
                        Ok(Acted::Waiting)
                    }
                    Verdict::Confirm => {
                        // The question names exactly the call a "yes" will run.
                        let named = subject
                            .as_ref()
                            .is_none_or(|(_, id)| reason.contains(id.as_str()));
                        if !reason.is_empty() && named {
                            turn.say(&format!("{reason} Please answer yes or no."));
                        } else {
                            let question = confirmation_question(tool, &args, subject.as_ref());
                            turn.say(&format!("{reason} {question} Please answer yes or no."));
                        }
                        turn.pending = Some(Pending::Confirmation {
                            tool: tool.to_string(),
                            args,
                        });
                        Ok(Acted::Waiting)
                    }
                    Verdict::Allow => unreachable!("an allowed call runs"),
                }
            }
        }
    }

    /// The first identifier argument that names a row the customer does not
    /// have, as (noun, id).
    fn foreign_reference(
        &self,
        scope: &CustomerScope,
        tool: &str,
        args: &Value,
    ) -> Result<Option<(String, String)>, AgentError> {
        let view = self.tools_view();
        for property in view.properties(tool) {
            let Kind::Identifier(identifier) = &property.kind else {
                continue;
            };
            let (Some(collection), Some(id)) = (
                &identifier.collection,
                args.get(&property.name).and_then(Value::as_str),
            ) else {
                continue;
            };
            if self
                .records
                .record(&scope.customer_id, collection, id)?
                .is_none()
            {
                return Ok(Some((identifier.noun.clone(), id.to_string())));
            }
        }
        Ok(None)
    }

    /// What a call is about: its first identifier argument, as (noun, id).
    pub(super) fn subject(&self, tool: &str, args: &Value) -> Option<(String, String)> {
        self.tools_view()
            .properties(tool)
            .iter()
            .find_map(|property| match &property.kind {
                Kind::Identifier(identifier) => args
                    .get(&property.name)
                    .and_then(Value::as_str)
                    .map(|id| (identifier.noun.clone(), id.to_string())),
                _ => None,
            })
    }
}

/// An honest reply to a tool's failure.
fn failure_reply(error: &ToolError) -> String {
    if error.is_business_failure() {
        format!("I'm sorry: {}", error.customer_message())
    } else {
        error.customer_message()
    }
}

/// "Shall I go ahead with credit account (15.00)?": the call, in words.
fn confirmation_question(tool: &str, args: &Value, subject: Option<&(String, String)>) -> String {
    let about = subject
        .map(|(noun, id)| format!(" for {noun} {id}"))
        .unwrap_or_default();
    let amounts: Vec<String> = args
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_f64().map(|a| format!("{a:.2}")))
        .collect();
    let amount = if amounts.is_empty() {
        String::new()
    } else {
        format!(" ({})", amounts.join(", "))
    };
    format!(
        "Shall I go ahead with {}{about}{amount}?",
        tool.replace('_', " ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_names_the_call() {
        let subject = ("order".to_string(), "1007".to_string());
        assert_eq!(
            confirmation_question(
                "refund",
                &json!({"order_id": "1007", "amount": 20.0}),
                Some(&subject)
            ),
            "Shall I go ahead with refund for order 1007 (20.00)?"
        );
        assert_eq!(
            confirmation_question(
                "credit_account",
                &json!({"amount": 15.0, "reason": "x"}),
                None
            ),
            "Shall I go ahead with credit account (15.00)?"
        );
    }
}
