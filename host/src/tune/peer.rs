//! The Python environment of the peers deskhand's tuning is checked and
//! measured against (PyTorch + PEFT + transformers, the `gguf` reader,
//! sacrebleu): a venv under `~/.cache/deskhand/`, made once on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    if let Ok(dir) = std::env::var("DESKHAND_TUNE_VENV") {
        return PathBuf::from(dir);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    Path::new(&home).join(".cache/deskhand/venv-tune")
}

/// The venv's Python, made (with `python3 -m venv` and pip) if it is
/// missing or incomplete; pip's progress goes to stderr.
pub fn python() -> Result<PathBuf, TuneError> {
    let dir = venv_dir();
    let python = dir.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", IMPORTS])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    let failed = |what: &str, detail: String| TuneError::Io {
        path: dir.clone(),
        reason: format!(
            "{what}: {detail}; make it by hand with `python3 -m venv {0} && {0}/bin/pip install {1}`",
            dir.display(),
            PACKAGES.join(" ")
        ),
    };
    eprintln!(
        "making the peer venv {} ({}), once…",
        dir.display(),
        PACKAGES.join(", ")
    );
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .map_err(|e| failed("python3 -m venv", e.to_string()))?;
        if !status.success() {
            return Err(failed("python3 -m venv", status.to_string()));
        }
    }
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--progress-bar", "off"])
        .args(PACKAGES)
        .status()
        .map_err(|e| failed("pip install", e.to_string()))?;
    if !status.success() || !ready(&python) {
        return Err(failed("pip install", status.to_string()));
    }
    Ok(python)
}
