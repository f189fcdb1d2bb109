//! The agent loop: a customer message in, a polite, grounded reply out.
//!
//! One turn:
//! 1. the message is checked and cleaned ([`clean_message`]);
//! 2. a pending question is answered first (a yes to a confirmation, the
//!    order number that was missing);
//! 3. otherwise the [`Router`] picks a tool, the knowledge base, small talk,
//!    a human, or out of scope, by similarity to example messages (tools
//!    bring their own examples in their manifests);
//! 4. a tool's arguments are filled from the conversation, by rules for
//!    orders, amounts and reasons and by the model under the tool's schema
//!    for the rest; what is missing is asked for;
//! 5. the call goes through the policies ([`crate::policy::PolicyGate`]):
//!    deny explains, escalate hands off, confirm asks;
//! 6. the reply states what happened, in words rendered from the tool's
//!    result, the policy's reason or the help centre's own sentences; the
//!    model adds conversational sentences only, each checked so it cannot
//!    claim an action or state a fact;
//! 7. every step is traced, and conversations, messages and traces persist.
//!
//! The customer is the session's ([`Conversation::customer_id`]), never what
//! the text says, and every tool sees only that customer's orders.

#[allow(clippy::module_inception)]
mod actions;
#[allow(clippy::module_inception)]
mod agent;
mod arguments;
mod error;
mod input;
mod knowledge;
mod pending;
pub mod references;
mod reply;
mod router;
mod spelling;
mod state;
mod trace;
mod turn;
mod voice;

pub use agent::{Agent, AgentBuilder, AgentSettings, Conversation, Variant};
pub use arguments::OrderSource;
pub use error::{AgentError, InputError};
pub use input::{MAX_MESSAGE_CHARS, clean_message};
pub use router::{Route, RouteDecision, RouteScore, Router};
pub use trace::{Step, StepKind};
pub use turn::{ToolFailure, ToolOutcome, TurnEvent, TurnOutcome, TurnStream};
