//! `deskhand.toml`: the server's address, paths, model, generation
//! parameters, limits and API keys.
//!
//! Every option has a default, so a missing file means "the demo shop on
//! loopback". The command line and `DESKHAND_*` variables override the file
//! (the CLI applies them on top of [`ServerConfig::load`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
pub use super::keys::{ApiKey, Role};
use crate::agent::MAX_MESSAGE_CHARS;

/// The file `deskhand serve` reads when no `--config` is given, if present.
pub const DEFAULT_CONFIG_FILE: &str = "deskhand.toml";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub server: ServerSection,
    pub paths: PathsSection,
    pub model: ModelSection,
    pub generation: GenerationSection,
    pub limits: LimitsSection,
    /// Where the state is kept (`[store] location`).
    pub store: StoreSection,
    /// The desk served (`[desk] path`).
    pub desk: DeskSection,
    /// Who may call the API. Absent: the demo keys of the desk's seed
    /// customers ([`ApiKey::demo_keys`]).
    pub keys: Option<Vec<ApiKey>>,
    /// The customers the demo keys are made for (the desk's seed customers;
    /// set by `serve`, not read from the file).
    #[serde(skip)]
    pub demo_customers: Vec<String>,
}

/// `[store]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// An SQLite file, or a PostgreSQL URL that several hosts share
    /// (default: deskhand.db in the desk's data folder).
    pub location: Option<String>,
}

/// `[desk]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskSection {
    /// A desk folder, or the name of a shipped desk (default: the demo shop).
    pub path: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// The address to listen on.
    pub address: SocketAddr,
    /// Allow the public demo keys on an address other than loopback.
    pub allow_demo_keys: bool,
    /// Which host this is, among several serving one desk (default: the
    /// machine's name and the port).
    pub host_id: Option<String>,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            address: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_demo_keys: false,
            host_id: None,
        }
    }
}

/// `[paths]`; relative paths are relative to where deskhand runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathsSection {
    /// The store, the knowledge-base index and the policy status.
    pub data: Option<PathBuf>,
    /// The folder of tool plugins (default: the plugins built with deskhand).
    pub plugins: Option<PathBuf>,
    /// What each plugin may touch (default: plugins.toml beside the plugins,
    /// or the desk's plugins.toml).
    pub plugin_grants: Option<PathBuf>,
    /// The seed data written into an empty store (default: the desk's seed.json).
    pub seed: Option<PathBuf>,
    /// The policy configuration file (default: the desk's policies.toml).
    pub policies: Option<PathBuf>,
    /// The help-centre folder (default: the desk's kb/).
    pub kb: Option<PathBuf>,
    /// The model cache (default: ~/.cache/deskhand/models).
    pub models: Option<PathBuf>,
}

/// `[model]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// A GGUF chat model (default: SmolLM2-135M-Instruct, fetched on first use).
    pub chat: Option<PathBuf>,
    /// A sentence-embedding model folder (default: all-MiniLM-L6-v2).
    pub embedder: Option<PathBuf>,
    /// An OpenAI-compatible chat-completions server to run the chat model on
    /// instead of the local engine.
    pub url: Option<String>,
    /// The model to ask that server for (default: the first it lists).
    pub name: Option<String>,
}

/// `[generation]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenerationSection {
    /// Sampling temperature of everything the model writes (0 = greedy).
    pub temperature: f32,
    /// The sampling seed.
    pub seed: u64,
    /// Whether the model adds a short closing sentence to factual replies.
    pub closing_line: bool,
}

impl Default for GenerationSection {
    fn default() -> Self {
        GenerationSection {
            temperature: 0.0,
            seed: 42,
            closing_line: true,
        }
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Turns that run at once (they share one model).
    pub concurrency: usize,
    /// Turns that may wait for a free slot; beyond that a chat gets 503.
    pub queue: usize,
    /// What `Retry-After` says when the queue is full, in seconds.
    pub retry_after_seconds: u64,
    /// The longest request body, in bytes.
    pub max_body_bytes: usize,
    /// The longest customer message, in characters (at most 4000).
    pub max_message_chars: usize,
    /// Wall-clock budget of one plugin call, in milliseconds.
    pub plugin_timeout_ms: u64,
    /// Memory cap of one plugin call, in MiB.
    pub plugin_memory_mib: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            concurrency: 1,
            queue: 16,
            retry_after_seconds: 2,
            max_body_bytes: 64 * 1024,
            max_message_chars: MAX_MESSAGE_CHARS,
            plugin_timeout_ms: 200,
            plugin_memory_mib: 32,
        }
    }
}

impl ServerConfig {
    /// Which host this is: `[server] host_id`, or the machine's name and
    /// the port.
    pub fn host_id(&self) -> String {
        if let Some(id) = &self.server.host_id {
            return id.clone();
        }
        let machine = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{machine}:{}", self.server.address.port())
    }

