//! Whether the loaded tools offer the facts the policies read: checked when
//! a policy set is loaded, so a policy never goes live against a tool that
//! cannot tell it what it needs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::set::PolicySet;
use crate::plugins::PluginRegistry;

/// Every loaded tool's facts schema (`None` for tools that offer no facts).
pub type FactsCatalog = BTreeMap<String, Option<Value>>;

/// The facts schemas of the tools in `registry`.
pub fn catalog_of(registry: &PluginRegistry) -> FactsCatalog {
    registry
        .catalog()
        .plugins()
        .map(|p| {
            let facts = p.manifest().facts.as_ref().map(|s| s.source().clone());
            (p.name().to_string(), facts)
        })
        .collect()
}

/// Checks that every policy's required facts are offered by every loaded
/// tool it applies to, with the same JSON type where both say one.
pub fn check(set: &PolicySet, tools: &FactsCatalog) -> Result<(), String> {
    let mut problems = Vec::new();
    for (component, applies_to) in set.active() {
        let required = component.required_facts();
        if required.is_empty() {
            continue;
        }
        let wanted = component.facts_schema().source();
        let targets: Vec<&String> = if applies_to.iter().any(|t| t == "*") {
            tools.keys().collect()
        } else {
            applies_to
                .iter()
                .filter(|t| tools.contains_key(*t))
                .collect()
        };
        for tool in targets {
            let offered = tools.get(tool).cloned().flatten();
            let properties = offered
                .as_ref()
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object);
            let mut missing = Vec::new();
            for fact in &required {
                match properties.and_then(|p| p.get(fact)) {
                    None => missing.push(fact.clone()),
                    Some(given) => {
                        let want = wanted.pointer(&format!("/properties/{fact}/type"));
                        let have = given.get("type");
                        if let (Some(want), Some(have)) = (want, have)
                            && !types_agree(want, have)
                        {
                            problems.push(format!(
                                "policy {} reads the fact {fact} as {want}, but tool {tool} offers it as {have}",
                                component.name()
                            ));
                        }
                    }
                }
            }
            if !missing.is_empty() {
                problems.push(format!(
                    "policy {} needs the facts {} from tool {tool}, whose facts-schema does not \
                     offer them; add them to the tool's facts, or narrow the policy's tools in \
                     policies.toml",
                    component.name(),
                    missing.join(", ")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// JSON Schema `type`s agree when every type the tool may give is one the
/// policy accepts (`integer` counts as a `number`).
fn types_agree(want: &Value, have: &Value) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    let want = list(want);
    list(have)
        .iter()
        .all(|t| want.contains(t) || (t == "integer" && want.iter().any(|w| w == "number")))
}

#[cfg(test)]
mod tests {
    use super::types_agree;
    use serde_json::json;

    #[test]
    fn integer_facts_satisfy_number_readers() {
        assert!(types_agree(&json!("number"), &json!("integer")));
        assert!(types_agree(&json!(["string", "null"]), &json!("string")));
        assert!(!types_agree(&json!("integer"), &json!("string")));
    }
}
