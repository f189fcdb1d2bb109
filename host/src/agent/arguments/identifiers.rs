//! Finding identifiers in the customer's words: ids that match a tool's
//! pattern ("1002", "#W123", "bill no. B24001"), "my last one", and "it"
//! for the one spoken of just before.
//!
//! A number is only an id when nothing around it makes it something else:
//! an amount ("€250", "250.00 €"), a date ("17 November 2026", "2026-06-10"),
//! a count ("30 days", "2 items") or part of a word.

use std::sync::LazyLock;

use regex::Regex;

use super::schema::Identifier;

/// A candidate token: letters, digits and the joiners ids are written with.
static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}][\p{L}\p{N}_\-/.]*").expect("token pattern"));
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:€|£|eur\b|euros?\b|\$|usd\b|dollars?\b|gbp\b|pounds?\b|%|percent\b|days?\b|weeks?\b|months?\b|years?\b|hours?\b|minutes?\b|items?\b|pieces?\b|mbps\b|gb\b|mb\b|x\b|st\b|nd\b|rd\b|th\b|am\b|pm\b|h\b|o'clock\b)")
        .expect("unit pattern")
});
static MONEY_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:€|£|\$|eur|usd|gbp)\s*$").expect("currency pattern"));
static MONTH_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?,?\s*(?:[0-9]{1,2}(?:st|nd|rd|th)?,?\s*)?$")
        .expect("month pattern")
});
static TIME_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:at|by|from|until|till|before|after)\s*$").expect("time pattern")
});
/// "last", "latest" … before the thing's noun.
const LATEST_WORDS: &str = r"last|latest|newest|most recent|previous|current|recent";
/// A pronoun as the object of a verb: "cancel it", "refund that one".
static OBJECT_PRONOUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z]+)\s+(?:it|that one|this one|that|the same one|them)\b")
        .expect("pronoun pattern")
});
/// Words before "it" that do not make it an object ("is it possible").
const NOT_VERBS: &[&str] = &[
    "is", "was", "does", "did", "can", "could", "will", "would", "should", "has", "had", "about",
    "if", "when", "where", "how", "why", "what", "and", "but", "because", "think", "guess", "like",
    "that", "so", "than", "all", "know", "sure", "with",
];

