//! The reply-quality metrics against their reference implementations:
//! BLEU-1/2/3 against sacrebleu (in the peer venv under ~/.cache/deskhand,
//! made on first use) on fixed replies, sentence by sentence and as a
//! corpus, and the BERTScore-style F1 on the real embedder.

mod common;

use std::process::Command;

use deskhand::eval::replies::{BertScore, BleuStats, ReplyMetrics, ReplyScores, tokenize_13a};

/// Replies and references with the cases BLEU's details hinge on: numbers
/// with decimals, dashes after digits, punctuation runs, quotes, an empty
/// reply, a reply shorter than its reference, no 3-gram match at all.
const PAIRS: [(&str, &str); 9] = [
    (
        "Order 1002 has been cancelled. Is there anything else I can help you with?",
        "I've cancelled order 1002 for you. Is there anything else I can help with?",
    ),
    (
        "I'm sorry, order 1005 can't be cancelled: orders can only be cancelled within 10 days.",
        "I'm sorry, but order 1005 can no longer be cancelled, because orders can only be cancelled within 10 days of purchase.",
    ),
    (
        "A refund of 12.50 EUR (order #1001) is on its way!",
        "Your refund of 12.50 EUR for order #1001 is on its way.",
    ),
    (
        "Delivery takes 3-5 working days.",
        "Standard delivery takes 3-5 working days...",
    ),
    ("hello", "Hello! How can I help you today?"),
    ("", "We are open Monday to Friday."),
    (
        "The \"Express\" option costs 9.90 EUR & arrives next day.",
        "Express shipping costs 9.90 EUR and arrives the next working day.",
    ),
    (
        "Sure",
        "Unfortunately I can't share another customer's details.",
    ),
    (
        "Your line's outage ticket T-1001 is open; a technician visits on 2026-06-17.",
        "Ticket T-1001 for your outage is open, and a technician will visit on 2026-06-17.",
    ),
];

#[test]
fn bleu_matches_sacrebleu_per_reply_and_per_corpus() {
    let python = deskhand::tune::peer::python().expect("the peer venv");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.json");
    std::fs::write(&input, serde_json::to_string(&PAIRS.to_vec()).unwrap()).unwrap();
    let script = r#"
import json, sys
from sacrebleu.metrics import BLEU
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
pairs = json.load(open(sys.argv[1]))
hyps = [h for h, _ in pairs]
refs = [r for _, r in pairs]
out = {"tokens": [Tokenizer13a()(h).split() for h in hyps]}
for n in (1, 2, 3):
    bleu = BLEU(max_ngram_order=n)
    out[f"corpus{n}"] = bleu.corpus_score(hyps, [refs]).score
    out[f"sentence{n}"] = [BLEU(max_ngram_order=n).corpus_score([h], [[r]]).score for h, r in pairs]
print(json.dumps(out))
"#;
    let run = Command::new(python)
        .args(["-c", script])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "sacrebleu failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    for ((reply, _), tokens) in PAIRS.iter().zip(theirs["tokens"].as_array().unwrap()) {
        let tokens: Vec<String> = serde_json::from_value(tokens.clone()).unwrap();
        assert_eq!(tokenize_13a(reply), tokens, "13a tokens of {reply:?}");
    }
    let scores: Vec<ReplyScores> = PAIRS
        .iter()
        .map(|(reply, reference)| ReplyScores {
            bleu: Some(BleuStats::of(reply, reference)),
            ..ReplyScores::default()
        })
        .collect();
    let corpus = ReplyMetrics::of(scores.iter());
    for n in 1..=3 {
        let expected = theirs[format!("corpus{n}")].as_f64().unwrap();
        let ours = corpus.bleu[n - 1];
        assert!(
            (ours - expected).abs() < 1e-6,
            "corpus BLEU-{n}: {ours} vs sacrebleu {expected}"
        );
        for (i, (reply, reference)) in PAIRS.iter().enumerate() {
            let expected = theirs[format!("sentence{n}")][i].as_f64().unwrap();
            let ours = BleuStats::of(reply, reference).bleu(n);
            assert!(
                (ours - expected).abs() < 1e-6,
                "BLEU-{n} of {reply:?}: {ours} vs sacrebleu {expected}"
            );
        }
    }
}

#[test]
fn bert_score_ranks_a_paraphrase_above_an_unrelated_reply() {
    let embedder = &common::agent::shared().embedder;
    let score = |reply: &str, reference: &str| {
        BertScore::of(
            &embedder.token_embeddings(reply).unwrap(),
            &embedder.token_embeddings(reference).unwrap(),
        )
    };
    let reference = "Your refund for order 1001 has been issued and reaches your card in 5 days.";
    let same = score(reference, reference);
    assert!((same.f1 - 1.0).abs() < 1e-4, "{same:?}");
    let paraphrase = score(
        "We have refunded order 1001; the money is back on your card within five days.",
        reference,
    );
    let unrelated = score("The weather in Lisbon is sunny today.", reference);
    assert!(
        paraphrase.f1 > unrelated.f1 + 0.05,
        "paraphrase {paraphrase:?} vs unrelated {unrelated:?}"
    );
    // The special tokens are not matched: a text's tokens are its own.
    assert_eq!(embedder.token_embeddings("hello world").unwrap().len(), 2);
}
