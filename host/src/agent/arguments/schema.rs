//! What each argument of a tool is, read from the tool's JSON Schema.
//!
//! A property's kind comes from standard keywords where they say enough
//! (`pattern`: an identifier, `enum`: a choice, `format: date`: a date) and
//! from the `x-deskhand` extension where they do not:
//!
//! ```json
//! "bill_id": {"type": "string", "pattern": "^B[0-9]{5}$",
//!             "x-deskhand": {"kind": "identifier", "noun": "bill", "nouns": ["invoice"],
//!                            "collection": "bills",
//!                            "latest": {"tool": "list_bills", "args": {"limit": 1},
//!                                       "pointer": "/bills/0/bill_id"}}},
//! "amount":  {"type": "number", "x-deskhand": {"kind": "amount", "currency": "EUR"}},
//! "reason":  {"type": "string", "x-deskhand": {"kind": "text"}},
//! "window":  {"enum": ["morning", "afternoon"],
//!             "x-deskhand": {"synonyms": {"morning": ["am", "early"]}}}
//! ```

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value};

/// The extension keyword the agent reads.
pub const EXTENSION: &str = "x-deskhand";

/// One property of a tool's arguments.
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    /// Its `description`, for questions.
    pub description: Option<String>,
    /// Its own schema, for the model.
    pub schema: Value,
}

/// What kind of value a property holds, and so how it is found in words.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A reference to one of the customer's things, by its id.
    Identifier(Identifier),
    /// Money, written with a currency.
    Amount { currency: Option<String> },
    /// A calendar date (`YYYY-MM-DD`), from words such as "tomorrow".
    Date,
    /// One of a few values, matched to what the customer said.
    Choice {
        values: Vec<String>,
        synonyms: BTreeMap<String, Vec<String>>,
    },
    /// The customer's own words.
    Text,
    /// Anything else: decoded by the model under the property's schema.
    Other,
}

/// How an identifier is written and looked up.
#[derive(Debug, Clone)]
pub struct Identifier {
    /// The whole-token pattern an id matches.
    pub pattern: Regex,
    /// What it names ("order"), for questions and references.
    pub noun: String,
    /// Other words for the same thing ("purchase", "parcel").
    pub nouns: Vec<String>,
    /// The records collection whose row ids these are, if any.
    pub collection: Option<String>,
    /// How "my last one" is resolved.
    pub latest: Option<Latest>,
}

impl Identifier {
    /// The noun and its other words.
    pub fn all_nouns(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.noun.as_str()).chain(self.nouns.iter().map(String::as_str))
    }
}

/// A read-only tool whose result names the customer's newest thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    pub tool: String,
    pub args: Value,
    /// A JSON pointer into its result.
    pub pointer: String,
}

/// The properties of `schema` (an object schema), in schema order.
pub fn properties(schema: &Value) -> Vec<Property> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| Property {
            name: name.clone(),
            kind: kind_of(name, property),
            required: required.contains(&name.as_str()),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            schema: property.clone(),
        })
        .collect()
}

