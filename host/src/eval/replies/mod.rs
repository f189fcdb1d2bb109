//! Reply quality beyond pass and fail: how close a reply comes to the
//! reference reply a scenario may give (`expect.reference`), by BLEU-1/2/3
//! and a BERTScore-style F1; how likely the model finds the reference
//! (perplexity); and what an LLM judge makes of the reply.
//!
//! Each turn gets its [`ReplyScores`]; [`ReplyMetrics::of`] adds up a group
//! of them (a variant, a tag) the way each metric is defined over a corpus.

mod bert_score;
mod bleu;
mod judge;

pub use bert_score::BertScore;
pub use bleu::{BleuStats, MAX_ORDER, tokenize_13a};
pub use judge::{CRITERIA, JudgeScores, judge, judge_prompt};

use serde::{Deserialize, Serialize};

use crate::llm::{ChatMessage, LlmError, ModelBackend, ModelPrompt};
use crate::retrieval::Embedder;

/// One turn as the metrics see it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The earlier (customer, assistant) messages of the conversation.
    pub history: &'a [(String, String)],
    /// The customer's message.
    pub message: &'a str,
    /// The reply scored.
    pub reply: &'a str,
    /// The scenario's reference reply, if it gives one.
    pub reference: Option<&'a str>,
}

/// What one reply scored; a metric is missing when it did not apply (no
/// reference, no judge).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ReplyScores {
    pub bleu: Option<BleuStats>,
    pub bert_score: Option<BertScore>,
    /// The reference's negative log-likelihood under the model, in nats,
    /// and its number of tokens.
    pub reference_nll: Option<(f64, usize)>,
    pub judge: Option<JudgeScores>,
}

/// What scores replies: the desk's embedder, the model of the variant (for
/// the reference's perplexity) and the judge, if one was asked for.
pub struct ReplyScorer<'a> {
    pub embedder: &'a Embedder,
    pub model: &'a dyn ModelBackend,
    /// The system prompt the reference is scored under (the desk's voice).
    pub system: String,
    pub judge: Option<&'a dyn ModelBackend>,
}

impl ReplyScorer<'_> {
    /// Scores one reply; a failing model or embedder is reported as text.
    pub fn score(&self, exchange: &Exchange<'_>) -> Result<ReplyScores, String> {
        let mut scores = ReplyScores::default();
        if let Some(reference) = exchange.reference {
            scores.bleu = Some(BleuStats::of(exchange.reply, reference));
            let embed = |text: &str| {
                self.embedder
                    .token_embeddings(text)
                    .map_err(|e| format!("embedding a reply's tokens: {e}"))
            };
            scores.bert_score = Some(BertScore::of(&embed(exchange.reply)?, &embed(reference)?));
            scores.reference_nll = self.reference_nll(exchange, reference)?;
        }
        if let Some(judge_model) = self.judge {
            scores.judge =
                Some(judge(judge_model, exchange).map_err(|e| format!("the judge failed: {e}"))?);
        }
        Ok(scores)
    }

    /// The reference's negative log-likelihood as the model's reply to the
    /// conversation so far.
    fn reference_nll(
        &self,
        exchange: &Exchange<'_>,
        reference: &str,
    ) -> Result<Option<(f64, usize)>, String> {
        let mut messages = vec![ChatMessage::new("system", self.system.clone())];
        for (question, answer) in exchange.history {
            messages.push(ChatMessage::new("user", question.clone()));
            messages.push(ChatMessage::new("assistant", answer.clone()));
        }
        messages.push(ChatMessage::new("user", exchange.message));
        let prompt = ModelPrompt::chat(&messages, 1);
        match self.model.log_likelihood(&prompt, reference) {
            Ok((log_prob, tokens)) => Ok(Some((-f64::from(log_prob), tokens))),
            // A model server cannot score a given text: no perplexity.
            Err(LlmError::Unsupported(_)) => Ok(None),
            Err(e) => Err(format!("scoring the reference: {e}")),
        }
    }
}

