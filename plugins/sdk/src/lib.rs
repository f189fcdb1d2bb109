//! Everything a deskhand tool plugin needs, and nothing from the host.
//!
//! A plugin is a `cdylib` crate built for `wasm32-wasip2`. It implements
//! [`Tool`] with typed arguments, result and facts (their JSON Schemas are
//! derived from the types with schemars, so they cannot drift from the
//! code) and registers the type with [`export_tool!`]:
//!
//! ```ignore
//! #[derive(Deserialize, JsonSchema)]
//! struct Args { address: String }
//! #[derive(Serialize, JsonSchema)]
//! struct Saved { message: String }
//!
//! struct SaveAddress;
//! impl Tool for SaveAddress {
//!     type Args = Args;
//!     type Output = Saved;
//!     type Facts = NoFacts;
//!     const NAME: &'static str = "save_address";
//!     const DESCRIPTION: &'static str = "Save the customer's delivery address.";
//!     const EFFECT: Effect = Effect::Reversible;
//!     fn call(args: Args) -> Result<Saved, ToolError> { /* ... */ }
//! }
//! export_tool!(SaveAddress);
//! ```
//!
//! The host hands a plugin only what its grant in the desk configuration
//! allows, always scoped to the customer of the conversation:
//!
//! * [`records`]: named collections of JSON documents ([`Collection`]);
//! * [`http`]: outgoing requests to the hosts granted to the plugin;
//! * [`config`]: the plugin's own settings and secrets;
//! * [`clock`]: the business clock (fixed in tests and scenarios);
//! * [`log`]: log lines that end up in the host's tracing.

/// The generated bindings of the `tool` world; everything useful is re-exported
/// at the crate root.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tool",
        pub_export_macro: true,
        export_macro_name: "export_wit_tool",
        default_bindings_module: "deskhand_plugin_sdk::bindings",
    });
}

mod collection;
pub mod config;
mod errors;
pub mod http;
mod schema;
mod time;
mod tool;

pub use bindings::deskhand::plugin::tool_types::Effect;
pub use bindings::deskhand::plugin::{clock, log, records};
pub use bindings::{ToolError, ToolManifest};
pub use collection::{Collection, Record};
pub use schema::{result_schema_of, schema_of};
pub use time::{civil_from_days, rfc3339};
pub use tool::{NoFacts, Tool, adapter};

/// Derives JSON Schemas for [`Tool::Args`], [`Tool::Output`] and [`Tool::Facts`].
pub use schemars::{self, JsonSchema};

use serde::Serialize;
use serde::de::DeserializeOwned;

impl ToolError {
    /// A business failure with a machine `code` and a sentence for the customer.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ToolError {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Parses JSON arguments. The host has already validated them against the
/// tool's schema, so a failure here is a plugin bug, reported as such.
pub fn parse_args<T: DeserializeOwned>(args: &str) -> Result<T, ToolError> {
    serde_json::from_str(args).map_err(|e| {
        ToolError::new(
            "invalid-arguments",
            format!("The request could not be understood: {e}."),
        )
    })
}

/// Serialises a value to the JSON string the host expects.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, ToolError> {
    serde_json::to_string(value).map_err(|e| {
        ToolError::new(
            "internal-error",
            format!("The result could not be written: {e}."),
        )
    })
}

/// An amount in minor units (cents) as a decimal number of currency units.
pub fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// A decimal amount of currency units as minor units (cents), if it is a
/// positive, finite amount with at most two decimals.
pub fn cents(amount: f64) -> Option<i64> {
    if !amount.is_finite() || amount <= 0.0 || amount > 1e12 {
        return None;
    }
    let scaled = amount * 100.0;
    let rounded = scaled.round();
    ((scaled - rounded).abs() < 1e-6).then_some(rounded as i64)
}

/// The business clock's current time, unix seconds.
pub fn now() -> i64 {
    clock::now().unix_seconds
}

/// Logs one line at info level under the plugin's name.
pub fn log_info(message: &str) {
    log::log(log::Level::Info, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_accepts_two_decimals_and_rejects_the_rest() {
        assert_eq!(cents(59.9), Some(5990));
        assert_eq!(cents(0.01), Some(1));
        assert_eq!(cents(200.0), Some(20000));
        assert_eq!(cents(1.005), None);
        assert_eq!(cents(0.0), None);
        assert_eq!(cents(-3.0), None);
        assert_eq!(cents(f64::NAN), None);
    }
}
