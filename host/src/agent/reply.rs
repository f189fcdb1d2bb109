//! The words of a reply to a tool's result: the desk's template for the
//! tool (`replies/<tool>.j2`), else the tool's own (`x-deskhand.reply` in
//! its result schema), else the result's `message`, else a readable
//! rendering of the whole result, nested fields included.
//!
//! Templates are minijinja, with the result's fields as variables and the
//! filters `date` (RFC 3339 or unix seconds → "24 November 2026"), `money`
//! (a number → "46.90") and `cents` (cents → "46.90").

use std::path::{Path, PathBuf};

use minijinja::{Environment, Value as Jinja};
use serde_json::Value;
use tracing::warn;

use super::arguments::schema::EXTENSION;

/// Renders tool results for the customer.
pub struct Replies {
    /// The desk's reply templates.
    dir: PathBuf,
}

impl Replies {
    /// Templates from `dir` (which need not exist).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Replies { dir: dir.into() }
    }

    /// The reply to `tool`'s successful `result`; `result_schema` is the
    /// tool's declared result schema.
    pub fn describe(&self, tool: &str, result_schema: &Value, result: &Value) -> String {
        let template = self.desk_template(tool).or_else(|| {
            result_schema
                .get(EXTENSION)
                .and_then(|e| e.get("reply"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if let Some(template) = template {
            match render(&template, result) {
                Ok(text) if !text.trim().is_empty() => return tidy(&text),
                Ok(_) => {}
                Err(error) => {
                    warn!(tool, %error, "a reply template failed; the result is described instead")
                }
            }
        }
        describe_result(result)
    }

    fn desk_template(&self, tool: &str) -> Option<String> {
        let path = self.dir.join(format!("{tool}.j2"));
        read_template(&path)
    }
}

fn read_template(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Renders `template` with `result`'s fields.
pub fn render(template: &str, result: &Value) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("date", |value: Jinja| -> String { date(&json_of(&value)) });
    env.add_filter("money", |value: Jinja| -> String {
        json_of(&value)
            .as_f64()
            .map(|v| format!("{v:.2}"))
            .unwrap_or_default()
    });
    env.add_filter("cents", |value: Jinja| -> String {
        json_of(&value)
            .as_f64()
            .map(|v| format!("{:.2}", v / 100.0))
            .unwrap_or_default()
    });
    env.render_str(template, Jinja::from_serialize(result))
}

fn json_of(value: &Jinja) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A template's text with its line breaks and runs of spaces collapsed.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A readable rendering of any result: its `message` when it has one,
/// otherwise its fields in words, lists and nested objects included.
pub fn describe_result(result: &Value) -> String {
    if let Some(message) = result.get("message").and_then(Value::as_str) {
        return message.to_string();
    }
    let text = fields(result);
    if text.is_empty() {
        "Done.".into()
    } else {
        format!("Here is what I found: {text}.")
    }
}

/// "status: shipped, items: Oak board (quantity: 1); Mug (quantity: 2)".
fn fields(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)))
            .map(|(k, v)| match v {
                Value::Object(_) => format!("{} ({})", words(k), fields(v)),
                _ => format!("{}: {}", words(k), in_words(k, v)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => in_words("", other),
    }
}

fn in_words(key: &str, value: &Value) -> String {
    match value {
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(_) => date(value),
            Err(_) => s.clone(),
        },
        Value::Number(n) if key.ends_with("_cents") => {
            format!("{:.2}", n.as_f64().unwrap_or_default() / 100.0)
        }
        Value::Number(_) if key.ends_with("_at") => date(value),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(_) => fields(item),
                other => in_words(key, other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) => fields(value),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
    }
}

/// "refunded_cents" → "refunded", "estimated_delivery" → "estimated delivery".
fn words(key: &str) -> String {
    key.trim_end_matches("_cents").replace('_', " ")
}

/// "2026-11-24T08:28:00Z" or unix seconds as "24 November 2026".
pub fn date(value: &Value) -> String {
    let parsed = match value {
        Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|d| d.to_utc())
            .ok()
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(12, 0, 0))
                    .map(|d| d.and_utc())
            }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        _ => None,
    };
    match (parsed, value) {
        (Some(at), _) => at.format("%-d %B %Y").to_string(),
        (None, Value::String(s)) => s.clone(),
        (None, Value::Null) => String::new(),
        (None, other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_template_renders_fields_with_filters() {
        let result = json!({"order_id": "1006", "placed_at": "2026-11-19T08:28:00Z", "total": 46.9,
                            "items": [{"name": "Oak board"}]});
        let text = render(
            "Order {{ order_id }} (placed {{ placed_at | date }}): {% for i in items %}{{ i.name }}{% endfor %}, \
             {{ total | money }} EUR.",
            &result,
        )
        .unwrap();
        assert_eq!(
            text,
            "Order 1006 (placed 19 November 2026): Oak board, 46.90 EUR."
        );
    }

    #[test]
    fn the_desk_template_wins_then_the_tools_then_the_message() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("check.j2"), "Desk: {{ status }}\n").unwrap();
        let replies = Replies::new(dir.path());
        let schema = json!({"x-deskhand": {"reply": "Tool: {{ status }}"}});
        let result = json!({"status": "up", "message": "Message."});
        assert_eq!(replies.describe("check", &schema, &result), "Desk: up");
        assert_eq!(replies.describe("other", &schema, &result), "Tool: up");
        assert_eq!(replies.describe("other", &json!({}), &result), "Message.");
    }

    #[test]
    fn any_result_is_readable_nested_fields_included() {
        let result = json!({"line_id": "L1001", "status": "down", "since": "2026-06-14T09:00:00Z",
            "outage": {"reference": "OUT-7", "expected_fix_at": 1781622000},
            "lines": [{"id": "L1", "speed_mbps": 100}, {"id": "L2", "speed_mbps": 50}],
            "amount_cents": 1250, "active": true, "note": null});
        let text = describe_result(&result);
        for part in [
            "line id: L1001",
            "since: 14 June 2026",
            "outage (reference: OUT-7, expected fix at:",
            "lines: id: L1, speed mbps: 100; id: L2",
            "amount: 12.50",
            "active: yes",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        assert!(!text.contains("note"));
    }
}
