//! A BERTScore-style F1 (Zhang et al., 2020, section 3): every token of the
//! reply is matched greedily to its most similar token of the reference and
//! the other way round, by the cosine of their contextual embeddings.
//! Precision is the mean best similarity of the reply's tokens, recall that
//! of the reference's, F1 their harmonic mean. No idf weights and no
//! baseline rescaling; the embeddings are the desk embedder's last layer.

use serde::{Deserialize, Serialize};

/// Precision, recall and F1 of one reply against its reference.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BertScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl BertScore {
    /// The score of a reply's token embeddings against the reference's
    /// (each of unit length); zero when either has no tokens.
    pub fn of(reply: &[Vec<f32>], reference: &[Vec<f32>]) -> Self {
        if reply.is_empty() || reference.is_empty() {
            return BertScore::default();
        }
        let similarity: Vec<Vec<f64>> = reply
            .iter()
            .map(|x| {
                reference
                    .iter()
                    .map(|y| x.iter().zip(y).map(|(a, b)| f64::from(a * b)).sum())
                    .collect()
            })
            .collect();
        let best = |values: &mut dyn Iterator<Item = f64>| values.fold(f64::MIN, f64::max);
        let precision = similarity
            .iter()
            .map(|row| best(&mut row.iter().copied()))
            .sum::<f64>()
            / reply.len() as f64;
        let recall = (0..reference.len())
            .map(|j| best(&mut similarity.iter().map(|row| row[j])))
            .sum::<f64>()
            / reference.len() as f64;
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        BertScore {
            precision,
            recall,
            f1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn greedy_matching_follows_the_paper() {
        // Reply tokens x1 = e1, x2 = (e1 + e2)/√2; reference tokens y1 = e1,
        // y2 = e2, y3 = e3. Similarities: x1·y = (1, 0, 0), x2·y = (s, s, 0)
        // with s = 1/√2. P = (1 + s) / 2, R = (1 + s + 0) / 3.
        let reply = vec![unit(&[1.0, 0.0, 0.0]), unit(&[1.0, 1.0, 0.0])];
        let reference = vec![
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let score = BertScore::of(&reply, &reference);
        let (p, r) = ((1.0 + s) / 2.0, (1.0 + s) / 3.0);
        assert!((score.precision - p).abs() < 1e-6, "{score:?}");
        assert!((score.recall - r).abs() < 1e-6, "{score:?}");
        assert!((score.f1 - 2.0 * p * r / (p + r)).abs() < 1e-6, "{score:?}");
    }

    #[test]
    fn the_same_tokens_score_one_and_nothing_scores_zero() {
        let tokens = vec![unit(&[0.3, 0.4]), unit(&[-1.0, 2.0])];
        let score = BertScore::of(&tokens, &tokens);
        assert!((score.f1 - 1.0).abs() < 1e-6);
        assert_eq!(BertScore::of(&[], &tokens), BertScore::default());
    }
}
