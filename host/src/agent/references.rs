//! What a message says about orders and amounts, read by rules rather than
//! by the model: order numbers, "my last order", "cancel it", "20 €", and
//! whether an answer is a plain yes or no.
//!
//! The rules are conservative: when a message is ambiguous (two orders, two
//! amounts, a "yes, but…") they say so, and the agent asks instead of acting.

use std::sync::LazyLock;

use regex::Regex;

/// A run of digits (ASCII only) with what surrounds it, to tell order
/// numbers from amounts, dates and day counts.
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9][0-9.,]*").expect("number pattern"));
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:€|eur\b|euros?\b|\$|usd\b|dollars?\b|%|percent\b|days?\b|weeks?\b|months?\b|years?\b|hours?\b|items?\b|pieces?\b|x\b)")
        .expect("unit pattern")
});
static CURRENCY_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:€|\$|eur|usd)\s*$").expect("currency pattern"));
static CURRENCY_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:€|eur\b|euros?\b)").expect("currency pattern"));
static MONTH_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?,?\s*(?:[0-9]{1,2}(?:st|nd|rd|th)?,?\s*)?$")
        .expect("month pattern")
});
static LATEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:last|latest|newest|most recent|previous)\s+(?:order|purchase|one|parcel|package)\b|\border\s+I\s+(?:just|recently)\s+(?:placed|made)\b",
    )
    .expect("latest-order pattern")
});
/// A pronoun as the object of a verb: "cancel it", "refund that one".
static OBJECT_PRONOUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z]+)\s+(?:it|that one|this one|that order|this order|the order|the same one|them)\b")
        .expect("pronoun pattern")
});
/// Words before "it" that do not make it an object ("is it possible").
const NOT_VERBS: &[&str] = &[
    "is", "was", "does", "did", "can", "could", "will", "would", "should", "has", "had", "about",
    "if", "when", "where", "how", "why", "what", "and", "but", "because", "think", "guess",
];
static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(human|person|people|agent|someone|somebody|staff|manager|colleague|representative|operator|team|real|call me|phone me|supervisor|employee)\b")
        .expect("person pattern")
});
/// A message that is nothing but an order reference: "1003", "it's #1003",
/// "order number 1003 please", "my last one".
static ONLY_AN_ORDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:(?:it'?s|it is|that'?s|the|order|number|no\.?|nr\.?|#|one|please|thanks?|sorry|oh|ah|yes|ok|okay|my|last|latest|newest|most|recent)\W*)*(?:[0-9]{3,12}\W*)?(?:(?:please|thanks?|thank you)\W*)*$")
        .expect("order answer pattern")
});

static INFORMATION_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:until when|when|how long|how many|how much|how do|how does|how can i|what|which|why|where can i|is it possible|is there|are there|do you|does|do i|can i|could i|am i|may i|is it)\b")
        .expect("question pattern")
});
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:please|pls|can you|could you|would you|will you|i want|i'd like|i would like|i need|go ahead|now)\b")
        .expect("request pattern")
});
static THANKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:thanks|thank you|thx|ty|cheers|great|perfect|awesome)\b")
        .expect("thanks pattern")
});

/// Whether `text` asks how things work ("until when can I cancel?")
/// rather than asking for something to be done ("can you cancel it?").
pub fn is_information_question(text: &str) -> bool {
    INFORMATION_QUESTION.is_match(text) && !REQUEST.is_match(text)
}

/// Whether `text` thanks for something rather than asks for it.
pub fn is_thanks(text: &str) -> bool {
    THANKS.is_match(text) && !REQUEST.is_match(text)
}

/// Whether `text` asks for a person.
pub fn asks_for_person(text: &str) -> bool {
    PERSON.is_match(text)
}

/// The order numbers written in `text`, in order, without repeats. Amounts
/// ("€250", "250.00 €"), dates ("17 November 2026", "2026-06-10") and
/// counts ("30 days") are not order numbers.
pub fn order_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for number in NUMBER.find_iter(text) {
        let digits = number.as_str().trim_end_matches(['.', ',']);
        if digits.len() < 3 || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let before = &text[..number.start()];
        let after = &text[number.start() + digits.len()..];
        let part_of_date = before.ends_with(['-', '/']) || after.starts_with(['-', '/']);
        let glued = before.ends_with(|c: char| c.is_alphanumeric() && c != '#')
            || after.starts_with(|c: char| c.is_alphanumeric());
        if part_of_date
            || glued
            || qualifies(&UNIT_AFTER, after)
            || CURRENCY_BEFORE.is_match(before)
            || MONTH_BEFORE.is_match(before)
        {
            continue;
        }
        if !ids.iter().any(|id| id == digits) {
            ids.push(digits.to_string());
        }
    }
    ids
}

