//! `cancellation-window`: an order can be cancelled only within `max_days`
//! days of purchase.
//!
//! The boundary is exact and strict: an order placed 9 days 23 hours ago
//! (with `max_days = 10`) can be cancelled; one placed exactly 10 days
//! (240 hours) ago cannot. Cancelling an order that is already cancelled is
//! always allowed, because it changes nothing.

use deskhand_policy_sdk::{
    DAY, Decision, JsonSchema, Policy, Request, days_phrase, export_policy, whole_days,
};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Days after purchase during which an order can be cancelled.
    #[schemars(range(min = 1, max = 365))]
    max_days: i64,
}

/// What the rule reads about the order (the tool's facts).
#[derive(Deserialize, JsonSchema)]
struct Facts {
    /// The order number.
    order_id: String,
    /// The order's status.
    status: String,
    /// When it was placed, unix seconds.
    placed_at: i64,
}

struct CancellationWindow;

impl Policy for CancellationWindow {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "cancellation-window";
    const DESCRIPTION: &'static str = "Orders can be cancelled only within max_days days of \
        purchase (strictly less than max_days × 24 hours).";

    fn tools() -> Vec<&'static str> {
        vec!["cancel_order"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let order = &request.facts;
        if order.status == "cancelled" {
            return Decision::Allow;
        }
        let age = request.now - order.placed_at;
        if age < request.params.max_days * DAY {
            return Decision::Allow;
        }
        Decision::deny(
            "outside-cancellation-window",
            format!(
                "Orders can only be cancelled within {} of purchase; order {} was placed {} ago.",
                days_phrase(request.params.max_days),
                order.order_id,
                days_phrase(whole_days(age))
            ),
        )
    }
}

export_policy!(CancellationWindow);
