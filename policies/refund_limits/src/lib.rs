//! `refund-limits`: when a refund may run without a human.
//!
//! * Refunds only within `window_days` of delivery (up to and including
//!   exactly `window_days` × 24 hours after delivery).
//! * Above `max_amount` a specialist decides: the call is escalated.
//! * At most one refund per order, unless `allow_partial` is set.
//!
//! A refusal wins over an escalation: a refund that breaks a rule is denied
//! even when it is also large.

use deskhand_policy_sdk::{
    DAY, Decision, JsonSchema, Policy, Request, cents_of, days_phrase, export_policy, money,
    whole_days,
};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    #[schemars(range(min = 1, max = 3650))]
    window_days: i64,
    #[schemars(extend("exclusiveMinimum" = 0))]
    max_amount: f64,
    allow_partial: bool,
}

/// What the rule reads about the order and the customer's refunds.
#[derive(Deserialize, JsonSchema)]
struct Facts {
    order_id: String,
    delivered_at: Option<i64>,
    total_cents: i64,
    refunded_cents: i64,
    currency: String,
    /// How many refunds this order has had.
    refunds_of_order: Option<u32>,
}

struct RefundLimits;

impl Policy for RefundLimits {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "refund-limits";
    const DESCRIPTION: &'static str = "Refunds only within window_days of delivery, at most \
        max_amount without a human (escalated above), and one refund per order unless allow_partial.";

    fn tools() -> Vec<&'static str> {
        vec!["refund"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let (params, order) = (&request.params, &request.facts);
        let id = &order.order_id;
        let refunded = order.refunded_cents;
        let already_refunded = refunded > 0 || order.refunds_of_order.unwrap_or(0) > 0;
        if already_refunded && !params.allow_partial {
            return Decision::deny(
                "already-refunded",
                format!(
                    "Order {id} has already been refunded once, and each order can only be refunded once."
                ),
            );
        }
        if let Some(delivered_at) = order.delivered_at {
            let since = request.now - delivered_at;
            if since > params.window_days * DAY {
                return Decision::deny(
                    "outside-refund-window",
                    format!(
                        "Refunds are possible within {} of delivery; order {id} was delivered {} ago.",
                        days_phrase(params.window_days),
                        days_phrase(whole_days(since))
                    ),
                );
            }
        }
        let currency = order.currency.as_str();
        let amount = request
            .arg_f64("amount")
            .map(cents_of)
            .unwrap_or(order.total_cents - refunded);
        let limit = cents_of(params.max_amount);
        if amount > limit {
            return Decision::Escalate(format!(
                "Refunds above {} are reviewed by a specialist; a colleague will review the refund \
                 of {} for order {id}.",
                money(limit, currency),
                money(amount, currency),
            ));
        }
        Decision::Allow
    }
}

export_policy!(RefundLimits);
