//! The configured API keys, as the server looks them up.

use std::collections::HashMap;

use super::config::ApiKey;
use crate::digest::sha256_hex;

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
