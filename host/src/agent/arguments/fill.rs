//! Filling a tool's arguments from the conversation, by each property's kind.
//!
//! Rules, which a small model cannot beat, fill what the kinds describe:
//! identifiers (written, "my last one" through the lookup tool the schema
//! names, or "it" from the last exchange), amounts, dates, choices and the
//! customer's own words. Whatever else a tool requires is decoded by the
//! model under the property's schema, and a value the customer never wrote is
//! treated as missing rather than trusted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::question::{noun_of, plural, question_for};
use super::schema::{Identifier, Kind, Latest, Property};
use super::words::{customer_words, customer_wrote};
use super::{amounts, choices, dates, identifiers};

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Written in this message.
    Message,
    /// "My last one", resolved with the lookup tool.
    Latest,
    /// "It", named in the last exchange.
    Conversation,
    /// Decoded by the model from what the customer wrote.
    Model,
    /// The customer's answer to a question for it.
    Answer,
}

/// The outcome of filling the arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Filled {
    /// Everything required is there.
    Ready {
        args: Value,
        sources: BTreeMap<String, Source>,
    },
    /// The customer named several of one thing ("orders 1002 and 1003"):
    /// the call runs once for each.
    Each {
        property: String,
        values: Vec<String>,
        args: Value,
    },
    /// Something is missing or ambiguous; ask this, keeping what was found.
    Ask {
        question: String,
        missing: Vec<String>,
        args: Value,
    },
}

/// What the filler can use.
pub struct ArgumentContext<'a> {
    /// The request, as cleaned.
    pub message: &'a str,
    /// Earlier messages, oldest first (both sides).
    pub history: &'a [String],
    /// Everything the customer wrote in the conversation: model-decoded
    /// values must appear in it.
    pub customer_text: &'a str,
    /// The business's today, for dates in words.
    pub today: NaiveDate,
    /// Runs a lookup tool and reads the id its result names.
    pub latest: &'a dyn Fn(&Latest) -> Option<String>,
    /// Decodes a sub-schema's properties with the model.
    pub decode: &'a dyn Fn(&Value) -> Option<Value>,
}

/// One property's value found in `text`: `Ok(None)` when it is not there,
/// `Err` with the candidates when several are.
fn find_in(
    property: &Property,
    text: &str,
    today: NaiveDate,
) -> Result<Option<Value>, Vec<String>> {
    let one = |mut found: Vec<String>| match found.len() {
        0 => Ok(None),
        1 => Ok(Some(Value::String(found.remove(0)))),
        _ => Err(found),
    };
    match &property.kind {
        Kind::Identifier(identifier) => one(identifiers::find(text, identifier)),
        Kind::Amount { .. } => match amounts::find(text).as_slice() {
            [] => Ok(None),
            [amount] => Ok(Some(json!(amount))),
            several => Err(several.iter().map(|a| format!("{a:.2}")).collect()),
        },
        Kind::Date => one(dates::find(text, today)
            .iter()
            .map(|d| d.to_string())
            .collect()),
        Kind::Choice { values, synonyms } => one(choices::find(text, values, synonyms)),
        Kind::Text => Ok(Some(Value::String(customer_words(text, &property.schema)))),
        Kind::Other => Ok(None),
    }
}

/// Fills the arguments of a tool with these properties; `given` values
/// (answers to an earlier question) are taken as they are.
pub fn fill(
    properties: &[Property],
    given: &Map<String, Value>,
    context: &ArgumentContext<'_>,
) -> Filled {
    let mut args = Map::new();
    let mut sources = BTreeMap::new();
    let mut missing: Vec<&Property> = Vec::new();
    let mut for_the_model: Vec<&Property> = Vec::new();
    let mut several: Option<(String, Vec<String>)> = None;
    for property in properties {
        if let Some(value) = given.get(&property.name) {
            args.insert(property.name.clone(), value.clone());
            sources.insert(property.name.clone(), Source::Answer);
            continue;
        }
        match find_in(property, context.message, context.today) {
            Ok(Some(value)) => {
                args.insert(property.name.clone(), value);
                sources.insert(property.name.clone(), Source::Message);
            }
            Ok(None) => {
                if let Kind::Identifier(identifier) = &property.kind
                    && let Some((id, source)) = referenced(identifier, context)
                {
                    args.insert(property.name.clone(), Value::String(id));
                    sources.insert(property.name.clone(), source);
                } else if matches!(property.kind, Kind::Other) && property.required {
                    for_the_model.push(property);
                } else if property.required {
                    missing.push(property);
                }
            }
            Err(values) => match &property.kind {
                Kind::Identifier(_) if several.is_none() => {
                    several = Some((property.name.clone(), values));
                }
                _ => {
                    return Filled::Ask {
                        question: format!(
                            "You mentioned several {} ({}). Which one do you mean?",
                            plural(&noun_of(property)),
                            values.join(", ")
                        ),
                        missing: vec![property.name.clone()],
                        args: Value::Object(args),
                    };
                }
            },
        }
    }
    if !for_the_model.is_empty() {
        for (name, value) in decoded(&for_the_model, context) {
            args.insert(name.clone(), value);
            sources.insert(name, Source::Model);
        }
        missing.extend(
            for_the_model
                .into_iter()
                .filter(|p| !args.contains_key(&p.name)),
        );
    }
    if !missing.is_empty() {
        return Filled::Ask {
            question: question_for(&missing),
            missing: missing.iter().map(|p| p.name.clone()).collect(),
            args: Value::Object(args),
        };
    }
    match several {
        Some((property, values)) => Filled::Each {
            property,
            values,
            args: Value::Object(args),
        },
        None => Filled::Ready {
            args: Value::Object(args),
            sources,
        },
    }
}

