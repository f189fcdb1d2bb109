//! What each plugin may touch: its grants in the desk's plugin configuration
//! (`plugins.toml`), denied by default.
//!
//! ```toml
//! [plugins.refund]                      # the plugin file's name, without .wasm
//! records = { orders = "read-write", refunds = "read-write" }
//! http = ["127.0.0.1:9300", "api.example.com"]   # hosts it may call (port 80/443 if none)
//! http_timeout_ms = 2000                # per request (default 2000)
//! http_max_bytes = 1048576              # largest response body (default 1 MiB)
//! settings = { region = "eu", retries = 3 }      # read with config::get
//! secrets = { api_key = "REFUND_API_KEY" }       # read with config::secret, from the environment
//! timeout_ms = 5000                     # budget of one call (default: the sandbox's)
//! ```
//!
//! A plugin without a section can read the clock and write log lines, and
//! nothing else. Grants follow the file name rather than the tool name the
//! plugin reports about itself, so a plugin cannot claim another's grants.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// How a collection may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// `get` and `query`.
    Read,
    /// Also `insert`, `update` and `delete`.
    ReadWrite,
}

impl Access {
    /// The word used in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        }
    }
}

/// One plugin's grants.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginGrant {
    /// Collections and how they may be used.
    #[serde(default)]
    pub records: BTreeMap<String, Access>,
    /// Hosts the plugin may send HTTP requests to, as `host` or `host:port`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Time-out of one HTTP request, in milliseconds.
    #[serde(default)]
    pub http_timeout_ms: Option<u64>,
    /// Largest HTTP response body, in bytes.
    #[serde(default)]
    pub http_max_bytes: Option<u64>,
    /// Plain settings, read with `config::get`.
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    /// Secret names and the environment variables they are read from.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// The wall-clock budget of one call, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Default time-out of one outgoing request.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_millis(2000);
/// Default cap on a response body.
pub const DEFAULT_HTTP_MAX_BYTES: u64 = 1 << 20;

impl PluginGrant {
    /// How `collection` may be used, if at all.
    pub fn access(&self, collection: &str) -> Option<Access> {
        self.records.get(collection).copied()
    }

    /// Whether `host` (lowercase) on `port` is granted.
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        self.http
            .iter()
            .any(|entry| host_matches(entry, host, port))
    }

    /// The time-out of one HTTP request.
    pub fn http_timeout(&self) -> Duration {
        self.http_timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_HTTP_TIMEOUT)
    }

    /// The cap on one response body.
    pub fn http_max_bytes(&self) -> u64 {
        self.http_max_bytes.unwrap_or(DEFAULT_HTTP_MAX_BYTES)
    }

    /// A one-line summary for `tools list`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.records.is_empty() {
            let records: Vec<String> = self
                .records
                .iter()
                .map(|(name, access)| format!("{name}:{}", access.as_str()))
                .collect();
            parts.push(format!("records {}", records.join(",")));
        }
        if !self.http.is_empty() {
            parts.push(format!("http {}", self.http.join(",")));
        }
        if !self.settings.is_empty() {
            let names: Vec<&str> = self.settings.keys().map(String::as_str).collect();
            parts.push(format!("settings {}", names.join(",")));
        }
        if !self.secrets.is_empty() {
            let names: Vec<&str> = self.secrets.keys().map(String::as_str).collect();
            parts.push(format!("secrets {}", names.join(",")));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join("; ")
        }
    }
}

/// `entry` is `host`, `host:port`, or a URL's `scheme://host[:port]`.
fn host_matches(entry: &str, host: &str, port: u16) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let (default_ports, rest): (&[u16], &str) = match entry.split_once("://") {
        Some(("http", rest)) => (&[80], rest),
        Some(("https", rest)) => (&[443], rest),
        Some((_, rest)) => (&[80, 443], rest),
        None => (&[80, 443], entry.as_str()),
    };
    let rest = rest.trim_end_matches('/');
    let (entry_host, entry_port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h, Some(p)),
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    };
    let entry_host = entry_host.trim_start_matches('[').trim_end_matches(']');
    let host = host.trim_start_matches('[').trim_end_matches(']');
    entry_host == host
        && match entry_port {
            Some(p) => p == port,
            None => default_ports.contains(&port),
        }
}

