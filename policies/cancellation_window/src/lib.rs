//! `cancellation-window`: an order can be cancelled only within `max_days`
//! days of purchase.
//!
//! The boundary is exact and strict: an order placed 9 days 23 hours ago
//! (with `max_days = 10`) can be cancelled; one placed exactly 10 days
//! (240 hours) ago cannot. Cancelling an order that is already cancelled is
//! always allowed, because it changes nothing.

use deskhand_policy_sdk::{
    DAY, Decision, Guest, PolicyManifest, PolicyRequest, days_phrase, export_policy, whole_days,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Params {
    max_days: i64,
}

struct CancellationWindow;

impl Guest for CancellationWindow {
    fn manifest() -> PolicyManifest {
        PolicyManifest {
            name: "cancellation-window".into(),
            description: "Orders can be cancelled only within max_days days of purchase \
                          (strictly less than max_days × 24 hours)."
                .into(),
            tools: vec!["cancel_order".into()],
            params_schema: r#"{"type": "object", "required": ["max_days"], "additionalProperties": false,
                "properties": {"max_days": {"type": "integer", "minimum": 1, "maximum": 365,
                    "description": "Days after purchase during which an order can be cancelled."}}}"#
                .into(),
        }
    }

    fn evaluate(request: PolicyRequest) -> Decision {
        let params: Params = match request.params() {
            Ok(params) => params,
            Err(decision) => return decision,
        };
        // No order (unknown id, or someone else's): the tool reports it.
        let Some(order) = &request.order else {
            return Decision::Allow;
        };
        if order.status == "cancelled" {
            return Decision::Allow;
        }
        let age = request.now - order.placed_at;
        if age < params.max_days * DAY {
            return Decision::Allow;
        }
        Decision::deny(
            "outside-cancellation-window",
            format!(
                "Orders can only be cancelled within {} of purchase; order {} was placed {} ago.",
                days_phrase(params.max_days),
                order.id,
                days_phrase(whole_days(age))
            ),
        )
    }
}

export_policy!(CancellationWindow);
