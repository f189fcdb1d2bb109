//! Quantised weight matrices in the kernels' own block layout.
//!
//! Every row is cut into blocks of 32 values, each stored as unsigned
//! integers `u` with a scale `d` and an offset `m`: `w = d·u + m`. GGUF's
//! Q4_0 (`m = -8d`), Q4_1 and Q8_0 (`u = q + 128`, `m = -128d`) map onto it
//! exactly; any other type is re-quantised from f32 to 8 bits.
//!
//! Blocks go in pairs (64 values), and within a pair the values are stored
//! in the order the VNNI kernel consumes them: position `t` of the 64 holds
//! value `4·(t / 8) + t % 4` of block `(t / 4) % 2` (see
//! [`pair_position`]), so that the 16 lanes of one `vpdpbusd` alternate
//! between the two blocks. 4-bit
//! pairs pack value `t` in the low nibble of byte `t` and value `t + 32` in
//! its high nibble.

use half::f16;

/// Values per block.
pub const BLOCK: usize = 32;
/// Values per pair of blocks, the kernels' unit of work.
pub const PAIR: usize = 64;

/// Where value `i` (0..64, natural order) of a pair is stored.
#[inline]
pub const fn pair_position(i: usize) -> usize {
    let block = i / BLOCK;
    let within = i % BLOCK;
    8 * (within / 4) + 4 * block + within % 4
}

/// How wide the stored integers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    /// 0..=15, two per byte.
    Four,
    /// 0..=255, one per byte.
    Eight,
}

impl Bits {
    /// Bytes per pair of blocks.
    pub const fn pair_bytes(self) -> usize {
        match self {
            Bits::Four => PAIR / 2,
            Bits::Eight => PAIR,
        }
    }
}

/// GGUF block types that convert without loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlBlocks {
    /// 18 bytes: f16 `d`, 16 bytes of nibbles; `w = d·(q − 8)`.
    Q4_0,
    /// 20 bytes: f16 `d`, f16 `m`, 16 bytes of nibbles; `w = d·q + m`.
    Q4_1,
    /// 34 bytes: f16 `d`, 32 signed bytes; `w = d·q`.
    Q8_0,
}

impl GgmlBlocks {
    /// Bytes per block of 32 values.
    pub const fn block_bytes(self) -> usize {
        match self {
            GgmlBlocks::Q4_0 => 18,
            GgmlBlocks::Q4_1 => 20,
            GgmlBlocks::Q8_0 => 34,
        }
    }
}

/// Why a matrix could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantError {
    /// The data is not `rows × cols` values of the stated type.
    #[error("expected {expected} bytes or values, got {actual}")]
    Size { expected: usize, actual: usize },
    /// GGUF blocks need a row length that is a multiple of 32.
    #[error("a row of {cols} values is not a whole number of 32-value blocks")]
    RowLength { cols: usize },
    /// Matrices stacked into one must have rows of the same length.
    #[error("rows of {first} and {other} values cannot be stacked")]
    Stack { first: usize, other: usize },
}

/// A `rows × cols` matrix of affine 4- or 8-bit blocks (see the module docs).
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    rows: usize,
    cols: usize,
    pairs: usize,
    bits: Bits,
    quants: Vec<u8>,
    scales: Vec<f32>,
    mins: Vec<f32>,
}

impl QuantMatrix {
    /// Converts GGUF blocks (row-major, `rows × cols` values) without loss.
    pub fn from_ggml(
        kind: GgmlBlocks,
        rows: usize,
        cols: usize,
        data: &[u8],
    ) -> Result<Self, QuantError> {
        if !cols.is_multiple_of(BLOCK) {
            return Err(QuantError::RowLength { cols });
        }
        let blocks_per_row = cols / BLOCK;
        let expected = rows * blocks_per_row * kind.block_bytes();
        if data.len() != expected {
            return Err(QuantError::Size {
                expected,
                actual: data.len(),
            });
        }
        let bits = match kind {
            GgmlBlocks::Q4_0 | GgmlBlocks::Q4_1 => Bits::Four,
            GgmlBlocks::Q8_0 => Bits::Eight,
        };
        let mut matrix = QuantMatrix::zeroed(rows, cols, bits);
        let mut values = [0u8; BLOCK];
        for (index, block) in data.chunks_exact(kind.block_bytes()).enumerate() {
            let (row, b) = (index / blocks_per_row, index % blocks_per_row);
            let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
            let m = match kind {
                GgmlBlocks::Q4_0 => {
                    nibbles(&block[2..18], &mut values);
                    -8.0 * d
                }
                GgmlBlocks::Q4_1 => {
                    nibbles(&block[4..20], &mut values);
                    f16::from_le_bytes([block[2], block[3]]).to_f32()
                }
                GgmlBlocks::Q8_0 => {
                    for (v, &q) in values.iter_mut().zip(&block[2..34]) {
                        *v = (q as i8 as i16 + 128) as u8;
                    }
                    -128.0 * d
                }
            };
            matrix.set_block(row, b, &values, d, m);
        }
        Ok(matrix)
    }

