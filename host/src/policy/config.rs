//! `policies.toml`: which policies are active, for which tools, with which
//! parameters.
//!
//! ```toml
//! [cancellation-window]            # the policy's name, as its manifest says
//! enabled = true                   # optional, default true
//! component = "cancellation_window.wasm"  # optional, default: name with - as _
//! tools = ["cancel_order"]         # optional, default: the policy's own list
//! params = { max_days = 10 }       # checked against the policy's schema
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One policy's entry in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEntry {
    /// The policy's name (the table's key).
    pub name: String,
    pub enabled: bool,
    /// The component's file name in the policy modules directory.
    pub component: String,
    /// The tools it applies to; `None` keeps the policy's own list.
    pub tools: Option<Vec<String>>,
    /// The parameters, as JSON.
    pub params: Value,
}

/// The parsed file, entries sorted by policy name.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub entries: Vec<PolicyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    enabled: Option<bool>,
    component: Option<String>,
    tools: Option<Vec<String>>,
    #[serde(default)]
    params: toml::Table,
}

impl PolicyFile {
    /// Parses the file's text. Syntax errors and unknown keys are reported
    /// with their line and column.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: BTreeMap<String, RawEntry> = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = Vec::with_capacity(raw.len());
        for (name, entry) in raw {
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(format!(
                    "[{name}]: policy names are kebab-case, e.g. [cancellation-window]"
                ));
            }
            let component = entry
                .component
                .unwrap_or_else(|| format!("{}.wasm", name.replace('-', "_")));
            if component.contains('/') || component.contains("..") || !component.ends_with(".wasm")
            {
                return Err(format!(
                    "[{name}]: component {component:?} must be a .wasm file name in the policy modules directory"
                ));
            }
            let params =
                serde_json::to_value(&entry.params).map_err(|e| format!("[{name}] params: {e}"))?;
            entries.push(PolicyEntry {
                name,
                enabled: entry.enabled.unwrap_or(true),
                component,
                tools: entry.tools,
                params,
            });
        }
        Ok(PolicyFile { entries })
    }

    /// The enabled entries.
    pub fn enabled(&self) -> impl Iterator<Item = &PolicyEntry> {
        self.entries.iter().filter(|e| e.enabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_entries_with_defaults() {
        let file = PolicyFile::parse(
            "[cancellation-window]\nparams = { max_days = 14 }\n\n[refund-limits]\nenabled = false\ntools = [\"refund\"]\n",
        )
        .unwrap();
        assert_eq!(file.entries.len(), 2);
        let window = &file.entries[0];
        assert_eq!(window.component, "cancellation_window.wasm");
        assert_eq!(window.params, json!({"max_days": 14}));
        assert!(window.enabled && window.tools.is_none());
        assert_eq!(file.enabled().count(), 1);
    }

    #[test]
    fn errors_say_where_and_what() {
        let err =
            PolicyFile::parse("[cancellation-window]\nparams = { max_days = }\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = PolicyFile::parse("[cancellation-window]\nmax_days = 10\n").unwrap_err();
        assert!(err.contains("max_days"), "{err}");
        let err = PolicyFile::parse("[x]\ncomponent = \"../../etc/passwd\"\n").unwrap_err();
        assert!(err.contains(".wasm file name"), "{err}");
    }
}
