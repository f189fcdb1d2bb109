//! External MCP servers as tools of the desk.
//!
//! Each `[mcp_servers.NAME]` of `desk.toml` is started (or reached) at load;
//! its tools join the plugin registry as remote tools, so they pass the
//! same argument and result validation, policies, confirmation and audit
//! as components, under the server's time-out and result-size limit. A
//! server that cannot be started, hangs or lists broken tools is reported
//! and left out; the desk serves on without it.

mod connection;
mod tool;

use std::path::PathBuf;
use std::sync::Arc;

pub use connection::{CUSTOMER_META, ServerConnection};
pub use tool::{ExternalTool, manifest};

use crate::background::BackgroundRuntime;
use crate::desk::McpServerSpec;
use crate::plugins::{Plugin, RemoteRunner};

/// The tools of a desk's external servers, and what went wrong.
pub struct ExternalTools {
    /// The tools, ready for [`PluginRegistry::set_remote`](crate::plugins::PluginRegistry::set_remote).
    pub tools: Vec<Arc<Plugin>>,
    /// One line per server or tool that was left out, and why.
    pub failures: Vec<String>,
}

/// Starts every server and describes its tools. Never fails as a whole.
pub fn connect(specs: &[McpServerSpec]) -> ExternalTools {
    let mut found = ExternalTools {
        tools: Vec::new(),
        failures: Vec::new(),
    };
    if specs.is_empty() {
        return found;
    }
    let runtime = match BackgroundRuntime::new("mcp-client") {
        Ok(runtime) => Arc::new(runtime),
        Err(e) => {
            found
                .failures
                .push(format!("starting the MCP client runtime: {e}"));
            return found;
        }
    };
    for spec in specs {
        let (connection, listed) = match ServerConnection::connect(spec.clone(), runtime.clone()) {
            Ok(connected) => connected,
            Err(reason) => {
                tracing::warn!(server = %spec.name, "MCP server left out: {reason}");
                found
                    .failures
                    .push(format!("MCP server {}: {reason}", spec.name));
                continue;
            }
        };
        for listed in listed {
            if spec
                .tools
                .as_ref()
                .is_some_and(|wanted| !wanted.iter().any(|w| w == listed.name.as_ref()))
            {
                continue;
            }
            let manifest = match manifest(spec, &listed) {
                Ok(manifest) => manifest,
                Err(reason) => {
                    found.failures.push(format!(
                        "MCP server {}: tool {} left out: {reason}",
                        spec.name, listed.name
                    ));
                    continue;
                }
            };
            let digest = crate::digest::sha256_hex(
                serde_json::to_string(&listed)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            let origin = PathBuf::from(format!("mcp://{}/{}", spec.name, listed.name));
            let tool = ExternalTool {
                remote_name: listed.name.to_string(),
                connection: connection.clone(),
            };
            let runner = RemoteRunner::new(Arc::new(tool), spec.limits);
            found.tools.push(Arc::new(Plugin::remote(
                manifest, origin, &spec.name, digest, runner,
            )));
        }
    }
    found
}
