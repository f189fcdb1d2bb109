//! The CPU kernels behind deskhand's language model.
//!
//! * [`quant`]: weights in 4/8-bit affine blocks, in the order the integer
//!   kernels read them; [`activation`]: activations quantised to i8;
//! * [`matvec`]: quantised matrix × vector with AVX-512 VNNI or AVX2
//!   (decoding);
//! * [`gemm`]: a blocked f32 GEMM over pre-packed panels (prefill);
//! * [`attention`]: causal grouped-query attention on a [`kv_cache`];
//! * [`vmath`]: `exp`, SiLU and softmax; [`norm`]: RMSNorm and RoPE;
//! * [`pool`]: the worker threads, created once per model.
//!
//! Every fast path has a scalar twin ([`Isa::Scalar`]) that does the same
//! arithmetic in the same order (fused multiply-adds, lane sums in the
//! order of [`lanes::reduce`], the same polynomial `exp`), so the two give
//! the same bits and are tested for it; [`Isa::best_supported`] picks the path at
//! run time.

pub mod activation;
pub mod attention;
pub mod gemm;
pub mod isa;
pub mod kv_cache;
pub mod lanes;
pub mod matvec;
pub mod norm;
pub mod pool;
pub mod quant;
mod shared;
pub mod vmath;

#[cfg(test)]
mod testing;

pub use activation::QuantizedVector;
pub use attention::Heads;
pub use gemm::PanelMatrix;
pub use isa::Isa;
pub use kv_cache::LayerCache;
pub use norm::{Rope, RopeStyle};
pub use pool::Pool;
pub use quant::{Bits, GgmlBlocks, QuantError, QuantMatrix};
