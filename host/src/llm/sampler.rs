//! Choosing the next token from logits: greedy, or temperature with
//! nucleus (top-p) sampling from a seeded generator.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How to pick tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// 0 picks the most likely token every time (greedy).
    pub temperature: f32,
    /// Keep the smallest set of tokens whose probability adds up to this.
    pub top_p: f32,
    /// Seed of the random generator, for repeatable sampling.
    pub seed: u64,
    /// Generation stops before any of these strings; they are not returned.
    pub stop: Vec<String>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            max_tokens: 256,
            temperature: 0.0,
            top_p: 0.95,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

/// A seeded sampler.
pub struct Sampler {
    temperature: f32,
    top_p: f32,
    rng: StdRng,
}

impl Sampler {
    /// A sampler for `params`.
    pub fn new(params: &SamplingParams) -> Self {
        Sampler {
            temperature: params.temperature,
            top_p: params.top_p.clamp(0.0, 1.0),
            rng: StdRng::seed_from_u64(params.seed),
        }
    }

    /// Picks a token. Tokens whose logit is negative infinity are never picked.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        if self.temperature <= 0.0 {
            return argmax(logits);
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut candidates: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, &l)| (i as u32, ((l - max) / self.temperature).exp()))
            .collect();
        if candidates.is_empty() {
            return argmax(logits);
        }
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f32 = candidates.iter().map(|c| c.1).sum();
        let mut kept = 0.0;
        let mut cut = candidates.len();
        for (i, c) in candidates.iter().enumerate() {
            kept += c.1 / total;
            if kept >= self.top_p {
                cut = i + 1;
                break;
            }
        }
        candidates.truncate(cut);
        let mass: f32 = candidates.iter().map(|c| c.1).sum();
        let mut target = self.rng.random::<f32>() * mass;
        for (token, weight) in &candidates {
            if target < *weight {
                return *token;
            }
            target -= weight;
        }
        candidates.last().map_or(0, |c| c.0)
    }
}

/// The index of the largest logit (the first one on ties).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// `log(softmax(logits)[token])`, computed stably.
pub fn log_prob(logits: &[f32], token: u32) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
    logits[token as usize] - max - sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_largest_logit() {
        let mut sampler = Sampler::new(&SamplingParams::default());
        assert_eq!(sampler.sample(&[0.1, 3.0, -1.0, 2.9]), 1);
    }

    #[test]
    fn sampling_is_repeatable_with_a_seed_and_never_picks_masked_tokens() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 1.0,
            seed: 7,
            ..SamplingParams::default()
        };
        let logits = [1.0, f32::NEG_INFINITY, 1.0, 0.5];
        let draw = |params: &SamplingParams| {
            let mut sampler = Sampler::new(params);
            (0..200)
                .map(|_| sampler.sample(&logits))
                .collect::<Vec<_>>()
        };
        let first = draw(&params);
        assert_eq!(first, draw(&params));
        assert!(!first.contains(&1));
        assert!(first.contains(&0) && first.contains(&2) && first.contains(&3));
    }

    #[test]
    fn top_p_drops_the_unlikely_tail() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 0.5,
            ..SamplingParams::default()
        };
        let mut sampler = Sampler::new(&params);
        let logits = [5.0, 0.0, 0.0, 0.0];
        assert!((0..100).all(|_| sampler.sample(&logits) == 0));
    }

    #[test]
    fn log_probs_are_normalised() {
        let logits = [1.0f32, 2.0, 3.0];
        let total: f32 = (0..3).map(|t| log_prob(&logits, t).exp()).sum();
        assert!((total - 1.0).abs() < 1e-5);
    }
}
