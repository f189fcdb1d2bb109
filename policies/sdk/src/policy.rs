//! The typed policy trait and its adapter to the WIT `policy` world.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::PolicyRequest;
use crate::{Decision, Effect, JsonSchema, PolicyManifest, schema_of};

/// A business rule about tool calls.
pub trait Policy {
    /// The parameters from `policies.toml` (checked by the host against
    /// their derived schema before the policy set goes live).
    type Params: DeserializeOwned + JsonSchema;
    /// The facts the rule reads. Fields that are not `Option` are required:
    /// every tool the policy applies to must offer them. Do not deny unknown
    /// fields; tools offer more facts than one policy reads.
    type Facts: DeserializeOwned + JsonSchema;

    /// Unique kebab-case name, e.g. `cancellation-window`.
    const NAME: &'static str;
    /// The rule in one or two sentences.
    const DESCRIPTION: &'static str;

    /// The tools it applies to by default; `"*"` for every tool.
    fn tools() -> Vec<&'static str>;

    /// Decides about one call.
    fn evaluate(request: &Request<Self::Params, Self::Facts>) -> Decision;
}

/// The facts of a policy that reads none.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize, JsonSchema)]
pub struct NoFacts {}

/// One call as a policy sees it, with typed parameters and facts.
#[derive(Debug, Clone)]
pub struct Request<P, F> {
    /// The tool about to run.
    pub tool: String,
    /// What it does to the world.
    pub effect: Effect,
    /// Its arguments, validated against the tool's schema.
    pub args: Value,
    /// What the tool's `facts` found.
    pub facts: F,
    /// The session's customer.
    pub customer_id: String,
    /// Whether the customer explicitly confirmed this very call.
    pub confirmed: bool,
    /// The business clock, unix seconds.
    pub now: i64,
    /// The policy's parameters.
    pub params: P,
}

impl<P, F> Request<P, F> {
    /// The string argument `name`, if given.
    pub fn arg_str(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str)
    }

    /// The numeric argument `name`, if given.
    pub fn arg_f64(&self, name: &str) -> Option<f64> {
        self.args.get(name).and_then(Value::as_f64)
    }
}

/// What [`export_policy!`](crate::export_policy) calls.
#[doc(hidden)]
pub mod adapter {
    use super::*;

    /// The manifest, with the schemas derived from the policy's types.
    pub fn manifest<T: Policy>() -> PolicyManifest {
        PolicyManifest {
            name: T::NAME.into(),
            description: T::DESCRIPTION.into(),
            tools: T::tools().into_iter().map(String::from).collect(),
            params_schema: schema_of::<T::Params>().to_string(),
            facts_schema: schema_of::<T::Facts>().to_string(),
        }
    }

    /// `evaluate`: decode the request, decide. A request that does not decode
    /// is a misconfiguration, and the safe answer is not to act.
    pub fn evaluate<T: Policy>(raw: PolicyRequest) -> Decision {
        let misconfigured = |what: &str, e: serde_json::Error| {
            Decision::deny(
                "policy-misconfigured",
                format!(
                    "This request can't be checked right now ({what}: {e}); a colleague will look into it."
                ),
            )
        };
        let params = match serde_json::from_str(&raw.params) {
            Ok(params) => params,
            Err(e) => return misconfigured("parameters", e),
        };
        let facts = match serde_json::from_str(&raw.facts) {
            Ok(facts) => facts,
            Err(e) => return misconfigured("facts", e),
        };
        let request = Request {
            tool: raw.tool,
            effect: raw.effect,
            args: serde_json::from_str(&raw.args).unwrap_or(Value::Null),
            facts,
            customer_id: raw.customer_id,
            confirmed: raw.confirmed,
            now: raw.now,
            params,
        };
        T::evaluate(&request)
    }
}

/// Exports a [`Policy`] as the component's WIT `policy` world.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        #[doc(hidden)]
        pub struct DeskhandPolicyExport;

        impl $crate::bindings::Guest for DeskhandPolicyExport {
            fn manifest() -> $crate::PolicyManifest {
                $crate::adapter::manifest::<$policy>()
            }
            fn evaluate(request: $crate::bindings::PolicyRequest) -> $crate::Decision {
                $crate::adapter::evaluate::<$policy>(request)
            }
        }

        $crate::bindings::export_wit_policy!(DeskhandPolicyExport with_types_in $crate::bindings);
    };
}
