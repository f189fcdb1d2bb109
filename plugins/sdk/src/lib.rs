//! Everything a deskhand tool plugin needs, and nothing from the host.
//!
//! A plugin is a `cdylib` crate built for `wasm32-wasip2`. It implements
//! [`Guest`] (a `manifest` and an `invoke`) and registers the type with
//! [`export_tool!`]. The host hands it exactly three capabilities:
//!
//! * [`orders`]: the orders of the customer in the conversation, and nobody else's;
//! * [`clock`]: the business clock (fixed in tests and scenarios);
//! * [`log`]: log lines that end up in the host's tracing.
//!
//! The rest of this crate is small helpers that keep plugins short and
//! consistent: argument parsing with customer-safe errors, money and date
//! formatting, and one JSON shape for an order.

/// The generated bindings of the `tool` world; everything useful is re-exported
/// at the crate root.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tool",
        pub_export_macro: true,
        export_macro_name: "export_tool",
        default_bindings_module: "deskhand_plugin_sdk::bindings",
    });
}

pub use bindings::deskhand::plugin::tool_types::Effect;
pub use bindings::deskhand::plugin::{clock, log, orders};
pub use bindings::{Guest, ToolError, ToolManifest, export_tool};

mod order_view;
mod time;

pub use order_view::{ORDER_VIEW_SCHEMA, OrderView};
pub use time::rfc3339;

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

    /// The one answer for an order the customer cannot see, whether it does not
    /// exist or belongs to someone else: the two must be indistinguishable.
    pub fn order_not_found(order_id: &str) -> Self {
        ToolError::new(
            "order-not-found",
            format!("I can't find order {order_id} on your account."),
        )
    }

    /// Maps a refusal from the host's store into a customer-safe error.
    pub fn from_store(order_id: &str, error: orders::StoreError) -> Self {
        match error {
            orders::StoreError::NotFound => ToolError::order_not_found(order_id),
            orders::StoreError::Rejected(reason) => ToolError::new("rejected", reason),
            orders::StoreError::Unavailable(detail) => {
                log::log(log::Level::Error, &format!("store unavailable: {detail}"));
                ToolError::new(
                    "temporarily-unavailable",
                    "Our order system is not answering right now. Please try again in a moment.",
                )
            }
        }
    }
}

/// Parses the JSON arguments the host passed to `invoke`.
///
/// The host has already validated them against the tool's `params-schema`, so
/// a failure here means the schema and the Rust type disagree: a plugin bug,
/// reported as such.
pub fn parse_args<T: DeserializeOwned>(args: &str) -> Result<T, ToolError> {
    serde_json::from_str(args).map_err(|e| {
        ToolError::new(
            "invalid-arguments",
            format!("The request could not be understood: {e}."),
        )
    })
}

/// Serialises a tool result to the JSON string `invoke` returns.
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

/// Logs one line at info level under the plugin's name.
pub fn log_info(message: &str) {
    log::log(log::Level::Info, message);
}

impl orders::OrderStatus {
    /// The status as the lowercase word used in JSON and in replies.
    pub fn as_str(&self) -> &'static str {
        use orders::OrderStatus::*;
        match self {
            Pending => "pending",
            Processing => "processing",
            Shipped => "shipped",
            Delivered => "delivered",
            Cancelled => "cancelled",
            Returned => "returned",
        }
    }
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

/// JSON Schema (2020-12) of an order number argument in the demo shop.
pub const ORDER_ID_SCHEMA: &str = r#"{"type": "string", "pattern": "^[0-9]{3,12}$", "description": "The order number, digits only, e.g. \"1001\"."}"#;
