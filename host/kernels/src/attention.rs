//! Causal multi-head attention over a [`LayerCache`], with grouped
//! key/value heads.
//!
//! Work is cut into blocks of query rows spread over the pool: (head, 48
//! prompt positions) when prefilling, and the query heads of one key/value
//! head when decoding (so each key and value is read once per group). Each
//! block computes its scores with the GEMM micro-kernel against the key
//! panels, skipping panels wholly in the future, takes the softmax row by
//! row, and multiplies by the values, stopping each tile's sum at its last
//! visible position.

use std::cell::RefCell;

use crate::gemm::{self, NR, pack_a, tile_rows};
use crate::isa::Isa;
use crate::kv_cache::LayerCache;
use crate::pool::Pool;
use crate::shared::SharedMut;
use crate::vmath;

/// Query rows per work item when prefilling.
const ROW_BLOCK: usize = 48;

/// Positions per work item when decoding (a multiple of the panel width).
const DECODE_CHUNK: usize = 128;

#[derive(Default)]
struct Scratch {
    queries: Vec<f32>,
    scores: Vec<f32>,
    probabilities: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// Decoding's partial results: per work item and row, the maximum
    /// score, the sum of exponentials and the unnormalised output.
    static PARTIALS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Head counts of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heads {
    pub query: usize,
    pub kv: usize,
    pub dim: usize,
}

/// `out[i] = softmax(qᵢ·Kᵀ/√d, causal)·V` for each head, for the last `m`
/// positions of `cache` (already appended). `q` and `out` hold one row per
/// query (`heads.query · heads.dim` values, `ldq`/`ldo` apart).
#[allow(clippy::too_many_arguments)]
pub fn attention(
    isa: Isa,
    pool: &Pool,
    heads: Heads,
    q: &[f32],
    ldq: usize,
    m: usize,
    cache: &LayerCache,
    out: &mut [f32],
    ldo: usize,
) {
    if m == 0 {
        return;
    }
    let width = heads.query * heads.dim;
    assert!(
        heads.kv > 0 && heads.query.is_multiple_of(heads.kv),
        "query heads per kv head"
    );
    assert!(cache.len() >= m, "the queries' keys must be in the cache");
    assert!(
        cache.kv_heads() == heads.kv && cache.head_dim() == heads.dim,
        "the cache holds other heads"
    );
    let isa = isa.usable();
    assert!((m - 1) * ldq + width <= q.len() && (m - 1) * ldo + width <= out.len());
    let output = SharedMut(out.as_mut_ptr());
    if m == 1 {
        decode(isa, pool, heads, q, cache, output);
        return;
    }
    let group = heads.query / heads.kv;
    let past = cache.len() - m;
    let blocks = m.div_ceil(ROW_BLOCK);
    pool.for_each(heads.query * blocks, |item| {
        let (h, block) = (item / blocks, item % blocks);
        let first = block * ROW_BLOCK;
        let block = Block {
            kv: h / group,
            rows: ROW_BLOCK.min(m - first),
            q_offset: first * ldq + h * heads.dim,
            q_stride: ldq,
            first_position: 0,
            first_visible: past + first + 1,
            visible_step: 1,
        };
        SCRATCH.with_borrow_mut(|scratch| {
            // SAFETY: this block writes head `h`'s columns of its own rows,
            // inside `out` (checked above).
            unsafe {
                let out = output.get().add(first * ldo + h * heads.dim);
                attend(isa, heads.dim, &block, q, cache, out, ldo, None, scratch)
            }
        });
    });
}

/// Decoding: one query row per head. The query heads sharing a key/value
/// head are the rows of one block, so each key and value is read once per
/// group, and the positions are cut into chunks so that every thread
/// streams its share of the cache; each chunk keeps its own softmax
/// maximum and sum, merged at the end (as flash-decoding does).
fn decode(isa: Isa, pool: &Pool, heads: Heads, q: &[f32], cache: &LayerCache, out: SharedMut<f32>) {
    let (dim, group) = (heads.dim, heads.query / heads.kv);
    let len = cache.len();
    let chunks = len.div_ceil(DECODE_CHUNK);
    // Per item: `group` maxima, `group` sums, `group` unnormalised rows.
    let stride = group * (dim + 2);
    // Taken, not borrowed, for the parallel region: a thread waiting in it
    // may run another model's decoding step, which then gets a fresh buffer.
    let mut partials = PARTIALS.take();
    {
        let partials = &mut partials;
        partials.clear();
        partials.resize(heads.kv * chunks * stride, 0.0);
        let shared = SharedMut(partials.as_mut_ptr());
        pool.for_each(heads.kv * chunks, |item| {
            let (kv, chunk) = (item / chunks, item % chunks);
            let first = chunk * DECODE_CHUNK;
            let block = Block {
                kv,
                rows: group,
                q_offset: kv * group * dim,
                q_stride: dim,
                first_position: first,
                first_visible: len.min(first + DECODE_CHUNK),
                visible_step: 0,
            };
            // SAFETY: item `item` owns `stride` values at `item · stride`.
            let partial =
                unsafe { std::slice::from_raw_parts_mut(shared.get().add(item * stride), stride) };
            let (stats, rows) = partial.split_at_mut(2 * group);
            SCRATCH.with_borrow_mut(|scratch| {
                // SAFETY: `rows` holds `group` rows of `dim` values.
                unsafe {
                    attend(
                        isa,
                        dim,
                        &block,
                        q,
                        cache,
                        rows.as_mut_ptr(),
                        dim,
                        Some(stats),
                        scratch,
                    )
                }
            });
        });
        let scale = 1.0 / (dim as f32).sqrt();
        for kv in 0..heads.kv {
            for row in 0..group {
                let part = |c: usize| &partials[(kv * chunks + c) * stride..][..stride];
                let (max_at, sum_at, out_at) = (row, group + row, 2 * group + row * dim);
                let max = (0..chunks)
                    .map(|c| part(c)[max_at])
                    .fold(f32::NEG_INFINITY, f32::max);
                let weight = |c: usize| vmath::exp_reference((part(c)[max_at] - max) * scale);
                let total: f32 = (0..chunks).map(|c| weight(c) * part(c)[sum_at]).sum();
                // SAFETY: head `kv·group + row`'s columns of the one output row.
                let o = unsafe {
                    std::slice::from_raw_parts_mut(out.get().add((kv * group + row) * dim), dim)
                };
                o.fill(0.0);
                for c in 0..chunks {
                    let factor = weight(c) / total;
                    for (v, &p) in o.iter_mut().zip(&part(c)[out_at..out_at + dim]) {
                        *v += factor * p;
                    }
                }
            }
        }
    }
    PARTIALS.set(partials);
}

/// Query rows that attend together: row `i` starts at `q_offset + i ·
/// q_stride` of the queries and sees positions `first_position..first_visible
/// + i · visible_step`.
struct Block {
    kv: usize,
    rows: usize,
    q_offset: usize,
    q_stride: usize,
    first_position: usize,
    first_visible: usize,
    visible_step: usize,
}

impl Block {
    /// Positions row `row` sees, counted from `first_position`.
    fn visible(&self, row: usize) -> usize {
        self.first_visible + row * self.visible_step - self.first_position
    }
}

/// One block: scores against the key panels, softmax, sum of the values
/// into `out` (rows `o_stride` apart). With `stats`, the softmax is left
/// unnormalised and each row's maximum and sum go there (maxima first).
///
/// # Safety
/// `out` must be valid for the block's rows of `dim` values, `o_stride`
/// apart, and no other thread may touch them.
#[allow(clippy::too_many_arguments)]
unsafe fn attend(
    isa: Isa,
    dim: usize,
    block: &Block,
    q: &[f32],
    cache: &LayerCache,
    out: *mut f32,
    o_stride: usize,
    mut stats: Option<&mut [f32]>,
    scratch: &mut Scratch,
) {
    let count = block.rows;
    let mr = tile_rows(count);
    // Positions visible to the last row of the block.
    let seen = block.visible(count - 1);
    let first_panel = block.first_position / NR;
    let keys = cache.key_panels(block.kv);
    let values = cache.value_panels(block.kv);
    assert!(block.first_position.is_multiple_of(NR) && block.first_position + seen <= cache.len());

    pack_a(
        &q[block.q_offset..],
        block.q_stride,
        0,
        count,
        dim,
        mr,
        &mut scratch.queries,
    );
    scratch.scores.clear();
    scratch.scores.resize(count * seen, 0.0);
    let scores = scratch.scores.as_mut_ptr();
    for t in 0..count.div_ceil(mr) {
        let tile_rows = mr.min(count - t * mr);
        let tile_seen = block.visible(t * mr + tile_rows - 1);
        for p in 0..tile_seen.div_ceil(NR) {
            // SAFETY: the tile's rows of `scores` (`seen` wide), columns
            // `32p..` below `tile_seen ≤ seen`.
            unsafe {
                gemm::micro(
                    isa,
                    mr,
                    dim,
                    &scratch.queries[t * dim * mr..(t + 1) * dim * mr],
                    &keys.data[(first_panel + p) * keys.panel_stride..],
                    keys.ldb,
                    scores.add(t * mr * seen + p * NR),
                    seen,
                    tile_rows,
                    NR.min(tile_seen - p * NR),
                    false,
                )
            };
        }
    }
    let scale = 1.0 / (dim as f32).sqrt();
    for (i, row) in scratch.scores.chunks_mut(seen).enumerate() {
        match stats.as_deref_mut() {
            Some(stats) => {
                let (max, sum) = vmath::exp_shifted(isa, &mut row[..block.visible(i)], scale);
                stats[i] = max;
                stats[count + i] = sum;
            }
            None => vmath::softmax(isa, row, block.visible(i), scale),
        }
    }
    pack_a(
        &scratch.scores,
        seen,
        0,
        count,
        seen,
        mr,
        &mut scratch.probabilities,
    );
    for t in 0..count.div_ceil(mr) {
        let tile_rows = mr.min(count - t * mr);
        let tile_seen = block.visible(t * mr + tile_rows - 1);
        for p in 0..dim.div_ceil(NR) {
            // SAFETY: the block's rows of `out` (the caller's promise),
            // columns `32p..` of the head; the values' rows
            // `first_position..first_position + tile_seen` exist.
            unsafe {
                gemm::micro(
                    isa,
                    mr,
                    tile_seen,
                    &scratch.probabilities[t * seen * mr..(t + 1) * seen * mr],
                    &values.data[block.first_position * values.ldb + p * values.panel_stride..],
                    values.ldb,
                    out.add(t * mr * o_stride + p * NR),
                    o_stride,
                    tile_rows,
                    NR.min(dim - p * NR),
                    false,
                )
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Rng, relative_error};

    /// Attention the textbook way, in f64.
    fn naive(
        heads: Heads,
        q: &[f32],
        m: usize,
        keys: &[f32],
        values: &[f32],
        len: usize,
    ) -> Vec<f32> {
        let (dim, width, kv_width) = (heads.dim, heads.query * heads.dim, heads.kv * heads.dim);
        let mut out = vec![0.0; m * width];
        for i in 0..m {
            let visible = len - m + i + 1;
            for h in 0..heads.query {
                let kv = h / (heads.query / heads.kv);
                let query = &q[i * width + h * dim..][..dim];
                let scores: Vec<f64> = (0..visible)
                    .map(|j| {
                        let key = &keys[j * kv_width + kv * dim..][..dim];
                        query
                            .iter()
                            .zip(key)
                            .map(|(a, b)| f64::from(a * b))
                            .sum::<f64>()
                            / (dim as f64).sqrt()
                    })
                    .collect();
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let total: f64 = weights.iter().sum();
                for d in 0..dim {
                    out[i * width + h * dim + d] = (0..visible)
                        .map(|j| {
                            weights[j] / total * f64::from(values[j * kv_width + kv * dim + d])
                        })
                        .sum::<f64>() as f32;
                }
            }
        }
        out
    }

    #[test]
    fn prefill_and_decode_match_textbook_attention_on_every_isa() {
        let mut rng = Rng::new(13);
        let pool = Pool::new(2).unwrap();
        for (heads, past, m) in [
            (
                Heads {
                    query: 9,
                    kv: 3,
                    dim: 64,
                },
                0,
                100,
            ),
            (
                Heads {
                    query: 4,
                    kv: 2,
                    dim: 16,
                },
                37,
                13,
            ),
            (
                Heads {
                    query: 4,
                    kv: 4,
                    dim: 128,
                },
                70,
                1,
            ),
            (
                Heads {
                    query: 9,
                    kv: 3,
                    dim: 64,
                },
                300,
                1,
            ),
            (
                Heads {
                    query: 6,
                    kv: 2,
                    dim: 16,
                },
                0,
                1,
            ),
        ] {
            let len = past + m;
            let kv_width = heads.kv * heads.dim;
            let keys = rng.vec(len * kv_width);
            let values = rng.vec(len * kv_width);
            let q = rng.vec(m * heads.query * heads.dim);
            let mut cache = LayerCache::new(heads.kv, heads.dim);
            for j in 0..len {
                cache.push(
                    &keys[j * kv_width..][..kv_width],
                    &values[j * kv_width..][..kv_width],
                );
            }
            let want = naive(heads, &q, m, &keys, &values, len);
            let width = heads.query * heads.dim;
            let mut reference = vec![f32::NAN; m * width];
            attention(
                Isa::Scalar,
                &pool,
                heads,
                &q,
                width,
                m,
                &cache,
                &mut reference,
                width,
            );
            for isa in Isa::all_supported() {
                let mut out = vec![f32::NAN; m * width];
                attention(isa, &pool, heads, &q, width, m, &cache, &mut out, width);
                let error = relative_error(&out, &want);
                assert!(error < 1e-5, "{isa} {heads:?} past {past} m {m}: {error}");
                assert_eq!(
                    out, reference,
                    "{isa} {heads:?} past {past} m {m}: not the reference's bits"
                );
            }
        }
    }
}
