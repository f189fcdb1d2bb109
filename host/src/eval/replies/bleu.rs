//! BLEU as sacrebleu computes it by default: the 13a tokenisation of
//! mteval-v13a, case-sensitive, clipped n-gram matches against one
//! reference, the brevity penalty, and "exp" smoothing of orders without a
//! match, for orders 1 to [`MAX_ORDER`].
//!
//! Statistics are kept per reply and added up, so that a group of replies
//! (a variant, a tag) gets corpus BLEU, as `sacrebleu.corpus_bleu` does.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The highest n-gram order reported (BLEU-1, -2 and -3).
pub const MAX_ORDER: usize = 3;

/// The sufficient statistics of BLEU for one or more replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BleuStats {
    /// Tokens of the replies.
    pub hypothesis_len: usize,
    /// Tokens of the references.
    pub reference_len: usize,
    /// Clipped n-gram matches per order (1-grams first).
    pub matches: [usize; MAX_ORDER],
    /// N-grams of the replies per order.
    pub totals: [usize; MAX_ORDER],
}

impl BleuStats {
    /// The statistics of `hypothesis` against `reference`.
    pub fn of(hypothesis: &str, reference: &str) -> Self {
        let hyp = tokenize_13a(hypothesis);
        let reference = tokenize_13a(reference);
        let mut stats = BleuStats {
            hypothesis_len: hyp.len(),
            reference_len: reference.len(),
            ..BleuStats::default()
        };
        for n in 1..=MAX_ORDER {
            let hyp_counts = ngrams(&hyp, n);
            let ref_counts = ngrams(&reference, n);
            stats.totals[n - 1] = hyp.len().saturating_sub(n - 1);
            stats.matches[n - 1] = hyp_counts
                .iter()
                .map(|(gram, count)| (*count).min(ref_counts.get(gram).copied().unwrap_or(0)))
                .sum();
        }
        stats
    }

    /// Adds another reply's statistics (corpus BLEU sums them).
    pub fn add(&mut self, other: &BleuStats) {
        self.hypothesis_len += other.hypothesis_len;
        self.reference_len += other.reference_len;
        for n in 0..MAX_ORDER {
            self.matches[n] += other.matches[n];
            self.totals[n] += other.totals[n];
        }
    }

    /// BLEU up to n-grams of `order` (1 to [`MAX_ORDER`]), from 0 to 100.
    pub fn bleu(&self, order: usize) -> f64 {
        let order = order.clamp(1, MAX_ORDER);
        // sacrebleu's `my_log(0)`.
        // sacrebleu stops early when nothing matches at any order (its #141).
        if self.matches[..order].iter().all(|m| *m == 0) {
            return 0.0;
        }
        let log = |p: f64| if p == 0.0 { -9_999_999_999.0 } else { p.ln() };
        let mut precisions = [0.0f64; MAX_ORDER];
        let mut smooth = 1.0;
        for (n, precision) in precisions.iter_mut().enumerate().take(order) {
            if self.totals[n] == 0 {
                break;
            }
            *precision = if self.matches[n] == 0 {
                smooth *= 2.0;
                100.0 / (smooth * self.totals[n] as f64)
            } else {
                100.0 * self.matches[n] as f64 / self.totals[n] as f64
            };
        }
        let brevity = if self.hypothesis_len < self.reference_len {
            if self.hypothesis_len == 0 {
                0.0
            } else {
                (1.0 - self.reference_len as f64 / self.hypothesis_len as f64).exp()
            }
        } else {
            1.0
        };
        let mean = precisions[..order].iter().map(|p| log(*p)).sum::<f64>() / order as f64;
        brevity * mean.exp()
    }
}

/// The n-grams of `tokens` with their counts.
fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
    counts
}

/// mteval-v13a's rules, in order, as sacrebleu writes them.
static RULES: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    let rule = |pattern: &str| Regex::new(pattern).expect("a valid 13a rule");
    [
        // Punctuation and symbols (Western languages).
        (rule(r"([{-~\[-` -&(-+:-@/])"), " ${1} "),
        // Period and comma unless preceded by a digit …
        (rule(r"([^0-9])([\.,])"), "${1} ${2} "),
        // … or followed by one.
        (rule(r"([\.,])([^0-9])"), " ${1} ${2}"),
        // A dash after a digit.
        (rule(r"([0-9])(-)"), "${1} ${2} "),
    ]
});

/// Tokenises `line` as sacrebleu's default tokenizer ("13a") does.
pub fn tokenize_13a(line: &str) -> Vec<String> {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let mut line = format!(" {line} ");
    for (rule, replacement) in RULES.iter() {
        line = rule.replace_all(&line, *replacement).into_owned();
    }
    line.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_13a_tokenizer_splits_punctuation_but_keeps_numbers() {
        assert_eq!(
            tokenize_13a("Your refund of 12.50 EUR (order #1001) is on its way, thanks!"),
            [
                "Your", "refund", "of", "12.50", "EUR", "(", "order", "#", "1001", ")", "is", "on",
                "its", "way", ",", "thanks", "!"
            ]
        );
        assert_eq!(tokenize_13a("3-5 days."), ["3", "-", "5", "days", "."]);
    }

    #[test]
    fn identical_replies_score_100_disjoint_ones_0_and_missing_orders_are_smoothed() {
        let same = BleuStats::of("the parcel ships today", "the parcel ships today");
        for order in 1..=MAX_ORDER {
            assert!((same.bleu(order) - 100.0).abs() < 1e-9);
        }
        // No match at any order is 0, as in sacrebleu; a missing higher
        // order is smoothed ("exp": 100 / (2 · 2 bigrams)).
        assert_eq!(BleuStats::of("hello there", "goodbye friend").bleu(3), 0.0);
        let smoothed = BleuStats::of("hello there friend", "hello my friend");
        let expected = (100.0f64 * 2.0 / 3.0 * 100.0 / 4.0).sqrt();
        assert!(
            (smoothed.bleu(2) - expected).abs() < 1e-9,
            "{}",
            smoothed.bleu(2)
        );
        assert_eq!(BleuStats::of("", "something").bleu(1), 0.0);
    }
}
