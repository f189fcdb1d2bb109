//! Filling a tool's arguments from the conversation.
//!
//! Known kinds of argument are filled by rules, which a 135M-parameter model
//! cannot beat: the order (a number in the message, "my last order" through
//! the `list_orders` tool, "it" from earlier in the conversation), a refund
//! amount written with a currency, and free-text reasons (the customer's own
//! words). Whatever else a tool requires is decoded by the model under the
//! tool's own JSON Schema, and a string the model produced that appears
//! nowhere in the conversation is treated as missing rather than trusted.

use serde_json::{Map, Value, json};

use super::references;

/// Property names filled with the customer's own words.
const FREE_TEXT_PROPERTIES: &[&str] = &["reason", "note", "comment", "details", "message"];

/// Where the order came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// Written in this message.
    Message,
    /// "My last order", resolved with the `list_orders` tool.
    Latest,
    /// "It", the last order mentioned in the conversation.
    Conversation,
}

/// The outcome of filling the arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Filled {
    /// Everything required is there.
    Ready {
        args: Value,
        order_source: Option<OrderSource>,
    },
    /// Something is missing or ambiguous; ask this.
    Ask {
        question: String,
        missing: Vec<String>,
    },
}

/// What the filler can use.
pub struct ArgumentContext<'a> {
    /// The request: the cleaned message (with the original request before it
    /// when the message answers "which order?").
    pub message: &'a str,
    /// Earlier messages, oldest first (both sides).
    pub history: &'a [String],
    /// Everything the customer wrote in the conversation: model-decoded
    /// values must appear in it.
    pub customer_text: &'a str,
    /// The customer's newest order id, if they have orders (looked up through
    /// the `list_orders` tool, only when the message asks for it).
    pub latest_order: &'a dyn Fn() -> Option<String>,
    /// Decodes the listed properties with the model: (sub-schema) -> object.
    pub decode: &'a dyn Fn(&Value) -> Option<Value>,
}

/// Whether a property holds an order number.
pub fn is_order_property(name: &str) -> bool {
    name == "order_id" || name.ends_with("_order_id")
}