/// The ids matching `identifier` written in `text`, in order, without repeats.
pub fn find(text: &str, identifier: &Identifier) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for token in TOKEN.find_iter(text) {
        let raw = token.as_str().trim_end_matches(['.', ',', '-', '/']);
        let start = token.start();
        let before = &text[..start];
        let after = &text[start + raw.len()..];
        let Some(id) = matching(raw, identifier) else {
            continue;
        };
        if raw.bytes().all(|b| b.is_ascii_digit()) && !stands_alone_as_a_number(before, after) {
            continue;
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// `raw` as the identifier writes it, if it is one (ids are matched as
/// written, then upper-cased: "b24001" is "B24001").
fn matching(raw: &str, identifier: &Identifier) -> Option<String> {
    if identifier.pattern.is_match(raw) {
        return Some(raw.to_string());
    }
    let upper = raw.to_uppercase();
    identifier.pattern.is_match(&upper).then_some(upper)
}

/// Whether a number is a reference rather than an amount, a date, a count
/// or a time.
fn stands_alone_as_a_number(before: &str, after: &str) -> bool {
    let part_of_date = before.ends_with(['-', '/', ':', '.']) || after.starts_with(['-', '/', ':']);
    let glued = before.ends_with(|c: char| c.is_alphanumeric())
        || after.starts_with(|c: char| c.is_alphanumeric());
    !(part_of_date
        || glued
        || qualifies(&UNIT_AFTER, after)
        || MONEY_BEFORE.is_match(before)
        || MONTH_BEFORE.is_match(before)
        || TIME_BEFORE.is_match(before))
}

/// Whether the unit `unit` starts `after` and belongs to the number before
/// it: in "1007 €20" the euro sign is the 20's, not the 1007's.
pub(super) fn qualifies(unit: &Regex, after: &str) -> bool {
    unit.find(after).is_some_and(|m| {
        !after[m.end()..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The ids `text` names with the identifier's noun ("order 1002", "bill
/// B24001", "order #1002"): stricter than [`find`], for reading earlier
/// replies full of dates, amounts and other references ("handoff #1005").
pub fn named(text: &str, identifier: &Identifier) -> Vec<String> {
    let nouns: Vec<String> = identifier.all_nouns().map(regex::escape).collect();
    let pattern = format!(
        r"(?i)\b(?:{})(?:\s+(?:number|no\.?|nr\.?|reference|ref\.?|id|#))?\s*:?\s*#?([\p{{L}}\p{{N}}_\-]+)",
        nouns.join("|")
    );
    let Ok(named) = Regex::new(&pattern) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = Vec::new();
    for capture in named.captures_iter(text) {
        if let Some(id) = matching(&capture[1], identifier)
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// Whether `text` speaks of the customer's newest one ("my last bill", "my
/// most recent order", "the last one").
pub fn mentions_latest(text: &str, identifier: &Identifier) -> bool {
    let nouns: Vec<String> = identifier.all_nouns().map(regex::escape).collect();
    let pattern = format!(
        r"(?i)\b(?:{LATEST_WORDS})\s+(?:{}|one)s?\b|\b(?:{})\s+I\s+(?:just|recently)\s+(?:placed|made|got|received|booked)\b",
        nouns.join("|"),
        nouns.join("|")
    );
    Regex::new(&pattern).is_ok_and(|r| r.is_match(text))
}

/// Whether `text` speaks of one of the customer's own ("my repair visit",
/// "my bill") without naming which.
pub fn mentions_own(text: &str, identifier: &Identifier) -> bool {
    let nouns: Vec<String> = identifier.all_nouns().map(regex::escape).collect();
    let pattern = format!(r"(?i)\bmy\s+(?:[a-z-]+\s+)?(?:{})s?\b", nouns.join("|"));
    Regex::new(&pattern).is_ok_and(|r| r.is_match(text))
}

/// Whether `text` points back at something spoken of before, as the object
/// of a verb ("cancel it", "refund that one", "dispute the bill"; not "is it
/// possible").
pub fn refers_back(text: &str, identifier: &Identifier) -> bool {
    let nouns: Vec<String> = identifier.all_nouns().map(regex::escape).collect();
    let the_noun = format!(r"(?i)\b(?:the|that|this|same)\s+(?:{})\b", nouns.join("|"));
    OBJECT_PRONOUN
        .captures_iter(text)
        .any(|c| !NOT_VERBS.contains(&c[1].to_lowercase().as_str()))
        || Regex::new(&the_noun).is_ok_and(|r| r.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Identifier {
        Identifier {
            pattern: Regex::new("^(?:[0-9]{3,12})$").unwrap(),
            noun: "order".into(),
            nouns: vec!["purchase".into(), "parcel".into()],
            collection: Some("orders".into()),
            latest: None,
        }
    }

    fn bill() -> Identifier {
        Identifier {
            pattern: Regex::new("^(?:B[0-9]{5})$").unwrap(),
            noun: "bill".into(),
            nouns: vec!["invoice".into()],
            collection: None,
            latest: None,
        }
    }

    #[test]
    fn numbers_are_ids_but_amounts_dates_counts_and_times_are_not() {
        let o = order();
        assert_eq!(find("cancel order 1001 please", &o), ["1001"]);
        assert_eq!(
            find("orders #1002 and no. 1003, and 1002 again", &o),
            ["1002", "1003"]
        );
        assert!(find("refund 250 € within 30 days, 100 euros", &o).is_empty());
        assert_eq!(find("refund €250 on order 1007", &o), ["1007"]);
        assert_eq!(find("refund 250.00 € on order 1007", &o), ["1007"]);
        assert!(find("cancel my last order from 2026-06-10", &o).is_empty());
        assert_eq!(find("placed 17 November 2026, order 1002", &o), ["1002"]);
        assert_eq!(find("I've decided, 1005", &o), ["1005"]);
        assert!(find("order １００７ in full-width digits", &o).is_empty());
        assert!(find("at 1030 tomorrow", &o).is_empty());
    }

    #[test]
    fn lettered_ids_are_found_in_any_case_and_normalised() {
        let b = bill();
        assert_eq!(find("dispute bill #B24001 please", &b), ["B24001"]);
        assert_eq!(find("invoice no. b24002, not B2400", &b), ["B24002"]);
        assert!(find("my bill is wrong", &b).is_empty());
    }

    #[test]
    fn named_ids_ignore_dates_and_amounts() {
        assert_eq!(
            named(
                "Order 1002 is processing (placed 17 November 2026), total 59.90",
                &order()
            ),
            ["1002"]
        );
        assert_eq!(
            named("Your bill no. B24001 of 64.85 EUR", &bill()),
            ["B24001"]
        );
    }

    #[test]
    fn latest_and_back_references() {
        assert!(mentions_latest("cancel my last order", &order()));
        assert!(mentions_latest(
            "where is my most recent purchase?",
            &order()
        ));
        assert!(mentions_latest("my last one", &order()));
        assert!(!mentions_latest("cancel order 1001", &order()));
        assert!(mentions_latest(
            "I was overcharged on my last bill",
            &bill()
        ));
        assert!(refers_back("please cancel it", &order()));
        assert!(refers_back("ok refund that one", &order()));
        assert!(refers_back("refund the order", &order()));
        assert!(!refers_back("is it possible to pay by card?", &order()));
        assert!(!refers_back("cancel order 1001", &order()));
    }
}
