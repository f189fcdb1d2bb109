//! The question for what is missing: "Which bill do you mean? Please tell
//! me its bill number.", "Could you tell me the day of the visit and the time
//! window (morning, afternoon, evening)?".

use super::schema::{Kind, Property};

/// "Which order do you mean? …", "Could you tell me the date and the time window?"
pub(super) fn question_for(missing: &[&Property]) -> String {
    if let [property] = missing
        && let Kind::Identifier(identifier) = &property.kind
    {
        let noun = &identifier.noun;
        return format!("Which {noun} do you mean? Please tell me its {noun} number.");
    }
    let described: Vec<String> = missing
        .iter()
        .map(|p| match (&p.description, &p.kind) {
            (_, Kind::Choice { values, .. }) => format!("{} ({})", describe(p), values.join(", ")),
            _ => describe(p),
        })
        .collect();
    format!("Could you tell me {}?", described.join(" and "))
}

/// A property in words: its description without the end mark, or its name.
fn describe(property: &Property) -> String {
    let text = property
        .description
        .as_deref()
        .map(|d| d.trim().trim_end_matches('.').to_string())
        .unwrap_or_else(|| format!("the {}", property.name.replace('_', " ")));
    let mut chars = text.chars();
    match chars.next() {
        // "The date of the visit" → "the date of the visit".
        Some(first) if chars.clone().next().is_some_and(|c| c.is_lowercase()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text,
    }
}

pub(super) fn noun_of(property: &Property) -> String {
    match &property.kind {
        Kind::Identifier(identifier) => identifier.noun.clone(),
        Kind::Amount { .. } => "amount".into(),
        Kind::Date => "date".into(),
        _ => property.name.replace('_', " "),
    }
}

pub(super) fn plural(noun: &str) -> String {
    if noun.ends_with('s') {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}
