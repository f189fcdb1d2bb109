//! What a conversation waits for between turns.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a conversation waits for, kept in the store between turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
pub(super) enum Pending {
    /// A yes or no to run exactly this call.
    Confirmation { tool: String, args: Value },
    /// The missing argument of this tool (an order number).
    Argument {
        tool: String,
        /// The request that lacked it, to read the rest of it from.
        #[serde(default)]
        request: String,
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
