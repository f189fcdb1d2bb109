//! `[mcp_servers.NAME]`: external MCP servers whose tools join the desk.
//!
//! ```toml
//! [mcp_servers.crm]
//! command = ["python3", "servers/crm.py"]   # or: url = "http://127.0.0.1:9400/mcp"
//! effect = "irreversible"                   # the default for every tool
//! effects = { find_contact = "read-only" }  # per tool
//! timeout_ms = 5000
//! max_result_bytes = 65536
//! ```
//!
//! A relative program or argument that names a file in the desk's folder
//! is taken from there, and the server runs in the desk's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::plugins::{Effect, RemoteLimits};

/// One server as written in `desk.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerSection {
    /// The program and its arguments, for a server over stdio.
    pub command: Option<Vec<String>>,
    /// Environment variables set for the program.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The server's streamable HTTP endpoint, for a server that runs already.
    pub url: Option<String>,
    /// The effect class of its tools; default `irreversible`.
    pub effect: Option<Effect>,
    /// The effect class of single tools, by the server's name for them.
    #[serde(default)]
    pub effects: BTreeMap<String, Effect>,
    /// The tools to take, by the server's names; default: every one.
    pub tools: Option<Vec<String>>,
    /// Put before each tool's name in the desk ("crm_").
    pub prefix: Option<String>,
    /// The longest one call may take, in milliseconds; default 5000.
    pub timeout_ms: Option<u64>,
    /// The longest the server may take to start and list its tools; default 10000.
    pub startup_timeout_ms: Option<u64>,
    /// The largest result accepted, in bytes of JSON; default 65536.
    pub max_result_bytes: Option<usize>,
}

/// How the host reaches a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpTransport {
    /// A program the host starts, speaking MCP on its stdin and stdout.
    Stdio {
        program: PathBuf,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        /// Where it runs: the desk's folder.
        dir: PathBuf,
    },
    /// A server that runs already, at this streamable HTTP endpoint.
    Http { url: String },
}

/// A validated external server.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServerSpec {
    /// Its name in `desk.toml`: what its tools' grants and messages name.
    pub name: String,
    pub transport: McpTransport,
    /// The effect class of a tool not listed in `effects`.
    pub effect: Effect,
    pub effects: BTreeMap<String, Effect>,
    pub tools: Option<Vec<String>>,
    pub prefix: String,
    pub limits: RemoteLimits,
    pub startup_timeout: Duration,
}

impl McpServerSpec {
    /// The desk's name for the server's tool `tool`.
    pub fn desk_name(&self, tool: &str) -> String {
        let mut name: String = format!("{}{tool}", self.prefix)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            name.insert_str(0, "mcp_");
        }
        name
    }

    /// The effect class of the server's tool `tool`.
    pub fn effect_of(&self, tool: &str) -> Effect {
        self.effects.get(tool).copied().unwrap_or(self.effect)
    }
}

/// Checks the servers of a desk in `dir`.
pub fn validate(
    dir: &Path,
    servers: &BTreeMap<String, McpServerSection>,
) -> Result<Vec<McpServerSpec>, String> {
    servers
        .iter()
        .map(|(name, section)| validate_one(dir, name, section))
        .collect()
}

fn validate_one(
    dir: &Path,
    name: &str,
    section: &McpServerSection,
) -> Result<McpServerSpec, String> {
    let at = format!("[mcp_servers.{name}]");
    let transport = match (&section.command, &section.url) {
        (Some(_), Some(_)) => {
            return Err(format!("{at}: give either command or url, not both"));
        }
        (None, None) => {
            return Err(format!(
                "{at}: say how to reach the server: command = [\"program\", \"arg\"] for one \
                 over stdio, or url = \"http://127.0.0.1:PORT/mcp\""
            ));
        }
        (Some(command), None) => {
            let Some((program, args)) = command.split_first() else {
                return Err(format!("{at}: command is empty; name the program to run"));
            };
            let in_desk = |text: &str| -> String {
                let path = dir.join(text);
                if !Path::new(text).is_absolute() && text.contains('/') && path.exists() {
                    path.to_string_lossy().into_owned()
                } else {
                    text.to_string()
                }
            };
            McpTransport::Stdio {
                program: PathBuf::from(in_desk(program)),
                args: args.iter().map(|a| in_desk(a)).collect(),
                env: section.env.clone(),
                dir: dir.to_path_buf(),
            }
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "{at}: url {url:?} must be an http:// or https:// address"
                ));
            }
            if !section.env.is_empty() {
                return Err(format!(
                    "{at}: env is for a server the host starts (command)"
                ));
            }
            McpTransport::Http { url: url.clone() }
        }
    };
    let defaults = RemoteLimits::default();
    let timeout_ms = section
        .timeout_ms
        .unwrap_or(defaults.timeout.as_millis() as u64);
    if timeout_ms == 0 {
        return Err(format!("{at}: timeout_ms must be at least 1"));
    }
    let max_result_bytes = section
        .max_result_bytes
        .unwrap_or(defaults.max_result_bytes);
    if max_result_bytes == 0 {
        return Err(format!("{at}: max_result_bytes must be at least 1"));
    }
    let spec = McpServerSpec {
        name: name.to_string(),
        transport,
        effect: section.effect.unwrap_or(Effect::Irreversible),
        effects: section.effects.clone(),
        tools: section.tools.clone(),
        prefix: section.prefix.clone().unwrap_or_default(),
        limits: RemoteLimits {
            timeout: Duration::from_millis(timeout_ms),
            max_result_bytes,
        },
        startup_timeout: Duration::from_millis(section.startup_timeout_ms.unwrap_or(10_000).max(1)),
    };
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> Result<Vec<McpServerSpec>, String> {
        let servers: BTreeMap<String, McpServerSection> = toml::from_str(text).unwrap();
        validate(Path::new("/desk"), &servers)
    }

    #[test]
    fn a_server_takes_the_defaults_and_its_tools_are_irreversible() {
        let specs = section("[crm]\ncommand = [\"python3\", \"-u\", \"x.py\"]\n").unwrap();
        let spec = &specs[0];
        assert_eq!(spec.effect_of("anything"), Effect::Irreversible);
        assert_eq!(spec.limits, RemoteLimits::default());
        assert!(
            matches!(&spec.transport, McpTransport::Stdio { program, .. } if program == Path::new("python3"))
        );
        assert_eq!(spec.desk_name("Find-Contact"), "find_contact");
    }

    #[test]
    fn mistakes_are_named() {
        let both = section("[a]\ncommand = [\"x\"]\nurl = \"http://h/mcp\"\n").unwrap_err();
        assert!(both.contains("either command or url"), "{both}");
        let none = section("[a]\neffect = \"read-only\"\n").unwrap_err();
        assert!(none.contains("how to reach"), "{none}");
        let bad = section("[a]\nurl = \"ftp://h\"\n").unwrap_err();
        assert!(bad.contains("http://"), "{bad}");
    }

    #[test]
    fn effects_and_prefix_apply_per_tool() {
        let specs = section(
            "[crm]\nurl = \"http://127.0.0.1:1/mcp\"\nprefix = \"crm_\"\neffect = \"reversible\"\n\
             effects = { look = \"read-only\" }\n",
        )
        .unwrap();
        assert_eq!(specs[0].effect_of("look"), Effect::ReadOnly);
        assert_eq!(specs[0].effect_of("write"), Effect::Reversible);
        assert_eq!(specs[0].desk_name("look"), "crm_look");
    }
}