/// Fills the arguments of a tool whose `params-schema` is `schema`.
pub fn fill(schema: &Value, context: &ArgumentContext<'_>) -> Filled {
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut args = Map::new();
    let mut order_source = None;
    let mut left: Vec<String> = Vec::new();
    for (name, property) in &properties {
        let is_required = required.contains(name);
        if is_order_property(name) {
            match resolve_order(context) {
                Ok(Some((id, source))) => {
                    args.insert(name.clone(), Value::String(id));
                    order_source = Some(source);
                }
                Ok(None) if !is_required => {}
                Ok(None) => {
                    return Filled::Ask {
                        question: "Which order do you mean? Please tell me its order number."
                            .into(),
                        missing: vec![name.clone()],
                    };
                }
                Err(ids) => {
                    return Filled::Ask {
                        question: format!(
                            "You mentioned several orders ({}). Which one do you mean?",
                            ids.join(", ")
                        ),
                        missing: vec![name.clone()],
                    };
                }
            }
        } else if FREE_TEXT_PROPERTIES.contains(&name.as_str()) && is_string(property) {
            args.insert(
                name.clone(),
                Value::String(customer_words(context.message, property)),
            );
        } else if is_number(property) && name.contains("amount") {
            match references::amounts(context.message).as_slice() {
                [amount] => {
                    args.insert(name.clone(), json!(amount));
                }
                [] if !is_required => {}
                [] => left.push(name.clone()),
                several => {
                    let listed: Vec<String> = several.iter().map(|a| format!("{a:.2}")).collect();
                    return Filled::Ask {
                        question: format!(
                            "You mentioned several amounts ({}). How much should it be?",
                            listed.join(", ")
                        ),
                        missing: vec![name.clone()],
                    };
                }
            }
        } else if is_required {
            left.push(name.clone());
        }
    }
    if !left.is_empty() {
        let sub_schema = json!({
            "type": "object",
            "required": left,
            "additionalProperties": false,
            "properties": left.iter().map(|n| (n.clone(), properties[n].clone())).collect::<Map<_, _>>(),
        });
        let decoded = (context.decode)(&sub_schema).unwrap_or(Value::Null);
        let written = context.customer_text.to_lowercase();
        let mut missing = Vec::new();
        for name in &left {
            match decoded.get(name) {
                // A value the customer never wrote is a guess, not an answer.
                Some(value) if customer_wrote(&written, value) => {
                    args.insert(name.clone(), value.clone());
                }
                _ => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            let described: Vec<String> = missing
                .iter()
                .map(|n| {
                    properties[n]
                        .get("description")
                        .and_then(Value::as_str)
                        .map(|d| d.trim_end_matches('.').to_lowercase())
                        .unwrap_or_else(|| n.replace('_', " "))
                })
                .collect();
            return Filled::Ask {
                question: format!("Could you tell me {}?", described.join(" and ")),
                missing,
            };
        }
    }
    Filled::Ready {
        args: Value::Object(args),
        order_source,
    }
}

/// The order the message means: `Err` with the candidates when it names several.
fn resolve_order(
    context: &ArgumentContext<'_>,
) -> Result<Option<(String, OrderSource)>, Vec<String>> {
    let ids = references::order_ids(context.message);
    match ids.len() {
        1 => return Ok(Some((ids[0].clone(), OrderSource::Message))),
        0 => {}
        _ => return Err(ids),
    }
    if references::mentions_latest_order(context.message) {
        return Ok((context.latest_order)().map(|id| (id, OrderSource::Latest)));
    }
    if references::refers_back(context.message) {
        // Only the last exchange: "it" does not reach back further.
        let earlier = context
            .history
            .iter()
            .rev()
            .take(2)
            .find_map(|text| references::named_order_ids(text).into_iter().next_back());
        return Ok(earlier.map(|id| (id, OrderSource::Conversation)));
    }
    Ok(None)
}

/// Whether the customer wrote `value` (a string, or a number) themselves.
fn customer_wrote(written: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => !s.trim().is_empty() && written.contains(&s.trim().to_lowercase()),
        Value::Number(n) => {
            let number = n.as_f64().unwrap_or(f64::NAN);
            let mut numbers = references::amounts(written);
            numbers.extend(
                written
                    .split(|c: char| !c.is_ascii_digit() && c != '.' && c != ',')
                    .filter_map(|w| {
                        w.trim_matches(['.', ','])
                            .replace(',', ".")
                            .parse::<f64>()
                            .ok()
                    }),
            );
            numbers.iter().any(|w| (w - number).abs() < 1e-9)
        }
        Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

fn is_string(property: &Value) -> bool {
    property.get("type").and_then(Value::as_str) == Some("string") && property.get("enum").is_none()
}

fn is_number(property: &Value) -> bool {
    matches!(
        property.get("type").and_then(Value::as_str),
        Some("number" | "integer")
    )
}

/// The message as a free-text argument, within the property's length bounds.
fn customer_words(message: &str, property: &Value) -> String {
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

    fn schema() -> Value {
        json!({"type": "object", "required": ["order_id", "reason"],
               "properties": {"order_id": {"type": "string"},
                              "amount": {"type": "number"},
                              "reason": {"type": "string", "minLength": 3, "maxLength": 500}}})
    }

    fn fill_with(message: &str, history: &[&str], latest: Option<&str>) -> Filled {
        let history: Vec<String> = history.iter().map(|s| s.to_string()).collect();
        let latest = latest.map(str::to_string);
        let latest_order = move || latest.clone();
        let decode = |_: &Value| None;
        let customer_text = message.to_string();
        fill(
            &schema(),
            &ArgumentContext {
                message,
                history: &history,
                customer_text: &customer_text,
                latest_order: &latest_order,
                decode: &decode,
            },
        )
    }

    #[test]
    fn an_order_number_in_the_message_wins() {
        let Filled::Ready { args, order_source } =
            fill_with("refund 20 € on order 1007", &[], None)
        else {
            panic!("not ready")
        };
        assert_eq!(args["order_id"], "1007");
        assert_eq!(args["amount"], 20.0);
        assert_eq!(args["reason"], "refund 20 € on order 1007");
        assert_eq!(order_source, Some(OrderSource::Message));
    }

    #[test]
    fn my_last_order_and_it_are_resolved() {
        let Filled::Ready { args, .. } = fill_with("refund my last order", &[], Some("1012"))
        else {
            panic!("not ready")
        };
        assert_eq!(args["order_id"], "1012");
        let Filled::Ready { args, order_source } = fill_with(
            "ok refund it",
            &["where is order 1006?", "Order 1006 is shipped."],
            None,
        ) else {
            panic!("not ready")
        };
        assert_eq!(args["order_id"], "1006");
        assert_eq!(order_source, Some(OrderSource::Conversation));
    }

    #[test]
    fn a_missing_or_ambiguous_order_asks() {
        assert!(matches!(
            fill_with("I would like a refund for my broken kettle", &[], None),
            Filled::Ask { .. }
        ));
        let Filled::Ask { question, .. } = fill_with("refund 1007 and 1008", &[], None) else {
            panic!("should ask")
        };
        assert!(question.contains("1007, 1008"), "{question}");
        let Filled::Ask { question, .. } = fill_with("refund 10 € or 20 € on 1007", &[], None)
        else {
            panic!("should ask")
        };
        assert!(question.contains("amounts"), "{question}");
    }

    #[test]
    fn it_only_reaches_back_one_exchange() {
        let old = [
            "where is order 1006?",
            "Order 1006 is shipped.",
            "thanks",
            "You're welcome!",
        ];
        assert!(matches!(
            fill_with("refund it", &old, None),
            Filled::Ask { .. }
        ));
        assert!(matches!(
            fill_with("refund please", &old[..2], None),
            Filled::Ask { .. }
        ));
    }

    #[test]
    fn decoded_values_must_come_from_the_customer() {
        assert!(customer_wrote("send it to berlin", &json!("Berlin")));
        assert!(!customer_wrote("send it to berlin", &json!("Paris")));
        assert!(!customer_wrote("send it to berlin", &json!("")));
        assert!(customer_wrote("two pieces, 3 of them", &json!(3)));
        assert!(!customer_wrote("two pieces", &json!(2)));
    }
}
