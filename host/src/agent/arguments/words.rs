//! The customer's own words as argument values, and whether a value the
//! model decoded is one the customer wrote.

use serde_json::Value;

use super::amounts;

/// Whether the customer wrote `value` (a string, or a number) themselves.
pub(super) fn customer_wrote(written: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => !s.trim().is_empty() && written.contains(&s.trim().to_lowercase()),
        Value::Number(n) => {
            let number = n.as_f64().unwrap_or(f64::NAN);
            amounts::numbers(written)
                .iter()
                .any(|w| (w - number).abs() < 1e-9)
        }
        Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

/// The message as a free-text argument, within the property's length bounds.
pub(super) fn customer_words(message: &str, property: &Value) -> String {
    let max = property
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(500) as usize;
    let min = property
        .get("minLength")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let mut words: String = message.chars().take(max).collect();
    if words.chars().count() < min {
        words = format!("customer request: {words}")
            .chars()
            .take(max)
            .collect();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decoded_values_must_come_from_the_customer() {
        assert!(customer_wrote("send it to berlin", &json!("Berlin")));
        assert!(!customer_wrote("send it to berlin", &json!("Paris")));
        assert!(!customer_wrote("send it to berlin", &json!("")));
        assert!(customer_wrote("two pieces, 3 of them", &json!(3)));
        assert!(!customer_wrote("two pieces", &json!(2)));
    }
}