/// Whether `message` gives every required value a tool needs that words
/// can carry (ids, amounts, dates, choices), and at least one: a message
/// that fits the tool's arguments like a key fits its lock.
pub fn fits(properties: &[Property], message: &str, today: NaiveDate) -> bool {
    let structured: Vec<&Property> = properties
        .iter()
        .filter(|p| p.required && !matches!(p.kind, Kind::Text | Kind::Other))
        .collect();
    !structured.is_empty()
        && structured
            .iter()
            .all(|p| matches!(find_in(p, message, today), Ok(Some(_))))
}

/// The answer in `message` to a question for the properties `missing`:
/// the values it gives (some or all of them), or `None` when it gives none.
pub fn answer(
    properties: &[Property],
    missing: &[String],
    message: &str,
    today: NaiveDate,
) -> Option<Map<String, Value>> {
    let mut values = Map::new();
    for name in missing {
        let Some(property) = properties.iter().find(|p| &p.name == name) else {
            continue;
        };
        let value = match &property.kind {
            // A free-text answer is the whole message.
            Kind::Text | Kind::Other if missing.len() == 1 => {
                Some(Value::String(customer_words(message, &property.schema)))
            }
            _ => find_in(property, message, today).ok().flatten(),
        };
        if let Some(value) = value {
            values.insert(name.clone(), value);
        }
    }
    // Part of the answer ("Friday" to "which day and window?") is an answer:
    // what is still missing is asked again.
    (!values.is_empty()).then_some(values)
}

/// An identifier the message points to without writing it.
fn referenced(identifier: &Identifier, context: &ArgumentContext<'_>) -> Option<(String, Source)> {
    if identifiers::mentions_latest(context.message, identifier) {
        let latest = identifier.latest.as_ref()?;
        return (context.latest)(latest).map(|id| (id, Source::Latest));
    }
    if identifiers::refers_back(context.message, identifier) {
        // Only the last exchange: "it" does not reach back further.
        return context
            .history
            .iter()
            .rev()
            .take(2)
            .find_map(|text| identifiers::named(text, identifier).into_iter().next_back())
            .map(|id| (id, Source::Conversation));
    }
    None
}

