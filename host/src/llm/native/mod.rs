//! deskhand's own transformer for llama, Qwen 2 and Qwen 3 GGUF models, on
//! the kernels of `deskhand-kernels`.
//!
//! * [`config`]: the hyperparameters, from the GGUF metadata;
//! * [`weights`]: the tensors, converted once into the kernels' layouts
//!   (quantised blocks for decoding, f32 panels for prefill);
//! * [`model`]: the forward pass and its key/value cache.
//!
//! candle still reads the file; architectures this module does not cover
//! run on candle's own models (see [`super::model::Transformer`]).

mod config;
mod error;
mod model;
mod weights;

pub use config::NativeConfig;
pub use error::NativeError;
pub use model::{Compute, NativeModel};
