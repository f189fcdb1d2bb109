//! The feed-forward block's `silu(gate) · up` as one candle operation on the
//! kernels' vectorised exponential, with its own backward pass: candle's
//! SiLU and product, and the half-dozen operations of their gradients,
//! become one each.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use deskhand_kernels::vmath::{silu_mul, silu_mul_backward};

use super::frozen::Kernels;

/// Values per task when split over the threads.
const VALUES_PER_TASK: usize = 4096;

/// `silu(gate) · up`, element by element.
#[derive(Clone)]
pub struct SiluMul {
    kernels: Arc<Kernels>,
}

impl SiluMul {
    pub fn new(kernels: Arc<Kernels>) -> Self {
        SiluMul { kernels }
    }

    pub fn forward(&self, gate: &Tensor, up: &Tensor) -> Result<Tensor> {
        gate.contiguous()?
            .apply_op2(&up.contiguous()?, self.clone())
    }
}

fn values<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let CpuStorage::F32(values) = storage else {
        candle_core::bail!("silu(gate) · up takes f32 values");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("silu(gate) · up takes contiguous values");
    };
    Ok(&values[start..end])
}

impl CustomOp2 for SiluMul {
    fn name(&self) -> &'static str {
        "silu-mul"
    }

    fn cpu_fwd(
        &self,
        gate: &CpuStorage,
        gate_layout: &Layout,
        up: &CpuStorage,
        up_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (gate, up) = (values(gate, gate_layout)?, values(up, up_layout)?);
        if gate.len() != up.len() {
            candle_core::bail!("silu(gate) · up of two shapes");
        }
        let mut out = vec![0f32; gate.len()];
        let isa = self.kernels.isa;
        self.kernels
            .pool
            .for_chunks_mut(&mut out, 1, VALUES_PER_TASK, |first, chunk| {
                let span = first..first + chunk.len();
                silu_mul(isa, &gate[span.clone()], &up[span], chunk);
            });
        Ok((CpuStorage::F32(out), gate_layout.shape().clone()))
    }

    fn bwd(
        &self,
        gate: &Tensor,
        up: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (gate, up) = (gate.contiguous()?, up.contiguous()?);
        let dy = grad.contiguous()?;
        let n = gate.elem_count();
        let (gate_v, up_v, dy_v) = (
            gate.flatten_all()?.to_vec1::<f32>()?,
            up.flatten_all()?.to_vec1::<f32>()?,
            dy.flatten_all()?.to_vec1::<f32>()?,
        );
        let (mut d_gate, mut d_up) = (vec![0f32; n], vec![0f32; n]);
        let isa = self.kernels.isa;
        self.kernels.pool.for_chunk_pairs_mut(
            &mut d_gate,
            &mut d_up,
            VALUES_PER_TASK,
            |first, d_gate, d_up| {
                let span = first..first + d_gate.len();
                silu_mul_backward(
                    isa,
                    &gate_v[span.clone()],
                    &up_v[span.clone()],
                    &dy_v[span],
                    d_gate,
                    d_up,
                );
            },
        );
        let shape = gate.shape().clone();
        Ok((
            Some(Tensor::from_vec(d_gate, shape.clone(), gate.device())?),
            Some(Tensor::from_vec(d_up, shape, gate.device())?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::test_support::{kernels, max_difference};
    use candle_core::{Device, Var};

    #[test]
    fn forward_and_gradients_match_candle_s_own_operations() {
        let kernels = kernels();
        let n = 9000;
        let var = |f: &dyn Fn(usize) -> f32| {
            Var::from_vec((0..n).map(f).collect::<Vec<_>>(), (90, 100), &Device::Cpu).unwrap()
        };
        let gate = var(&|i| ((i * 7 % 23) as f32 - 11.0) / 3.0);
        let up = var(&|i| ((i * 5 % 13) as f32 - 6.0) / 4.0);
        let ours = SiluMul::new(kernels)
            .forward(gate.as_tensor(), up.as_tensor())
            .unwrap();
        let theirs = (candle_nn::ops::silu(gate.as_tensor()).unwrap() * up.as_tensor()).unwrap();
        assert!(max_difference(&ours, &theirs) < 1e-4);
        let probe = Tensor::from_vec(
            (0..n).map(|i| (i % 7) as f32 - 3.0).collect::<Vec<_>>(),
            (90, 100),
            &Device::Cpu,
        )
        .unwrap();
        let loss = |y: &Tensor| (y * &probe).unwrap().sum_all().unwrap();
        let g_ours = loss(&ours).backward().unwrap();
        let g_theirs = loss(&theirs).backward().unwrap();
        for v in [&gate, &up] {
            assert!(max_difference(g_ours.get(v).unwrap(), g_theirs.get(v).unwrap()) < 1e-3);
        }
    }
}
