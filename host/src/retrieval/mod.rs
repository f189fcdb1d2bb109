//! Retrieval over the shop's knowledge base.
//!
//! [`Embedder`] turns text into sentence embeddings (all-MiniLM-L6-v2 run by
//! candle, matching sentence-transformers).

mod embedder;
mod error;

pub use embedder::{Embedder, cosine};
pub use error::RetrievalError;
