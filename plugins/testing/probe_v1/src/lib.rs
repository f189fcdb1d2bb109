//! `probe`: a tool whose only job is to say which build of it is running.
//!
//! Built twice, as `probe_v1` and `probe_v2`, from this one file; the hot-reload
//! test swaps one for the other under the same file name.

use deskhand_plugin_sdk::{Effect, Guest, ToolError, ToolManifest, export_tool};

struct Probe;

/// "1" for probe_v1, "2" for probe_v2.
fn build() -> &'static str {
    env!("CARGO_PKG_NAME").trim_start_matches("probe_v")
}

impl Guest for Probe {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "probe".into(),
            description: "Says which build of the probe plugin is loaded.".into(),
            params_schema: r#"{"type": "object"}"#.into(),
            result_schema: r#"{"type": "object", "required": ["build"],
                "properties": {"build": {"type": "string"}}}"#
                .into(),
            effect: Effect::ReadOnly,
            version: format!("0.{}.0", build()),
            examples: Vec::new(),
        }
    }

    fn invoke(_args: String) -> Result<String, ToolError> {
        Ok(format!(r#"{{"build": "{}"}}"#, build()))
    }
}

export_tool!(Probe);
