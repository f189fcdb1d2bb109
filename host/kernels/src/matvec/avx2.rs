//! The AVX2 matrix-vector product, for CPUs without AVX-512. The sixteen
//! lanes of the AVX-512 kernel (and of the reference) become two registers
//! of eight: `low` holds lanes 0–7 (values 0–31 of a pair), `high` lanes
//! 8–15 (values 32–63). Each lane's integer sum of four products is exact,
//! and the float steps are the same fused multiply-adds, so the result has
//! the reference's bits.

use std::arch::x86_64::*;
use std::ops::Range;

use crate::activation::QuantizedVector;
use crate::lanes::{first_lanes_avx2 as first_lanes, reduce_avx2};
use crate::quant::{Bits, PAIR, QuantMatrix};

/// Rows computed together.
const ROWS: usize = 4;

/// How many rows ahead the weights are prefetched.
const PREFETCH_ROWS: usize = 2 * ROWS;

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
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

/// Lanes `l` of the result: `Σ u[4l..4l+4]·q[4l..4l+4]` for the 32 values
/// at `q`/`a` (4-bit: `q` already split into one value per byte).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn dot_small(u: __m256i, a: __m256i) -> __m256i {
    // u ≤ 15: a pair of products stays far inside i16.
    _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1))
}

/// The same for 8-bit `u` (≤ 255, which `maddubs` would saturate): widen to
/// i16, multiply-add pairs, then add neighbouring pairs.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn dot_wide(u: __m256i, a: __m256i) -> __m256i {
    let first = widened_pairs(_mm256_castsi256_si128(u), _mm256_castsi256_si128(a));
    let second = widened_pairs(
        _mm256_extracti128_si256::<1>(u),
        _mm256_extracti128_si256::<1>(a),
    );
    // hadd pairs within 128-bit halves: [L0 L1 L4 L5 | L2 L3 L6 L7].
    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_hadd_epi32(first, second))
}

/// `u[2j]·a[2j] + u[2j+1]·a[2j+1]` of 16 unsigned and 16 signed bytes.
#[target_feature(enable = "avx2")]
#[inline]
fn widened_pairs(u: __m128i, a: __m128i) -> __m256i {
    _mm256_madd_epi16(_mm256_cvtepu8_epi16(u), _mm256_cvtepi8_epi16(a))
}

#[target_feature(enable = "avx2,fma")]
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
    let low_nibbles = _mm256_set1_epi8(0x0F);
    let start = range.start;
    let count = range.len();
    let mut r = 0;
    while r < count {
        let group = (count - r).min(ROWS);
        let row = start + r;
        let mut low = [_mm256_setzero_ps(); ROWS];
        let mut high = [_mm256_setzero_ps(); ROWS];
        for p in 0..pairs {
            // SAFETY: as in the AVX-512 kernel: rows `row..row + group`
            // and the activations hold `pairs` pairs.
            unsafe {
                let a_low = _mm256_loadu_si256(xq.add(p * PAIR) as *const __m256i);
                let a_high = _mm256_loadu_si256(xq.add(p * PAIR + 32) as *const __m256i);
                let dx = two_floats(xd.add(2 * p));
                for i in 0..group {
                    let q = quants.add((row + i) * row_bytes);
                    _mm_prefetch::<_MM_HINT_T0>(
                        q.wrapping_add(PREFETCH_ROWS * row_bytes + p * PAIR * BITS / 8)
                            as *const i8,
                    );
                    let (dot_low, dot_high) = if BITS == 4 {
                        let packed = _mm256_loadu_si256(q.add(p * PAIR / 2) as *const __m256i);
                        let u_low = _mm256_and_si256(packed, low_nibbles);
                        let u_high = _mm256_and_si256(_mm256_srli_epi16::<4>(packed), low_nibbles);
                        (dot_small(u_low, a_low), dot_small(u_high, a_high))
                    } else {
                        let u_low = _mm256_loadu_si256(q.add(p * PAIR) as *const __m256i);
                        let u_high = _mm256_loadu_si256(q.add(p * PAIR + 32) as *const __m256i);
                        (dot_wide(u_low, a_low), dot_wide(u_high, a_high))
                    };
                    let dw = two_floats(scales.add((row + i) * blocks + 2 * p));
                    let scale = _mm256_mul_ps(dw, dx);
                    low[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_low), scale, low[i]);
                    high[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_high), scale, high[i]);
                }
            }
        }
        for i in 0..group {
            // SAFETY: row `row + i` has `blocks` offsets.
            let offsets = unsafe { dot_f32(mins.add((row + i) * blocks), x.sums.as_ptr(), blocks) };
            let total = reduce_avx2(low[i], high[i]) + offsets;
            let y = &mut out[r + i];
            *y = if accumulate { *y + total } else { total };
        }
        r += group;
    }
}

/// Two consecutive f32 (a pair's scales) repeated over eight lanes.
///
/// # Safety
/// `p` must point to two readable f32.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn two_floats(p: *const f32) -> __m256 {
    // SAFETY: the caller's promise; `read_unaligned` needs no alignment.
    let bits = unsafe { std::ptr::read_unaligned(p as *const f64) };
    _mm256_castpd_ps(_mm256_set1_pd(bits))
}

/// `Σ a[i]·b[i]` over `n` values, in the 16 lanes of the reference.
///
/// # Safety
/// `a` and `b` must hold `n` values.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut low = _mm256_setzero_ps();
    let mut high = _mm256_setzero_ps();
    let mut i = 0;
    while i < n {
        let left = n - i;
        let (m0, m1) = (first_lanes(left), first_lanes(left.saturating_sub(8)));
        // SAFETY: the masks keep the loads inside both arrays.
        unsafe {
            let (va, vb) = (
                _mm256_maskload_ps(a.add(i), m0),
                _mm256_maskload_ps(b.add(i), m0),
            );
            low = _mm256_fmadd_ps(va, vb, low);
            if left > 8 {
                let va = _mm256_maskload_ps(a.add(i + 8), m1);
                let vb = _mm256_maskload_ps(b.add(i + 8), m1);
                high = _mm256_fmadd_ps(va, vb, high);
            }
        }
        i += 16;
    }
    reduce_avx2(low, high)
}
