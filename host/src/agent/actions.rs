//! Acting: filling a tool's arguments, running the call through the
//! policies, and saying what happened (or handing over to a colleague).

use serde_json::{Value, json};
use tracing::{info_span, warn};

use super::agent::Agent;
use super::arguments::{self, ArgumentContext, Filled};
use super::error::AgentError;
use super::pending::Pending;
use super::reply;
use super::state::TurnState;
use super::trace::{Step, StepKind, StepTimer};
use super::turn::{ToolFailure, ToolOutcome};
use crate::llm::ChatMessage;
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{GatedCall, ToolCall, Verdict};
use crate::store::Handoff;

/// The tool that lists a customer's orders, used to resolve "my last order".
const LIST_ORDERS_TOOL: &str = "list_orders";
/// The collection whose rows the order-number arguments name.
const ORDERS_COLLECTION: &str = "orders";

impl Agent {
    /// Fills the tool's arguments and, if they are complete, acts.
    pub(super) fn use_tool(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        message: &str,
        history: &[String],
    ) -> Result<(), AgentError> {
        let Some(plugin) = self.gate.tools().get(tool) else {
            turn.say("I'm sorry, I can't do that right now. Would you like me to pass this on to a colleague?");
            turn.pending = Some(Pending::HumanOffer {
                question: message.to_string(),
            });
            return Ok(());
        };
        let timer = StepTimer::start();
        let lookups = std::cell::RefCell::new(Vec::new());
        let conversation_id = turn.conversation_id.clone();
        let latest_order = || -> Option<String> {
            let (outcome, step, latest) = self.latest_order(scope, &conversation_id);
            lookups.borrow_mut().push((outcome, step));
            latest
        };
        let decode_tokens = std::cell::Cell::new((0usize, 0usize));
        let decode = |schema: &Value| -> Option<Value> {
            let prompt = self
                .engine
                .chat_prompt(
                    &[
                        ChatMessage::new(
                            "system",
                            format!(
                                "Fill in the arguments of the tool {} ({}) from the customer's \
                                 messages. Use only what the customer wrote.",
                                plugin.name(),
                                plugin.manifest().description
                            ),
                        ),
                        ChatMessage::new(
                            "user",
                            format!(
                                "{}\n{message}",
                                history
                                    .iter()
                                    .rev()
                                    .take(4)
                                    .rev()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            ),
                        ),
                    ],
                    0,
                )
                .ok()?;
            let (value, stats) = self
                .engine
                .generate_json(prompt, schema, self.sampling(64))
                .map_err(|e| warn!(error = %e, "decoding arguments failed"))
                .ok()?;
            decode_tokens.set((stats.prompt_tokens, stats.generated_tokens));
            Some(value)
        };
        // What the customer wrote: every other message of the history is ours.
        let mut customer_text: Vec<&str> = history.iter().step_by(2).map(String::as_str).collect();
        customer_text.push(message);
        let customer_text = customer_text.join("\n");
        let filled = arguments::fill(
            plugin.manifest().params.source(),
            &ArgumentContext {
                message,
                history,
                customer_text: &customer_text,
                latest_order: &latest_order,
                decode: &decode,
            },
        );
        let (prompt_tokens, generated_tokens) = decode_tokens.get();
        turn.prompt_tokens += prompt_tokens;
        turn.generated_tokens += generated_tokens;
        for (mut outcome, step) in lookups.into_inner() {
            outcome.lookup = true;
            turn.step(step);
            turn.tools.push(outcome);
        }
        match filled {
            Filled::Ask { question, missing } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool}: missing {}", missing.join(", ")),
                    json!({"tool": tool, "missing": missing}),
                ));
                turn.say(&question);
                turn.pending = Some(Pending::Argument {
                    tool: tool.to_string(),
                    request: message.to_string(),
                });
                Ok(())
            }
            Filled::Ready { args, order_source } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool} {args}"),
                    json!({"tool": tool, "args": args, "order_source": order_source}),
                ));
                self.act(turn, scope, tool, args, false)
            }
        }
    }

    /// The customer's newest order, looked up with the `list_orders` tool.
    pub(super) fn latest_order(
        &self,
        scope: &CustomerScope,
        conversation_id: &str,
    ) -> (ToolOutcome, Step, Option<String>) {
        let args = json!({"limit": 1});
        let timer = StepTimer::start();
        let result = self.gate.call(
            scope,
            ToolCall {
                tool: LIST_ORDERS_TOOL,
                args: &args,
                conversation_id: Some(conversation_id),
                confirmed: false,
            },
        );
        let latest = match &result {
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => value
                .pointer("/orders/0/order_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        };
        let outcome = ToolOutcome::from_call(LIST_ORDERS_TOOL, &args, &result);
        let step = timer.finish(
            StepKind::Tool,
            format!(
                "{LIST_ORDERS_TOOL}: latest order {}",
                latest.as_deref().unwrap_or("none")
            ),
            json!({"tool": LIST_ORDERS_TOOL, "args": args, "executed": outcome.executed,
                   "purpose": "resolve \"my last order\"", "latest": latest}),
        );
        (outcome, step, latest)
    }

    /// Runs a call through the policies and says what happened.
    pub(super) fn act(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        args: Value,
        confirmed: bool,
    ) -> Result<(), AgentError> {
        let span = info_span!("tool_call", tool, confirmed);
        let _entered = span.enter();
        // The same answer for someone else's order as for one that does not
        // exist, before any policy is asked (so nothing about it is revealed).
        let order_fields = args
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, _)| arguments::is_order_property(name))
            .filter_map(|(_, value)| value.as_str());
        for order_id in order_fields {
            // The shop's order numbers name rows of its `orders` collection.
            if self
                .records
                .record(&scope.customer_id, ORDERS_COLLECTION, order_id)?
                .is_some()
            {
                continue;
            }
            turn.step(StepTimer::start().finish(
                StepKind::Tool,
                format!("{tool}: order {order_id} not on this account"),
                json!({"tool": tool, "args": args, "executed": false, "reason": "order-not-found"}),
            ));
            turn.tools.push(ToolOutcome {
                tool: tool.to_string(),
                args: args.clone(),
                decision: None,
                executed: false,
                lookup: false,
                result: None,
                error: Some(ToolFailure {
                    code: "order-not-found".into(),
                    message: format!("I can't find order {order_id} on your account."),
                }),
            });
            turn.say(&format!(
                "I'm sorry, I can't find order {order_id} on your account. Please check the order \
                 number; I can also list your recent orders."
            ));
            return Ok(());
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
                    short(&decision.revision)
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
        let order_phrase = args
            .get("order_id")
            .and_then(Value::as_str)
            .map(|id| format!(" order {id}"))
            .unwrap_or_default();
        match result {
            Err(error) => {
                turn.say(&format!("I'm sorry: {}", error.customer_message()));
                Ok(())
            }
            Ok(GatedCall::Ran {
                result: Err(error), ..
            }) => {
                turn.say(&failure_reply(&error));
                turn.say("Is there anything else I can help you with?");
                Ok(())
            }
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => {
                turn.say(&reply::describe_result(&value));
                self.closing_line(turn);
                Ok(())
            }
            Ok(GatedCall::Stopped { decision }) => {
                let reason = decision.reason.clone().unwrap_or_default();
                match decision.verdict {
                    Verdict::Deny => {
                        turn.say(&format!(
                            "I'm sorry, I can't {}{order_phrase}. {reason}",
                            action_words(tool)
                        ));
                        turn.say("Is there anything else I can help you with?");
                        Ok(())
                    }
                    Verdict::Escalate => {
                        turn.say(&reason);
                        let reason_for_colleague = format!("{tool}{order_phrase}: {reason}");
                        self.hand_off(turn, scope, &reason_for_colleague, Some(tool), Some(&args))
                    }
                    Verdict::Confirm => {
                        // The question names exactly the call a "yes" will run.
                        let reason = reason.trim();
                        let order_named = args
                            .get("order_id")
                            .and_then(Value::as_str)
                            .is_none_or(|id| reason.contains(id));
                        if !reason.is_empty() && order_named {
                            turn.say(&format!("{reason} Please answer yes or no."));
                        } else {
                            let question = confirmation_question(tool, &args);
                            turn.say(&format!("{reason} {question} Please answer yes or no."));
                        }
                        turn.pending = Some(Pending::Confirmation {
                            tool: tool.to_string(),
                            args,
                        });
                        Ok(())
                    }
                    Verdict::Allow => unreachable!("an allowed call runs"),
                }
            }
        }
    }

    /// Records a handoff and tells the customer a colleague will follow up.
    pub(super) fn hand_off(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        reason: &str,
        tool: Option<&str>,
        args: Option<&Value>,
    ) -> Result<(), AgentError> {
        let timer = StepTimer::start();
        let id = self.conversations.create_handoff(&Handoff {
            id: 0,
            conversation_id: turn.conversation_id.clone(),
            customer_id: scope.customer_id.clone(),
            at: self.clock.now(),
            reason: reason.to_string(),
            tool: tool.map(str::to_string),
            args: args.cloned(),
        })?;
        turn.step(timer.finish(
            StepKind::Handoff,
            format!("handoff #{id}"),
            json!({"id": id, "reason": reason, "tool": tool, "args": args}),
        ));
        turn.handoff_id = Some(id);
        turn.say(&format!(
            "I've passed this on to a colleague (reference #{id}), who will follow up with you \
             personally as soon as possible. Thank you for your patience."
        ));
        Ok(())
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

/// "Shall I refund order 1007 (20.00)?": the call, in words.
fn confirmation_question(tool: &str, args: &Value) -> String {
    let order = args
        .get("order_id")
        .and_then(Value::as_str)
        .map(|id| format!(" order {id}"))
        .unwrap_or_default();
    let amount = args
        .get("amount")
        .and_then(Value::as_f64)
        .map(|a| format!(" ({a:.2})"))
        .unwrap_or_default();
    format!("Shall I {}{order}{amount}?", action_words(tool))
}

/// "cancel_order" → "cancel", "refund" → "refund", "change_address" → "change address".
fn action_words(tool: &str) -> String {
    tool.trim_end_matches("_order").replace('_', " ")
}

fn short(revision: &str) -> &str {
    &revision[..revision.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_words_read_naturally() {
        assert_eq!(action_words("cancel_order"), "cancel");
        assert_eq!(action_words("refund"), "refund");
        assert_eq!(action_words("change_address"), "change address");
    }
}
