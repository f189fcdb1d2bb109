//! Sums over the 16 lanes of an AVX-512 register, in one fixed order that
//! the AVX-512 kernels and their scalar references share: halves added
//! pairwise (16 → 8 → 4 → 2 → 1). With it, and with fused multiply-adds
//! in the same order, a fast path and its reference round alike and give
//! the same bits.

/// Lanes of an AVX-512 register of f32.
pub const LANES: usize = 16;

/// `Σ v` in the shared order.
#[inline]
pub fn reduce(v: [f32; LANES]) -> f32 {
    let mut eight = [0f32; 8];
    for (i, e) in eight.iter_mut().enumerate() {
        *e = v[i] + v[i + 8];
    }
    let four = [
        eight[0] + eight[4],
        eight[1] + eight[5],
        eight[2] + eight[6],
        eight[3] + eight[7],
    ];
    let two = [four[0] + four[2], four[1] + four[3]];
    two[0] + two[1]
}

/// [`reduce`] of a register.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub fn reduce_avx512(v: std::arch::x86_64::__m512) -> f32 {
    use std::arch::x86_64::*;
    let low = _mm512_castps512_ps256(v);
    let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
    reduce_avx2(low, high)
}

/// [`reduce`] of sixteen lanes held as two AVX registers (`low`: lanes
/// 0–7, `high`: 8–15).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub fn reduce_avx2(low: std::arch::x86_64::__m256, high: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let eight = _mm256_add_ps(low, high);
    let four = _mm_add_ps(
        _mm256_castps256_ps128(eight),
        _mm256_extractf128_ps::<1>(eight),
    );
    let two = _mm_add_ps(four, _mm_movehl_ps(four, four));
    _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps::<1>(two, two)))
}

/// The mask of the first `n` of an AVX-512 register's sixteen lanes (all
/// of them from 16 on): a tail's loads and stores.
#[inline]
pub fn first_lanes_avx512(n: usize) -> u16 {
    if n >= LANES {
        u16::MAX
    } else {
        (1u16 << n) - 1
    }
}

/// The mask of the first `n` of an AVX register's eight lanes (all of
/// them from 8 on), for `vmaskmovps`.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub fn first_lanes_avx2(n: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let n = n.min(8) as i32;
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(n),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Isa;
    use crate::testing::Rng;

    #[test]
    fn the_register_sums_add_in_the_reference_order() {
        use std::arch::x86_64::*;
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let v: [f32; LANES] = std::array::from_fn(|_| rng.normal() * 1e3);
            if Isa::Avx512.is_supported() {
                // SAFETY: AVX-512 is supported (checked above).
                let fast = unsafe { reduce_avx512(_mm512_loadu_ps(v.as_ptr())) };
                assert_eq!(fast.to_bits(), reduce(v).to_bits());
            }
            if Isa::Avx2.is_supported() {
                // SAFETY: AVX2 is supported (checked above).
                let fast = unsafe {
                    reduce_avx2(
                        _mm256_loadu_ps(v.as_ptr()),
                        _mm256_loadu_ps(v[8..].as_ptr()),
                    )
                };
                assert_eq!(fast.to_bits(), reduce(v).to_bits());
            }
        }
    }
}
