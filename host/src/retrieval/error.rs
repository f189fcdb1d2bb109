//! What can go wrong in retrieval.

use std::path::PathBuf;

/// Why the knowledge base could not be embedded, ingested or searched.
#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    /// The embedder's files are missing or unreadable.
    #[error("cannot load the embedder from {path}: {reason}")]
    LoadEmbedder { path: PathBuf, reason: String },
    /// LanceDB, or reading the knowledge base folder, failed.
    #[error("knowledge base: {0}")]
    Store(String),
    /// Tokenizing or running the embedder failed.
    #[error("embedding failed: {0}")]
    Embed(String),
}

impl From<candle_core::Error> for RetrievalError {
    fn from(error: candle_core::Error) -> Self {
        RetrievalError::Embed(error.to_string())
    }
}
