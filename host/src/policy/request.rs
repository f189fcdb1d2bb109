//! What the host hands a policy: the call, and the facts it looked up.

use serde_json::Value;

use super::bindings::{WitEffect, types};
use crate::plugins::Effect;
use crate::store::{Order, OrderStore, Refund, StoreError};

/// How far back the customer's refunds are shown to policies.
const REFUND_HISTORY_SECONDS: i64 = 365 * 86_400;

/// A tool call about to run, with the facts a policy decides on.
#[derive(Debug, Clone)]
pub struct PolicyRequest {
    pub tool: String,
    pub effect: Effect,
    /// The arguments, already validated against the tool's schema.
    pub args: Value,
    /// The session's customer.
    pub customer_id: String,
    /// The order named by `args.order_id`, when it is the customer's.
    pub order: Option<Order>,
    /// The customer's refunds over the last year, oldest first.
    pub refunds: Vec<Refund>,
    /// Whether the customer confirmed this very call.
    pub confirmed: bool,
    /// The business clock, unix seconds.
    pub now: i64,
}

impl PolicyRequest {
    /// Builds the request for a call, looking the order and the refund history
    /// up in `store`, within the customer's own data only.
    pub fn lookup(
        store: &dyn OrderStore,
        customer_id: &str,
        tool: &str,
        effect: Effect,
        args: &Value,
        confirmed: bool,
        now: i64,
    ) -> Result<Self, StoreError> {
        let order = match args.get("order_id").and_then(Value::as_str) {
            Some(id) => store.order(customer_id, id)?,
            None => None,
        };
        let refunds = store
            .refunds(customer_id, None)?
            .into_iter()
            .filter(|r| now - r.created_at <= REFUND_HISTORY_SECONDS)
            .collect();
        Ok(PolicyRequest {
            tool: tool.to_string(),
            effect,
            args: args.clone(),
            customer_id: customer_id.to_string(),
            order,
            refunds,
            confirmed,
            now,
        })
    }

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
            customer_id: self.customer_id.clone(),
            order: self.order.as_ref().map(|o| types::OrderSnapshot {
                id: o.id.clone(),
                status: o.status.as_str().to_string(),
                placed_at: o.placed_at,
                total_cents: o.total_cents,
                refunded_cents: o.refunded_cents,
                currency: o.currency.clone(),
                shipped_at: o.shipped_at,
                delivered_at: o.delivered_at,
            }),
            refunds: self
                .refunds
                .iter()
                .map(|r| types::PastRefund {
                    order_id: r.order_id.clone(),
                    amount_cents: r.amount_cents,
                    created_at: r.created_at,
                })
                .collect(),
            confirmed: self.confirmed,
            now: self.now,
            params: params.to_string(),
        }
    }
}
