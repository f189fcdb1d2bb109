//! What a message says, read by rules of the English language rather than
//! by the model: whether it asks for a person, is a question about how
//! things work, a request, thanks, or a plain yes or no.
//!
//! The rules are conservative: a "yes, but…" is not a yes, and the agent
//! asks instead of acting.

use std::sync::LazyLock;

use regex::Regex;

static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(human|person|people|agent|someone|somebody|staff|manager|colleague|representative|operator|team|real|call me|phone me|supervisor|employee)\b")
        .expect("person pattern")
});

static INFORMATION_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:until when|when|how long|how many|how much|how do|how does|how can i|what|which|why|where can i|is it possible|is there|are there|do you|does|do i|can i|could i|am i|may i|is it|(?:can|could|may|will|would|should)\s+(?:a|an|the|it|they|we|one|someone|anyone|this|that)\b)\b")
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

static OWN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:my|mine|our|i have|i've got)\b").expect("own pattern"));
static HOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:until when|when|how|why|what|which|where can i|can i|could i|may i|do i|should i|do you|does|is it possible)\b")
        .expect("how pattern")
});

static STATE_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:is|are|has|have|does|do|did|was|were|will|am)\b")
        .expect("question pattern")
});

/// Whether `text` asks about the customer's own situation ("is there an
/// outage in my area?", "is my line working?") rather than how things work
/// in general ("how do I restart my router?") or tells a story.
pub fn asks_about_own_situation(text: &str) -> bool {
    OWN.is_match(text)
        && !HOW.is_match(text)
        && (STATE_QUESTION.is_match(text) || text.trim_end().ends_with('?'))
}

/// Whether `text` asks for a person.
pub fn asks_for_person(text: &str) -> bool {
    PERSON.is_match(text)
}

/// Whether `text` asks for something to be done ("please", "can you", "I want").
pub fn is_request(text: &str) -> bool {
    REQUEST.is_match(text)
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
    text.split_whitespace().count() <= 3
        && !text.contains('?')
        && !text.chars().any(|c| c.is_ascii_digit())
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
    fn questions_and_thanks_are_not_requests() {
        assert!(is_information_question(
            "until when can I cancel order 1002?"
        ));
        assert!(is_information_question("how long does a refund take?"));
        assert!(!is_information_question("can you cancel order 1002?"));
        assert!(!is_information_question("cancel order 1002"));
        assert!(is_information_question(
            "can an order still be cancelled after it ships?"
        ));
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
