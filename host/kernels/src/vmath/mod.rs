//! Element-wise maths of the forward pass that needs `exp`: SiLU-gated
//! products and softmax. `exp` is a degree-6 polynomial after range
//! reduction by powers of two ([`exp_reference`]), within 3 ulp of
//! `f32::exp` on the range that matters (`x ≤ 88`); the AVX-512 path
//! evaluates the same polynomial 16 lanes at a time, bit for bit.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use crate::isa::Isa;
use crate::lanes::{LANES, reduce};

/// `e^x` clamps `x` to this range, where `f32` results are normal.
pub(crate) const EXP_RANGE: (f32, f32) = (-87.3, 88.7);
/// ln 2 in two parts, for an exact `x − n·ln 2`.
pub(crate) const LN2_HIGH: f32 = 0.693_145_75;
pub(crate) const LN2_LOW: f32 = 1.428_606_8e-6;
/// Taylor coefficients of `e^r`, highest power first.
pub(crate) const EXP_POLYNOMIAL: [f32; 7] = [
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// The reference `e^x`: `x = n·ln2 + r`, `|r| ≤ ln2/2`, Taylor to `r⁶`,
/// times `2ⁿ`.
#[inline]
pub fn exp_reference(x: f32) -> f32 {
    let x = x.min(EXP_RANGE.1).max(EXP_RANGE.0);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let r = (-n).mul_add(LN2_HIGH, x);
    let r = (-n).mul_add(LN2_LOW, r);
    let mut p = EXP_POLYNOMIAL[0];
    for &c in &EXP_POLYNOMIAL[1..] {
        p = p.mul_add(r, c);
    }
    // 2ⁿ for n in −126..=128, in at most two exact steps.
    let power = |e: i32| f32::from_bits(((e + 127) as u32) << 23);
    let n = n as i32;
    if n > 127 {
        p * power(127) * power(n - 127)
    } else {
        p * power(n)
    }
}
/// `out[i] = silu(gate[i]) · up[i]`, `silu(g) = g / (1 + e^(−g))`.
pub fn silu_mul(isa: Isa, gate: &[f32], up: &[f32], out: &mut [f32]) {
    assert!(gate.len() == up.len() && up.len() == out.len());
    match isa.usable() {
        // SAFETY: `usable` made sure the CPU runs AVX-512.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::silu_mul(gate, up, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::silu_mul(gate, up, out) },
        _ => {
            for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
                *o = g / (1.0 + exp_reference(-g)) * u;
            }
        }
    }
}

/// The gradients of [`silu_mul`]: with `s = σ(gate)`,
/// `d_up = dy · gate · s` and `d_gate = dy · up · s · (1 + gate · (1 − s))`.
pub fn silu_mul_backward(
    isa: Isa,
    gate: &[f32],
    up: &[f32],
    dy: &[f32],
    d_gate: &mut [f32],
    d_up: &mut [f32],
) {
    let n = gate.len();
    assert!(up.len() == n && dy.len() == n && d_gate.len() == n && d_up.len() == n);
    const CHUNK: usize = 256;
    let mut sigmoid = [0f32; CHUNK];
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let s = &mut sigmoid[..end - start];
        for (v, &g) in s.iter_mut().zip(&gate[start..end]) {
            *v = -g;
        }
        exp(isa, s);
        for v in s.iter_mut() {
            *v = 1.0 / (1.0 + *v);
        }
        for (i, &s) in s.iter().enumerate() {
            let at = start + i;
            let (g, u, d) = (gate[at], up[at], dy[at]);
            d_up[at] = d * g * s;
            d_gate[at] = d * u * s * (1.0 + g * (1.0 - s));
        }
    }
}

/// `e^x` of every value, in place.
pub fn exp(isa: Isa, values: &mut [f32]) {
    match isa.usable() {
        // SAFETY: `usable` made sure the CPU runs AVX-512.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::exp_in_place(values) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::exp_in_place(values) },
        _ => values.iter_mut().for_each(|v| *v = exp_reference(*v)),
    }
}

/// Softmax of `scale · row[..visible]` in place; `row[visible..]` becomes 0.
pub fn softmax(isa: Isa, row: &mut [f32], visible: usize, scale: f32) {
    assert!(visible >= 1 && visible <= row.len());
    let (_, sum) = exp_shifted(isa, &mut row[..visible], scale);
    let inverse = 1.0 / sum;
    scale_in_place(isa, &mut row[..visible], inverse);
    row[visible..].fill(0.0);
}

/// `row[i] = e^(scale·(row[i] − max))`, returning `(max, Σ row)`: the
/// unnormalised half of a softmax, for merging softmaxes taken in parts.
pub fn exp_shifted(isa: Isa, row: &mut [f32], scale: f32) -> (f32, f32) {
    assert!(!row.is_empty());
    match isa.usable() {
        // SAFETY: `usable` made sure the CPU runs AVX-512.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::exp_shifted(row, scale) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::exp_shifted(row, scale) },
        _ => {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut sums = [0f32; LANES];
            for (i, v) in row.iter_mut().enumerate() {
                *v = exp_reference((*v - max) * scale);
                sums[i % LANES] += *v;
            }
            (max, reduce(sums))
        }
    }
}

/// `row[i] *= factor`.
fn scale_in_place(isa: Isa, row: &mut [f32], factor: f32) {
    match isa.usable() {
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::scale_in_place(row, factor) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::scale_in_place(row, factor) },
        _ => row.iter_mut().for_each(|v| *v *= factor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Rng, relative_error};

    #[test]
    fn fast_exp_is_within_three_ulp_of_the_standard_library() {
        for isa in Isa::all_supported() {
            let xs: Vec<f32> = (-8700..8800).map(|i| i as f32 * 0.01).collect();
            let mut got = xs.clone();
            exp(isa, &mut got);
            let mut reference = xs.clone();
            exp(Isa::Scalar, &mut reference);
            assert_eq!(
                got, reference,
                "{isa} exp is not the reference's, bit for bit"
            );
            for (x, g) in xs.iter().zip(&got) {
                let want = x.exp();
                assert!(
                    (g - want).abs() <= 3.6e-7 * want,
                    "{isa} exp({x}) = {g}, not {want}"
                );
            }
        }
    }

    #[test]
    fn silu_and_softmax_agree_with_the_reference() {
        let mut rng = Rng::new(21);
        let gate: Vec<f32> = rng.vec(1000).iter().map(|v| v * 6.0).collect();
        let up = rng.vec(1000);
        let mut want = vec![0.0; 1000];
        silu_mul(Isa::Scalar, &gate, &up, &mut want);
        let textbook: Vec<f32> = gate
            .iter()
            .zip(&up)
            .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
            .collect();
        assert!(relative_error(&want, &textbook) < 1e-6);
        let scores: Vec<f32> = rng.vec(77).iter().map(|v| v * 20.0).collect();
        let mut want_soft = scores.clone();
        softmax(Isa::Scalar, &mut want_soft, 70, 0.125);
        assert!((want_soft.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(want_soft[70..].iter().all(|&v| v == 0.0));
        for isa in Isa::all_supported() {
            let mut got = vec![0.0; 1000];
            silu_mul(isa, &gate, &up, &mut got);
            assert_eq!(got, want, "{isa} silu");
            let mut soft = scores.clone();
            softmax(isa, &mut soft, 70, 0.125);
            assert_eq!(soft, want_soft, "{isa} softmax");
            assert!(soft[70..].iter().all(|&v| v == 0.0));
        }
    }
}