    /// Quantises f32 values (row-major) to 8-bit blocks, scale and offset
    /// from each block's minimum and maximum. Rows of any length work; the
    /// last block is padded with zeros.
    pub fn from_f32(rows: usize, cols: usize, data: &[f32]) -> Result<Self, QuantError> {
        if data.len() != rows * cols {
            return Err(QuantError::Size {
                expected: rows * cols,
                actual: data.len(),
            });
        }
        let mut matrix = QuantMatrix::zeroed(rows, cols, Bits::Eight);
        let mut values = [0u8; BLOCK];
        for row in 0..rows {
            for (b, chunk) in data[row * cols..(row + 1) * cols].chunks(BLOCK).enumerate() {
                let mut block = [0f32; BLOCK];
                block[..chunk.len()].copy_from_slice(chunk);
                let min = block.iter().copied().fold(f32::INFINITY, f32::min);
                let max = block.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let d = (max - min) / 255.0;
                let inverse = if d > 0.0 { 1.0 / d } else { 0.0 };
                for (v, x) in values.iter_mut().zip(block) {
                    *v = ((x - min) * inverse).round().clamp(0.0, 255.0) as u8;
                }
                matrix.set_block(row, b, &values, d, min);
            }
        }
        Ok(matrix)
    }

    /// Stacks matrices with the same row length on top of each other (the
    /// query, key and value projections become one). 4-bit parts widen to 8
    /// bits, without loss, when the parts differ.
    pub fn stack(parts: &[&QuantMatrix]) -> Result<QuantMatrix, QuantError> {
        let cols = parts.first().map_or(0, |p| p.cols);
        if let Some(other) = parts.iter().find(|p| p.cols != cols) {
            return Err(QuantError::Stack {
                first: cols,
                other: other.cols,
            });
        }
        let bits = if parts.iter().all(|p| p.bits == Bits::Four) {
            Bits::Four
        } else {
            Bits::Eight
        };
        let rows = parts.iter().map(|p| p.rows).sum();
        let mut out = QuantMatrix::zeroed(rows, cols, bits);
        let mut row = 0;
        for part in parts {
            if part.bits == bits {
                let bytes = part.quants.len();
                let start = row * out.row_bytes();
                out.quants[start..start + bytes].copy_from_slice(&part.quants);
                let blocks = row * out.blocks_per_row();
                out.scales[blocks..blocks + part.scales.len()].copy_from_slice(&part.scales);
                out.mins[blocks..blocks + part.mins.len()].copy_from_slice(&part.mins);
            } else {
                let mut values = [0u8; BLOCK];
                for r in 0..part.rows {
                    for b in 0..part.blocks_per_row() {
                        part.block_values(r, b, &mut values);
                        let i = r * part.blocks_per_row() + b;
                        out.set_block(row + r, b, &values, part.scales[i], part.mins[i]);
                    }
                }
            }
            row += part.rows;
        }
        Ok(out)
    }

    fn zeroed(rows: usize, cols: usize, bits: Bits) -> Self {
        let pairs = cols.div_ceil(PAIR);
        QuantMatrix {
            rows,
            cols,
            pairs,
            bits,
            quants: vec![0; rows * pairs * bits.pair_bytes()],
            scales: vec![0.0; rows * pairs * 2],
            mins: vec![0.0; rows * pairs * 2],
        }
    }

