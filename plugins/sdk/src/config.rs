//! The plugin's own settings and secrets from the desk configuration.

use serde::de::DeserializeOwned;

use crate::bindings::deskhand::plugin::config as wit;

/// The setting `name`, parsed into `T`; `None` when it is not configured or
/// does not have that shape.
pub fn setting<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_str(&wit::get(name)?).ok()
}

/// The setting `name` as raw JSON text.
pub fn setting_json(name: &str) -> Option<String> {
    wit::get(name)
}

/// The secret `name` (read by the host from the environment variable the
/// configuration names).
pub fn secret(name: &str) -> Option<String> {
    wit::secret(name)
}
