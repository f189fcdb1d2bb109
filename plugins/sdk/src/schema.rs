//! JSON Schemas derived from Rust types, in the plain 2020-12 form the host
//! validates with and the agent fills arguments from.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// The JSON Schema of arguments or facts `T`: subschemas inlined (no
/// `$ref`), `Option` fields optional rather than nullable, and schemars'
/// numeric `format`s (`uint32`, `double`, ...) dropped, since they are not
/// JSON Schema formats.
pub fn schema_of<T: JsonSchema>() -> Value {
    generate::<T>(true)
}

/// The JSON Schema of a result `T`, where an `Option` that serialises as
/// `null` stays allowed to.
pub fn result_schema_of<T: JsonSchema>() -> Value {
    generate::<T>(false)
}

fn generate<T: JsonSchema>(optional_not_null: bool) -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    clean(&mut schema, true, optional_not_null);
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

fn clean(value: &mut Value, root: bool, optional_not_null: bool) {
    match value {
        Value::Object(map) => {
            if root {
                map.remove("title");
            }
            if optional_not_null {
                strip_null(map);
            }
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
                            clean(prop, false, optional_not_null);
                        }
                    }
                } else {
                    clean(child, false, optional_not_null);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| clean(item, false, optional_not_null)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Args {
        /// The order number.
        #[schemars(regex(pattern = r"^[0-9]{3,12}$"))]
        order_id: String,
        #[schemars(range(min = 1, max = 20))]
        limit: Option<u32>,
    }

    #[test]
    fn schemas_are_plain_2020_12() {
        let schema = schema_of::<Args>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["required"], serde_json::json!(["order_id"]));
        assert_eq!(schema["properties"]["order_id"]["pattern"], "^[0-9]{3,12}$");
        assert_eq!(
            schema["properties"]["order_id"]["description"],
            "The order number."
        );
        assert_eq!(schema["properties"]["limit"]["type"], "integer");
        assert!(schema["properties"]["limit"].get("format").is_none());
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
    }
}