    fn set_block(&mut self, row: usize, block: usize, values: &[u8; BLOCK], d: f32, m: f32) {
        let index = row * self.blocks_per_row() + block;
        self.scales[index] = d;
        self.mins[index] = m;
        let (start, bytes) = (
            row * self.row_bytes() + (block / 2) * self.bits.pair_bytes(),
            self.bits.pair_bytes(),
        );
        let bits = self.bits;
        let pair = &mut self.quants[start..start + bytes];
        for (j, &v) in values.iter().enumerate() {
            let t = pair_position((block % 2) * BLOCK + j);
            match bits {
                Bits::Eight => pair[t] = v,
                Bits::Four if t < BLOCK => pair[t] = (pair[t] & 0xF0) | (v & 0x0F),
                Bits::Four => pair[t - BLOCK] = (pair[t - BLOCK] & 0x0F) | (v << 4),
            }
        }
    }

    fn block_values(&self, row: usize, block: usize, values: &mut [u8; BLOCK]) {
        let pair = self.pair_quants(row, block / 2);
        for (j, v) in values.iter_mut().enumerate() {
            *v = stored_value(self.bits, pair, pair_position((block % 2) * BLOCK + j));
        }
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of values per row.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pairs of blocks per row (the row length rounded up to 64).
    #[inline]
    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// Blocks per row, padding included.
    #[inline]
    pub fn blocks_per_row(&self) -> usize {
        self.pairs * 2
    }

    /// Width of the stored integers.
    #[inline]
    pub fn bits(&self) -> Bits {
        self.bits
    }

    /// Bytes of quantised values per row.
    #[inline]
    pub fn row_bytes(&self) -> usize {
        self.pairs * self.bits.pair_bytes()
    }

    /// Bytes the matrix occupies.
    pub fn size_bytes(&self) -> usize {
        self.quants.len() + 4 * (self.scales.len() + self.mins.len())
    }

    /// Every row's quantised values, `row_bytes()` per row.
    #[inline]
    pub fn all_quants(&self) -> &[u8] {
        &self.quants
    }

    /// Every row's block scales, `blocks_per_row()` per row.
    #[inline]
    pub fn all_scales(&self) -> &[f32] {
        &self.scales
    }

    /// Every row's block offsets, `blocks_per_row()` per row.
    #[inline]
    pub fn all_mins(&self) -> &[f32] {
        &self.mins
    }

    /// The stored integers of one pair of blocks.
    #[inline]
    pub fn pair_quants(&self, row: usize, pair: usize) -> &[u8] {
        let start = row * self.row_bytes() + pair * self.bits.pair_bytes();
        &self.quants[start..start + self.bits.pair_bytes()]
    }

    /// The block scales of one row.
    #[inline]
    pub fn row_scales(&self, row: usize) -> &[f32] {
        &self.scales[row * self.blocks_per_row()..(row + 1) * self.blocks_per_row()]
    }

    /// The block offsets of one row.
    #[inline]
    pub fn row_mins(&self, row: usize) -> &[f32] {
        &self.mins[row * self.blocks_per_row()..(row + 1) * self.blocks_per_row()]
    }

    /// Writes row `row` as f32 (`cols` values) into `out`.
    pub fn dequantize_row(&self, row: usize, out: &mut [f32]) {
        assert!(out.len() >= self.cols);
        let scales = self.row_scales(row);
        let mins = self.row_mins(row);
        for pair in 0..self.pairs {
            let stored = self.pair_quants(row, pair);
            for i in 0..PAIR {
                let col = pair * PAIR + i;
                if col >= self.cols {
                    break;
                }
                let block = 2 * pair + i / BLOCK;
                let u = stored_value(self.bits, stored, pair_position(i));
                out[col] = scales[block] * f32::from(u) + mins[block];
            }
        }
    }
}

/// The integer at position `t` of a stored pair.
#[inline]
pub fn stored_value(bits: Bits, pair: &[u8], t: usize) -> u8 {
    match bits {
        Bits::Eight => pair[t],
        Bits::Four if t < BLOCK => pair[t] & 0x0F,
        Bits::Four => pair[t - BLOCK] >> 4,
    }
}

/// GGML's nibble order: byte `j` holds value `j` (low) and `j + 16` (high).
fn nibbles(bytes: &[u8], values: &mut [u8; BLOCK]) {
    for (j, &byte) in bytes.iter().enumerate() {
        values[j] = byte & 0x0F;
        values[j + 16] = byte >> 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    fn f16_bytes(x: f32) -> [u8; 2] {
        f16::from_f32(x).to_le_bytes()
    }

    #[test]
    fn pair_positions_are_a_permutation_whose_lanes_alternate_blocks() {
        let mut seen = [false; PAIR];
        for i in 0..PAIR {
            let t = pair_position(i);
            assert!(!seen[t]);
            seen[t] = true;
            assert_eq!(
                (t / 4) % 2,
                i / BLOCK,
                "lane {} holds block {}",
                t / 4,
                i / BLOCK
            );
        }
    }

    #[test]
    fn ggml_blocks_dequantize_exactly_as_ggml_defines_them() {
        let mut rng = Rng::new(7);
        let (rows, cols) = (3, 96);
        for kind in [GgmlBlocks::Q4_0, GgmlBlocks::Q4_1, GgmlBlocks::Q8_0] {
            let mut data = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..rows * cols / BLOCK {
                let d = rng.uniform(0.01, 0.2);
                let m = rng.uniform(-1.0, 1.0);
                let d16 = f16::from_f32(d).to_f32();
                let m16 = f16::from_f32(m).to_f32();
                data.extend(f16_bytes(d));
                match kind {
                    GgmlBlocks::Q4_0 | GgmlBlocks::Q4_1 => {
                        if kind == GgmlBlocks::Q4_1 {
                            data.extend(f16_bytes(m));
                        }
                        let q: Vec<u8> = (0..BLOCK).map(|_| rng.below(16) as u8).collect();
                        for j in 0..16 {
                            data.push(q[j] | (q[j + 16] << 4));
                        }
                        expected.extend(q.iter().map(|&q| match kind {
                            GgmlBlocks::Q4_0 => d16 * (f32::from(q) - 8.0),
                            _ => d16 * f32::from(q) + m16,
                        }));
                    }
                    GgmlBlocks::Q8_0 => {
                        let q: Vec<i8> = (0..BLOCK).map(|_| rng.below(256) as u8 as i8).collect();
                        data.extend(q.iter().map(|&q| q as u8));
                        expected.extend(q.iter().map(|&q| d16 * f32::from(q)));
                    }
                }
            }
            let matrix = QuantMatrix::from_ggml(kind, rows, cols, &data).unwrap();
            let mut row = vec![0.0; cols];
            for r in 0..rows {
                matrix.dequantize_row(r, &mut row);
                for (c, (&got, &want)) in row.iter().zip(&expected[r * cols..]).enumerate() {
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "{kind:?} [{r},{c}]: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn f32_requantisation_is_within_half_a_step_and_stacking_keeps_rows() {
        let mut rng = Rng::new(3);
        let (rows, cols) = (5, 80);
        let data: Vec<f32> = (0..rows * cols).map(|_| rng.normal()).collect();
        let eight = QuantMatrix::from_f32(rows, cols, &data).unwrap();
        let mut row = vec![0.0; cols];
        for r in 0..rows {
            eight.dequantize_row(r, &mut row);
            for (c, &got) in row.iter().enumerate() {
                let want = data[r * cols + c];
                let step = eight.row_scales(r)[c / BLOCK];
                assert!((got - want).abs() <= step * 0.5 + 1e-6);
            }
        }
        let mut blocks = Vec::new();
        for _ in 0..2 * 64 / BLOCK {
            blocks.extend(f16_bytes(0.5));
            blocks.extend(f16_bytes(-1.0));
            blocks.extend((0..16).map(|_| rng.below(256) as u8));
        }
        let four = QuantMatrix::from_ggml(GgmlBlocks::Q4_1, 2, 64, &blocks).unwrap();
        let wide = QuantMatrix::from_f32(1, 64, &vec![0.25; 64]).unwrap();
        let stacked = QuantMatrix::stack(&[&four, &wide, &four]).unwrap();
        assert!(QuantMatrix::stack(&[&four, &eight]).is_err());
        assert_eq!(stacked.bits(), Bits::Eight);
        assert_eq!(stacked.rows(), 5);
        let (mut a, mut b) = (vec![0.0; 64], vec![0.0; 64]);
        for (r, (source, sr)) in [(&four, 0), (&four, 1), (&wide, 0), (&four, 0), (&four, 1)]
            .into_iter()
            .enumerate()
        {
            stacked.dequantize_row(r, &mut a);
            source.dequantize_row(sr, &mut b);
            assert_eq!(a, b, "row {r}");
        }
    }
}
