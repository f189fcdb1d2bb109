//! What can go wrong before or while scenarios run.

use std::path::PathBuf;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A scenario file is unreadable or invalid; nothing ran.
    #[error("{}:{line}: {message}", path.display())]
    InvalidScenario {
        path: PathBuf,
        /// 1-based; 0 when the whole file is concerned.
        line: usize,
        message: String,
    },
    /// No scenario matched the paths and filter.
    #[error("no scenarios found in {0}; check the paths and --filter")]
    NoScenarios(String),
    /// Setting up a scenario's shop, policies or agent failed.
    #[error("setting up scenario {scenario:?}: {message}")]
    Setup { scenario: String, message: String },
    /// Writing a report failed.
    #[error("writing the report {}: {source}", path.display())]
    Report {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
