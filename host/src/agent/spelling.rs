//! Typo correction for routing: "pls cancle ordr 1002" is routed as
//! "pls cancel order 1002". Words are corrected only towards the words of
//! the route examples, and only by one edit (two for long words), so that
//! the customer's message itself is never changed, only how it is routed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// One corrected word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub from: String,
    pub to: String,
}

/// The lowercase words of `text` (letters only).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// `text` with its unknown words replaced by the nearest known word, when
/// exactly one known word is that near.
pub fn correct(text: &str, vocabulary: &HashSet<String>) -> (String, Vec<Correction>) {
    let mut corrections = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, corrections: &mut Vec<Correction>| {
        if word.is_empty() {
            return;
        }
        match nearest(word, vocabulary) {
            Some(known) => {
                corrections.push(Correction {
                    from: word.clone(),
                    to: known.clone(),
                });
                out.push_str(&known);
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut corrections);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut corrections);
    (out, corrections)
}

/// The only known word within reach of an unknown `word` of 4 letters or more.
fn nearest(word: &str, vocabulary: &HashSet<String>) -> Option<String> {
    let lower = word.to_lowercase();
    let length = lower.chars().count();
    if length < 4 || vocabulary.contains(&lower) {
        return None;
    }
    let reach = if length >= 7 { 2 } else { 1 };
    let mut found: Option<(usize, &String)> = None;
    let mut tied = false;
    for known in vocabulary {
        let distance = edit_distance(&lower, known);
        if distance > reach {
            continue;
        }
        match found {
            Some((best, _)) if distance > best => {}
            Some((best, _)) if distance == best => tied = true,
            _ => {
                found = Some((distance, known));
                tied = false;
            }
        }
    }
    if tied {
        None
    } else {
        found.map(|(_, k)| k.clone())
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> HashSet<String> {
        [
            "cancel", "order", "refund", "where", "track", "please", "delivery",
        ]
        .into_iter()
        .map(String::from)
        .collect()
    }

    #[test]
    fn typos_are_corrected_towards_known_words() {
        let (text, corrections) = correct("pls cancle ordr 1002 thx", &vocabulary());
        assert_eq!(text, "pls cancel order 1002 thx");
        assert_eq!(corrections.len(), 2);
        assert_eq!(
            correct("delivry please", &vocabulary()).0,
            "delivery please"
        );
    }

    #[test]
    fn known_short_and_far_words_stay() {
        assert_eq!(
            correct("where is my mug", &vocabulary()).0,
            "where is my mug"
        );
        assert_eq!(correct("cancellation", &vocabulary()).0, "cancellation");
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("cancle", "cancel"), 1);
        assert_eq!(edit_distance("ordr", "order"), 1);
        assert_eq!(edit_distance("refund", "refund"), 0);
    }
}
