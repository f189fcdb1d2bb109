//! What the host hands a policy: the call, and the facts its tool looked up.

use serde_json::Value;

use crate::bindings::{WitEffect, policy_types as types};
use crate::plugins::Effect;

/// A tool call about to run, with the facts a policy decides on.
#[derive(Debug, Clone)]
pub struct PolicyRequest {
    pub tool: String,
    pub effect: Effect,
    /// The arguments, already validated against the tool's schema.
    pub args: Value,
    /// What the tool's `facts` export found for these arguments (a JSON
    /// object; empty for tools that offer none). The host never reads it.
    pub facts: Value,
    /// The session's customer.
    pub customer_id: String,
    /// Whether the customer confirmed this very call.
    pub confirmed: bool,
    /// The business clock, unix seconds.
    pub now: i64,
}

impl PolicyRequest {
    /// The request in WIT form, with one policy's parameters.
    pub(crate) fn to_wit(&self, params: &str) -> types::PolicyRequest {
        types::PolicyRequest {
            tool: self.tool.clone(),
            effect: match self.effect {
                Effect::ReadOnly => WitEffect::ReadOnly,
                Effect::Reversible => WitEffect::Reversible,
                Effect::Irreversible => WitEffect::Irreversible,
            },
            args: self.args.to_string(),
            facts: self.facts.to_string(),
            customer_id: self.customer_id.clone(),
            confirmed: self.confirmed,
            now: self.now,
            params: params.to_string(),
        }
    }
}
