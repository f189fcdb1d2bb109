//! `my-policy`: a human looks at any call whose `amount` argument is above
//! `max_amount`.
//!
//! A policy is a type implementing [`Policy`]: typed parameters (checked by
//! the host against their derived schema when `policies.toml` changes),
//! typed facts (what the tool's `facts` export must offer; fields that are
//! not `Option` are required, and a policy set whose tool lacks them is
//! refused), the tools it applies to, and `evaluate`, a pure function of the
//! request that returns allow, deny (with a reason for the customer),
//! escalate (to a human) or confirm (ask the customer first).
//!
//! Write test cases for it in `policies/tests/*.toml`: every reload runs
//! them and refuses a change that breaks one.

use deskhand_policy_sdk::{
    Decision, JsonSchema, NoFacts, Policy, Request, cents_of, export_policy, money,
};
use serde::Deserialize;

/// `params = { max_amount = 500.0, currency = "EUR" }` in policies.toml.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The largest amount a call may name without a human.
    #[schemars(extend("exclusiveMinimum" = 0))]
    max_amount: f64,
    /// How amounts are shown in the reason.
    #[serde(default = "euro")]
    currency: String,
}

fn euro() -> String {
    "EUR".into()
}

struct MyPolicy;

impl Policy for MyPolicy {
    type Params = Params;
    type Facts = NoFacts;

    const NAME: &'static str = "my-policy";
    const DESCRIPTION: &'static str =
        "Calls whose amount argument is above max_amount go to a human.";

    fn tools() -> Vec<&'static str> {
        vec!["*"]
    }

    fn evaluate(request: &Request<Params, NoFacts>) -> Decision {
        let Some(amount) = request.arg_f64("amount") else {
            return Decision::Allow;
        };
        let (amount, limit) = (cents_of(amount), cents_of(request.params.max_amount));
        if amount <= limit {
            return Decision::Allow;
        }
        Decision::Escalate(format!(
            "Amounts above {} are reviewed by a colleague; they will look at {}.",
            money(limit, &request.params.currency),
            money(amount, &request.params.currency)
        ))
    }
}

export_policy!(MyPolicy);
