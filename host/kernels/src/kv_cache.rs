//! One layer's key/value cache, laid out for the GEMM.
//!
//! Keys are stored per key/value head in panels of 32 positions, each
//! `head_dim × 32` with positions contiguous: exactly a `B` operand of
//! `scores = Q·Kᵀ`. Values are stored per key/value head, one row of
//! `head_dim` per position: already a `B` operand of `out = P·V`, read
//! front to back.

use crate::gemm::{NR, Panels};

/// Positions of room a copy of a cache gets beyond what it holds, so that
/// a prefix restored from the prefix cache takes a routine turn's tokens
/// without reallocating.
const COPY_HEADROOM: usize = 64;

/// Keys and values of every position so far, for one layer.
#[derive(Debug)]
pub struct LayerCache {
    kv_heads: usize,
    head_dim: usize,
    len: usize,
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
}

impl Clone for LayerCache {
    /// A copy of the positions held, with room for [`COPY_HEADROOM`] more.
    fn clone(&self) -> Self {
        let copy = |v: &Vec<f32>, per_position: usize| {
            let mut copy = Vec::with_capacity(v.len() + COPY_HEADROOM * per_position);
            copy.extend_from_slice(v);
            copy
        };
        LayerCache {
            kv_heads: self.kv_heads,
            head_dim: self.head_dim,
            len: self.len,
            keys: self.keys.iter().map(|k| copy(k, self.head_dim)).collect(),
            values: self.values.iter().map(|v| copy(v, self.head_dim)).collect(),
        }
    }
}

impl LayerCache {
    /// An empty cache.
    pub fn new(kv_heads: usize, head_dim: usize) -> Self {
        LayerCache {
            kv_heads,
            head_dim,
            len: 0,
            keys: vec![Vec::new(); kv_heads],
            values: vec![Vec::new(); kv_heads],
        }
    }

    /// Makes room for `positions` positions in all (growing by doubling),
    /// so that appending them does not reallocate.
    pub fn reserve(&mut self, positions: usize) {
        let panels = positions.div_ceil(NR);
        for keys in &mut self.keys {
            keys.reserve((panels * self.head_dim * NR).saturating_sub(keys.len()));
        }
        for values in &mut self.values {
            values.reserve((positions * self.head_dim).saturating_sub(values.len()));
        }
    }

    /// Key/value heads.
    pub fn kv_heads(&self) -> usize {
        self.kv_heads
    }

    /// Values per head.
    pub fn head_dim(&self) -> usize {
        self.head_dim
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every position from `len` on.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        self.len = len;
        let panel = self.head_dim * NR;
        for keys in &mut self.keys {
            keys.truncate(len.div_ceil(NR) * panel);
        }
        for values in &mut self.values {
            values.truncate(len * self.head_dim);
        }
    }

    /// Appends one position: `key` and `value` hold every key/value head.
    pub fn push(&mut self, key: &[f32], value: &[f32]) {
        let width = self.kv_heads * self.head_dim;
        assert!(key.len() == width && value.len() == width);
        let (panel, column) = (self.len / NR, self.len % NR);
        let panel_size = self.head_dim * NR;
        for (h, keys) in self.keys.iter_mut().enumerate() {
            if column == 0 {
                keys.resize((panel + 1) * panel_size, 0.0);
            }
            let base = panel * panel_size + column;
            for (d, &k) in key[h * self.head_dim..(h + 1) * self.head_dim]
                .iter()
                .enumerate()
            {
                keys[base + d * NR] = k;
            }
        }
        for (h, values) in self.values.iter_mut().enumerate() {
            values.extend_from_slice(&value[h * self.head_dim..(h + 1) * self.head_dim]);
        }
        self.len += 1;
    }

    /// The keys of key/value head `h` as the `B` of `Q·Kᵀ` (`head_dim × len`).
    pub fn key_panels(&self, h: usize) -> Panels<'_> {
        Panels {
            data: &self.keys[h],
            n: self.len,
            k: self.head_dim,
            panel_stride: self.head_dim * NR,
            ldb: NR,
        }
    }

    /// The values of key/value head `h` as the `B` of `P·V` (`len × head_dim`).
    pub fn value_panels(&self, h: usize) -> Panels<'_> {
        Panels {
            data: &self.values[h],
            n: self.head_dim,
            k: self.len,
            panel_stride: NR,
            ldb: self.head_dim,
        }
    }
}
