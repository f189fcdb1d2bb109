//! The checks a sentence written by the model must pass before the customer
//! sees it: short, polite, finished, no numbers, no markup, and no claim of
//! an action. The actions are those of the loaded tools (their names' and
//! descriptions' first words) and the desk's own list; a tool that ran and
//! succeeded in the turn may be spoken of.

use std::sync::LazyLock;

use regex::Regex;

use crate::desk::Claims;
use crate::plugins::Catalog;

/// Actions no business's assistant may claim on its own.
const GENERIC_ACTIONS: &[&str] = &[
    "escalat",
    "process",
    "sent",
    "issued",
    "approv",
    "schedul",
    "resolv",
    "fixed",
    "complet",
    "submit",
    "forward",
    "arrang",
    "taken care",
    "sorted",
    "on its way",
];

static OFF_VOICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(ai|language model|real[- ]time|loss|condolence|access|can'?t|cannot|unable|don'?t have|as an?|translat\w*|pleasure to meet|money|payments?|paid|pay|done|back|will|been|soon|tomorrow|today|yesterday|days|weeks|receiv\w*|arriv\w*|account|repeat after)\b")
        .expect("off-voice pattern")
});
static RUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(stupid|idiot|dumb|shut up|hate|damn|hell|crap|fool)\b")
        .expect("rude pattern")
});
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(help|assist|anything else|glad|happy|thank|welcome|great day|nice day|good day|let me know|questions?|patience)\b")
        .expect("closing pattern")
});

/// The action words of one tool, as stems.
#[derive(Debug, Clone)]
struct ToolActions {
    tool: String,
    stems: Vec<String>,
}

/// What a model sentence may not say, for one catalog and desk.
#[derive(Debug, Clone)]
pub struct SentenceCheck {
    tools: Vec<ToolActions>,
    /// Stems of the desk's and the host's actions.
    actions: Vec<String>,
    /// The desk's whole words of business facts.
    words: Option<Regex>,
}

impl SentenceCheck {
    /// The check for `catalog`'s tools and the desk's `claims`.
    pub fn new(catalog: &Catalog, claims: &Claims) -> Self {
        let tools = catalog
            .plugins()
            .map(|plugin| {
                let manifest = plugin.manifest();
                ToolActions {
                    tool: manifest.name.clone(),
                    stems: action_stems(&manifest.name, &manifest.description),
                }
            })
            .collect();
        let mut actions: Vec<String> = GENERIC_ACTIONS.iter().map(|a| a.to_string()).collect();
        actions.extend(claims.actions.iter().map(|a| stem(&a.to_lowercase())));
        let words = (!claims.words.is_empty())
            .then(|| {
                let alternatives: Vec<String> = claims
                    .words
                    .iter()
                    .map(|w| regex::escape(&w.to_lowercase()))
                    .collect();
                Regex::new(&format!(r"(?i)\b(?:{})s?\b", alternatives.join("|"))).ok()
            })
            .flatten();
        SentenceCheck {
            tools,
            actions,
            words,
        }
    }

    /// The cleaned sentence, or why it was refused; `succeeded` are the
    /// tools that ran and succeeded in this turn.
    pub fn check(&self, sentence: &str, succeeded: &[String]) -> Result<String, &'static str> {
        let sentence = sentence.trim().trim_matches('"').trim();
        if sentence.chars().count() < 3 {
            return Err("empty");
        }
        if sentence.chars().count() > 200 {
            return Err("too long");
        }
        if sentence.chars().any(|c| c.is_ascii_digit()) {
            return Err("states a number");
        }
        let lower = sentence.to_lowercase();
        let claims = |stem: &str| {
            Regex::new(&format!(r"\b{}\w*", regex::escape(stem))).is_ok_and(|r| r.is_match(&lower))
        };
        let tool_claim = self
            .tools
            .iter()
            .filter(|t| !succeeded.contains(&t.tool))
            .any(|t| t.stems.iter().any(|s| claims(s)));
        if tool_claim || self.actions.iter().any(|a| claims(a)) {
            return Err("speaks of an action");
        }
        if RUDE.is_match(sentence) {
            return Err("impolite");
        }
        if sentence.contains(['@', '#', '<', '>', '{', '}', '[', ']', '*', '`'])
            || sentence.contains("http")
        {
            return Err("markup or links");
        }
        if !sentence.ends_with(['.', '!', '?']) {
            return Err("unfinished");
        }
        if OFF_VOICE.is_match(sentence) || self.words.as_ref().is_some_and(|w| w.is_match(sentence))
        {
            return Err("off-voice");
        }
        Ok(capitalised(sentence))
    }
}

