//! f32 matrix × matrix, blocked for the cache: the prefill's projections
//! and attention.
//!
//! `C[M×N] = A[M×K] · B[K×N]`. `A` is packed into tiles of `MR` rows stored
//! column by column; `B` comes in panels 32 columns wide whose rows are
//! `ldb` apart (weights are pre-packed once at load, see [`PanelMatrix`];
//! the key cache is kept in this layout and the value cache already is
//! one). A micro-kernel keeps an `MR × 32` block of `C` in registers
//! (24 of AVX-512's 32 for `MR = 12`) and streams one panel.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use crate::isa::Isa;
use crate::pool::Pool;
use crate::quant::QuantMatrix;
use crate::shared::SharedMut;

/// Columns per panel of `B`.
pub const NR: usize = 32;

/// Rows per tile of `A` for an `m`-row product: 12 for real matrices, fewer
/// for a handful of rows so that padding does not waste the work.
pub fn tile_rows(m: usize) -> usize {
    match m {
        0 | 1 => 1,
        2..=4 => 4,
        _ => 12,
    }
}

/// A weight matrix `W[N×K]` (one output per row), dequantised to f32 once
/// and stored as the panels of `B = Wᵀ`: panel `p` holds `k × 32` values,
/// row `k` being `W[32p..32p+32][k]`, zero-padded past `N`.
#[derive(Debug, Clone, Default)]
pub struct PanelMatrix {
    n: usize,
    k: usize,
    data: Vec<f32>,
}

impl PanelMatrix {
    /// Dequantises and packs `w`, in parallel.
    pub fn from_quant(w: &QuantMatrix, pool: &Pool) -> Self {
        let mut panels = PanelMatrix::default();
        panels.fill_from(w, pool);
        panels
    }

    /// Packs an f32 matrix `W[N×K]` given row by row (`rows.len() == n·k`),
    /// in parallel: the frozen weights of a training pass, which are not
    /// quantised.
    pub fn from_rows(n: usize, k: usize, rows: &[f32], pool: &Pool) -> Self {
        assert_eq!(rows.len(), n * k, "a {n}×{k} matrix needs {} values", n * k);
        let mut data = vec![0.0; n.div_ceil(NR) * k * NR];
        if k > 0 {
            pool.for_chunks_mut(&mut data, k * NR, 1, |first, chunk| {
                for (p, panel) in chunk.chunks_mut(k * NR).enumerate() {
                    let p = first + p;
                    for j in 0..NR.min(n - p * NR) {
                        let row = &rows[(p * NR + j) * k..][..k];
                        for (kk, &v) in row.iter().enumerate() {
                            panel[kk * NR + j] = v;
                        }
                    }
                }
            });
        }
        PanelMatrix { n, k, data }
    }

    /// Re-packs `w` into this matrix, reusing its memory (prefill of models
    /// too large to keep panels for).
    pub fn fill_from(&mut self, w: &QuantMatrix, pool: &Pool) {
        let (n, k) = (w.rows(), w.cols());
        self.n = n;
        self.k = k;
        self.data.clear();
        self.data.resize(n.div_ceil(NR) * k * NR, 0.0);
        if k == 0 {
            return;
        }
        pool.for_chunks_mut(&mut self.data, k * NR, 1, |first, chunk| {
            let mut row = vec![0f32; k];
            for (p, panel) in chunk.chunks_mut(k * NR).enumerate() {
                let p = first + p;
                for j in 0..NR.min(n - p * NR) {
                    w.dequantize_row(p * NR + j, &mut row);
                    for (kk, &v) in row.iter().enumerate() {
                        panel[kk * NR + j] = v;
                    }
                }
            }
        });
    }

    /// Bytes held.
    pub fn size_bytes(&self) -> usize {
        self.data.len() * 4
    }

    /// The panels as a `B` operand.
    pub fn as_panels(&self) -> Panels<'_> {
        Panels {
            data: &self.data,
            n: self.n,
            k: self.k,
            panel_stride: self.k * NR,
            ldb: NR,
        }
    }
}

