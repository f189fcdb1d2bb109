//! AVX2 `exp`, SiLU and softmax, eight lanes at a time. Sums keep the
//! reference's sixteen lanes as two registers, and `2ⁿ` is built from the
//! exponent bits in the reference's two steps, so results are bit for bit
//! the reference's.

use std::arch::x86_64::*;

use super::{EXP_POLYNOMIAL, EXP_RANGE, LN2_HIGH, LN2_LOW};
use crate::lanes::first_lanes_avx2 as first_lanes;
use crate::lanes::reduce_avx2;

/// `e^x` for 8 lanes, as [`super::exp_reference`] computes it.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub fn exp(x: __m256) -> __m256 {
    let x = _mm256_max_ps(
        _mm256_min_ps(x, _mm256_set1_ps(EXP_RANGE.1)),
        _mm256_set1_ps(EXP_RANGE.0),
    );
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HIGH), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LOW), r);
    let mut p = _mm256_set1_ps(EXP_POLYNOMIAL[0]);
    for &c in &EXP_POLYNOMIAL[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    }
    // n ∈ −126..=128: p·2^min(n, 127), then ·2^(n − 127) where n = 128.
    let n = _mm256_cvtps_epi32(n);
    let first = _mm256_min_epi32(n, _mm256_set1_epi32(127));
    let rest = _mm256_max_epi32(
        _mm256_sub_epi32(n, _mm256_set1_epi32(127)),
        _mm256_setzero_si256(),
    );
    _mm256_mul_ps(_mm256_mul_ps(p, power_of_two(first)), power_of_two(rest))
}

/// `2ᵉ` for exponents in −126..=127, from the exponent bits.
#[target_feature(enable = "avx2")]
#[inline]
fn power_of_two(e: __m256i) -> __m256 {
    _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        e,
        _mm256_set1_epi32(127),
    )))
}

/// # Safety
/// AVX2 and FMA must be available.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn exp_in_place(values: &mut [f32]) {
    let n = values.len();
    let mut i = 0;
    while i < n {
        let mask = first_lanes(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let p = values.as_mut_ptr().add(i);
            _mm256_maskstore_ps(p, mask, exp(_mm256_maskload_ps(p, mask)));
        }
        i += 8;
    }
}

/// # Safety
/// AVX2 and FMA must be available.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn silu_mul(gate: &[f32], up: &[f32], out: &mut [f32]) {
    let n = out.len();
    let one = _mm256_set1_ps(1.0);
    let mut i = 0;
    while i < n {
        let mask = first_lanes(n - i);
        // SAFETY: the mask keeps every access below `n`, the common length.
        unsafe {
            let g = _mm256_maskload_ps(gate.as_ptr().add(i), mask);
            let u = _mm256_maskload_ps(up.as_ptr().add(i), mask);
            let e = exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
            let silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
            _mm256_maskstore_ps(out.as_mut_ptr().add(i), mask, _mm256_mul_ps(silu, u));
        }
        i += 8;
    }
}

/// # Safety
/// AVX2 and FMA must be available; `row` must not be empty.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn exp_shifted(row: &mut [f32], scale: f32) -> (f32, f32) {
    let n = row.len();
    let p = row.as_mut_ptr();
    let mut max = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut i = 0;
    while i < n {
        let mask = first_lanes(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let v = _mm256_maskload_ps(p.add(i), mask);
            let v = _mm256_blendv_ps(
                _mm256_set1_ps(f32::NEG_INFINITY),
                v,
                _mm256_castsi256_ps(mask),
            );
            // NaN in `v` keeps `max`, as `f32::max` does in the reference.
            max = _mm256_max_ps(v, max);
        }
        i += 8;
    }
    let mut lanes = [0f32; 8];
    // SAFETY: eight floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), max) };
    let max = lanes.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let shift = _mm256_set1_ps(max);
    let scale = _mm256_set1_ps(scale);
    // Lanes 0–7 and 8–15 of the reference's sixteen.
    let mut sums = [_mm256_setzero_ps(); 2];
    let mut i = 0;
    while i < n {
        let mask = first_lanes(n - i);
        // SAFETY: as above.
        unsafe {
            let v = _mm256_maskload_ps(p.add(i), mask);
            let e = exp(_mm256_mul_ps(_mm256_sub_ps(v, shift), scale));
            let e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
            let half = (i / 8) % 2;
            sums[half] = _mm256_add_ps(sums[half], e);
            _mm256_maskstore_ps(p.add(i), mask, e);
        }
        i += 8;
    }
    (max, reduce_avx2(sums[0], sums[1]))
}

/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn scale_in_place(row: &mut [f32], factor: f32) {
    let n = row.len();
    let factor = _mm256_set1_ps(factor);
    let mut i = 0;
    while i < n {
        let mask = first_lanes(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let p = row.as_mut_ptr().add(i);
            _mm256_maskstore_ps(p, mask, _mm256_mul_ps(_mm256_maskload_ps(p, mask), factor));
        }
        i += 8;
    }
}
