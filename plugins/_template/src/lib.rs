//! `my_tool`: keeps one piece of text per customer, and gives it back.
//!
//! A tool is a type implementing [`Tool`]: typed arguments, result and
//! facts (their JSON Schemas are derived from the types, so the host, the
//! agent and this code always agree), a name, a description for the
//! language model, an effect, example messages for routing, and `call`.
//!
//! The host validates the arguments before `call` runs and the result after.
//! Return `Err(ToolError::new(code, message))` for a business failure (the
//! message is shown to the customer); never panic on bad data, a panic is a
//! trap and reported as a plugin bug.
//!
//! Data lives in records: the collection `my_tool`, one row per customer.
//! The host only ever shows this plugin the rows of the customer in the
//! conversation, and only the collections granted to it in
//! the desk's `plugins.toml` (`desks/shop/plugins.toml` for the demo shop):
//!
//! ```toml
//! [plugins.my_tool]
//! records = { my_tool = "read-write" }
//! ```

use deskhand_plugin_sdk::{Collection, Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use serde::{Deserialize, Serialize};

/// The customer's saved text.
#[derive(Serialize, Deserialize)]
struct Saved {
    value: String,
}

const SAVED: Collection<Saved> = Collection::new("my_tool");
/// One row per customer, always under this id.
const ROW: &str = "current";

/// The arguments, as the agent and the CLI pass them.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The text to keep, in the customer's words; leave it out to read back
    /// what was kept.
    #[schemars(length(min = 1, max = 500))]
    value: Option<String>,
}

/// The result.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Output {
    /// What is kept now, if anything.
    value: Option<String>,
    /// Whether this call changed it.
    saved: bool,
    /// A sentence for the customer.
    message: String,
}

struct MyTool;

impl Tool for MyTool {
    type Args = Args;
    type Output = Output;
    type Facts = NoFacts;

    // Unique, snake_case: this is how the agent and the CLI name the tool.
    const NAME: &'static str = "my_tool";
    // Written for the language model that decides when to use the tool.
    const DESCRIPTION: &'static str = "Keep a piece of text for the customer, or read back \
        the text kept before.";
    // ReadOnly, Reversible or Irreversible: policies use it to decide how
    // carefully a call is treated.
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec!["please remember this for me", "what did I ask you to keep?"]
    }

    fn call(args: Args) -> Result<Output, ToolError> {
        let Some(value) = args.value.map(|v| v.trim().to_string()) else {
            let kept = SAVED.get(ROW)?.map(|row| row.data.value);
            let message = match &kept {
                Some(value) => format!("You asked me to keep: {value}"),
                None => "Nothing is kept for you yet.".to_string(),
            };
            return Ok(Output {
                value: kept,
                saved: false,
                message,
            });
        };
        let saved = Saved {
            value: value.clone(),
        };
        match SAVED.get(ROW)? {
            Some(_) => SAVED.replace(ROW, &saved)?,
            None => SAVED.insert(Some(ROW), &saved)?,
        };
        Ok(Output {
            message: format!("Saved: {value}"),
            value: Some(value),
            saved: true,
        })
    }
}

export_tool!(MyTool);
