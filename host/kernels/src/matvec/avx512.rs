//! The AVX-512 VNNI matrix-vector product: one pair of blocks (64 values)
//! per `vpdpbusd`, whose 16 lanes alternate between the pair's two blocks
//! (the weights and activations are stored that way), so one
//! `[dA, dB, dA, dB, …]` scale vector turns the lanes into f32. Four rows
//! go together, sharing each load of the activations and their scales.

use std::arch::x86_64::*;
use std::ops::Range;

use crate::activation::QuantizedVector;
use crate::lanes::{first_lanes_avx512, reduce_avx512};
use crate::quant::{Bits, PAIR, QuantMatrix};

/// Rows computed together.
const ROWS: usize = 4;

/// How many rows ahead the weights are prefetched.
const PREFETCH_ROWS: usize = 2 * ROWS;

/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL, VNNI and FMA.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,fma")]
pub unsafe fn rows(
    w: &QuantMatrix,
    x: &QuantizedVector,
    range: Range<usize>,
    out: &mut [f32],
    accumulate: bool,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match w.bits() {
            Bits::Four => rows_of::<4>(w, x, range, out, accumulate),
            Bits::Eight => rows_of::<8>(w, x, range, out, accumulate),
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,fma")]
unsafe fn rows_of<const BITS: usize>(
    w: &QuantMatrix,
    x: &QuantizedVector,
    range: Range<usize>,
    out: &mut [f32],
    accumulate: bool,
) {
    let pairs = w.pairs();
    let blocks = 2 * pairs;
    let row_bytes = w.row_bytes();
    let quants = w.all_quants().as_ptr();
    let scales = w.all_scales().as_ptr();
    let mins = w.all_mins().as_ptr();
    let xq = x.quants.as_ptr();
    let xd = x.scales.as_ptr();
    let low_nibbles = _mm512_set1_epi8(0x0F);
    // The upper 256 bits take the high nibbles.
    let shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    let start = range.start;
    let count = range.len();
    let mut r = 0;
    while r < count {
        let group = (count - r).min(ROWS);
        let row = start + r;
        let mut acc = [_mm512_setzero_ps(); ROWS];
        for p in 0..pairs {
            // SAFETY: rows `row..row + group` exist and each holds `pairs`
            // pairs of quants and `blocks` scales; the activations hold
            // `pairs` pairs too (checked by `matvec`).
            unsafe {
                let activations = _mm512_loadu_si512(xq.add(p * PAIR) as *const __m512i);
                let dx =
                    _mm512_broadcast_f32x2(_mm_castpd_ps(_mm_load_sd(xd.add(2 * p) as *const f64)));
                for (i, acc) in acc.iter_mut().enumerate().take(group) {
                    let q = quants.add((row + i) * row_bytes);
                    // The rows two groups on: the weights come from memory.
                    _mm_prefetch::<_MM_HINT_T0>(
                        q.wrapping_add(PREFETCH_ROWS * row_bytes + p * PAIR * BITS / 8)
                            as *const i8,
                    );
                    let weights = if BITS == 4 {
                        let packed = _mm512_broadcast_i64x4(_mm256_loadu_si256(
                            q.add(p * PAIR / 2) as *const __m256i,
                        ));
                        _mm512_and_si512(_mm512_srlv_epi64(packed, shift), low_nibbles)
                    } else {
                        _mm512_loadu_si512(q.add(p * PAIR) as *const __m512i)
                    };
                    let dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), weights, activations);
                    let dw =
                        _mm512_broadcast_f32x2(two_floats(scales.add((row + i) * blocks + 2 * p)));
                    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, dx), *acc);
                }
            }
        }
        for (i, acc) in acc.iter().enumerate().take(group) {
            // SAFETY: row `row + i` has `blocks` offsets.
            let offsets = unsafe { dot_f32(mins.add((row + i) * blocks), x.sums.as_ptr(), blocks) };
            let total = reduce_avx512(*acc) + offsets;
            let y = &mut out[r + i];
            *y = if accumulate { *y + total } else { total };
        }
        r += group;
    }
}

/// Two consecutive f32 (a pair's scales) in the low lanes, read unaligned.
///
/// # Safety
/// `p` must point to two readable f32.
#[inline]
unsafe fn two_floats(p: *const f32) -> __m128 {
    // SAFETY: the caller's promise; `read_unaligned` needs no alignment.
    let bits = unsafe { std::ptr::read_unaligned(p as *const f64) };
    // SAFETY: SSE2, part of every x86-64 CPU.
    unsafe { _mm_castpd_ps(_mm_set_sd(bits)) }
}

/// `Σ a[i]·b[i]` over `n` values.
///
/// # Safety
/// `a` and `b` must hold `n` values.
#[target_feature(enable = "avx512f,fma")]
#[inline]
unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut acc = _mm512_setzero_ps();
    let mut i = 0;
    while i < n {
        let left = n - i;
        let mask = first_lanes_avx512(left);
        // SAFETY: the mask keeps the loads inside both arrays.
        unsafe {
            let va = _mm512_maskz_loadu_ps(mask, a.add(i));
            let vb = _mm512_maskz_loadu_ps(mask, b.add(i));
            acc = _mm512_fmadd_ps(va, vb, acc);
        }
        i += 16;
    }
    reduce_avx512(acc)
}