/// A property's schema with `Option`'s `["string", "null"]` read as `"string"`.
fn type_of(property: &Value) -> Option<&str> {
    match property.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

fn kind_of(name: &str, property: &Value) -> Kind {
    let extension = property
        .get(EXTENSION)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let declared = extension.get("kind").and_then(Value::as_str);
    let pattern = property.get("pattern").and_then(Value::as_str);
    match declared {
        Some("amount") => {
            return Kind::Amount {
                currency: extension
                    .get("currency")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
        }
        Some("text") => return Kind::Text,
        Some("date") => return Kind::Date,
        Some("identifier") | None if pattern.is_some() => {
            if let Some(identifier) = identifier(name, pattern.unwrap_or_default(), &extension) {
                return Kind::Identifier(identifier);
            }
        }
        _ => {}
    }
    if let Some(values) = enum_values(property) {
        let synonyms = extension
            .get("synonyms")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(value, words)| {
                        let words = words
                            .as_array()
                            .map(|w| {
                                w.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (value.clone(), words)
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Kind::Choice { values, synonyms };
    }
    if type_of(property) == Some("string")
        && property.get("format").and_then(Value::as_str) == Some("date")
    {
        return Kind::Date;
    }
    Kind::Other
}

/// The string values of an `enum` (also behind `anyOf`/`oneOf` of consts,
/// which is how schemars writes documented enums).
fn enum_values(property: &Value) -> Option<Vec<String>> {
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        return (!values.is_empty()).then_some(values);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = property.get(key).and_then(Value::as_array) {
            let mut values = Vec::new();
            for option in options {
                match option.get("const").and_then(Value::as_str) {
                    Some(value) => values.push(value.to_string()),
                    None => match option.get("enum").and_then(Value::as_array) {
                        Some(inner) => values
                            .extend(inner.iter().filter_map(Value::as_str).map(str::to_string)),
                        None if option.get("type").and_then(Value::as_str) == Some("null") => {}
                        None => return None,
                    },
                }
            }
            return (!values.is_empty()).then_some(values);
        }
    }
    None
}

fn identifier(name: &str, pattern: &str, extension: &Map<String, Value>) -> Option<Identifier> {
    // JSON Schema patterns match anywhere; an id must match a whole token.
    let whole = format!(
        "^(?:{})$",
        pattern.trim_start_matches('^').trim_end_matches('$')
    );
    let pattern = Regex::new(&whole).ok()?;
    let strings = |key: &str| -> Vec<String> {
        extension
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    let noun = extension
        .get("noun")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_else(|| noun_of(name));
    let latest = extension.get("latest").and_then(|l| {
        Some(Latest {
            tool: l.get("tool")?.as_str()?.to_string(),
            args: l
                .get("args")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            pointer: l.get("pointer")?.as_str()?.to_string(),
        })
    });
    Some(Identifier {
        pattern,
        noun,
        nouns: strings("nouns"),
        collection: extension
            .get("collection")
            .and_then(Value::as_str)
            .map(str::to_string),
        latest,
    })
}

/// "order_id" → "order", "ticket_number" → "ticket", "line" → "line".
fn noun_of(name: &str) -> String {
    let base = name
        .strip_suffix("_id")
        .or_else(|| name.strip_suffix("_number"))
        .or_else(|| name.strip_suffix("_ref"))
        .unwrap_or(name);
    base.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_come_from_standard_keywords_and_the_extension() {
        let schema = json!({"type": "object", "required": ["bill_id", "amount"],
            "properties": {
                "bill_id": {"type": "string", "pattern": "^B[0-9]{5}$",
                            "x-deskhand": {"noun": "bill", "nouns": ["Invoice"], "collection": "bills",
                                           "latest": {"tool": "list_bills", "pointer": "/bills/0/bill_id"}}},
                "amount": {"type": "number", "x-deskhand": {"kind": "amount", "currency": "EUR"}},
                "date": {"type": "string", "format": "date"},
                "window": {"type": ["string", "null"], "enum": ["morning", "afternoon", null]},
                "note": {"type": ["string", "null"], "x-deskhand": {"kind": "text"}},
                "count": {"type": "integer"},
                "ticket_ref": {"type": "string", "pattern": "T-[0-9]+"}}});
        let props = properties(&schema);
        let kind = |n: &str| props.iter().find(|p| p.name == n).unwrap().kind.clone();
        let Kind::Identifier(bill) = kind("bill_id") else {
            panic!()
        };
        assert_eq!(bill.noun, "bill");
        assert_eq!(bill.nouns, ["invoice"]);
        assert!(bill.pattern.is_match("B24001") && !bill.pattern.is_match("xB24001"));
        assert_eq!(bill.latest.unwrap().tool, "list_bills");
        assert!(matches!(kind("amount"), Kind::Amount { currency: Some(c) } if c == "EUR"));
        assert!(matches!(kind("date"), Kind::Date));
        assert!(
            matches!(kind("window"), Kind::Choice { values, .. } if values == ["morning", "afternoon"])
        );
        assert!(matches!(kind("note"), Kind::Text));
        assert!(matches!(kind("count"), Kind::Other));
        let Kind::Identifier(ticket) = kind("ticket_ref") else {
            panic!()
        };
        assert_eq!(ticket.noun, "ticket");
        assert!(ticket.pattern.is_match("T-12") && !ticket.pattern.is_match("T-12x"));
        assert!(props.iter().find(|p| p.name == "amount").unwrap().required);
    }

    #[test]
    fn schemars_enums_are_choices() {
        let property =
            json!({"oneOf": [{"const": "morning", "description": "8-12"}, {"const": "evening"}]});
        assert!(
            matches!(kind_of("window", &property), Kind::Choice { values, .. } if values.len() == 2)
        );
    }
}
