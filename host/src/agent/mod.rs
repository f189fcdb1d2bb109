//! The agent loop: a customer message in, a polite, grounded reply out.
//!
//! One turn follows one path, a file per step:
//! 1. [`input`]: the message is checked and cleaned ([`clean_message`]);
//! 2. [`pending`]: a pending question is answered first (a yes to a
//!    confirmation, the date or address that was missing);
//! 3. [`routing`]: otherwise the [`Router`] picks a tool, the knowledge
//!    base, small talk, a human, or out of scope, by similarity to example
//!    messages (tools bring theirs in their manifests, the desk the others,
//!    the help centre its headings), with rules of language on top;
//! 4. [`tool`] and [`arguments`]: a tool's arguments are filled from the
//!    conversation by the kind its schema declares (identifiers, amounts,
//!    dates, choices, the customer's words) and by the model for the rest;
//!    what is missing is asked for;
//! 5. [`act`]: the call goes through the policies
//!    ([`crate::policy::PolicyGate`]): deny explains, escalate hands off,
//!    confirm asks;
//! 6. [`reply`]: the reply states what happened, from the desk's or the
//!    tool's template, the policy's reason or the help centre's own
//!    sentences; the model adds conversational sentences only ([`voice`]),
//!    each checked ([`sentences`]) so it cannot claim an action or state a fact;
//! 7. every step is traced, and conversations, messages and traces persist.
//!
//! The customer is the session's ([`Conversation::customer_id`]), never what
//! the text says, and every tool sees only that customer's records. Nothing
//! here knows a business: the words come from the [`crate::desk::Desk`].

mod act;
#[allow(clippy::module_inception)]
mod agent;
pub mod arguments;
mod builder;
mod conversation;
mod error;
mod handoff;
mod input;
mod knowledge;
pub mod language;
mod pending;
pub mod prompts;
mod reply;
mod router;
mod routing;
mod sentences;
mod settings;
mod spelling;
mod state;
mod tool;
mod tools_view;
mod trace;
mod turn;
mod voice;
mod waiting;

pub use agent::Agent;
pub use arguments::Source as ArgumentSource;
pub use builder::{AgentBuilder, router_for};
pub use conversation::Conversation;
pub use error::{AgentError, InputError};
pub use input::{MAX_MESSAGE_CHARS, clean_message};
pub use reply::{Replies, describe_result};
pub use router::{Route, RouteDecision, RouteScore, Router};
pub use sentences::SentenceCheck;
pub use settings::{AgentSettings, Variant};
pub use trace::{Step, StepKind};
pub use turn::{ToolFailure, ToolOutcome, TurnEvent, TurnOutcome, TurnStream};
