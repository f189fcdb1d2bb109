//! `amount-limit`: an argument-level limit for any tool, in-house or from an
//! external MCP server: a call whose amount argument is above `max_amount`
//! is denied (or, with `verdict = "escalate"`, sent to a colleague).
//!
//! ```toml
//! [amount-limit]
//! tools = ["issue_voucher"]
//! params = { max_amount = 50.0, argument = "amount", verdict = "deny" }
//! ```
//!
//! It reads only the call's arguments, so it works for tools that offer no
//! facts, such as the tools of an external MCP server.

use deskhand_policy_sdk::{
    Decision, JsonSchema, NoFacts, Policy, Request, cents_of, export_policy, money,
};
use serde::Deserialize;

/// What happens to a call above the limit.
#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Over {
    /// The call is refused, with the limit as the reason.
    Deny,
    /// A colleague decides.
    Escalate,
}

/// `params = { max_amount = 50.0 }` in policies.toml.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The largest amount a call may name.
    #[schemars(extend("minimum" = 0))]
    max_amount: f64,
    /// The argument that holds the amount; default `amount`.
    #[serde(default = "amount")]
    argument: String,
    /// `deny` (default) or `escalate`.
    #[serde(default = "deny")]
    verdict: Over,
    /// How amounts are shown in the reason; default EUR.
    #[serde(default = "euro")]
    currency: String,
}

fn amount() -> String {
    "amount".into()
}

fn deny() -> Over {
    Over::Deny
}

fn euro() -> String {
    "EUR".into()
}

struct AmountLimit;

impl Policy for AmountLimit {
    type Params = Params;
    type Facts = NoFacts;

    const NAME: &'static str = "amount-limit";
    const DESCRIPTION: &'static str = "Calls whose amount argument is above max_amount are \
        denied (or escalated to a colleague, with verdict = \"escalate\").";

    fn tools() -> Vec<&'static str> {
        vec!["*"]
    }

    fn evaluate(request: &Request<Params, NoFacts>) -> Decision {
        let params = &request.params;
        let Some(amount) = request.arg_f64(&params.argument) else {
            return Decision::Allow;
        };
        let (amount, limit) = (cents_of(amount), cents_of(params.max_amount));
        if amount <= limit {
            return Decision::Allow;
        }
        let (asked, most) = (
            money(amount, &params.currency),
            money(limit, &params.currency),
        );
        match params.verdict {
            Over::Deny => Decision::deny(
                "over-limit",
                format!(
                    "{} is limited to {most} per request, and {asked} is more than that.",
                    request.tool.replace('_', " ")
                ),
            ),
            Over::Escalate => Decision::Escalate(format!(
                "Amounts above {most} are decided by a colleague, who will look at {asked} and \
                 get back to you."
            )),
        }
    }
}

export_policy!(AmountLimit);
