//! `credit-limit`: how much may be credited to an account without a human.
//!
//! A credit of up to and including `max_amount` runs (after the customer's
//! confirmation, which `confirm-irreversible` asks for); anything above is
//! escalated to a colleague, who decides.

use deskhand_policy_sdk::{Decision, JsonSchema, Policy, Request, cents_of, export_policy, money};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The largest credit, in the account's currency, that needs no colleague.
    #[schemars(extend("exclusiveMinimum" = 0))]
    max_amount: f64,
}

/// What the rule reads about the credit (the tool's facts).
#[derive(Deserialize, JsonSchema)]
struct Facts {
    /// The amount to credit, in cents.
    amount_cents: i64,
    /// ISO 4217 code of the amount.
    currency: Option<String>,
}

struct CreditLimit;

impl Policy for CreditLimit {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "credit-limit";
    const DESCRIPTION: &'static str = "Credits to a customer's account up to max_amount run \
        without a human; larger credits are escalated to a colleague.";

    fn tools() -> Vec<&'static str> {
        vec!["credit_account"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let credit = &request.facts;
        let currency = credit.currency.as_deref().unwrap_or("EUR");
        let limit = cents_of(request.params.max_amount);
        if credit.amount_cents <= limit {
            return Decision::Allow;
        }
        Decision::Escalate(format!(
            "Credits above {} need the approval of a colleague, so a colleague will review your \
             request for a credit of {} and get back to you.",
            money(limit, currency),
            money(credit.amount_cents, currency),
        ))
    }
}

export_policy!(CreditLimit);
