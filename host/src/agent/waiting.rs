//! What a conversation waits for between turns: the data kept in the
//! store. Reading the next message as its answer is in
//! [`pending`](super::pending).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
