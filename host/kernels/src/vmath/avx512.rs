//! AVX-512 `exp`, SiLU and softmax, 16 lanes at a time with masked tails.

use std::arch::x86_64::*;

use super::{EXP_POLYNOMIAL, EXP_RANGE, LN2_HIGH, LN2_LOW};
use crate::lanes::{first_lanes_avx512 as tail_mask, reduce_avx512};

/// `e^x` for 16 lanes, as [`super::exp_reference`] computes it: the same
/// fused steps, then `vscalefps` by `n`.
#[target_feature(enable = "avx512f,fma")]
#[inline]
pub fn exp(x: __m512) -> __m512 {
    let x = _mm512_max_ps(
        _mm512_min_ps(x, _mm512_set1_ps(EXP_RANGE.1)),
        _mm512_set1_ps(EXP_RANGE.0),
    );
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HIGH), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LOW), r);
    let mut p = _mm512_set1_ps(EXP_POLYNOMIAL[0]);
    for &c in &EXP_POLYNOMIAL[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    _mm512_scalef_ps(p, n)
}

/// # Safety
/// AVX-512F and FMA must be available.
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn exp_in_place(values: &mut [f32]) {
    let n = values.len();
    let mut i = 0;
    while i < n {
        let mask = tail_mask(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let p = values.as_mut_ptr().add(i);
            _mm512_mask_storeu_ps(p, mask, exp(_mm512_maskz_loadu_ps(mask, p)));
        }
        i += 16;
    }
}

/// # Safety
/// AVX-512F and FMA must be available.
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn silu_mul(gate: &[f32], up: &[f32], out: &mut [f32]) {
    let n = out.len();
    let one = _mm512_set1_ps(1.0);
    let mut i = 0;
    while i < n {
        let mask = tail_mask(n - i);
        // SAFETY: the mask keeps every access below `n`, the common length.
        unsafe {
            let g = _mm512_maskz_loadu_ps(mask, gate.as_ptr().add(i));
            let u = _mm512_maskz_loadu_ps(mask, up.as_ptr().add(i));
            let e = exp(_mm512_sub_ps(_mm512_setzero_ps(), g));
            let silu = _mm512_div_ps(g, _mm512_add_ps(one, e));
            _mm512_mask_storeu_ps(out.as_mut_ptr().add(i), mask, _mm512_mul_ps(silu, u));
        }
        i += 16;
    }
}

/// # Safety
/// AVX-512F and FMA must be available; `row` must not be empty.
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn exp_shifted(row: &mut [f32], scale: f32) -> (f32, f32) {
    let n = row.len();
    let p = row.as_mut_ptr();
    let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut i = 0;
    while i < n {
        let mask = tail_mask(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let v = _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), mask, p.add(i));
            // NaN in `v` keeps `max`, as `f32::max` does in the reference.
            max = _mm512_max_ps(v, max);
        }
        i += 16;
    }
    let max = _mm512_reduce_max_ps(max);
    let shift = _mm512_set1_ps(max);
    let scale = _mm512_set1_ps(scale);
    let mut sum = _mm512_setzero_ps();
    let mut i = 0;
    while i < n {
        let mask = tail_mask(n - i);
        // SAFETY: as above.
        unsafe {
            let v = _mm512_maskz_loadu_ps(mask, p.add(i));
            let e = _mm512_maskz_mov_ps(mask, exp(_mm512_mul_ps(_mm512_sub_ps(v, shift), scale)));
            sum = _mm512_add_ps(sum, e);
            _mm512_mask_storeu_ps(p.add(i), mask, e);
        }
        i += 16;
    }
    (max, reduce_avx512(sum))
}

/// # Safety
/// AVX-512F must be available.
#[target_feature(enable = "avx512f")]
pub unsafe fn scale_in_place(row: &mut [f32], factor: f32) {
    let n = row.len();
    let factor = _mm512_set1_ps(factor);
    let mut i = 0;
    while i < n {
        let mask = tail_mask(n - i);
        // SAFETY: masked to the slice.
        unsafe {
            let p = row.as_mut_ptr().add(i);
            _mm512_mask_storeu_ps(
                p,
                mask,
                _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, p), factor),
            );
        }
        i += 16;
    }
}
