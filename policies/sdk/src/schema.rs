//! JSON Schemas derived from Rust types, in the plain 2020-12 form the host
//! validates with and the agent fills arguments from.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// The JSON Schema of `T`: subschemas inlined (no `$ref`), `Option` fields
/// optional rather than nullable, and schemars' numeric `format`s (`uint32`,
/// `double`, ...) dropped, since they are not JSON Schema formats.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    clean(&mut schema, true);
    schema
}

/// The formats JSON Schema 2020-12 defines; others are removed.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// schemars makes an `Option` nullable; here it only means optional (not
/// required), so the `null` alternatives are taken out again.
fn strip_null(map: &mut serde_json::Map<String, Value>) {
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    if let Some(Value::Array(options)) = map.get("anyOf")
        && options.len() == 2
        && options.iter().any(is_null)
    {
        let kept = options.iter().find(|v| !is_null(v)).cloned();
        map.remove("anyOf");
        if let Some(Value::Object(kept)) = kept {
            for (key, value) in kept {
                map.entry(key).or_insert(value);
            }
        }
    }
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

fn clean(value: &mut Value, root: bool) {
    match value {
        Value::Object(map) => {
            if root {
                map.remove("title");
            }
            strip_null(map);
            if let Some(Value::String(format)) = map.get("format")
                && !STANDARD_FORMATS.contains(&format.as_str())
            {
                map.remove("format");
            }
            for (key, child) in map.iter_mut() {
                // Property names are data, not keywords.
                if key == "properties" {
                    if let Value::Object(props) = child {
                        for prop in props.values_mut() {
                            clean(prop, false);
                        }
                    }
                } else {
                    clean(child, false);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| clean(item, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Facts {
        /// When the order was placed.
        placed_at: i64,
        status: Option<String>,
    }

    #[test]
    fn facts_schemas_require_what_is_not_optional() {
        let schema = schema_of::<Facts>();
        assert_eq!(schema["type"], "object");
        assert!(schema.get("additionalProperties").is_none());
        assert_eq!(schema["required"], serde_json::json!(["placed_at"]));
        assert_eq!(schema["properties"]["placed_at"]["type"], "integer");
        assert!(schema["properties"]["placed_at"].get("format").is_none());
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
    }
}
