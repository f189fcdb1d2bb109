//! `confirm-irreversible`: the customer says yes before anything that cannot
//! be undone.
//!
//! Which calls need a confirmation is a parameter: every tool whose effect
//! is listed in `effects` (default: irreversible), plus the tools listed in
//! `tools`, minus those in `exempt`.

use deskhand_policy_sdk::{
    Decision, Effect, Guest, PolicyManifest, PolicyRequest, cents_of, export_policy, money,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Params {
    effects: Vec<String>,
    #[serde(default)]
    tools: Vec<String>,
    #[serde(default)]
    exempt: Vec<String>,
}

fn effect_word(effect: Effect) -> &'static str {
    match effect {
        Effect::ReadOnly => "read-only",
        Effect::Reversible => "reversible",
        Effect::Irreversible => "irreversible",
    }
}

/// "refund 50.00 EUR on order 1007", "cancel order 1002", "gift wrap for order 1003".
fn summary(request: &PolicyRequest) -> String {
    let args = request.args();
    let action = request.tool.replace('_', " ");
    let order_id = args.get("order_id").and_then(|v| v.as_str());
    let currency = request
        .order
        .as_ref()
        .map_or("EUR", |o| o.currency.as_str());
    match (request.tool.as_str(), order_id) {
        ("refund", Some(id)) => match args.get("amount").and_then(|a| a.as_f64()) {
            Some(amount) => format!("refund {} on order {id}", money(cents_of(amount), currency)),
            None => match &request.order {
                Some(order) => format!(
                    "refund {} on order {id}",
                    money(order.total_cents - order.refunded_cents, currency)
                ),
                None => format!("refund order {id} in full"),
            },
        },
        (tool, Some(id)) => match tool.strip_suffix("_order") {
            Some(verb) => format!("{} order {id}", verb.replace('_', " ")),
            None => format!("{action} for order {id}"),
        },
        (_, None) => action,
    }
}

struct ConfirmIrreversible;

impl Guest for ConfirmIrreversible {
    fn manifest() -> PolicyManifest {
        PolicyManifest {
            name: "confirm-irreversible".into(),
            description: "Calls that cannot be undone (by effect, or listed by name) need the \
                          customer's explicit confirmation first."
                .into(),
            tools: vec!["*".into()],
            params_schema:
                r#"{"type": "object", "required": ["effects"], "additionalProperties": false,
                "properties": {
                    "effects": {"type": "array", "uniqueItems": true,
                                "items": {"enum": ["read-only", "reversible", "irreversible"]}},
                    "tools": {"type": "array", "items": {"type": "string"}},
                    "exempt": {"type": "array", "items": {"type": "string"}}}}"#
                    .into(),
        }
    }

    fn evaluate(request: PolicyRequest) -> Decision {
        let params: Params = match request.params() {
            Ok(params) => params,
            Err(decision) => return decision,
        };
        let listed = params
            .effects
            .iter()
            .any(|e| e == effect_word(request.effect))
            || params.tools.contains(&request.tool);
        if !listed || params.exempt.contains(&request.tool) || request.confirmed {
            return Decision::Allow;
        }
        Decision::Confirm(format!("Please confirm: shall I {}?", summary(&request)))
    }
}

export_policy!(ConfirmIrreversible);