/// Whether the unit `unit` starts `after` and belongs to the number before
/// it: in "1007 €20" the euro sign is the 20's, not the 1007's.
fn qualifies(unit: &Regex, after: &str) -> bool {
    unit.find(after).is_some_and(|m| {
        !after[m.end()..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit())
    })
}

/// `text` without its order numbers, for reading the rest of a request.
pub fn without_order_ids(text: &str) -> String {
    let ids = order_ids(text);
    let mut rest = text.to_string();
    for id in ids {
        rest = rest.replace(&id, "");
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ")
}

static NAMED_ORDER_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\border(?:\s+(?:number|no\.?|#))?\s*|#)([0-9]{3,12})\b")
        .expect("named order pattern")
});

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

/// Whether `text` speaks of the customer's latest order ("my last order").
pub fn mentions_latest_order(text: &str) -> bool {
    LATEST.is_match(text)
}

/// Whether `text` points back at an order talked about before, as the
/// object of a verb ("cancel it", "refund that one"; not "is it possible").
pub fn refers_back(text: &str) -> bool {
    OBJECT_PRONOUN
        .captures_iter(text)
        .any(|c| !NOT_VERBS.contains(&c[1].to_lowercase().as_str()))
}

/// Whether `text` is only an order reference, the answer to "which order?".
pub fn is_only_an_order(text: &str) -> bool {
    (!order_ids(text).is_empty() || mentions_latest_order(text))
        && order_ids(text).len() <= 1
        && ONLY_AN_ORDER.is_match(text)
}

/// The amounts of money written in `text` ("20 €", "€12.50", "1,000 euros",
/// "1.250,50 €"), without repeats.
pub fn amounts(text: &str) -> Vec<f64> {
    let mut found: Vec<f64> = Vec::new();
    for number in NUMBER.find_iter(text) {
        let raw = number.as_str().trim_end_matches(['.', ',']);
        let before = &text[..number.start()];
        let after = &text[number.start() + raw.len()..];
        let is_money = CURRENCY_BEFORE.is_match(before) || qualifies(&CURRENCY_AFTER, after);
        if !is_money || before.ends_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        if let Some(value) = parse_amount(raw)
            && !found.iter().any(|f| (f - value).abs() < 1e-9)
        {
            found.push(value);
        }
    }
    found
}

static THOUSANDS_COMMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$").expect("thousands pattern")
});
static THOUSANDS_DOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$").expect("thousands pattern")
});

/// "1,000.50", "1.000,50", "12,5" and "12.50" as numbers.
fn parse_amount(raw: &str) -> Option<f64> {
    let normal = if THOUSANDS_COMMA.is_match(raw) {
        raw.replace(',', "")
    } else if THOUSANDS_DOT.is_match(raw) {
        raw.replace('.', "").replace(',', ".")
    } else {
        raw.replace(',', ".")
    };
    normal.parse().ok().filter(|v: &f64| v.is_finite())
}

/// A yes or no answer to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A plain yes, and nothing else.
    Yes,
    No,
    /// Neither, or a yes with conditions: the customer moved on.
    Other,
}

const YES_PHRASES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "k",
    "go ahead",
    "do it",
    "confirm",
    "confirmed",
    "i confirm",
    "correct",
    "absolutely",
    "of course",
    "please do",
    "yes please",
    "yes go ahead",
    "yes do it",
    "yes confirm",
    "yes i confirm",
    "yes that's right",
    "that's right",
    "thats right",
    "right",
    "affirmative",
    "ok go ahead",
    "okay go ahead",
    "sure go ahead",
    "yes sure",
    "yes of course",
    "yes absolutely",
    "yes correct",
];
const NO_WORDS: &[&str] = &[
    "no",
    "n",
    "nope",
    "nah",
    "not",
    "don't",
    "dont",
    "do not",
    "stop",
    "wait",
    "cancel that",
    "never mind",
    "nevermind",
    "forget it",
    "hold on",
    "later",
];

/// Whether `text` is no more than a short answer ("no thanks", "nope").
pub fn is_bare_answer(text: &str) -> bool {
    text.split_whitespace().count() <= 3 && !text.contains('?') && order_ids(text).is_empty()
}

