//! Why the native engine does not run a model.

/// A model the native engine cannot run.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    /// The file is valid but uses something the native engine does not
    /// implement; the model runs on candle instead.
    #[error("not covered by the native engine: {0}")]
    Unsupported(String),
    /// The file contradicts itself (a tensor's shape against the metadata,
    /// a missing tensor): it cannot run on any engine.
    #[error("{0}")]
    Invalid(String),
}
