//! A frozen projection `y = x·Wᵀ` as a candle operation on deskhand's GEMM
//! kernels: its backward pass gives only the input's gradient
//! (`dx = dy·W`), never one for the weights, which LoRA leaves alone.
//! candle's own matmul would also compute `xᵀ·dy` for every frozen matrix.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use deskhand_kernels::gemm::gemm;
use deskhand_kernels::{Isa, PanelMatrix, Pool};

/// The kernels a training pass runs on.
pub struct Kernels {
    pub isa: Isa,
    pub pool: Pool,
}

struct Weights {
    outputs: usize,
    inputs: usize,
    /// Panels of `Wᵀ`, for the forward pass.
    forward: PanelMatrix,
    /// Panels of `W`, for the input's gradient.
    backward: PanelMatrix,
    kernels: Arc<Kernels>,
}

/// A weight matrix `W[outputs × inputs]` that does not train.
#[derive(Clone)]
pub struct Frozen {
    weights: Arc<Weights>,
}

impl Frozen {
    /// `rows` holds `W` row by row.
    pub fn new(outputs: usize, inputs: usize, rows: &[f32], kernels: Arc<Kernels>) -> Frozen {
        let forward = PanelMatrix::from_rows(outputs, inputs, rows, &kernels.pool);
        let mut transposed = vec![0f32; rows.len()];
        for (o, row) in rows.chunks_exact(inputs).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                transposed[i * outputs + o] = v;
            }
        }
        let backward = PanelMatrix::from_rows(inputs, outputs, &transposed, &kernels.pool);
        Frozen {
            weights: Arc::new(Weights {
                outputs,
                inputs,
                forward,
                backward,
                kernels,
            }),
        }
    }

    /// Outputs of the projection.
    pub fn outputs(&self) -> usize {
        self.weights.outputs
    }

    /// `x·Wᵀ` for `x` of any shape whose last dimension is `inputs`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1(Product {
            weights: self.weights.clone(),
            transposed: false,
        })
    }
}

/// `x·Wᵀ`, or `x·W` for the gradient.
struct Product {
    weights: Arc<Weights>,
    transposed: bool,
}

impl CustomOp1 for Product {
    fn name(&self) -> &'static str {
        "frozen-projection"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let w = &self.weights;
        let (k, n, panels) = if self.transposed {
            (w.outputs, w.inputs, &w.backward)
        } else {
            (w.inputs, w.outputs, &w.forward)
        };
        let CpuStorage::F32(values) = storage else {
            candle_core::bail!("a frozen projection takes f32 values");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("a frozen projection takes contiguous values");
        };
        let x = &values[start..end];
        let mut dims = layout.shape().dims().to_vec();
        if dims.last() != Some(&k) {
            candle_core::bail!("a frozen projection of {k} inputs got the shape {dims:?}");
        }
        let m = x.len() / k.max(1);
        let mut out = vec![0f32; m * n];
        let kernels = &w.kernels;
        let mut scratch = Vec::new();
        kernels.pool.install(|| {
            gemm(
                kernels.isa,
                &kernels.pool,
                x,
                m,
                k,
                panels.as_panels(),
                &mut out,
                n,
                false,
                &mut scratch,
            )
        });
        *dims.last_mut().expect("checked above") = n;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let gradient = grad.contiguous()?.apply_op1_no_bwd(&Product {
            weights: self.weights.clone(),
            transposed: !self.transposed,
        })?;
        Ok(Some(gradient))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    use crate::tune::test_support::{kernels, max_difference};

    #[test]
    fn forward_and_input_gradient_match_candle_matmul() {
        let kernels = kernels();
        let (outputs, inputs, rows) = (37, 19, 5);
        let w: Vec<f32> = (0..outputs * inputs)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) / 7.0)
            .collect();
        let frozen = Frozen::new(outputs, inputs, &w, kernels);
        let x = Var::from_vec(
            (0..rows * inputs)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 5.0)
                .collect::<Vec<_>>(),
            (rows, inputs),
            &Device::Cpu,
        )
        .unwrap();
        let wt = Tensor::from_vec(w, (outputs, inputs), &Device::Cpu).unwrap();
        let ours = frozen.forward(x.as_tensor()).unwrap();
        let theirs = x.as_tensor().matmul(&wt.t().unwrap()).unwrap();
        assert!(max_difference(&ours, &theirs) < 1e-4);
        let g_ours = ours.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let g_theirs = theirs.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_difference(g_ours.get(&x).unwrap(), g_theirs.get(&x).unwrap()) < 1e-3);
    }
}
