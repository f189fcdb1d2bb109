//! One-time confirmation tokens for MCP clients that cannot be asked
//! (no elicitation): a call a policy wants confirmed returns a token bound
//! to that customer, that tool and exactly those arguments; calling again
//! with it is the confirmation. A token works once and for a few minutes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;

/// How long a token stays valid.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// The most tokens outstanding at once; the oldest go first.
const MAX_OUTSTANDING: usize = 10_000;

/// Why a token does not confirm a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No such token, or it was used already.
    #[error(
        "the confirmation token is unknown or was used already; call without it to get a new one"
    )]
    Unknown,
    /// The token is older than its lifetime.
    #[error("the confirmation token expired; call without it to get a new one")]
    Expired,
    /// The token was issued for another customer, tool or arguments.
    #[error(
        "the confirmation token was issued for another call; confirm exactly the call it was issued for, with the same arguments"
    )]
    Mismatch,
}

struct Issued {
    customer_id: String,
    tool: String,
    args: String,
    at: Instant,
}

/// The tokens issued and not yet used.
#[derive(Default)]
pub struct Confirmations {
    issued: Mutex<HashMap<String, Issued>>,
}

impl Confirmations {
    /// A new token for `customer_id` calling `tool` with `args`.
    pub fn issue(&self, customer_id: &str, tool: &str, args: &Value) -> String {
        let token = format!("{:032x}", rand::random::<u128>());
        let mut issued = self.issued.lock();
        issued.retain(|_, i| i.at.elapsed() < TOKEN_LIFETIME);
        if issued.len() >= MAX_OUTSTANDING
            && let Some(oldest) = issued
                .iter()
                .min_by_key(|(_, i)| i.at)
                .map(|(t, _)| t.clone())
        {
            issued.remove(&oldest);
        }
        issued.insert(
            token.clone(),
            Issued {
                customer_id: customer_id.to_string(),
                tool: tool.to_string(),
                args: canonical(args),
                at: Instant::now(),
            },
        );
        token
    }

    /// Uses `token` to confirm `customer_id` calling `tool` with `args`.
    /// The token is spent whatever the outcome.
    pub fn redeem(
        &self,
        token: &str,
        customer_id: &str,
        tool: &str,
        args: &Value,
    ) -> Result<(), TokenError> {
        let issued = self
            .issued
            .lock()
            .remove(token.trim())
            .ok_or(TokenError::Unknown)?;
        if issued.at.elapsed() >= TOKEN_LIFETIME {
            return Err(TokenError::Expired);
        }
        if issued.customer_id != customer_id
            || issued.tool != tool
            || issued.args != canonical(args)
        {
            return Err(TokenError::Mismatch);
        }
        Ok(())
    }
}

/// `value` as JSON text with every object's keys sorted, so that the same
/// arguments in another order are the same call.
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_confirms_exactly_its_call_once() {
        let book = Confirmations::default();
        let args = json!({"order_id": "1001", "amount": 20.0});
        let token = book.issue("c1", "refund", &args);
        let reordered = json!({"amount": 20.0, "order_id": "1001"});
        assert_eq!(book.redeem(&token, "c1", "refund", &reordered), Ok(()));
        assert_eq!(
            book.redeem(&token, "c1", "refund", &args),
            Err(TokenError::Unknown)
        );
    }

    #[test]
    fn another_customer_tool_or_argument_is_refused_and_spends_the_token() {
        let book = Confirmations::default();
        let args = json!({"order_id": "1001"});
        for (customer, tool, args2) in [
            ("c2", "refund", args.clone()),
            ("c1", "cancel_order", args.clone()),
            ("c1", "refund", json!({"order_id": "1002"})),
        ] {
            let token = book.issue("c1", "refund", &args);
            assert_eq!(
                book.redeem(&token, customer, tool, &args2),
                Err(TokenError::Mismatch)
            );
            assert_eq!(
                book.redeem(&token, "c1", "refund", &args),
                Err(TokenError::Unknown)
            );
        }
        assert_eq!(
            book.redeem("made-up", "c1", "refund", &args),
            Err(TokenError::Unknown)
        );
    }
}
