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

/// Invisible formatting characters, which can hide text from a reader but
/// not from a model: zero-width and joiner characters, bidirectional
/// controls and isolates, soft hyphens, variation selectors, and the Unicode
/// "tag" block used to smuggle instructions.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
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
    fn hidden_characters_are_stripped() {
        assert_eq!(
            clean_message("can\u{00AD}cel\u{2066} order\u{FE0F} 10\u{E0041}\u{E0042}02").unwrap(),
            "cancel order 1002"
        );
    }

    #[test]
    fn emoji_and_accents_survive() {
        assert_eq!(
            clean_message("où est ma commande 📦").unwrap(),
            "où est ma commande 📦"
        );
    }
}
