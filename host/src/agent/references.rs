//! What a message says about orders and amounts, read by rules rather than
//! by the model: order numbers, "my last order", "it", "20 €".

use std::sync::LazyLock;

use regex::Regex;

static ORDER_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:#|\bno\.?\s*|\b)(\d{3,12})\b(\s*(?:€|eur\b|euros?\b|\$|dollars?\b|%|days?\b|percent\b))?")
        .expect("order id pattern")
});
static LATEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:last|latest|newest|most recent|recent|previous)\s+(?:order|purchase|one|parcel|package)\b|\border\s+I\s+(?:just|recently)\s+(?:placed|made)\b",
    )
    .expect("latest-order pattern")
});
static PRONOUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:it|that|this|that one|this one|the order|same order|the same one|the parcel|the package)\b")
        .expect("pronoun pattern")
});
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:€\s*(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s*(?:€|eur\b|euros?\b))",
    )
    .expect("amount pattern")
});
static YES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:yes|y|yeah|yep|yup|sure|ok|okay|please do|go ahead|confirm(?:ed)?|do it|correct|absolutely|of course|oui|si|ja)\b")
        .expect("yes pattern")
});
static NO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:no|n|nope|nah|don'?t|do not|stop|never ?mind|wait|not now|forget it)\b")
        .expect("no pattern")
});

static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(human|person|people|agent|someone|somebody|staff|manager|colleague|representative|operator|team|real|call me|phone me|supervisor|employee)\b")
        .expect("person pattern")
});

/// Whether `text` asks for a person.
pub fn asks_for_person(text: &str) -> bool {
    PERSON.is_match(text)
}

/// The order numbers written in `text`, in order, without repeats. Numbers
/// that are amounts, percentages or day counts ("100 €", "30 days") are not
/// order numbers.
pub fn order_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for capture in ORDER_ID.captures_iter(text) {
        let number = capture.get(1).expect("group 1 always matches");
        if capture.get(2).is_some() || follows_a_month(&text[..number.start()]) {
            continue;
        }
        let id = capture[1].to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The order numbers that `text` names as orders ("order 1002", "#1002"):
/// stricter than [`order_ids`], for reading earlier replies full of dates
/// and amounts.
pub fn named_order_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for capture in NAMED_ORDER_ID.captures_iter(text) {
        let id = capture[1].to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

static NAMED_ORDER_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\border(?:\s+(?:number|no\.?|#))?\s*|#)(\d{3,12})\b")
        .expect("named order pattern")
});

static MONTH_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{1,2},?\s*)?$")
        .expect("month pattern")
});

/// Whether `before` ends with a month name ("17 November " before "2026").
fn follows_a_month(before: &str) -> bool {
    MONTH_BEFORE.is_match(before)
}

/// Whether `text` speaks of the customer's latest order ("my last order").
pub fn mentions_latest_order(text: &str) -> bool {
    LATEST.is_match(text)
}

/// Whether `text` points back at something said before ("cancel it").
pub fn refers_back(text: &str) -> bool {
    PRONOUN.is_match(text)
}

/// An amount of money written in `text` ("20 €", "€12.50", "15 euros").
pub fn amount(text: &str) -> Option<f64> {
    let capture = AMOUNT.captures(text)?;
    let number = capture.get(1).or_else(|| capture.get(2))?.as_str();
    number.replace(',', ".").parse().ok()
}

/// A yes or no answer to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Neither: the customer moved on.
    Other,
}

/// Reads `text` as the answer to a yes/no question.
pub fn yes_or_no(text: &str) -> Answer {
    if NO.is_match(text) {
        Answer::No
    } else if YES.is_match(text) {
        Answer::Yes
    } else {
        Answer::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_are_found_but_amounts_and_days_are_not() {
        assert_eq!(order_ids("cancel order 1001 please"), ["1001"]);
        assert_eq!(
            order_ids("orders #1002 and no. 1003, and 1002 again"),
            ["1002", "1003"]
        );
        assert!(order_ids("refund 250 € within 30 days, 100 euros").is_empty());
        assert!(order_ids("hi there").is_empty());
        assert_eq!(order_ids("placed 17 November 2026, order 1002"), ["1002"]);
        assert_eq!(
            named_order_ids("Order 1002 is processing (placed 17 November 2026), total 59.90"),
            ["1002"]
        );
    }

    #[test]
    fn latest_order_and_back_references() {
        assert!(mentions_latest_order("cancel my last order"));
        assert!(mentions_latest_order("where is my most recent purchase?"));
        assert!(!mentions_latest_order("cancel order 1001"));
        assert!(refers_back("please cancel it"));
        assert!(!refers_back("cancel order 1001"));
    }

    #[test]
    fn amounts() {
        assert_eq!(amount("refund 20 € please"), Some(20.0));
        assert_eq!(amount("just €12,50 back"), Some(12.5));
        assert_eq!(amount("15 euros of order 1007"), Some(15.0));
        assert_eq!(amount("refund order 1007"), None);
    }

    #[test]
    fn yes_and_no() {
        assert_eq!(yes_or_no("Yes please"), Answer::Yes);
        assert_eq!(yes_or_no("ok, go ahead"), Answer::Yes);
        assert_eq!(yes_or_no("no, don't"), Answer::No);
        assert_eq!(yes_or_no("what about order 1002?"), Answer::Other);
        assert_eq!(yes_or_no("yesterday I ordered"), Answer::Other);
    }
}
