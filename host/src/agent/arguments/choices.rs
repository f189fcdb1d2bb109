//! One of a property's values, matched to what the customer said: the value
//! itself ("in the afternoon") or one of its synonyms ("after lunch").

use std::collections::BTreeMap;

/// The values `text` names, in the order of `values`: by their own names
/// when it names any ("I am free in the afternoon" is the afternoon, not
/// also a morning "am"), else by their synonyms.
pub fn find(
    text: &str,
    values: &[String],
    synonyms: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let words = normal(text);
    let named: Vec<String> = values
        .iter()
        .filter(|value| contains_phrase(&words, &normal(value)))
        .cloned()
        .collect();
    if !named.is_empty() {
        return named;
    }
    values
        .iter()
        .filter(|value| {
            synonyms
                .get(*value)
                .into_iter()
                .flatten()
                .any(|phrase| contains_phrase(&words, &normal(phrase)))
        })
        .cloned()
        .collect()
}

/// Lowercase words, `_` and `-` read as spaces.
fn normal(text: &str) -> String {
    let spaced: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    format!(
        " {} ",
        spaced.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn contains_phrase(words: &str, phrase: &str) -> bool {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return false;
    }
    // Whole words, and their plural: "mornings" is "morning".
    words.contains(&format!(" {phrase} ")) || words.contains(&format!(" {phrase}s "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_synonyms_are_found_as_whole_words() {
        let values = vec!["morning".to_string(), "afternoon".into(), "evening".into()];
        let synonyms = BTreeMap::from([("evening".to_string(), vec!["after work".to_string()])]);
        assert_eq!(
            find("tomorrow afternoon please", &values, &synonyms),
            ["afternoon"]
        );
        assert_eq!(find("any time after work", &values, &synonyms), ["evening"]);
        assert!(find("goodmorning", &values, &synonyms).is_empty());
        assert_eq!(find("morning or evening", &values, &synonyms).len(), 2);
        let synonyms = BTreeMap::from([("morning".to_string(), vec!["am".to_string()])]);
        assert_eq!(
            find("I am free in the afternoon", &values, &synonyms),
            ["afternoon"]
        );
        let kinds = vec!["fibre_optic".to_string()];
        assert_eq!(
            find("my fibre optic line", &kinds, &BTreeMap::new()),
            ["fibre_optic"]
        );
    }
}
