//! RMS normalisation as one candle operation on the kernels' threads, with
//! its own backward pass (the weight is frozen, so only the input's
//! gradient is computed): six element-wise candle operations, each
//! allocating, and twice as many in the backward pass, become one of each.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use deskhand_kernels::norm::{rms_norm, rms_norm_backward};

use super::frozen::Kernels;

/// Rows of at least this many values are split over the threads.
const ROWS_PER_TASK: usize = 16;

/// `x / sqrt(mean(x²) + eps) · weight` over the last dimension of `x`.
#[derive(Clone)]
pub struct RmsNorm {
    weight: Arc<Vec<f32>>,
    eps: f32,
    kernels: Arc<Kernels>,
}

impl RmsNorm {
    pub fn new(weight: &Tensor, eps: f32, kernels: Arc<Kernels>) -> Result<Self> {
        Ok(RmsNorm {
            weight: Arc::new(weight.flatten_all()?.to_vec1::<f32>()?),
            eps,
            kernels,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1(self.clone())
    }
}

/// The contiguous f32 values of `storage` under `layout`, checked to end in
/// rows of `width`.
fn rows<'a>(storage: &'a CpuStorage, layout: &Layout, width: usize) -> Result<&'a [f32]> {
    let CpuStorage::F32(values) = storage else {
        candle_core::bail!("RMS normalisation takes f32 values");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("RMS normalisation takes contiguous values");
    };
    if layout.shape().dims().last() != Some(&width) {
        candle_core::bail!(
            "RMS normalisation of width {width} got the shape {:?}",
            layout.shape()
        );
    }
    Ok(&values[start..end])
}

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let width = self.weight.len();
        let x = rows(storage, layout, width)?;
        let mut out = vec![0f32; x.len()];
        self.kernels
            .pool
            .for_chunks_mut(&mut out, width, ROWS_PER_TASK, |first, chunk| {
                for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                    let at = (first + i) * width;
                    rms_norm(&x[at..at + width], &self.weight, self.eps, row);
                }
            });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let backward = Backward(self.clone());
        Ok(Some(arg.apply_op2_no_bwd(&grad.contiguous()?, &backward)?))
    }
}

/// The input's gradient of an [`RmsNorm`]: `(x, dy) → dx`.
struct Backward(RmsNorm);

impl CustomOp2 for Backward {
    fn name(&self) -> &'static str {
        "rms-norm-backward"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        dy: &CpuStorage,
        dy_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let norm = &self.0;
        let width = norm.weight.len();
        let x = rows(x, x_layout, width)?;
        let dy = rows(dy, dy_layout, width)?;
        if x.len() != dy.len() {
            candle_core::bail!("RMS normalisation's gradient has another shape than its input");
        }
        let mut dx = vec![0f32; x.len()];
        norm.kernels
            .pool
            .for_chunks_mut(&mut dx, width, ROWS_PER_TASK, |first, chunk| {
                for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                    let at = (first + i) * width;
                    let span = at..at + width;
                    rms_norm_backward(&x[span.clone()], &norm.weight, norm.eps, &dy[span], row);
                }
            });
        Ok((CpuStorage::F32(dx), x_layout.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::test_support::{kernels, max_difference};
    use candle_core::{D, Device, Var};

    #[test]
    fn forward_and_gradient_match_candle_s_own_operations() {
        let kernels = kernels();
        let (rows, width) = (37, 24);
        let weight = Tensor::from_vec(
            (0..width)
                .map(|i| 0.5 + i as f32 / 10.0)
                .collect::<Vec<_>>(),
            width,
            &Device::Cpu,
        )
        .unwrap();
        let x = Var::from_vec(
            (0..rows * width)
                .map(|i| ((i * 7 % 17) as f32 - 8.0) / 5.0)
                .collect::<Vec<_>>(),
            (rows, width),
            &Device::Cpu,
        )
        .unwrap();
        let norm = RmsNorm::new(&weight, 1e-5, kernels).unwrap();
        let ours = norm.forward(x.as_tensor()).unwrap();
        let mean_square = x
            .as_tensor()
            .sqr()
            .unwrap()
            .mean_keepdim(D::Minus1)
            .unwrap();
        let inverse = (mean_square + 1e-5)
            .unwrap()
            .sqrt()
            .unwrap()
            .recip()
            .unwrap();
        let theirs = x
            .as_tensor()
            .broadcast_mul(&inverse)
            .unwrap()
            .broadcast_mul(&weight)
            .unwrap();
        assert!(max_difference(&ours, &theirs) < 1e-5);
        // A loss that weighs every output differently.
        let probe = Tensor::from_vec(
            (0..rows * width)
                .map(|i| (i % 5) as f32 - 2.0)
                .collect::<Vec<_>>(),
            (rows, width),
            &Device::Cpu,
        )
        .unwrap();
        let loss = |y: &Tensor| (y * &probe).unwrap().sum_all().unwrap();
        let g_ours = loss(&ours).backward().unwrap();
        let g_theirs = loss(&theirs).backward().unwrap();
        assert!(max_difference(g_ours.get(&x).unwrap(), g_theirs.get(&x).unwrap()) < 1e-4);
    }
}
