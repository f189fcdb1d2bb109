//! The customer's message as the agent accepts it.

use super::error::InputError;

/// The longest message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Checks and cleans a message: control characters go (newlines and tabs
/// become spaces), whitespace runs collapse, and empty or over-long messages
/// are refused.
pub fn clean_message(raw: &str) -> Result<String, InputError> {
    let chars = raw.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(InputError::TooLong {
            chars,
            limit: MAX_MESSAGE_CHARS,
        });
    }
    let mut cleaned = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() || is_invisible_format(c) {
            continue;
        }
        if c == ' ' && (cleaned.is_empty() || cleaned.ends_with(' ')) {
            continue;
        }
        cleaned.push(c);
    }
    let cleaned = cleaned.trim_end().to_string();
    if cleaned.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(cleaned)
}

/// Zero-width and bidirectional formatting characters, which can hide text.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_stripped_and_spaces_collapsed() {
        assert_eq!(
            clean_message("  cancel\u{0}\u{7} order\n\n 1001\u{200B} ").unwrap(),
            "cancel order 1001"
        );
    }

    #[test]
    fn empty_and_too_long_messages_are_refused() {
        assert_eq!(clean_message(" \n\t\u{1}"), Err(InputError::Empty));
        let long = "a".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            clean_message(&long),
            Err(InputError::TooLong {
                chars: 4001,
                limit: 4000
            })
        );
        assert!(clean_message(&"a".repeat(MAX_MESSAGE_CHARS)).is_ok());
    }

    #[test]
    fn emoji_and_accents_survive() {
        assert_eq!(
            clean_message("où est ma commande 📦").unwrap(),
            "où est ma commande 📦"
        );
    }
}
