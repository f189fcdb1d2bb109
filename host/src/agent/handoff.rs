//! Handing a conversation over to a colleague.

use serde_json::{Value, json};

use super::agent::Agent;
use super::error::AgentError;
use super::state::TurnState;
use super::trace::{StepKind, StepTimer};
use crate::plugins::CustomerScope;
use crate::store::Handoff;

impl Agent {
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
        turn.say(&self.desk.voice.handoff(id));
        Ok(())
    }
}