/// A `B` operand of `K × N`: panel `p` starts at `data[p · panel_stride]`,
/// its row `k` at `+ k · ldb`, and holds up to 32 columns.
#[derive(Debug, Clone, Copy)]
pub struct Panels<'a> {
    pub data: &'a [f32],
    pub n: usize,
    pub k: usize,
    pub panel_stride: usize,
    pub ldb: usize,
}

impl Panels<'_> {
    /// Number of panels.
    pub fn count(&self) -> usize {
        self.n.div_ceil(NR)
    }

    /// Columns in panel `p`.
    pub fn width(&self, p: usize) -> usize {
        NR.min(self.n - p * NR)
    }

    /// Checks that every row of every panel lies inside `data`.
    fn check(&self) {
        if self.n == 0 || self.k == 0 {
            return;
        }
        let last = self.count() - 1;
        let end = last * self.panel_stride + (self.k - 1) * self.ldb + self.width(last);
        assert!(end <= self.data.len(), "B operand out of bounds");
    }
}

/// Packs rows `first..first + rows` of `a` (row stride `lda`, `k` columns)
/// into `tiles` of `mr` rows, column by column, zero-padding the last tile.
pub fn pack_a(
    a: &[f32],
    lda: usize,
    first: usize,
    rows: usize,
    k: usize,
    mr: usize,
    out: &mut Vec<f32>,
) {
    let tiles = rows.div_ceil(mr);
    out.clear();
    out.resize(tiles * k * mr, 0.0);
    for t in 0..tiles {
        let tile = &mut out[t * k * mr..(t + 1) * k * mr];
        for i in 0..mr.min(rows - t * mr) {
            let row = &a[(first + t * mr + i) * lda..][..k];
            for (kk, &v) in row.iter().enumerate() {
                tile[kk * mr + i] = v;
            }
        }
    }
}

/// `C = A·B` (or `C += A·B`), `A` being `m × k` with row stride `lda`, `C`
/// `m × n` with row stride `ldc`, split over the pool by panels of `B`.
/// `scratch` holds the packed `A` and is reused across calls.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    isa: Isa,
    pool: &Pool,
    a: &[f32],
    m: usize,
    lda: usize,
    b: Panels<'_>,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
    scratch: &mut Vec<f32>,
) {
    if m == 0 || b.n == 0 {
        return;
    }
    let k = b.k;
    assert!(m == 0 || (m - 1) * lda + k <= a.len(), "A out of bounds");
    assert!((m - 1) * ldc + b.n <= c.len(), "C out of bounds");
    b.check();
    // Full tiles of 12 rows, then one narrower tile for the rest, so a
    // short prompt does not pay for padding rows.
    let tiles = split_rows(m);
    scratch.clear();
    let mut tile = Vec::new();
    for &(first, rows, mr) in &tiles {
        pack_a(a, lda, first, rows, k, mr, &mut tile);
        scratch.extend_from_slice(&tile);
    }
    let packed = &scratch[..];
    let out = SharedMut(c.as_mut_ptr());
    pool.for_ranges(b.count(), 1, |panels| {
        for p in panels {
            let panel = &b.data[p * b.panel_stride..];
            for &(first, rows, mr) in &tiles {
                // SAFETY: this tile covers rows `first..first + rows` of C
                // (bounds checked above) and panel `p` its columns `32p..`;
                // tasks own disjoint panels, so no two write the same element.
                unsafe {
                    micro(
                        isa,
                        mr,
                        k,
                        &packed[first * k..first * k + k * mr],
                        panel,
                        b.ldb,
                        out.get().add(first * ldc + p * NR),
                        ldc,
                        rows,
                        b.width(p),
                        accumulate,
                    )
                }
            }
        }
    });
}