    /// Reads a configuration file. Unknown keys are errors.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from(DEFAULT_CONFIG_FILE),
            message: e.to_string(),
        })
    }

    /// The keys in force: the configured ones, or the demo keys.
    pub fn keys(&self) -> Vec<ApiKey> {
        self.keys
            .clone()
            .unwrap_or_else(|| ApiKey::demo_keys(&self.demo_customers))
    }

    /// Checks the whole configuration: limits in range, keys well formed,
    /// and no public demo key on a non-loopback address unless allowed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limits = &self.limits;
        if limits.concurrency == 0 {
            return Err(ConfigError::Invalid(
                "limits.concurrency must be at least 1".into(),
            ));
        }
        if limits.max_message_chars == 0 || limits.max_message_chars > MAX_MESSAGE_CHARS {
            return Err(ConfigError::Invalid(format!(
                "limits.max_message_chars must be between 1 and {MAX_MESSAGE_CHARS}"
            )));
        }
        if limits.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "limits.max_body_bytes must be at least 1024".into(),
            ));
        }
        if !(0.0..=2.0).contains(&self.generation.temperature) {
            return Err(ConfigError::Invalid(
                "generation.temperature must be between 0 and 2".into(),
            ));
        }
        let keys = self.keys();
        if keys.is_empty() {
            return Err(ConfigError::Invalid(
                "no API keys: add [[keys]] entries (key = \"…\", customer = \"C001\") or remove `keys` to use the demo keys".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for key in &keys {
            // A demo key is public by design; its length is its customer id's.
            let too_short = key.key.len() < 8 && !key.is_demo();
            if too_short || key.key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError::Invalid(format!(
                    "the API key {} must be at least 8 characters without spaces",
                    key.masked()
                )));
            }
            if !seen.insert(&key.key) {
                return Err(ConfigError::Invalid(format!(
                    "the API key {} is listed twice",
                    key.masked()
                )));
            }
            match (key.role, &key.customer) {
                (Role::Customer, None) => {
                    return Err(ConfigError::Invalid(format!(
                        "the API key {} needs a customer (or role = \"staff\")",
                        key.masked()
                    )));
                }
                (Role::Customer, Some(customer)) if customer.trim().is_empty() => {
                    return Err(ConfigError::Invalid(format!(
                        "the API key {} names an empty customer",
                        key.masked()
                    )));
                }
                (Role::Staff, Some(_)) => {
                    return Err(ConfigError::Invalid(format!(
                        "the staff key {} must not name a customer",
                        key.masked()
                    )));
                }
                _ => {}
            }
        }
        let address = self.server.address;
        if !address.ip().is_loopback()
            && !self.server.allow_demo_keys
            && keys.iter().any(ApiKey::is_demo)
        {
            return Err(ConfigError::DemoKeysInPublic(address));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_desks_customers_demo_keys_on_loopback() {
        let mut config = ServerConfig::parse("").unwrap();
        config.demo_customers = vec!["T001".into(), "T002".into()];
        config.validate().unwrap();
        assert_eq!(config.server.address.to_string(), "127.0.0.1:8080");
        let keys: Vec<String> = config.keys().into_iter().map(|k| k.key).collect();
        assert_eq!(keys, ["demo-T001", "demo-T002", "demo-staff"]);
        assert!(config.keys().iter().all(ApiKey::is_demo));
    }

    #[test]
    fn demo_keys_are_refused_off_loopback_unless_allowed() {
        let mut config = ServerConfig::parse("[server]\naddress = \"0.0.0.0:8080\"\n").unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("--allow-demo-keys"), "{error}");
        config.server.allow_demo_keys = true;
        config.validate().unwrap();
        config.server.allow_demo_keys = false;
        config.keys = Some(vec![ApiKey::parse_assignment("s3cret-key-1=C001").unwrap()]);
        config.validate().unwrap();
        // Only the exact demo entries are public: a look-alike is a real key.
        let look_alike = ApiKey::parse_assignment("demo-C001=C002").unwrap();
        assert!(!look_alike.is_demo());
        assert!(
            !format!("{look_alike:?}").contains("C001="),
            "Debug hides the token"
        );
        config.keys = Some(vec![look_alike]);
        config.validate().unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = ServerConfig::parse("[server]\nadress = \"127.0.0.1:1\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("adress"), "{error}");
        let config = ServerConfig::parse("[limits]\nconcurrency = 0\n").unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("concurrency")
        );
        let config = ServerConfig::parse("[[keys]]\nkey = \"abcdefgh\"\n").unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("needs a customer")
        );
    }

    #[test]
    fn the_shipped_file_parses_and_documents_every_section() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deskhand.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let config = ServerConfig::parse(&text).unwrap();
        config.validate().unwrap();
        for section in [
            "[server]",
            "[paths]",
            "[model]",
            "[generation]",
            "[limits]",
            "[desk]",
            "[store]",
            "[[keys]]",
        ] {
            assert!(text.contains(section), "deskhand.toml lacks {section}");
        }
        // Every commented example in it is a real option (the keys aside:
        // their examples are two tables).
        let options = text.split("\n# API keys").next().unwrap();
        let uncommented: String = options
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") && !rest.contains("[--") => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let all = ServerConfig::parse(&uncommented).unwrap();
        assert_eq!(all.server.host_id.as_deref(), Some("web-1"));
        assert!(all.store.location.unwrap().starts_with("postgres://"));
        assert!(all.model.url.is_some() && all.model.name.is_some());
        // The shipped file leaves the keys to the desk: its demo keys.
        assert!(config.keys.is_none());
        let customers = vec!["C001".to_string()];
        let config = ServerConfig {
            demo_customers: customers.clone(),
            ..config
        };
        assert_eq!(config.keys(), ApiKey::demo_keys(&customers));
    }
}
