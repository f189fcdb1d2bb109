//! JSON Schema (2020-12) checks of tool arguments and results.

use std::fmt;

use serde_json::Value;

/// A compiled JSON Schema with its source kept for display (and for the
/// language model, which fills arguments from it).
pub struct JsonSchema {
    validator: jsonschema::Validator,
    source: Value,
}

/// One way a value breaks a schema, in words that name the field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Where in the value, e.g. `order_id` or `items[0].sku`; empty for the value itself.
    pub field: String,
    /// What is wrong, e.g. `"abc" does not match "^[0-9]{3,12}$"`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonSchema").field(&self.source).finish()
    }
}

impl JsonSchema {
    /// Parses and compiles a schema. Formats such as `date-time` are checked,
    /// not just annotated, and no remote `$ref` is ever fetched.
    pub fn compile(text: &str) -> Result<Self, String> {
        let source: Value =
            serde_json::from_str(text).map_err(|e| format!("the schema is not valid JSON: {e}"))?;
        if !source.is_object() && !source.is_boolean() {
            return Err("the schema must be a JSON object".into());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&source)
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        Ok(JsonSchema { validator, source })
    }

    /// The schema as JSON.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Every violation of the schema by `value`; empty when it is valid.
    pub fn violations(&self, value: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(value)
            .map(|error| Violation {
                field: field_name(error.instance_path().as_str()),
                message: error.to_string(),
            })
            .collect()
    }
}

/// `/items/0/sku` as `items[0].sku`.
fn field_name(pointer: &str) -> String {
    let mut name = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty() {
            name.push_str(&format!("[{segment}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&segment);
        }
    }
    name
}

/// Joins violations into one sentence-like line.
pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_name_the_field() {
        let schema = JsonSchema::compile(
            r#"{"type": "object", "required": ["order_id"], "additionalProperties": false,
                "properties": {"order_id": {"type": "string", "pattern": "^[0-9]+$"},
                               "items": {"type": "array", "items": {"type": "object",
                                   "properties": {"sku": {"type": "string"}}}}}}"#,
        )
        .unwrap();
        assert!(schema.violations(&json!({"order_id": "1001"})).is_empty());

        let missing = schema.violations(&json!({}));
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("order_id"), "{missing:?}");

        let wrong = schema.violations(&json!({"order_id": "ab", "items": [{"sku": 3}]}));
        let fields: Vec<&str> = wrong.iter().map(|v| v.field.as_str()).collect();
        assert!(fields.contains(&"order_id"), "{wrong:?}");
        assert!(fields.contains(&"items[0].sku"), "{wrong:?}");
    }

    #[test]
    fn broken_schemas_are_refused_with_a_reason() {
        assert!(
            JsonSchema::compile("{not json")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            JsonSchema::compile(r#"{"type": "nonsense"}"#)
                .unwrap_err()
                .contains("does not compile")
        );
        assert!(JsonSchema::compile("[1, 2]").is_err());
    }

    #[test]
    fn date_time_formats_are_checked() {
        let schema = JsonSchema::compile(r#"{"type": "string", "format": "date-time"}"#).unwrap();
        assert!(schema.violations(&json!("2026-06-15T12:00:00Z")).is_empty());
        assert!(!schema.violations(&json!("last tuesday")).is_empty());
    }
}
