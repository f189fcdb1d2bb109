//! `probe`: a tool whose only job is to say which build of it is running.
//!
//! Built twice, as `probe_v1` and `probe_v2`, from this one file; the hot-reload
//! test swaps one for the other under the same file name.

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
struct Args {}

#[derive(Serialize, JsonSchema)]
struct Build {
    build: String,
}

struct Probe;

impl Tool for Probe {
    type Args = Args;
    type Output = Build;
    type Facts = NoFacts;

    const NAME: &'static str = "probe";
    const DESCRIPTION: &'static str = "Says which build of the probe plugin is loaded.";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = if env!("CARGO_PKG_NAME").as_bytes()[7] == b'1' {
        "0.1.0"
    } else {
        "0.2.0"
    };

    fn call(_args: Args) -> Result<Build, ToolError> {
        // "1" for probe_v1, "2" for probe_v2.
        let build = env!("CARGO_PKG_NAME").trim_start_matches("probe_v");
        Ok(Build {
            build: build.to_string(),
        })
    }
}

export_tool!(Probe);
