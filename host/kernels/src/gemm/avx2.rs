//! The AVX2 micro-kernel. Sixteen registers cannot hold a 12 × 32 block, so
//! the block is computed in pieces of up to 6 rows × 16 columns (12
//! accumulators); every element of `C` is still one chain of fused
//! multiply-adds over `k` in order, so the result has the reference's bits.

use std::arch::x86_64::*;

use crate::lanes::first_lanes_avx2 as first_lanes;

/// How many rows of `B` ahead to prefetch (see the AVX-512 kernel).
const PREFETCH_ROWS: usize = 16;

/// # Safety
/// AVX2 and FMA must be available; `a` must hold `k·MR` values, `b` `k`
/// rows of `cols` values `ldb` apart, and `c` `rows` rows of `cols` values
/// `ldc` apart.
#[target_feature(enable = "avx2,fma")]
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
    for half in 0..2 {
        let width = cols.saturating_sub(16 * half).min(16);
        if width == 0 {
            break;
        }
        let (b, c) = (b.wrapping_add(16 * half), c.wrapping_add(16 * half));
        // SAFETY: the same block, narrowed to columns `16·half..`.
        unsafe {
            if MR == 1 {
                one_row(k, a, b, ldb, c, width, accumulate);
            } else {
                let mut first = 0;
                while first < rows {
                    let take = (rows - first).min(6);
                    piece::<MR>(k, a, first, take, b, ldb, c, ldc, width, accumulate);
                    first += take;
                }
            }
        }
    }
}

/// Rows `first..first + take` (at most 6) × `width` (at most 16) columns.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn piece<const MR: usize>(
    k: usize,
    a: *const f32,
    first: usize,
    take: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    width: usize,
    accumulate: bool,
) {
    let (m0, m1) = (first_lanes(width), first_lanes(width.saturating_sub(8)));
    let mut c0 = [_mm256_setzero_ps(); 6];
    let mut c1 = [_mm256_setzero_ps(); 6];
    for kk in 0..k {
        // SAFETY: row `kk` of B (masked to `width`) and column `kk` of the
        // A tile are in bounds (the caller's contract).
        unsafe {
            let row = b.add(kk * ldb);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(PREFETCH_ROWS * ldb) as *const i8);
            let b0 = _mm256_maskload_ps(row, m0);
            let b1 = _mm256_maskload_ps(row.wrapping_add(8), m1);
            let column = a.add(kk * MR + first);
            for i in 0..take {
                let ai = _mm256_set1_ps(*column.add(i));
                c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
                c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
            }
        }
    }
    for i in 0..take {
        // SAFETY: row `first + i < rows` of the C block, masked to `width`.
        unsafe { store(c.add((first + i) * ldc), c0[i], c1[i], m0, m1, accumulate) };
    }
}

/// One row (decoding's attention): four partial sums take turns over `k`,
/// as in the AVX-512 kernel and the reference.
#[target_feature(enable = "avx2,fma")]
unsafe fn one_row(
    k: usize,
    a: *const f32,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    width: usize,
    accumulate: bool,
) {
    const PARTS: usize = 4;
    let (m0, m1) = (first_lanes(width), first_lanes(width.saturating_sub(8)));
    let mut c0 = [_mm256_setzero_ps(); PARTS];
    let mut c1 = [_mm256_setzero_ps(); PARTS];
    for kk in 0..k {
        let part = kk % PARTS;
        // SAFETY: `kk < k`; the masks keep B's loads to `width`.
        unsafe {
            let row = b.add(kk * ldb);
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(PREFETCH_ROWS * ldb) as *const i8);
            let ai = _mm256_set1_ps(*a.add(kk));
            c0[part] = _mm256_fmadd_ps(ai, _mm256_maskload_ps(row, m0), c0[part]);
            c1[part] = _mm256_fmadd_ps(ai, _mm256_maskload_ps(row.wrapping_add(8), m1), c1[part]);
        }
    }
    let v0 = _mm256_add_ps(_mm256_add_ps(c0[0], c0[1]), _mm256_add_ps(c0[2], c0[3]));
    let v1 = _mm256_add_ps(_mm256_add_ps(c1[0], c1[1]), _mm256_add_ps(c1[2], c1[3]));
    // SAFETY: one row of `width` values (masked), the caller's contract.
    unsafe { store(c, v0, v1, m0, m1, accumulate) };
}

/// Writes (or adds to) up to 16 values of one row of `C`.
///
/// # Safety
/// `c` must be valid for the lanes the masks select.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn store(c: *mut f32, v0: __m256, v1: __m256, m0: __m256i, m1: __m256i, accumulate: bool) {
    // SAFETY: the caller's promise, masked.
    unsafe {
        let (mut v0, mut v1) = (v0, v1);
        if accumulate {
            v0 = _mm256_add_ps(v0, _mm256_maskload_ps(c, m0));
            v1 = _mm256_add_ps(v1, _mm256_maskload_ps(c.wrapping_add(8), m1));
        }
        _mm256_maskstore_ps(c, m0, v0);
        _mm256_maskstore_ps(c.wrapping_add(8), m1, v1);
    }
}
