//! API keys: who a bearer token belongs to, the public demo keys of a desk,
//! and the ring the server looks tokens up in.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use crate::digest::sha256_hex;

/// Who a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer: chats, and sees only their own conversations and orders.
    Customer,
    /// Shop staff: sees the handoffs; cannot chat as a customer.
    Staff,
}

/// One API key. Its `Debug` shows only the start of the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The bearer token.
    pub key: String,
    /// The customer it logs in as (required for the customer role).
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default = "customer_role")]
    pub role: Role,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &self.masked())
            .field("customer", &self.customer)
            .field("role", &self.role)
            .finish()
    }
}

fn customer_role() -> Role {
    Role::Customer
}

/// At most this many customers get a demo key (a demo desk's seed has a few).
const MAX_DEMO_CUSTOMERS: usize = 10;

impl ApiKey {
    /// The demo keys of a desk whose seed data has these customers:
    /// `demo-ID` for each of the first ten (`demo-C001`, `demo-T001`, …) and
    /// `demo-staff`.
    pub fn demo_keys(customers: &[String]) -> Vec<ApiKey> {
        let mut keys: Vec<ApiKey> = customers
            .iter()
            .take(MAX_DEMO_CUSTOMERS)
            .map(|id| ApiKey {
                key: format!("demo-{id}"),
                customer: Some(id.to_string()),
                role: Role::Customer,
            })
            .collect();
        keys.push(ApiKey {
            key: "demo-staff".into(),
            customer: None,
            role: Role::Staff,
        });
        keys
    }

    /// Whether this is a public demo key: `demo-ID` logging in as customer
    /// ID, or `demo-staff` as staff.
    pub fn is_demo(&self) -> bool {
        match (&self.role, &self.customer) {
            (Role::Customer, Some(customer)) => self.key == format!("demo-{customer}"),
            (Role::Staff, _) => self.key == "demo-staff",
            (Role::Customer, None) => false,
        }
    }

    /// The key as it may appear in messages: its first characters only.
    pub fn masked(&self) -> String {
        let shown: String = self.key.chars().take(4).collect();
        format!("{shown}…")
    }

    /// Parses `KEY=CUSTOMER` or `KEY=staff` (the `--key` flag).
    pub fn parse_assignment(text: &str) -> Result<ApiKey, ConfigError> {
        let (key, who) = text.split_once('=').ok_or_else(|| {
            ConfigError::Invalid(format!(
                "the key {text:?} is not KEY=CUSTOMER_ID or KEY=staff"
            ))
        })?;
        let (key, who) = (key.trim(), who.trim());
        Ok(if who.eq_ignore_ascii_case("staff") {
            ApiKey {
                key: key.into(),
                customer: None,
                role: Role::Staff,
            }
        } else {
            ApiKey {
                key: key.into(),
                customer: Some(who.into()),
                role: Role::Customer,
            }
        })
    }
}

/// The configured keys, looked up by their SHA-256 so a lookup does not
/// compare secrets byte by byte.
pub struct KeyRing {
    by_digest: HashMap<String, ApiKey>,
}

impl KeyRing {
    /// A ring of these keys.
    pub fn new(keys: &[ApiKey]) -> Self {
        KeyRing {
            by_digest: keys
                .iter()
                .map(|key| (sha256_hex(key.key.as_bytes()), key.clone()))
                .collect(),
        }
    }

    /// The key with this token.
    pub fn find(&self, token: &str) -> Option<&ApiKey> {
        self.by_digest.get(&sha256_hex(token.as_bytes()))
    }
}
