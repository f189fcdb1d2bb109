//! The AVX-512 micro-kernel: an `MR × 32` block of `C` in `2·MR` zmm
//! registers; per step of `k`, two (masked) loads of `B` and `MR`
//! broadcasts of `A` feed `2·MR` FMAs.

use std::arch::x86_64::*;

use crate::lanes::first_lanes_avx512;

/// How many rows of `B` ahead to prefetch: the key and value caches come
/// from memory, not from cache, when decoding.
const PREFETCH_ROWS: usize = 16;

/// # Safety
/// AVX-512F and FMA must be available; `a` must hold `k·MR` values, `b`
/// `k` rows of `cols` values `ldb` apart, and `c` `rows` rows of `cols`
/// values `ldc` apart.
#[target_feature(enable = "avx512f,fma")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn micro<const MR: usize>(
    k: usize,
    a: *const f32,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
) {
    let m0 = first_lanes_avx512(cols);
    let m1 = first_lanes_avx512(cols.saturating_sub(16));
    if MR == 1 {
        // SAFETY: forwarded from the caller.
        return unsafe { one_row(k, a, b, ldb, c, m0, m1, accumulate) };
    }
    let mut c0 = [_mm512_setzero_ps(); MR];
    let mut c1 = [_mm512_setzero_ps(); MR];
    for kk in 0..k {
        // SAFETY: row `kk` of B and column `kk` of the A tile are in bounds
        // (the caller's contract); the masks keep B's loads to `cols`.
        unsafe {
            let row = b.add(kk * ldb);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(PREFETCH_ROWS * ldb) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(PREFETCH_ROWS * ldb + 16) as *const i8);
            let b0 = _mm512_maskz_loadu_ps(m0, row);
            let b1 = _mm512_maskz_loadu_ps(m1, row.wrapping_add(16));
            let column = a.add(kk * MR);
            for i in 0..MR {
                let ai = _mm512_set1_ps(*column.add(i));
                c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
            }
        }
    }
    for i in 0..rows.min(MR) {
        // SAFETY: row `i < rows` of the C block, `cols` values (masked).
        unsafe {
            let out = c.add(i * ldc);
            let (mut v0, mut v1) = (c0[i], c1[i]);
            if accumulate {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, out));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, out.wrapping_add(16)));
            }
            _mm512_mask_storeu_ps(out, m0, v0);
            _mm512_mask_storeu_ps(out.wrapping_add(16), m1, v1);
        }
    }
}

/// One row of `C` (decoding's attention): a single accumulator pair would
/// wait on the FMA latency every step, so four pairs take turns over `k`.
///
/// # Safety
/// As [`micro`] with `MR = 1`.
#[target_feature(enable = "avx512f,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn one_row(
    k: usize,
    a: *const f32,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    m0: __mmask16,
    m1: __mmask16,
    accumulate: bool,
) {
    const LANES: usize = 4;
    let mut c0 = [_mm512_setzero_ps(); LANES];
    let mut c1 = [_mm512_setzero_ps(); LANES];
    let mut kk = 0;
    while kk < k {
        for lane in 0..LANES.min(k - kk) {
            // SAFETY: `kk + lane < k`; the masks keep B's loads to `cols`.
            unsafe {
                let row = b.add((kk + lane) * ldb);
                _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(PREFETCH_ROWS * ldb) as *const i8);
                let ai = _mm512_set1_ps(*a.add(kk + lane));
                c0[lane] = _mm512_fmadd_ps(ai, _mm512_maskz_loadu_ps(m0, row), c0[lane]);
                c1[lane] = _mm512_fmadd_ps(
                    ai,
                    _mm512_maskz_loadu_ps(m1, row.wrapping_add(16)),
                    c1[lane],
                );
            }
        }
        kk += LANES;
    }
    let mut v0 = _mm512_add_ps(_mm512_add_ps(c0[0], c0[1]), _mm512_add_ps(c0[2], c0[3]));
    let mut v1 = _mm512_add_ps(_mm512_add_ps(c1[0], c1[1]), _mm512_add_ps(c1[2], c1[3]));
    // SAFETY: one row of `cols` values (masked), the caller's contract.
    unsafe {
        if accumulate {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, c));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, c.wrapping_add(16)));
        }
        _mm512_mask_storeu_ps(c, m0, v0);
        _mm512_mask_storeu_ps(c.wrapping_add(16), m1, v1);
    }
}
