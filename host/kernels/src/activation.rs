//! Activations quantised to signed bytes for the integer matrix-vector
//! product: 32-value blocks with a scale each, stored in the same pair order
//! as the weights (see [`crate::quant`]).

use crate::quant::{BLOCK, PAIR, pair_position};

/// A vector quantised to i8 blocks, reused from call to call.
#[derive(Debug, Clone, Default)]
pub struct QuantizedVector {
    len: usize,
    pairs: usize,
    pub(crate) quants: Vec<i8>,
    /// Each block's scale `dx`.
    pub(crate) scales: Vec<f32>,
    /// Each block's `dx · Σq`, for the weights' offsets.
    pub(crate) sums: Vec<f32>,
}

impl QuantizedVector {
    /// Quantises `x`, padding to a whole number of pairs with zeros.
    pub fn quantize(&mut self, x: &[f32]) {
        let pairs = x.len().div_ceil(PAIR);
        self.len = x.len();
        self.pairs = pairs;
        self.quants.clear();
        self.quants.resize(pairs * PAIR, 0);
        self.scales.clear();
        self.scales.resize(pairs * 2, 0.0);
        self.sums.clear();
        self.sums.resize(pairs * 2, 0.0);
        for (b, chunk) in x.chunks(BLOCK).enumerate() {
            let amax = chunk.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inverse = if d > 0.0 { 1.0 / d } else { 0.0 };
            let pair = &mut self.quants[(b / 2) * PAIR..][..PAIR];
            let mut sum = 0i32;
            for (j, &v) in chunk.iter().enumerate() {
                let q = (v * inverse).round() as i8;
                sum += i32::from(q);
                pair[pair_position((b % 2) * BLOCK + j)] = q;
            }
            self.scales[b] = d;
            self.sums[b] = d * sum as f32;
        }
    }

    /// Values quantised (before padding).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was quantised.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pairs of blocks held.
    pub fn pairs(&self) -> usize {
        self.pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    #[test]
    fn quantised_values_reconstruct_within_half_a_step_and_padding_is_zero() {
        let x = Rng::new(11).vec(70);
        let mut q = QuantizedVector::default();
        q.quantize(&x);
        assert_eq!(q.pairs(), 2);
        for (i, &v) in x.iter().enumerate() {
            let b = i / BLOCK;
            let back =
                q.scales[b] * f32::from(q.quants[(i / PAIR) * PAIR + pair_position(i % PAIR)]);
            assert!((back - v).abs() <= q.scales[b] * 0.5 + 1e-6);
        }
        for i in 70..128 {
            assert_eq!(q.quants[(i / PAIR) * PAIR + pair_position(i % PAIR)], 0);
        }
        assert_eq!((q.scales[3], q.sums[3]), (0.0, 0.0));
    }
}
