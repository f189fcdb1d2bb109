//! The Python environment of the peers deskhand's tuning is checked and
//! measured against (PyTorch + PEFT + transformers, the `gguf` reader,
//! sacrebleu): a venv under `~/.cache/deskhand/`, made once on first use.

use std::path::{Path, PathBuf};

use super::error::TuneError;

/// What the venv holds.
pub const PACKAGES: [&str; 7] = [
    "torch",
    "peft",
    "transformers",
    "safetensors",
    "gguf",
    "numpy",
    "sacrebleu",
];
/// The modules whose import proves it is complete.
const IMPORTS: &str = "import torch, peft, transformers, safetensors, gguf, numpy, sacrebleu";

/// The peers' scripts (`tuning/peer/` of the repository).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tuning/peer")
}

/// The venv's folder: `$DESKHAND_TUNE_VENV`, or `~/.cache/deskhand/venv-tune`.
pub fn venv_dir() -> PathBuf {
    match std::env::var("DESKHAND_TUNE_VENV") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => crate::venv::cache_dir("venv-tune"),
    }
}

/// The venv's Python, made if it is missing or incomplete.
pub fn python() -> Result<PathBuf, TuneError> {
    Ok(crate::venv::python(
        &venv_dir(),
        &PACKAGES,
        IMPORTS,
        &PACKAGES.join(", "),
    )?)
}
