//! What the unit tests of the training operations share.

use std::sync::Arc;

use candle_core::Tensor;
use deskhand_kernels::{Isa, Pool};

use super::frozen::Kernels;

/// Kernels on two threads.
pub fn kernels() -> Arc<Kernels> {
    Arc::new(Kernels {
        isa: Isa::best_supported(),
        pool: Pool::new(2).expect("a pool of two threads"),
    })
}

/// The largest absolute difference of two tensors of one shape.
pub fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.max_all())
        .and_then(|d| d.to_scalar::<f32>())
        .expect("two tensors of one shape")
}
