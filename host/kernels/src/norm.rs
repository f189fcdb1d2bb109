//! RMS normalisation and rotary position embeddings: cheap, element-wise,
//! left to the compiler's vectoriser.

/// `out = x / sqrt(mean(x²) + eps) · weight`.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    assert!(x.len() == weight.len() && out.len() == x.len());
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inverse = 1.0 / (mean_square + eps).sqrt();
    for ((o, &v), &w) in out.iter_mut().zip(x).zip(weight) {
        *o = v * inverse * w;
    }
}

/// [`rms_norm`] in place.
pub fn rms_norm_in_place(x: &mut [f32], weight: &[f32], eps: f32) {
    assert_eq!(x.len(), weight.len());
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inverse = 1.0 / (mean_square + eps).sqrt();
    for (v, &w) in x.iter_mut().zip(weight) {
        *v = *v * inverse * w;
    }
}

/// The gradient of [`rms_norm`] with respect to `x` (the weight is held
/// fixed): with `r = 1/sqrt(mean(x²) + eps)` and `g = weight · dy`,
/// `dx = r · (g − x · r² · mean(g · x))`.
pub fn rms_norm_backward(x: &[f32], weight: &[f32], eps: f32, dy: &[f32], dx: &mut [f32]) {
    assert!(x.len() == weight.len() && dy.len() == x.len() && dx.len() == x.len());
    let n = x.len() as f32;
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / n;
    let r = 1.0 / (mean_square + eps).sqrt();
    let mean_gx = x
        .iter()
        .zip(weight)
        .zip(dy)
        .map(|((&v, &w), &d)| w * d * v)
        .sum::<f32>()
        / n;
    let k = r * r * mean_gx;
    for (((o, &v), &w), &d) in dx.iter_mut().zip(x).zip(weight).zip(dy) {
        *o = r * (w * d - v * k);
    }
}

/// Which values RoPE rotates together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// `(x[2i], x[2i+1])`: GGUF llama files (their q/k rows are permuted).
    Interleaved,
    /// `(x[i], x[i + d/2])`: Qwen, GPT-NeoX.
    Halves,
}

/// Cosines and sines of every position, computed once.
#[derive(Debug, Clone)]
pub struct Rope {
    half: usize,
    style: RopeStyle,
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl Rope {
    /// Tables for `positions` positions of `head_dim`-wide heads, as candle
    /// computes them (f32 frequencies `base^(−2i/d)`).
    pub fn new(head_dim: usize, base: f32, positions: usize, style: RopeStyle) -> Self {
        let half = head_dim / 2;
        let theta: Vec<f32> = (0..half)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / head_dim as f32))
            .collect();
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for &t in &theta {
                let angle = p as f32 * t;
                cos.push(angle.cos());
                sin.push(angle.sin());
            }
        }
        Rope {
            half,
            style,
            cos,
            sin,
        }
    }

    /// Positions covered.
    pub fn positions(&self) -> usize {
        self.cos.len() / self.half.max(1)
    }

    /// Rotates one head's vector for `position`.
    pub fn apply(&self, head: &mut [f32], position: usize) {
        let cos = &self.cos[position * self.half..(position + 1) * self.half];
        let sin = &self.sin[position * self.half..(position + 1) * self.half];
        match self.style {
            RopeStyle::Interleaved => {
                for (i, pair) in head.chunks_exact_mut(2).enumerate() {
                    let (a, b) = (pair[0], pair[1]);
                    pair[0] = a * cos[i] - b * sin[i];
                    pair[1] = a * sin[i] + b * cos[i];
                }
            }
            RopeStyle::Halves => {
                let (first, second) = head.split_at_mut(self.half);
                for i in 0..self.half {
                    let (a, b) = (first[i], second[i]);
                    first[i] = a * cos[i] - b * sin[i];
                    second[i] = a * sin[i] + b * cos[i];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_keeps_lengths_and_position_zero_is_the_identity() {
        for style in [RopeStyle::Interleaved, RopeStyle::Halves] {
            let rope = Rope::new(8, 10_000.0, 16, style);
            let original: Vec<f32> = (0..8).map(|i| i as f32 - 3.5).collect();
            let mut v = original.clone();
            rope.apply(&mut v, 0);
            assert_eq!(v, original);
            rope.apply(&mut v, 11);
            let norm = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>();
            assert!((norm(&v) - norm(&original)).abs() < 1e-3);
            assert_ne!(v, original);
        }
    }

    #[test]
    fn interleaved_rope_turns_neighbours_and_halves_rope_turns_values_half_a_head_apart() {
        // Head of 4, base 100: frequencies 1 and 0.1; position 1.
        let (c, s) = (1f32.cos(), 1f32.sin());
        let mut v = [1.0, 0.0, 0.0, 0.0];
        Rope::new(4, 100.0, 2, RopeStyle::Interleaved).apply(&mut v, 1);
        assert_eq!(v, [c, s, 0.0, 0.0]);
        let mut v = [1.0, 0.0, 0.0, 0.0];
        Rope::new(4, 100.0, 2, RopeStyle::Halves).apply(&mut v, 1);
        assert_eq!(v, [c, 0.0, s, 0.0]);
        let mut v = [0.0, 1.0, 0.0, 0.0];
        Rope::new(4, 100.0, 2, RopeStyle::Halves).apply(&mut v, 1);
        let (c1, s1) = (0.1f32.cos(), 0.1f32.sin());
        assert_eq!(v, [0.0, c1, 0.0, s1]);
    }

    #[test]
    fn rms_norm_gives_unit_root_mean_square() {
        let x = [3.0, -4.0, 0.0, 5.0];
        let mut out = [0.0; 4];
        rms_norm(&x, &[1.0; 4], 0.0, &mut out);
        let rms = (out.iter().map(|v| v * v).sum::<f32>() / 4.0).sqrt();
        assert!((rms - 1.0).abs() < 1e-6);
    }
}
