//! What can go wrong while tuning.

/// Why a tuning run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The model cannot be trained (architecture, file).
    #[error("cannot train this model: {0}")]
    Model(String),
    /// The training data is unusable.
    #[error("the training data: {0}")]
    Data(String),
    /// A setting is out of range.
    #[error("{0}")]
    Settings(String),
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        path: std::path::PathBuf,
        reason: String,
    },
    /// The tensor arithmetic failed (a bug, or out of memory).
    #[error("the training computation failed: {0}")]
    Compute(#[from] candle_core::Error),
    /// The adapter could not be written or read.
    #[error(transparent)]
    Adapter(#[from] crate::llm::adapter::AdapterError),
    /// The peers' Python venv could not be made.
    #[error(transparent)]
    Venv(#[from] crate::venv::VenvError),
    /// The tokenizer or chat template failed.
    #[error(transparent)]
    Llm(#[from] crate::llm::LlmError),
}