/// `m` rows as tiles `(first row, rows, tile height)`: as many 12-row tiles
/// as fit, then one tile of 1, 4 or 12 rows for the rest. Tile `i` starts at
/// `first · k` in the packed `A` (every tile before it is full).
fn split_rows(m: usize) -> Vec<(usize, usize, usize)> {
    let full = m / 12;
    let mut tiles: Vec<_> = (0..full).map(|t| (12 * t, 12, 12)).collect();
    let rest = m - 12 * full;
    if rest > 0 {
        tiles.push((12 * full, rest, tile_rows(rest)));
    }
    tiles
}

/// One `rows × cols` block of `C` (at most `mr × 32`) from a packed tile of
/// `A` and one panel of `B`.
///
/// # Safety
/// `c` must be valid for `rows` rows of `cols` values, `ldc` apart, and no
/// other thread may touch them.
#[allow(clippy::too_many_arguments)]
pub unsafe fn micro(
    isa: Isa,
    mr: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
) {
    assert!(
        matches!(mr, 1 | 4 | 12),
        "tiles of 1, 4 or 12 rows, not {mr}"
    );
    assert!(a.len() >= k * mr && rows <= mr && cols <= NR);
    assert!(k == 0 || b.len() >= (k - 1) * ldb + cols, "B out of bounds");
    match fast_micro(isa.usable(), mr) {
        // SAFETY: `usable` made sure the CPU runs the kernel's instructions;
        // the slices' bounds were checked, `c` is the caller's promise.
        Some(kernel) => unsafe {
            kernel(
                k,
                a.as_ptr(),
                b.as_ptr(),
                ldb,
                c,
                ldc,
                rows,
                cols,
                accumulate,
            )
        },
        // SAFETY: as above.
        None => unsafe { scalar_micro(mr, k, a, b, ldb, c, ldc, rows, cols, accumulate) },
    }
}

/// The signature of the fast micro-kernels (see `avx512::micro`).
type MicroKernel =
    unsafe fn(usize, *const f32, *const f32, usize, *mut f32, usize, usize, usize, bool);

/// The fast micro-kernel for `isa` and tiles of `mr` rows, if there is one.
fn fast_micro(isa: Isa, mr: usize) -> Option<MicroKernel> {
    #[cfg(target_arch = "x86_64")]
    {
        let kernel: MicroKernel = match (isa, mr) {
            (Isa::Avx512, 1) => avx512::micro::<1>,
            (Isa::Avx512, 4) => avx512::micro::<4>,
            (Isa::Avx512, 12) => avx512::micro::<12>,
            (Isa::Avx2, 1) => avx2::micro::<1>,
            (Isa::Avx2, 4) => avx2::micro::<4>,
            (Isa::Avx2, 12) => avx2::micro::<12>,
            _ => return None,
        };
        Some(kernel)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (isa, mr);
        None
    }
}