/// Reads `text` as the answer to a yes/no question. Only a plain yes is a
/// yes: "ok wait", "of course not", "yes, and order 1003" are not.
pub fn yes_or_no(text: &str) -> Answer {
    let lower = text.to_lowercase();
    let words: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let normal = words
        .split_whitespace()
        .filter(|w| !matches!(*w, "please" | "thanks" | "thank" | "you" | "ty"))
        .collect::<Vec<_>>()
        .join(" ");
    let has_no = NO_WORDS.iter().any(|w| {
        normal == *w
            || normal.starts_with(&format!("{w} "))
            || normal.contains(&format!(" {w} "))
            || normal.ends_with(&format!(" {w}"))
    });
    if has_no {
        Answer::No
    } else if YES_PHRASES.contains(&normal.as_str()) {
        Answer::Yes
    } else {
        Answer::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_are_found_but_amounts_dates_and_days_are_not() {
        assert_eq!(order_ids("cancel order 1001 please"), ["1001"]);
        assert_eq!(
            order_ids("orders #1002 and no. 1003, and 1002 again"),
            ["1002", "1003"]
        );
        assert!(order_ids("refund 250 € within 30 days, 100 euros").is_empty());
        assert_eq!(order_ids("refund €250 on order 1007"), ["1007"]);
        assert_eq!(order_ids("refund 250.00 € on order 1007"), ["1007"]);
        assert_eq!(
            order_ids("cancel my last order from 2026-06-10"),
            Vec::<String>::new()
        );
        assert_eq!(order_ids("placed 17 November 2026, order 1002"), ["1002"]);
        assert_eq!(order_ids("I've decided, 1005"), ["1005"]);
        assert!(order_ids("order １００７ in full-width digits").is_empty());
        assert!(order_ids("hi there").is_empty());
    }

    #[test]
    fn named_order_numbers_ignore_dates_and_amounts() {
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
        assert!(refers_back("ok refund that one"));
        assert!(!refers_back("is it possible to pay by card?"));
        assert!(!refers_back("cancel order 1001"));
    }

    #[test]
    fn only_an_order_is_an_answer_to_which_order() {
        for answer in [
            "1003",
            "it's #1003",
            "order number 1003 please",
            "my last one",
            "the last one",
        ] {
            assert!(is_only_an_order(answer), "{answer}");
        }
        for other in [
            "no wait, where is my last order?",
            "what about 1005?",
            "1003 and 1004",
            "hello",
        ] {
            assert!(!is_only_an_order(other), "{other}");
        }
    }

    #[test]
    fn amounts_with_currencies_and_separators() {
        assert_eq!(amounts("refund 20 € please"), [20.0]);
        assert_eq!(amounts("just €12,50 back"), [12.5]);
        assert_eq!(amounts("15 euros of order 1007"), [15.0]);
        assert_eq!(amounts("1,000 €"), [1000.0]);
        assert_eq!(amounts("1.250,50 €"), [1250.5]);
        assert_eq!(amounts("refund order 1007 €20"), [20.0]);
        assert_eq!(amounts("paid 64.85 €, want 20 € back"), [64.85, 20.0]);
        assert!(amounts("refund order 1007").is_empty());
    }

    #[test]
    fn questions_and_thanks_are_not_requests() {
        assert!(is_information_question(
            "until when can I cancel order 1002?"
        ));
        assert!(is_information_question("how long does a refund take?"));
        assert!(!is_information_question("can you cancel order 1002?"));
        assert!(!is_information_question("cancel order 1002"));
        assert!(is_thanks("thanks for cancelling 1003!"));
        assert!(!is_thanks("thanks, now please cancel 1003"));
    }

    #[test]
    fn only_a_plain_yes_is_yes() {
        for yes in ["Yes please", "ok, go ahead", "yes!", "Sure.", "confirm"] {
            assert_eq!(yes_or_no(yes), Answer::Yes, "{yes}");
        }
        for no in [
            "no, don't",
            "of course not",
            "absolutely not",
            "ok wait",
            "okay but don't refund yet",
        ] {
            assert_eq!(yes_or_no(no), Answer::No, "{no}");
        }
        for other in [
            "sure, how much is it?",
            "yes, order 1003",
            "what about order 1002?",
            "yesterday I ordered",
        ] {
            assert_eq!(yes_or_no(other), Answer::Other, "{other}");
        }
    }
}