/// Every plugin's grants, by plugin file name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grants {
    by_plugin: BTreeMap<String, PluginGrant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantsFile {
    #[serde(default)]
    plugins: BTreeMap<String, PluginGrant>,
}

/// Why the grants file was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct GrantsError {
    pub path: String,
    pub reason: String,
}

impl Grants {
    /// No grants at all: every plugin is denied everything.
    pub fn none() -> Self {
        Grants::default()
    }

    /// Grants from TOML text (a `[plugins.NAME]` table per plugin).
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: GrantsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, grant) in &file.plugins {
            for collection in grant.records.keys() {
                if !crate::store::records::is_collection_name(collection) {
                    return Err(format!(
                        "[plugins.{name}] records: {collection:?} is not a collection name \
                         (a lowercase letter, then lowercase letters, digits or underscores)"
                    ));
                }
            }
            for host in &grant.http {
                if host.trim().is_empty() || host.contains('/') && !host.contains("://") {
                    return Err(format!(
                        "[plugins.{name}] http: {host:?} is not a host; write \"host\" or \"host:port\""
                    ));
                }
            }
        }
        Ok(Grants {
            by_plugin: file.plugins,
        })
    }

    /// Grants from the file at `path`; a missing file grants nothing.
    pub fn load(path: &Path) -> Result<Self, GrantsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|reason| GrantsError {
                path: path.display().to_string(),
                reason,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Grants::none()),
            Err(e) => Err(GrantsError {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }

    /// The grant of the plugin loaded from `plugin` (file name without .wasm).
    pub fn of(&self, plugin: &str) -> PluginGrant {
        self.by_plugin.get(plugin).cloned().unwrap_or_default()
    }

    /// Adds or replaces one plugin's grant.
    pub fn insert(&mut self, plugin: impl Into<String>, grant: PluginGrant) {
        self.by_plugin.insert(plugin.into(), grant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_and_deny_by_default() {
        let grants = Grants::parse(
            r#"
            [plugins.refund]
            records = { orders = "read-write", refunds = "read" }
            http = ["127.0.0.1:9300", "api.example.com"]
            settings = { region = "eu" }
            secrets = { key = "REFUND_KEY" }
            "#,
        )
        .unwrap();
        let refund = grants.of("refund");
        assert_eq!(refund.access("orders"), Some(Access::ReadWrite));
        assert_eq!(refund.access("refunds"), Some(Access::Read));
        assert_eq!(refund.access("customers"), None);
        assert!(refund.allows_host("127.0.0.1", 9300));
        assert!(!refund.allows_host("127.0.0.1", 9301));
        assert!(refund.allows_host("api.example.com", 443));
        assert!(!refund.allows_host("evil.example.com", 443));
        assert_eq!(grants.of("unknown"), PluginGrant::default());
        assert_eq!(grants.of("unknown").summary(), "none");
    }

    #[test]
    fn bad_grants_name_the_problem() {
        let error = Grants::parse("[plugins.x]\nrecords = { Orders = \"read\" }").unwrap_err();
        assert!(error.contains("Orders"), "{error}");
        let error = Grants::parse("[plugins.x]\nrecords = { orders = \"write\" }").unwrap_err();
        assert!(error.contains("write"), "{error}");
        let error = Grants::parse("[plugins.x]\nnetwork = true").unwrap_err();
        assert!(error.contains("network"), "{error}");
    }

    #[test]
    fn host_entries_match_exactly() {
        assert!(host_matches("http://localhost:8080", "localhost", 8080));
        assert!(host_matches(
            "https://api.example.com",
            "api.example.com",
            443
        ));
        assert!(!host_matches(
            "https://api.example.com",
            "api.example.com",
            80
        ));
        assert!(host_matches("[::1]:9000", "::1", 9000));
        assert!(!host_matches("example.com", "sub.example.com", 443));
    }
}
