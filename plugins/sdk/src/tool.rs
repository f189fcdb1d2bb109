//! The typed tool trait and its adapter to the WIT `tool` world.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::schema::result_schema_of;
use crate::{Effect, JsonSchema, ToolError, ToolManifest, parse_args, schema_of, to_json};

/// One action the agent can take, with typed arguments, result and facts.
///
/// The host validates the arguments against the schema derived from
/// [`Tool::Args`] before [`Tool::call`] runs, and the result against the
/// schema of [`Tool::Output`] after, so `call` can trust its input and must
/// keep its promise about the output. Return `Err(ToolError::new(code,
/// message))` for a business failure (the message is shown to the
/// customer); never panic on bad data: a panic is a trap, reported as a
/// plugin bug.
pub trait Tool {
    /// The arguments object. Doc comments and schemars attributes on its
    /// fields (`#[schemars(regex(pattern = ...))]`, `length`, `range`) become
    /// the schema the agent fills arguments from.
    type Args: DeserializeOwned + JsonSchema;
    /// The result.
    type Output: Serialize + JsonSchema;
    /// What policies may read about a call ([`NoFacts`] when none).
    type Facts: Serialize + JsonSchema;

    /// Unique snake_case name, e.g. `cancel_order`.
    const NAME: &'static str;
    /// What the tool does, written for the language model that picks tools.
    const DESCRIPTION: &'static str;
    /// What the tool does to the world.
    const EFFECT: Effect;
    /// The tool's version (default: the crate's).
    const VERSION: &'static str = "0.1.0";

    /// Messages a customer might write when they want this tool.
    fn examples() -> Vec<&'static str> {
        Vec::new()
    }

    /// Runs the tool.
    fn call(args: Self::Args) -> Result<Self::Output, ToolError>;

    /// Looks up what the policies need to judge a call with `args` (`None`
    /// offers no facts: an empty object). Runs read-only: the host refuses
    /// every write while it runs. A business error here (e.g. "no such
    /// order on your account") stops the call before any policy is asked.
    fn facts(_args: Self::Args) -> Result<Option<Self::Facts>, ToolError> {
        Ok(None)
    }
}

/// The facts of a tool that offers none: an empty object.
#[derive(Debug, Default, Clone, Copy, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFacts {}

/// What [`export_tool!`](crate::export_tool) calls: the WIT exports in terms of a [`Tool`].
#[doc(hidden)]
pub mod adapter {
    use super::*;

    /// The manifest, with every schema derived from the tool's types.
    pub fn manifest<T: Tool>() -> ToolManifest {
        ToolManifest {
            name: T::NAME.into(),
            description: T::DESCRIPTION.into(),
            params_schema: schema_of::<T::Args>().to_string(),
            result_schema: result_schema_of::<T::Output>().to_string(),
            facts_schema: schema_of::<T::Facts>().to_string(),
            effect: T::EFFECT,
            version: T::VERSION.into(),
            examples: T::examples().into_iter().map(String::from).collect(),
        }
    }

    /// `invoke`: parse, call, serialise.
    pub fn invoke<T: Tool>(args: &str) -> Result<String, ToolError> {
        let output = T::call(parse_args(args)?)?;
        to_json(&output)
    }

    /// `facts`: parse, look up, serialise.
    pub fn facts<T: Tool>(args: &str) -> Result<String, ToolError> {
        match T::facts(parse_args(args)?)? {
            Some(facts) => to_json(&facts),
            None => Ok("{}".into()),
        }
    }
}

/// Exports a [`Tool`] as the plugin's WIT `tool` world.
#[macro_export]
macro_rules! export_tool {
    ($tool:ty) => {
        #[doc(hidden)]
        pub struct DeskhandToolExport;

        impl $crate::bindings::Guest for DeskhandToolExport {
            fn manifest() -> $crate::ToolManifest {
                $crate::adapter::manifest::<$tool>()
            }
            fn invoke(args: ::std::string::String) -> ::std::result::Result<::std::string::String, $crate::ToolError> {
                $crate::adapter::invoke::<$tool>(&args)
            }
            fn facts(args: ::std::string::String) -> ::std::result::Result<::std::string::String, $crate::ToolError> {
                $crate::adapter::facts::<$tool>(&args)
            }
        }

        $crate::bindings::export_wit_tool!(DeskhandToolExport with_types_in $crate::bindings);
    };
}
