//! `dispute-window`: a bill can be disputed only within `window_days` of its
//! bill date.
//!
//! The boundary is inclusive, like the refund window: a bill issued exactly
//! `window_days` × 24 hours ago can still be disputed; one issued a second
//! later cannot.

use deskhand_policy_sdk::{
    DAY, Decision, JsonSchema, Policy, Request, days_phrase, export_policy, whole_days,
};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Days after the bill date during which a bill can be disputed.
    #[schemars(range(min = 1, max = 3650))]
    window_days: i64,
}

/// What the rule reads about the bill (the tool's facts).
#[derive(Deserialize, JsonSchema)]
struct Facts {
    /// The bill's number.
    bill_id: String,
    /// The bill date, unix seconds.
    issued_at: i64,
}

struct DisputeWindow;

impl Policy for DisputeWindow {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "dispute-window";
    const DESCRIPTION: &'static str = "Bills can be disputed only within window_days of the \
        bill date (up to and including window_days × 24 hours).";

    fn tools() -> Vec<&'static str> {
        vec!["dispute_bill"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let bill = &request.facts;
        let window = request.params.window_days;
        let age = request.now - bill.issued_at;
        if age <= window * DAY {
            return Decision::Allow;
        }
        // Whole days round down: 60 days and 1 hour is "more than 60 days".
        let days = whole_days(age);
        let ago = if days <= window {
            format!("more than {}", days_phrase(window))
        } else {
            days_phrase(days)
        };
        Decision::deny(
            "outside-dispute-window",
            format!(
                "Bills can be disputed within {} of the bill date, and bill {} was issued {ago} \
                 ago. If you believe something on it is wrong, a colleague can still look into it \
                 for you.",
                days_phrase(window),
                bill.bill_id,
            ),
        )
    }
}

export_policy!(DisputeWindow);
