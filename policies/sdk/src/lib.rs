//! Everything a deskhand policy needs, and nothing from the host.
//!
//! A policy is a `cdylib` crate built for `wasm32-wasip2` that implements
//! [`Policy`] with typed parameters and facts, and registers it with
//! [`export_policy!`]. The JSON Schemas of both are derived from the types:
//! the host checks the parameters in the configuration against the first,
//! refuses a policy set whose tools do not offer the facts the second
//! requires, and validates every call's facts before [`Policy::evaluate`]
//! runs.
//!
//! `evaluate` gets a [`Request`]: the tool call, the facts the tool looked
//! up (e.g. an order's status and age), the customer, the clock and the
//! parameters, and returns a [`Decision`]. It must be a pure function of the
//! request: the host runs it again for tests and audits.

/// The generated bindings of the `policy` world.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "policy",
        pub_export_macro: true,
        export_macro_name: "export_wit_policy",
        default_bindings_module: "deskhand_policy_sdk::bindings",
    });
}

mod policy;
mod schema;

pub use bindings::deskhand::plugin::log;
pub use bindings::deskhand::plugin::policy_types::Denial;
pub use bindings::deskhand::plugin::tool_types::Effect;
pub use bindings::{Decision, PolicyManifest};
pub use policy::{NoFacts, Policy, Request, adapter};
pub use schema::schema_of;

/// Derives the JSON Schemas of [`Policy::Params`] and [`Policy::Facts`].
pub use schemars::{self, JsonSchema};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

impl Decision {
    /// A refusal with a machine `code` and a sentence for the customer.
    pub fn deny(code: impl Into<String>, reason: impl Into<String>) -> Self {
        Decision::Deny(Denial {
            code: code.into(),
            reason: reason.into(),
        })
    }
}

impl Effect {
    /// The kebab-case word of the WIT contract: `read-only`, `reversible`, `irreversible`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Effect::ReadOnly => "read-only",
            Effect::Reversible => "reversible",
            Effect::Irreversible => "irreversible",
        }
    }
}

/// Whole days in `seconds`, rounded down: 9 days 23 hours is 9 days.
pub fn whole_days(seconds: i64) -> i64 {
    seconds.div_euclid(DAY)
}

/// "1 day" or "20 days".
pub fn days_phrase(days: i64) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

/// Minor units as "12.30 EUR".
pub fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, (cents % 100).abs())
}

/// A decimal amount from JSON arguments as minor units, rounded to the cent.
pub fn cents_of(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_read_naturally() {
        assert_eq!(whole_days(9 * DAY + 23 * 3600), 9);
        assert_eq!(whole_days(10 * DAY), 10);
        assert_eq!(days_phrase(1), "1 day");
        assert_eq!(days_phrase(20), "20 days");
        assert_eq!(money(20_000, "EUR"), "200.00 EUR");
        assert_eq!(money(8_905, "EUR"), "89.05 EUR");
        assert_eq!(cents_of(59.9), 5_990);
    }
}