/// Values the model decoded that the customer actually wrote.
fn decoded(properties: &[&Property], context: &ArgumentContext<'_>) -> Vec<(String, Value)> {
    let names: Vec<&str> = properties.iter().map(|p| p.name.as_str()).collect();
    let sub_schema = json!({
        "type": "object",
        "required": names,
        "additionalProperties": false,
        "properties": properties.iter().map(|p| (p.name.clone(), p.schema.clone())).collect::<Map<_, _>>(),
    });
    let decoded = (context.decode)(&sub_schema).unwrap_or(Value::Null);
    let written = context.customer_text.to_lowercase();
    properties
        .iter()
        .filter_map(|p| {
            let value = decoded.get(&p.name)?;
            customer_wrote(&written, value).then(|| (p.name.clone(), value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::schema::properties;
    use super::*;

    fn refund_schema() -> Value {
        json!({"type": "object", "required": ["order_id", "reason"],
               "properties": {"order_id": {"type": "string", "pattern": "^[0-9]{3,12}$",
                                           "x-deskhand": {"noun": "order",
                                               "latest": {"tool": "list_orders", "pointer": "/orders/0/order_id"}}},
                              "amount": {"type": "number", "x-deskhand": {"kind": "amount"}},
                              "reason": {"type": "string", "minLength": 3, "maxLength": 500,
                                         "x-deskhand": {"kind": "text"}}}})
    }

    fn booking_schema() -> Value {
        json!({"type": "object", "required": ["date", "window"],
               "properties": {"date": {"type": "string", "format": "date", "description": "The day of the visit."},
                              "window": {"enum": ["morning", "afternoon", "evening"], "description": "The time window"},
                              "note": {"type": "string", "x-deskhand": {"kind": "text"}}}})
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
    }

    fn fill_with(schema: &Value, message: &str, history: &[&str], latest: Option<&str>) -> Filled {
        let history: Vec<String> = history.iter().map(|s| s.to_string()).collect();
        let latest = latest.map(str::to_string);
        let lookup = move |_: &Latest| latest.clone();
        let decode = |_: &Value| None;
        fill(
            &properties(schema),
            &Map::new(),
            &ArgumentContext {
                message,
                history: &history,
                customer_text: message,
                today: today(),
                latest: &lookup,
                decode: &decode,
            },
        )
    }

    #[test]
    fn an_id_an_amount_and_the_customers_words() {
        let Filled::Ready { args, sources } =
            fill_with(&refund_schema(), "refund 20 € on order 1007", &[], None)
        else {
            panic!("not ready")
        };
        assert_eq!(
            args,
            json!({"order_id": "1007", "amount": 20.0, "reason": "refund 20 € on order 1007"})
        );
        assert_eq!(sources["order_id"], Source::Message);
    }

    #[test]
    fn my_last_one_and_it_are_resolved() {
        let Filled::Ready { args, .. } =
            fill_with(&refund_schema(), "refund my last order", &[], Some("1012"))
        else {
            panic!("not ready")
        };
        assert_eq!(args["order_id"], "1012");
        let Filled::Ready { args, sources } = fill_with(
            &refund_schema(),
            "ok refund it",
            &["where is order 1006?", "Order 1006 is shipped."],
            None,
        ) else {
            panic!("not ready")
        };
        assert_eq!(args["order_id"], "1006");
        assert_eq!(sources["order_id"], Source::Conversation);
        let old = [
            "where is order 1006?",
            "Order 1006 is shipped.",
            "thanks",
            "You're welcome!",
        ];
        assert!(matches!(
            fill_with(&refund_schema(), "refund it", &old, None),
            Filled::Ask { .. }
        ));
    }

    #[test]
    fn several_ids_run_once_each_and_several_amounts_ask() {
        let Filled::Each {
            property, values, ..
        } = fill_with(&refund_schema(), "refund 1007 and 1008", &[], None)
        else {
            panic!("not each")
        };
        assert_eq!(
            (property.as_str(), values),
            ("order_id", vec!["1007".to_string(), "1008".into()])
        );
        let Filled::Ask { question, .. } =
            fill_with(&refund_schema(), "refund 10 € or 20 € on 1007", &[], None)
        else {
            panic!("should ask")
        };
        assert!(question.contains("several amounts"), "{question}");
        let Filled::Ask {
            question, missing, ..
        } = fill_with(&refund_schema(), "I want a refund", &[], None)
        else {
            panic!("should ask")
        };
        assert_eq!(missing, ["order_id"]);
        assert_eq!(
            question,
            "Which order do you mean? Please tell me its order number."
        );
    }

    #[test]
    fn dates_choices_and_optional_text_from_natural_words() {
        let Filled::Ready { args, .. } = fill_with(
            &booking_schema(),
            "can a technician come tomorrow afternoon? the bell is broken",
            &[],
            None,
        ) else {
            panic!("not ready")
        };
        assert_eq!(args["date"], "2026-06-16");
        assert_eq!(args["window"], "afternoon");
        assert!(args["note"].as_str().unwrap().contains("bell is broken"));
        let Filled::Ask {
            question,
            missing,
            args,
        } = fill_with(&booking_schema(), "book a technician on Friday", &[], None)
        else {
            panic!("should ask")
        };
        assert_eq!(missing, ["window"]);
        assert_eq!(args["date"], "2026-06-19");
        assert!(
            question.contains("the time window (morning, afternoon, evening)"),
            "{question}"
        );
        let props = properties(&booking_schema());
        let answered = answer(&props, &missing, "in the evening please", today()).unwrap();
        assert_eq!(answered["window"], "evening");
        assert!(answer(&props, &missing, "what time is it?", today()).is_none());
    }

    #[test]
    fn a_free_text_answer_is_the_whole_message() {
        let schema = json!({"type": "object", "required": ["address"],
            "properties": {"address": {"type": "string", "description": "The new address", "x-deskhand": {"kind": "text"}}}});
        let props = properties(&schema);
        let answered = answer(
            &props,
            &["address".to_string()],
            "12 Baker Street, London",
            today(),
        )
        .unwrap();
        assert_eq!(answered["address"], "12 Baker Street, London");
    }
}
