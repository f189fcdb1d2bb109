//! One external server's tool as a deskhand tool: its manifest from the
//! MCP tool listing and the desk's configuration, its calls through the
//! server's connection.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::connection::ServerConnection;
use crate::bindings::{WitEffect, WitToolManifest};
use crate::desk::McpServerSpec;
use crate::plugins::{Effect, RemoteFailure, RemoteTool, ToolManifest};

/// A tool of an external MCP server.
pub struct ExternalTool {
    /// The server's own name for it.
    pub remote_name: String,
    pub connection: Arc<ServerConnection>,
}

impl RemoteTool for ExternalTool {
    fn call(
        &self,
        customer_id: &str,
        args: &Value,
        timeout: Duration,
    ) -> Result<Value, RemoteFailure> {
        self.connection
            .call(&self.remote_name, customer_id, args, timeout)
    }
}

/// The deskhand manifest of the server's tool `tool`: named for the desk,
/// with the effect class the desk gives it and the server's schemas (an
/// open object when the server declares no result schema).
pub fn manifest(spec: &McpServerSpec, tool: &rmcp::model::Tool) -> Result<ToolManifest, String> {
    let description = tool
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(str::to_string)
        .or_else(|| tool.title.clone())
        .unwrap_or_else(|| format!("{} (from the MCP server {})", tool.name, spec.name));
    let params = Value::Object((*tool.input_schema).clone());
    let result = tool
        .output_schema
        .as_ref()
        .map(|schema| Value::Object((**schema).clone()))
        .unwrap_or_else(|| json!({}));
    let raw = WitToolManifest {
        name: spec.desk_name(&tool.name),
        description,
        params_schema: params.to_string(),
        result_schema: result.to_string(),
        facts_schema: String::new(),
        effect: wit_effect(spec.effect_of(&tool.name)),
        version: "mcp".into(),
        examples: Vec::new(),
    };
    ToolManifest::validate(raw)
}

fn wit_effect(effect: Effect) -> WitEffect {
    match effect {
        Effect::ReadOnly => WitEffect::ReadOnly,
        Effect::Reversible => WitEffect::Reversible,
        Effect::Irreversible => WitEffect::Irreversible,
    }
}
