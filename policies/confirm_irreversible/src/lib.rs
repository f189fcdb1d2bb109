//! `confirm-irreversible`: the customer says yes before anything that cannot
//! be undone.
//!
//! Which calls need a confirmation is a parameter: every tool whose effect
//! is listed in `effects` (default: irreversible), plus the tools listed in
//! `tools`, minus those in `exempt`. The question names the action from the
//! tool's name and arguments, and an amount from the facts when the tool
//! offers them.

use deskhand_policy_sdk::{Decision, JsonSchema, Policy, Request, cents_of, export_policy, money};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Effects that need a confirmation.
    #[schemars(extend("uniqueItems" = true))]
    effects: Vec<Effect>,
    /// Tools that need one whatever their effect.
    #[serde(default)]
    tools: Vec<String>,
    /// Tools that never need one.
    #[serde(default)]
    exempt: Vec<String>,
}

#[derive(Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum Effect {
    ReadOnly,
    Reversible,
    Irreversible,
}

/// Optional facts that make the question precise.
#[derive(Deserialize, JsonSchema)]
struct Facts {
    total_cents: Option<i64>,
    refunded_cents: Option<i64>,
    currency: Option<String>,
}

/// "refund 50.00 EUR on order 1007", "cancel order 1002", "gift wrap for
/// order 1003", "credit account with 15.00 EUR", "dispute bill B24003 for
/// 15.00 EUR": the action from the tool's name, the thing from its first
/// `*_id` argument, the amount from `amount` (or the facts).
fn summary(request: &Request<Params, Facts>) -> String {
    let action = request.tool.replace('_', " ");
    let facts = &request.facts;
    let currency = facts.currency.as_deref().unwrap_or("EUR");
    let amount = request
        .arg_f64("amount")
        .map(|a| money(cents_of(a), currency));
    let order_id = request.arg_str("order_id");
    if let ("refund", Some(id)) = (request.tool.as_str(), order_id) {
        return match (amount, facts.total_cents) {
            (Some(amount), _) => format!("refund {amount} on order {id}"),
            (None, Some(total)) => format!(
                "refund {} on order {id}",
                money(total - facts.refunded_cents.unwrap_or(0), currency)
            ),
            (None, None) => format!("refund order {id} in full"),
        };
    }
    // The first identifier argument: "bill_id" = "B24003".
    let thing = request.args.as_object().and_then(|args| {
        args.iter().find_map(|(name, value)| {
            let noun = name.strip_suffix("_id")?;
            Some((noun.replace('_', " "), value.as_str()?.to_string()))
        })
    });
    let mut text = match &thing {
        // "cancel_order" with order 1002: "cancel order 1002".
        Some((noun, id)) if action.ends_with(noun.as_str()) => format!("{action} {id}"),
        Some((noun, id)) => format!("{action} for {noun} {id}"),
        None => action,
    };
    if let Some(amount) = amount {
        text.push_str(&format!(
            " {} {amount}",
            if thing.is_some() { "for" } else { "with" }
        ));
    }
    text
}

struct ConfirmIrreversible;

impl Policy for ConfirmIrreversible {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "confirm-irreversible";
    const DESCRIPTION: &'static str = "Calls that cannot be undone (by effect, or listed by \
        name) need the customer's explicit confirmation first.";

    fn tools() -> Vec<&'static str> {
        vec!["*"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let params = &request.params;
        let effect = match request.effect.as_str() {
            "read-only" => Effect::ReadOnly,
            "reversible" => Effect::Reversible,
            _ => Effect::Irreversible,
        };
        let listed = params.effects.contains(&effect) || params.tools.contains(&request.tool);
        if !listed || params.exempt.contains(&request.tool) || request.confirmed {
            return Decision::Allow;
        }
        Decision::Confirm(format!("Please confirm: shall I {}?", summary(request)))
    }
}

export_policy!(ConfirmIrreversible);
