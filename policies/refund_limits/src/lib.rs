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
    DAY, Decision, Guest, PolicyManifest, PolicyRequest, cents_of, days_phrase, export_policy,
    money, whole_days,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Params {
    window_days: i64,
    max_amount: f64,
    allow_partial: bool,
}

struct RefundLimits;

impl Guest for RefundLimits {
    fn manifest() -> PolicyManifest {
        PolicyManifest {
            name: "refund-limits".into(),
            description: "Refunds only within window_days of delivery, at most max_amount without \
                          a human (escalated above), and one refund per order unless allow_partial."
                .into(),
            tools: vec!["refund".into()],
            params_schema:
                r#"{"type": "object", "required": ["window_days", "max_amount", "allow_partial"],
                "additionalProperties": false,
                "properties": {
                    "window_days": {"type": "integer", "minimum": 1, "maximum": 3650},
                    "max_amount": {"type": "number", "exclusiveMinimum": 0},
                    "allow_partial": {"type": "boolean"}}}"#
                    .into(),
        }
    }

    fn evaluate(request: PolicyRequest) -> Decision {
        let params: Params = match request.params() {
            Ok(params) => params,
            Err(decision) => return decision,
        };
        let Some(order) = &request.order else {
            return Decision::Allow;
        };
        let already_refunded =
            order.refunded_cents > 0 || request.refunds.iter().any(|r| r.order_id == order.id);
        if already_refunded && !params.allow_partial {
            return Decision::deny(
                "already-refunded",
                format!(
                    "Order {} has already been refunded once, and each order can only be refunded once.",
                    order.id
                ),
            );
        }
        if let Some(delivered_at) = order.delivered_at {
            let since = request.now - delivered_at;
            if since > params.window_days * DAY {
                return Decision::deny(
                    "outside-refund-window",
                    format!(
                        "Refunds are possible within {} of delivery; order {} was delivered {} ago.",
                        days_phrase(params.window_days),
                        order.id,
                        days_phrase(whole_days(since))
                    ),
                );
            }
        }
        let amount = request
            .args()
            .get("amount")
            .and_then(|a| a.as_f64())
            .map(cents_of)
            .unwrap_or(order.total_cents - order.refunded_cents);
        let limit = cents_of(params.max_amount);
        if amount > limit {
            return Decision::Escalate(format!(
                "Refunds above {} are reviewed by a specialist; a colleague will review the refund \
                 of {} for order {}.",
                money(limit, &order.currency),
                money(amount, &order.currency),
                order.id
            ));
        }
        Decision::Allow
    }
}

export_policy!(RefundLimits);