/// The reference micro-kernel: plain loops over a block of `C` held in a
/// local array, one fused multiply-add per product in the fast path's
/// order (a single row takes turns over four partial sums, as
/// `avx512::one_row` does).
#[allow(clippy::too_many_arguments)]
unsafe fn scalar_micro(
    mr: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
) {
    let mut block = [[0f32; NR]; 12];
    if mr == 1 {
        let mut partial = [[0f32; NR]; 4];
        for kk in 0..k {
            let a_k = a[kk];
            for (c_j, &b_kj) in partial[kk % 4]
                .iter_mut()
                .zip(&b[kk * ldb..kk * ldb + cols])
            {
                *c_j = a_k.mul_add(b_kj, *c_j);
            }
        }
        for j in 0..cols {
            block[0][j] = (partial[0][j] + partial[1][j]) + (partial[2][j] + partial[3][j]);
        }
    } else {
        for kk in 0..k {
            let b_row = &b[kk * ldb..kk * ldb + cols];
            for (i, c_row) in block.iter_mut().enumerate().take(rows) {
                let a_ik = a[kk * mr + i];
                for (c_ij, &b_kj) in c_row.iter_mut().zip(b_row) {
                    *c_ij = a_ik.mul_add(b_kj, *c_ij);
                }
            }
        }
    }
    for (i, c_row) in block.iter().enumerate().take(rows) {
        for (j, &sum) in c_row.iter().enumerate().take(cols) {
            // SAFETY: inside the block the caller vouched for.
            unsafe {
                let slot = c.add(i * ldc + j);
                *slot = if accumulate { sum + *slot } else { sum };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Rng, relative_error};

    fn naive(a: &[f32], w: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|kk| a[i * k + kk] * w[j * k + kk]).sum();
            }
        }
        c
    }

    #[test]
    fn every_isa_matches_the_naive_product_on_ragged_shapes() {
        let mut rng = Rng::new(9);
        let pool = Pool::new(2).unwrap();
        for (m, n, k) in [
            (1, 32, 64),
            (3, 70, 64),
            (13, 96, 100),
            (50, 192, 576),
            (7, 5, 32),
        ] {
            let a = rng.vec(m * k);
            let w = QuantMatrix::from_f32(n, k, &rng.vec(n * k)).unwrap();
            let mut dense = vec![0.0; n * k];
            for r in 0..n {
                w.dequantize_row(r, &mut dense[r * k..(r + 1) * k]);
            }
            let want = naive(&a, &dense, m, n, k);
            let panels = PanelMatrix::from_quant(&w, &pool);
            for isa in Isa::all_supported() {
                let mut scratch = Vec::new();
                let mut c = vec![f32::NAN; m * n];
                gemm(
                    isa,
                    &pool,
                    &a,
                    m,
                    k,
                    panels.as_panels(),
                    &mut c,
                    n,
                    false,
                    &mut scratch,
                );
                let error = relative_error(&c, &want);
                assert!(error < 1e-5, "{isa} {m}x{n}x{k}: {error}");
                let mut reference = vec![f32::NAN; m * n];
                gemm(
                    Isa::Scalar,
                    &pool,
                    &a,
                    m,
                    k,
                    panels.as_panels(),
                    &mut reference,
                    n,
                    false,
                    &mut scratch,
                );
                assert_eq!(c, reference, "{isa} {m}x{n}x{k}: not the reference's bits");
                gemm(
                    isa,
                    &pool,
                    &a,
                    m,
                    k,
                    panels.as_panels(),
                    &mut c,
                    n,
                    true,
                    &mut scratch,
                );
                let doubled: Vec<f32> = reference.iter().map(|v| v + v).collect();
                assert_eq!(c, doubled);
            }
        }
    }

    #[test]
    fn strided_operands_leave_other_columns_alone() {
        // A narrower view inside wider rows, as attention uses the caches.
        let mut rng = Rng::new(4);
        let pool = Pool::new(2).unwrap();
        let (m, n, k, wide) = (6, 16, 40, 50);
        let a_wide = rng.vec(m * wide);
        let b_rows = rng.vec(k * wide); // B[k][n] inside rows `wide` apart
        let b = Panels {
            data: &b_rows[3..],
            n,
            k,
            panel_stride: NR,
            ldb: wide,
        };
        let mut want = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k)
                    .map(|kk| a_wide[i * wide + 1 + kk] * b_rows[3 + kk * wide + j])
                    .sum();
            }
        }
        for isa in Isa::all_supported() {
            let mut c = vec![7.0; m * wide];
            gemm(
                isa,
                &pool,
                &a_wide[1..],
                m,
                wide,
                b,
                &mut c,
                wide,
                false,
                &mut Vec::new(),
            );
            for i in 0..m {
                assert!(
                    relative_error(&c[i * wide..i * wide + n], &want[i * n..(i + 1) * n]) < 1e-5
                );
                assert!(
                    c[i * wide + n..(i + 1) * wide].iter().all(|&v| v == 7.0),
                    "{isa} wrote past column {n}"
                );
            }
        }
    }
}
