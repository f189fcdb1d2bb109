//! A tool's manifest as the host keeps it: checked, with compiled schemas.

use serde::Serialize;

use super::schema::JsonSchema;
use crate::bindings::{WitEffect, WitToolManifest};

/// What a tool does to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// Only reads.
    ReadOnly,
    /// Changes something that can be undone.
    Reversible,
    /// Changes something that cannot be undone (money, shipments).
    Irreversible,
}

impl Effect {
    /// The kebab-case word used in the WIT contract and in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::ReadOnly => "read-only",
            Effect::Reversible => "reversible",
            Effect::Irreversible => "irreversible",
        }
    }
}

impl From<WitEffect> for Effect {
    fn from(effect: WitEffect) -> Self {
        match effect {
            WitEffect::ReadOnly => Effect::ReadOnly,
            WitEffect::Reversible => Effect::Reversible,
            WitEffect::Irreversible => Effect::Irreversible,
        }
    }
}

/// A validated tool manifest.
pub struct ToolManifest {
    /// Unique snake_case name.
    pub name: String,
    /// What the tool does, for the language model.
    pub description: String,
    /// The tool's own version.
    pub version: String,
    pub effect: Effect,
    /// Schema of the arguments object.
    pub params: JsonSchema,
    /// Schema of the result.
    pub result: JsonSchema,
    /// Schema of what `facts` returns; `None` when the tool offers no facts.
    pub facts: Option<JsonSchema>,
    /// Messages a customer might write when they want this tool.
    pub examples: Vec<String>,
}

impl ToolManifest {
    /// Checks a manifest returned by a plugin: a snake_case name, a
    /// description, a version, and schemas that compile (the arguments one
    /// describing an object).
    pub fn validate(raw: WitToolManifest) -> Result<Self, String> {
        if !is_snake_case(&raw.name) {
            return Err(format!(
                "tool name {:?} must be snake_case: a lowercase letter, then lowercase letters, \
                 digits or underscores, at most 64 characters",
                raw.name
            ));
        }
        let description = raw.description.trim();
        if description.is_empty() || description.len() > 2000 {
            return Err(format!(
                "{}: the description must say what the tool does in 1 to 2000 characters",
                raw.name
            ));
        }
        if raw.version.trim().is_empty() {
            return Err(format!("{}: the version is empty", raw.name));
        }
        let params = JsonSchema::compile(&raw.params_schema)
            .map_err(|e| format!("{}: params-schema: {e}", raw.name))?;
        if params.source().get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(format!(
                "{}: params-schema must describe an object (\"type\": \"object\")",
                raw.name
            ));
        }
        let result = JsonSchema::compile(&raw.result_schema)
            .map_err(|e| format!("{}: result-schema: {e}", raw.name))?;
        let facts = match raw.facts_schema.trim() {
            "" => None,
            text => {
                let schema = JsonSchema::compile(text)
                    .map_err(|e| format!("{}: facts-schema: {e}", raw.name))?;
                if schema.source().get("type").and_then(|t| t.as_str()) != Some("object") {
                    return Err(format!(
                        "{}: facts-schema must describe an object (\"type\": \"object\")",
                        raw.name
                    ));
                }
                Some(schema)
            }
        };
        if raw.examples.len() > MAX_EXAMPLES {
            return Err(format!(
                "{}: {} examples; at most {MAX_EXAMPLES} are allowed",
                raw.name,
                raw.examples.len()
            ));
        }
        let mut examples = Vec::with_capacity(raw.examples.len());
        for example in raw.examples {
            let example = example.trim();
            if example.is_empty() || example.chars().count() > MAX_EXAMPLE_CHARS {
                return Err(format!(
                    "{}: every example must be 1 to {MAX_EXAMPLE_CHARS} characters; got {example:?}",
                    raw.name
                ));
            }
            examples.push(example.to_string());
        }
        Ok(ToolManifest {
            name: raw.name,
            description: description.to_string(),
            version: raw.version,
            effect: raw.effect.into(),
            params,
            result,
            facts,
            examples,
        })
    }
}

/// How many example messages a manifest may carry.
const MAX_EXAMPLES: usize = 50;
/// How long one example may be.
const MAX_EXAMPLE_CHARS: usize = 300;

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, params: &str) -> WitToolManifest {
        WitToolManifest {
            name: name.into(),
            description: "Does a thing.".into(),
            params_schema: params.into(),
            result_schema: r#"{"type": "object"}"#.into(),
            facts_schema: String::new(),
            effect: WitEffect::ReadOnly,
            version: "1.0.0".into(),
            examples: vec!["do the thing".into()],
        }
    }

    #[test]
    fn examples_are_trimmed_and_bounded() {
        let mut manifest = raw("track_order", r#"{"type": "object"}"#);
        manifest.examples = vec!["  where is my parcel?  ".into()];
        let ok = ToolManifest::validate(manifest.clone()).unwrap();
        assert_eq!(ok.examples, ["where is my parcel?"]);
        manifest.examples = vec!["".into()];
        assert!(
            ToolManifest::validate(manifest.clone())
                .err()
                .unwrap()
                .contains("example")
        );
        manifest.examples = vec!["x".into(); 51];
        assert!(
            ToolManifest::validate(manifest)
                .err()
                .unwrap()
                .contains("at most 50")
        );
    }

    #[test]
    fn facts_schemas_are_optional_objects() {
        let mut manifest = raw("cancel_order", r#"{"type": "object"}"#);
        assert!(
            ToolManifest::validate(manifest.clone())
                .unwrap()
                .facts
                .is_none()
        );
        manifest.facts_schema = r#"{"type": "object", "required": ["placed_at"]}"#.into();
        assert!(
            ToolManifest::validate(manifest.clone())
                .unwrap()
                .facts
                .is_some()
        );
        manifest.facts_schema = r#"{"type": "array"}"#.into();
        let err = ToolManifest::validate(manifest).err().unwrap();
        assert!(err.contains("facts-schema"), "{err}");
    }

    #[test]
    fn names_must_be_snake_case() {
        assert!(ToolManifest::validate(raw("track_order", r#"{"type": "object"}"#)).is_ok());
        for bad in ["TrackOrder", "track-order", "1track", "", "track order"] {
            let err = ToolManifest::validate(raw(bad, r#"{"type": "object"}"#))
                .err()
                .unwrap();
            assert!(err.contains("snake_case"), "{bad}: {err}");
        }
    }

    #[test]
    fn params_schema_must_compile_and_describe_an_object() {
        let err = ToolManifest::validate(raw("t", r#"{"type": "string"}"#))
            .err()
            .unwrap();
        assert!(err.contains("must describe an object"), "{err}");
        let err = ToolManifest::validate(raw("t", "{")).err().unwrap();
        assert!(err.contains("params-schema"), "{err}");
    }
}
