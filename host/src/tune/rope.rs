//! Rotary position embeddings as one candle operation with its own
//! backward pass (the rotation by the opposite angle), in the file's pair
//! order: a dozen candle operations (slices, products, a stack) and their
//! gradients become one each.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use deskhand_kernels::RopeStyle;

use super::frozen::Kernels;

/// Rows (one head at one position) per task.
const ROWS_PER_TASK: usize = 64;

/// The rotation of `(heads, positions, dim)` values by their positions.
#[derive(Clone)]
pub struct Rope {
    /// `cos[p · dim/2 + i]`, `sin[…]`: the angle of pair `i` at position `p`.
    cos: Arc<Vec<f32>>,
    sin: Arc<Vec<f32>>,
    dim: usize,
    style: RopeStyle,
    kernels: Arc<Kernels>,
    /// The backward pass rotates by the opposite angle.
    inverse: bool,
}

impl Rope {
    /// Angles `p · base^(−2i/dim)` for `positions` positions.
    pub fn new(
        dim: usize,
        base: f32,
        positions: usize,
        style: RopeStyle,
        kernels: Arc<Kernels>,
    ) -> Self {
        let half = dim / 2;
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for i in 0..half {
                let angle = p as f32 / base.powf((2 * i) as f32 / dim as f32);
                cos.push(angle.cos());
                sin.push(angle.sin());
            }
        }
        Rope {
            cos: Arc::new(cos),
            sin: Arc::new(sin),
            dim,
            style,
            kernels,
            inverse: false,
        }
    }

    /// How many positions the tables hold.
    pub fn positions(&self) -> usize {
        self.cos.len() / (self.dim / 2).max(1)
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1(self.clone())
    }
}

impl CustomOp1 for Rope {
    fn name(&self) -> &'static str {
        "rope"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(values) = storage else {
            candle_core::bail!("rotary embeddings take f32 values");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("rotary embeddings take contiguous values");
        };
        let x = &values[start..end];
        let (_, len, dim) = layout.shape().dims3()?;
        if dim != self.dim || len > self.positions() {
            candle_core::bail!(
                "rotary embeddings of {} dimensions for {} positions got {:?}",
                self.dim,
                self.positions(),
                layout.shape()
            );
        }
        let half = dim / 2;
        let sign = if self.inverse { -1.0 } else { 1.0 };
        let mut out = vec![0f32; x.len()];
        self.kernels
            .pool
            .for_chunks_mut(&mut out, dim, ROWS_PER_TASK, |first, chunk| {
                for (r, row) in chunk.chunks_exact_mut(dim).enumerate() {
                    let index = first + r;
                    let position = index % len;
                    let input = &x[index * dim..(index + 1) * dim];
                    let cos = &self.cos[position * half..(position + 1) * half];
                    let sin = &self.sin[position * half..(position + 1) * half];
                    for i in 0..half {
                        let (ia, ib) = match self.style {
                            RopeStyle::Interleaved => (2 * i, 2 * i + 1),
                            RopeStyle::Halves => (i, i + half),
                        };
                        let (a, b) = (input[ia], input[ib]);
                        let (c, s) = (cos[i], sign * sin[i]);
                        row[ia] = a * c - b * s;
                        row[ib] = a * s + b * c;
                    }
                }
            });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        // A rotation's transpose is the rotation by the opposite angle.
        let inverse = Rope {
            inverse: !self.inverse,
            ..self.clone()
        };
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&inverse)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::test_support::{kernels, max_difference};
    use candle_core::{Device, Var};

    /// Candle's own operations, as the training graph used to rotate.
    fn reference(x: &Tensor, rope: &Rope) -> Tensor {
        let (heads, len, dim) = x.dims3().unwrap();
        let half = dim / 2;
        let table = |v: &Vec<f32>| {
            Tensor::from_vec(v[..len * half].to_vec(), (len, half), &Device::Cpu).unwrap()
        };
        let (cos, sin) = (table(&rope.cos), table(&rope.sin));
        let (a, b) = match rope.style {
            RopeStyle::Interleaved => {
                let pairs = x.reshape((heads, len, half, 2)).unwrap();
                (
                    pairs.narrow(3, 0, 1).unwrap().squeeze(3).unwrap(),
                    pairs.narrow(3, 1, 1).unwrap().squeeze(3).unwrap(),
                )
            }
            RopeStyle::Halves => (
                x.narrow(2, 0, half).unwrap(),
                x.narrow(2, half, half).unwrap(),
            ),
        };
        let first = (a.broadcast_mul(&cos).unwrap() - b.broadcast_mul(&sin).unwrap()).unwrap();
        let second = (a.broadcast_mul(&sin).unwrap() + b.broadcast_mul(&cos).unwrap()).unwrap();
        match rope.style {
            RopeStyle::Interleaved => Tensor::stack(&[first, second], 3)
                .unwrap()
                .reshape((heads, len, dim))
                .unwrap(),
            RopeStyle::Halves => Tensor::cat(&[first, second], 2).unwrap(),
        }
    }

    #[test]
    fn both_pair_orders_and_their_gradients_match_candle_s_own_operations() {
        let kernels = kernels();
        for style in [RopeStyle::Interleaved, RopeStyle::Halves] {
            let rope = Rope::new(16, 10_000.0, 40, style, kernels.clone());
            let (heads, len, dim) = (3, 29, 16);
            let n = heads * len * dim;
            let x = Var::from_vec(
                (0..n)
                    .map(|i| ((i * 7 % 19) as f32 - 9.0) / 4.0)
                    .collect::<Vec<_>>(),
                (heads, len, dim),
                &Device::Cpu,
            )
            .unwrap();
            let ours = rope.forward(x.as_tensor()).unwrap();
            let theirs = reference(x.as_tensor(), &rope);
            assert!(max_difference(&ours, &theirs) < 1e-5, "{style:?}");
            let probe = Tensor::from_vec(
                (0..n).map(|i| (i % 5) as f32 - 2.0).collect::<Vec<_>>(),
                (heads, len, dim),
                &Device::Cpu,
            )
            .unwrap();
            let loss = |y: &Tensor| (y * &probe).unwrap().sum_all().unwrap();
            let g_ours = loss(&ours).backward().unwrap();
            let g_theirs = loss(&theirs).backward().unwrap();
            assert!(
                max_difference(g_ours.get(&x).unwrap(), g_theirs.get(&x).unwrap()) < 1e-4,
                "{style:?}"
            );
        }
    }
}
