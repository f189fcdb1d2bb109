//! The desk's tools as MCP tools: the plugins' own schemas, hints from
//! their effect class, and the help centre's `search_help`.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use super::CONFIRMATION_ARGUMENT;
use crate::plugins::{Effect, Plugin, PluginRegistry};
use crate::policy::PolicyEngine;

/// The name of the help-centre search tool.
pub const SEARCH_HELP: &str = "search_help";

/// Every tool the server offers now.
pub fn tools(registry: &PluginRegistry, policies: &PolicyEngine, with_help: bool) -> Vec<Tool> {
    let catalog = registry.catalog();
    let current = policies.current();
    let mut tools: Vec<Tool> = catalog
        .plugins()
        .filter(|plugin| plugin.name() != SEARCH_HELP)
        .map(|plugin| tool_of(plugin, current.policies_for(plugin.name())))
        .collect();
    if with_help {
        tools.push(search_help());
    }
    tools
}

/// Whether the tool's calls go through the policies (and so may need a
/// confirmation token): every tool that is not read-only.
pub fn is_gated(plugin: &Plugin) -> bool {
    plugin.manifest().effect != Effect::ReadOnly
}

/// Whether the confirmation token travels as an argument of this tool: it
/// does unless the tool has an argument of that name itself.
pub fn takes_token_argument(plugin: &Plugin) -> bool {
    is_gated(plugin)
        && plugin
            .manifest()
            .params
            .source()
            .pointer(&format!("/properties/{CONFIRMATION_ARGUMENT}"))
            .is_none()
}

fn tool_of(plugin: &Arc<Plugin>, policies: Vec<String>) -> Tool {
    let manifest = plugin.manifest();
    let mut input = object(manifest.params.source());
    let mut description = manifest.description.clone();
    if is_gated(plugin) {
        description.push_str(&format!(
            " [{} action: the desk's policies decide every call. A call they want the customer \
             to confirm does nothing and returns a confirmation_token; once the customer agrees, \
             call again with the same arguments and that token.]",
            manifest.effect.as_str()
        ));
        if takes_token_argument(plugin) {
            let properties = input.entry("properties").or_insert_with(|| json!({}));
            if let Some(properties) = properties.as_object_mut() {
                properties.insert(
                    CONFIRMATION_ARGUMENT.into(),
                    json!({
                        "type": "string",
                        "description": "Only to confirm a call: the token a previous answer gave, \
                                        with the same other arguments.",
                    }),
                );
            }
        }
    }
    let annotations = ToolAnnotations::new()
        .read_only(manifest.effect == Effect::ReadOnly)
        .destructive(manifest.effect == Effect::Irreversible)
        .idempotent(manifest.effect == Effect::ReadOnly)
        .open_world(plugin.is_remote());
    let mut tool =
        Tool::new(manifest.name.clone(), description, Arc::new(input)).annotate(annotations);
    // A read-only tool always completes, so its result schema holds; an
    // acting one may answer with what needs confirming instead.
    let result = manifest.result.source();
    if !is_gated(plugin) && result.get("type").and_then(Value::as_str) == Some("object") {
        tool = tool.with_raw_output_schema(Arc::new(object(result)));
    }
    let mut meta = JsonObject::new();
    meta.insert("deskhand/effect".into(), json!(manifest.effect.as_str()));
    meta.insert("deskhand/version".into(), json!(manifest.version));
    meta.insert("deskhand/policies".into(), json!(policies));
    meta.insert("deskhand/result_schema".into(), result.clone());
    if !manifest.examples.is_empty() {
        meta.insert("deskhand/examples".into(), json!(manifest.examples));
    }
    tool.with_meta(rmcp::model::MetaObject(meta))
}

fn search_help() -> Tool {
    let input = json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "description": "What the customer asks, in their words."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many passages (default 3)."}
        },
        "required": ["query"],
        "additionalProperties": false
    });
    let output = json!({
        "type": "object",
        "properties": {
            "passages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "page": {"type": "string"},
                        "uri": {"type": "string"},
                        "heading": {"type": "string"},
                        "text": {"type": "string"},
                        "similarity": {"type": "number"}
                    },
                    "required": ["page", "uri", "heading", "text", "similarity"]
                }
            }
        },
        "required": ["passages"]
    });
    Tool::new(
        SEARCH_HELP,
        "Searches the business's help centre and returns the passages that answer a question \
         best, each with the page it comes from (also readable as a resource).",
        Arc::new(object(&input)),
    )
    .with_raw_output_schema(Arc::new(object(&output)))
    .annotate(
        ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
    )
}

fn object(value: &Value) -> JsonObject {
    value.as_object().cloned().unwrap_or_default()
}