/// The stems of a tool's action: the first word of its name and of its
/// description ("report_outage", "Report a fault …" → "report").
pub(super) fn action_stems(name: &str, description: &str) -> Vec<String> {
    let first = |text: &str| {
        text.split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .map(str::to_lowercase)
    };
    let mut stems: Vec<String> = [first(name), first(description)]
        .into_iter()
        .flatten()
        .filter(|w| w.len() >= 3)
        .map(|w| stem(&w))
        .collect();
    stems.dedup();
    stems
}

/// Whether `text` has a word that starts with one of `stems`.
pub(super) fn uses_stem(text: &str, stems: &[String]) -> bool {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| stems.iter().any(|s| word.starts_with(s.as_str())))
}

/// "cancel" → "cancel", "dispute" → "disput", "booking" → "book".
fn stem(word: &str) -> String {
    let word = word.trim();
    for suffix in ["ing", "ed", "es", "e", "s"] {
        if let Some(base) = word.strip_suffix(suffix)
            && base.len() >= 3
        {
            return base.to_string();
        }
    }
    word.to_string()
}

/// Whether a sentence the model wrote as a closing line sounds like one:
/// an offer of help, thanks or good wishes.
pub fn is_closing(sentence: &str) -> bool {
    CLOSING.is_match(sentence)
}

fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `sentence` mostly repeats `message` (a parrot, not an answer).
pub fn echoes(sentence: &str, message: &str) -> bool {
    let words = |t: &str| -> Vec<String> {
        t.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_string)
            .collect()
    };
    let said = words(sentence);
    let heard = words(message);
    if said.is_empty() {
        return true;
    }
    let repeated = said.iter().filter(|w| heard.contains(w)).count();
    repeated * 2 > said.len()
}

/// The first sentence of `text` (up to and including its end mark).
pub fn first_sentence(text: &str) -> &str {
    let text = text.trim_start();
    match text.find(['.', '!', '?']) {
        Some(end) => {
            // Keep runs like "?!" together.
            let rest = &text[end..];
            let extra = rest
                .chars()
                .take_while(|c| matches!(c, '.' | '!' | '?'))
                .count();
            &text[..end + extra]
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_with(tools: &[(&str, &str)], claims: Claims) -> SentenceCheck {
        SentenceCheck {
            tools: tools
                .iter()
                .map(|(name, description)| ToolActions {
                    tool: name.to_string(),
                    stems: [
                        name.split('_').next().unwrap(),
                        description.split(' ').next().unwrap(),
                    ]
                    .iter()
                    .map(|w| stem(&w.to_lowercase()))
                    .collect(),
                })
                .collect(),
            actions: GENERIC_ACTIONS
                .iter()
                .map(|a| a.to_string())
                .chain(claims.actions.iter().map(|a| stem(a)))
                .collect(),
            words: SentenceCheck::new(&Catalog::default(), &claims).words,
        }
    }

    #[test]
    fn actions_of_the_loaded_tools_and_the_desk_are_refused() {
        let check = check_with(
            &[
                ("restart_router", "Restart the customer's router"),
                ("credit_account", "Credit money"),
            ],
            Claims {
                actions: vec!["reset".into()],
                words: vec!["router".into()],
            },
        );
        assert!(check.check("I've restarted your connection.", &[]).is_err());
        assert!(
            check
                .check("I have reset everything for you.", &[])
                .is_err()
        );
        assert!(check.check("Your router looks fine.", &[]).is_err());
        assert!(check.check("Your credit has been applied.", &[]).is_err());
        assert!(
            check
                .check("Is there anything else I can help you with?", &[])
                .is_ok()
        );
        // A tool that ran may be spoken of.
        assert!(
            check
                .check(
                    "Glad I could restart that for you!",
                    &["restart_router".into()]
                )
                .is_ok()
        );
    }

    #[test]
    fn numbers_markup_rudeness_and_unfinished_sentences_are_refused() {
        let check = check_with(&[], Claims::default());
        assert!(check.check("Order 1013 belongs to Ben.", &[]).is_err());
        assert!(check.check("That is a stupid question.", &[]).is_err());
        assert!(check.check("Have a lovely day", &[]).is_err());
        assert!(
            check
                .check(
                    "I'm sorry for your loss, but as a text-based AI I can't.",
                    &[]
                )
                .is_err()
        );
        assert!(
            check
                .check("All taken care of, have a great day!", &[])
                .is_err()
        );
        assert_eq!(check.check("hello there!", &[]).unwrap(), "Hello there!");
        assert!(is_closing("Let me know if you need anything else!"));
        assert!(!is_closing("The weather is nice."));
        assert!(echoes("Thanks!", "thanks!"));
        assert!(!echoes("You're welcome, happy to help!", "thanks!"));
    }

    #[test]
    fn first_sentence_keeps_its_end_marks() {
        assert_eq!(first_sentence(" Hello there! How are you?"), "Hello there!");
        assert_eq!(first_sentence("Really?! yes"), "Really?!");
    }
}
