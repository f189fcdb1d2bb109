//! Using a tool: its arguments from the conversation, a question for what
//! is missing, and the call (once per item when the customer named several).

use std::cell::{Cell, RefCell};

use serde_json::{Map, Value, json};
use tracing::warn;

use super::act::Acted;
use super::agent::Agent;
use super::arguments::{self, ArgumentContext, Filled, Latest};
use super::error::AgentError;
use super::prompts;
use super::state::TurnState;
use super::trace::{Step, StepKind, StepTimer};
use super::turn::ToolOutcome;
use super::waiting::Pending;
use crate::llm::ModelPrompt;
use crate::plugins::CustomerScope;
use crate::policy::{GatedCall, ToolCall};

impl Agent {
    /// Fills the tool's arguments (with `given` values already known) and,
    /// if they are complete, acts.
    pub(super) fn use_tool(
        &self,
        turn: &mut TurnState<'_>,
        scope: &CustomerScope,
        tool: &str,
        message: &str,
        history: &[String],
        given: &Map<String, Value>,
    ) -> Result<(), AgentError> {
        let Some(plugin) = self.gate.tools().get(tool) else {
            turn.say(&self.desk.voice.unavailable);
            turn.pending = Some(Pending::HumanOffer {
                question: message.to_string(),
            });
            return Ok(());
        };
        let timer = StepTimer::start();
        let lookups = RefCell::new(Vec::new());
        let conversation_id = turn.conversation_id.clone();
        let latest = |lookup: &Latest| -> Option<String> {
            let (outcome, step, id) = self.look_up_latest(scope, &conversation_id, lookup);
            lookups.borrow_mut().push((outcome, step));
            id
        };
        let tokens = Cell::new((0usize, 0usize));
        let decode = |schema: &Value| -> Option<Value> {
            let recent: Vec<&str> = history
                .iter()
                .rev()
                .take(4)
                .rev()
                .map(String::as_str)
                .collect();
            let prompt = ModelPrompt::chat(
                &prompts::argument_fill(
                    plugin.name(),
                    &plugin.manifest().description,
                    &recent,
                    message,
                ),
                0,
            );
            let (value, stats) = self
                .model
                .generate_json(&prompt, schema, self.sampling(64))
                .map_err(|e| warn!(error = %e, "decoding arguments failed"))
                .ok()?;
            tokens.set((stats.prompt_tokens, stats.generated_tokens));
            Some(value)
        };
        // What the customer wrote: every other message of the history is ours.
        let mut customer_text: Vec<&str> = history.iter().step_by(2).map(String::as_str).collect();
        customer_text.push(message);
        let customer_text = customer_text.join("\n");
        let view = self.tools_view();
        let filled = arguments::fill(
            view.properties(tool),
            given,
            &ArgumentContext {
                message,
                history,
                customer_text: &customer_text,
                today: self.clock.today(),
                latest: &latest,
                decode: &decode,
            },
        );
        let (prompt_tokens, generated_tokens) = tokens.get();
        turn.prompt_tokens += prompt_tokens;
        turn.generated_tokens += generated_tokens;
        for (mut outcome, step) in lookups.into_inner() {
            outcome.lookup = true;
            turn.step(step);
            turn.tools.push(outcome);
        }
        match filled {
            Filled::Ask {
                question,
                missing,
                args,
            } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool}: missing {}", missing.join(", ")),
                    json!({"tool": tool, "missing": missing, "found": args}),
                ));
                turn.say(&question);
                turn.pending = Some(Pending::Argument {
                    tool: tool.to_string(),
                    request: message.to_string(),
                    args: args.as_object().cloned().unwrap_or_default(),
                    missing,
                });
                Ok(())
            }
            Filled::Ready { args, sources } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool} {args}"),
                    json!({"tool": tool, "args": args, "sources": sources}),
                ));
                self.act(turn, scope, tool, args, false)?;
                self.end_reply(turn);
                Ok(())
            }
            Filled::Each {
                property,
                values,
                args,
            } => {
                turn.step(timer.finish(
                    StepKind::Args,
                    format!("{tool} for each {property}: {}", values.join(", ")),
                    json!({"tool": tool, "args": args, "each": {"property": property, "values": values}}),
                ));
                for (done, value) in values.iter().enumerate() {
                    let mut call = args.clone();
                    call[&property] = Value::String(value.clone());
                    if self.act(turn, scope, tool, call, false)? == Acted::Waiting {
                        let rest = &values[done + 1..];
                        if !rest.is_empty() {
                            turn.say(&format!(
                                "I haven't done anything about {} yet; ask me again once this is settled.",
                                rest.join(", ")
                            ));
                        }
                        return Ok(());
                    }
                }
                self.end_reply(turn);
                Ok(())
            }
        }
    }

    /// Ends a reply that did not wait for the customer: a closing line after
    /// a success, an offer of more help otherwise.
    pub(super) fn end_reply(&self, turn: &mut TurnState<'_>) {
        if turn.pending.is_some() || turn.handoff_id.is_some() {
            return;
        }
        if turn.succeeded().is_empty() {
            turn.say(super::voice::OFFER_OF_HELP);
        } else {
            self.closing_line(turn);
        }
    }

    /// The customer's newest thing, looked up with the read-only tool the
    /// identifier's schema names.
    fn look_up_latest(
        &self,
        scope: &CustomerScope,
        conversation_id: &str,
        lookup: &Latest,
    ) -> (ToolOutcome, Step, Option<String>) {
        let timer = StepTimer::start();
        let tool = lookup.tool.as_str();
        // Only a read-only tool may run to resolve a reference.
        let read_only = self
            .gate
            .tools()
            .get(tool)
            .is_some_and(|p| p.manifest().effect == crate::plugins::Effect::ReadOnly);
        let result = if read_only {
            self.gate.call(
                scope,
                ToolCall {
                    tool,
                    args: &lookup.args,
                    conversation_id: Some(conversation_id),
                    confirmed: false,
                },
            )
        } else {
            Err(crate::plugins::ToolError::UnknownTool {
                name: tool.to_string(),
                available: "a read-only lookup tool".into(),
            })
        };
        let latest = match &result {
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => value.pointer(&lookup.pointer).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            _ => None,
        };
        let outcome = ToolOutcome::from_call(tool, &lookup.args, &result);
        let step = timer.finish(
            StepKind::Tool,
            format!("{tool}: latest {}", latest.as_deref().unwrap_or("none")),
            json!({"tool": tool, "args": lookup.args, "executed": outcome.executed,
                   "purpose": "resolve \"my last one\"", "latest": latest}),
        );
        (outcome, step, latest)
    }
}