/// The reply metrics of a group of turns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReplyMetrics {
    /// Replies that had a reference.
    pub references: usize,
    /// Corpus BLEU-1, -2 and -3 (0 to 100).
    pub bleu: [f64; MAX_ORDER],
    /// Mean BERTScore-style F1 (0 to 1).
    pub bert_f1: f64,
    /// Perplexity of the references: exp of the mean negative
    /// log-likelihood per token.
    pub perplexity: Option<f64>,
    /// Replies the judge rated.
    pub judged: usize,
    /// Mean judge scores (1 to 5).
    pub judge: JudgeScores,
}

impl ReplyMetrics {
    /// The metrics of these replies' scores.
    pub fn of<'a>(scores: impl Iterator<Item = &'a ReplyScores>) -> Self {
        let scores: Vec<&ReplyScores> = scores.collect();
        let mut bleu = BleuStats::default();
        let (mut references, mut f1) = (0usize, 0.0);
        for stats in scores.iter().filter_map(|s| s.bleu.as_ref()) {
            bleu.add(stats);
            references += 1;
        }
        let bert: Vec<f64> = scores
            .iter()
            .filter_map(|s| s.bert_score.map(|b| b.f1))
            .collect();
        if !bert.is_empty() {
            f1 = bert.iter().sum::<f64>() / bert.len() as f64;
        }
        let (nll, tokens) = scores
            .iter()
            .filter_map(|s| s.reference_nll)
            .fold((0.0, 0usize), |(n, t), (nll, count)| (n + nll, t + count));
        let judged: Vec<&JudgeScores> = scores.iter().filter_map(|s| s.judge.as_ref()).collect();
        ReplyMetrics {
            references,
            bleu: std::array::from_fn(|i| {
                if references == 0 {
                    0.0
                } else {
                    bleu.bleu(i + 1)
                }
            }),
            bert_f1: f1,
            perplexity: (tokens > 0).then(|| (nll / tokens as f64).exp()),
            judged: judged.len(),
            judge: JudgeScores::mean(judged.into_iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_bleu_matches_sacrebleu_on_fixed_replies() {
        // sacrebleu 2.6.0: BLEU(max_ngram_order=n).corpus_score(replies, [references]).
        let replies = [
            "Your order 1001 has been cancelled.",
            "We ship abroad within 5-7 days!",
            "hello",
        ];
        let references = [
            "I have cancelled order 1001 for you.",
            "Yes, we ship abroad; delivery takes 5-7 working days.",
            "Hello! How can I help you today?",
        ];
        let scores: Vec<ReplyScores> = replies
            .iter()
            .zip(references)
            .map(|(r, reference)| ReplyScores {
                bleu: Some(BleuStats::of(r, reference)),
                ..ReplyScores::default()
            })
            .collect();
        let metrics = ReplyMetrics::of(scores.iter());
        let sacrebleu = [25.81646645832675, 17.992322955477004, 10.57904140385634];
        for (ours, theirs) in metrics.bleu.iter().zip(sacrebleu) {
            assert!((ours - theirs).abs() < 1e-9, "{ours} vs sacrebleu {theirs}");
        }
        assert_eq!(metrics.references, 3);
    }

    #[test]
    fn perplexity_is_per_token_over_the_group() {
        let scores = [
            ReplyScores {
                reference_nll: Some((2.0, 1)),
                ..ReplyScores::default()
            },
            ReplyScores {
                reference_nll: Some((4.0, 3)),
                ..ReplyScores::default()
            },
        ];
        let metrics = ReplyMetrics::of(scores.iter());
        assert!((metrics.perplexity.unwrap() - 1.5f64.exp()).abs() < 1e-12);
        assert_eq!(ReplyMetrics::of([].iter()).perplexity, None);
    }
}
