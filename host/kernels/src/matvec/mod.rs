//! Quantised matrix × quantised vector: the decode step's projections.
//!
//! Memory-bound: every weight is read once per token, so the weights stay
//! in their 4- or 8-bit blocks and the activation is quantised to i8 (as
//! llama.cpp does). Per block, `Σ (d·u + m)·(dx·q) = d·dx·Σu·q + m·dx·Σq`:
//! an integer dot product (`vpdpbusd` on AVX-512 VNNI) and two multiplies.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use std::ops::Range;

use crate::activation::QuantizedVector;
use crate::isa::Isa;
use crate::lanes::{LANES, reduce};
use crate::pool::Pool;
use crate::quant::{PAIR, QuantMatrix, stored_value};

/// `y = W·x` (or `y += W·x` when `accumulate`), `W` quantised, `x`
/// quantised with [`QuantizedVector::quantize`].
pub fn matvec(
    isa: Isa,
    pool: &Pool,
    w: &QuantMatrix,
    x: &QuantizedVector,
    y: &mut [f32],
    accumulate: bool,
) {
    assert_eq!(y.len(), w.rows(), "output length");
    assert_eq!(x.len(), w.cols(), "input length");
    let isa = isa.usable();
    pool.for_chunks_mut(y, 1, 32, |first, out| {
        rows(isa, w, x, first..first + out.len(), out, accumulate)
    });
}

/// One thread's share of [`matvec`].
fn rows(
    isa: Isa,
    w: &QuantMatrix,
    x: &QuantizedVector,
    range: Range<usize>,
    out: &mut [f32],
    accumulate: bool,
) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `matvec` made sure the CPU runs `isa`.
        Isa::Avx512 => unsafe { avx512::rows(w, x, range, out, accumulate) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { avx2::rows(w, x, range, out, accumulate) },
        _ => scalar_rows(w, x, range, out, accumulate),
    }
}

/// The reference: the same formula, one value at a time, in the fast
/// path's order (16 lanes of 4 products each, lane sums as
/// [`crate::lanes::reduce`] adds them).
fn scalar_rows(
    w: &QuantMatrix,
    x: &QuantizedVector,
    range: Range<usize>,
    out: &mut [f32],
    accumulate: bool,
) {
    let blocks = w.blocks_per_row();
    for (row, y) in range.zip(out.iter_mut()) {
        let scales = w.row_scales(row);
        let mins = w.row_mins(row);
        let mut lanes = [0f32; LANES];
        let mut values = [0u8; PAIR];
        for pair in 0..w.pairs() {
            let stored = w.pair_quants(row, pair);
            for (t, v) in values.iter_mut().enumerate() {
                *v = stored_value(w.bits(), stored, t);
            }
            let activations = &x.quants[pair * PAIR..(pair + 1) * PAIR];
            for (lane, total) in lanes.iter_mut().enumerate() {
                let dot: i32 = (4 * lane..4 * lane + 4)
                    .map(|t| i32::from(values[t]) * i32::from(activations[t]))
                    .sum();
                let b = 2 * pair + lane % 2;
                *total = (dot as f32).mul_add(scales[b] * x.scales[b], *total);
            }
        }
        let mut offsets = [0f32; LANES];
        for (i, (&m, &s)) in mins.iter().zip(&x.sums).enumerate().take(blocks) {
            offsets[i % LANES] = m.mul_add(s, offsets[i % LANES]);
        }
        let total = reduce(lanes) + reduce(offsets);
        *y = if accumulate { *y + total } else { total };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::GgmlBlocks;
    use crate::testing::{Rng, relative_error};

    use crate::quant::BLOCK;

    fn random_q4_1(rng: &mut Rng, rows: usize, cols: usize) -> QuantMatrix {
        let mut data = Vec::new();
        for _ in 0..rows * cols / BLOCK {
            data.extend(half::f16::from_f32(rng.uniform(0.001, 0.05)).to_le_bytes());
            data.extend(half::f16::from_f32(rng.uniform(-0.4, 0.0)).to_le_bytes());
            data.extend((0..16).map(|_| rng.below(256) as u8));
        }
        QuantMatrix::from_ggml(GgmlBlocks::Q4_1, rows, cols, &data).unwrap()
    }

    /// The f32 product of the dequantised matrix and the dequantised vector.
    fn exact(w: &QuantMatrix, x: &[f32]) -> Vec<f32> {
        let mut row = vec![0.0; w.cols()];
        (0..w.rows())
            .map(|r| {
                w.dequantize_row(r, &mut row);
                row.iter().zip(x).map(|(a, b)| a * b).sum()
            })
            .collect()
    }

    #[test]
    fn every_isa_matches_the_f32_product_for_4_and_8_bit_weights() {
        let mut rng = Rng::new(5);
        let pool = Pool::new(2).unwrap();
        for (rows, cols) in [(7, 64), (130, 576), (33, 1536), (5, 96)] {
            let x = rng.vec(cols);
            let mut qx = QuantizedVector::default();
            qx.quantize(&x);
            let four = if cols % BLOCK == 0 {
                Some(random_q4_1(&mut rng, rows, cols))
            } else {
                None
            };
            let eight = QuantMatrix::from_f32(rows, cols, &rng.vec(rows * cols)).unwrap();
            for w in four.iter().chain([&eight]) {
                let want = exact(w, &x);
                let mut reference = vec![0.0; rows];
                matvec(Isa::Scalar, &pool, w, &qx, &mut reference, false);
                // i8 activations: about 1 % of the output's scale.
                assert!(relative_error(&reference, &want) < 0.02);
                for isa in Isa::all_supported() {
                    let mut got = vec![1.0; rows];
                    matvec(isa, &pool, w, &qx, &mut got, false);
                    assert_eq!(got, reference, "{isa} {:?} {rows}x{cols}", w.bits());
                    matvec(isa, &pool, w, &qx, &mut got, true);
                    let doubled: Vec<f32> = reference.iter().map(|v| v + v).collect();
                    assert_eq!(got, doubled, "{isa}: accumulating");
                }
            }
        }
    }
}
