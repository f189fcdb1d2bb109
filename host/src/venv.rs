//! Python virtual environments that the benchmarks and the interoperability
//! tests compare deskhand against: one folder under `~/.cache/deskhand/`
//! per set of packages, made once on first use and reused after.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A venv that could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the Python venv {}: {reason}", dir.display())]
pub struct VenvError {
    /// The venv's folder.
    pub dir: PathBuf,
    /// What failed, and how to make the venv by hand.
    pub reason: String,
}

/// The Python of the venv in `dir`, made (`python3 -m venv`, then pip
/// installs `packages`) when `imports` does not run in it yet; `what` says
/// on stderr what is being installed, and pip shows its progress.
pub fn python(
    dir: &Path,
    packages: &[&str],
    imports: &str,
    what: &str,
) -> Result<PathBuf, VenvError> {
    let python = dir.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", imports])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    // One maker at a time, across processes (tests run in parallel): the
    // others wait, then find the venv ready.
    if let Some(parent) = dir.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let lock = std::fs::File::create(dir.with_extension("lock"));
    let _guard = lock
        .as_ref()
        .ok()
        .and_then(|file| file.lock().ok().map(|()| file));
    if ready(&python) {
        return Ok(python);
    }
    let failed = |step: &str, detail: String| VenvError {
        dir: dir.to_path_buf(),
        reason: format!(
            "{step}: {detail}; make it by hand with `python3 -m venv {0} && {0}/bin/pip install {1}`",
            dir.display(),
            packages.join(" ")
        ),
    };
    eprintln!("installing {what} into {}, once…", dir.display());
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(dir)
            .status()
            .map_err(|e| failed("python3 -m venv", e.to_string()))?;
        if !status.success() {
            return Err(failed("python3 -m venv", status.to_string()));
        }
    }
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .args(packages)
        .status()
        .map_err(|e| failed("pip install", e.to_string()))?;
    if !status.success() || !ready(&python) {
        return Err(failed("pip install", status.to_string()));
    }
    Ok(python)
}

/// `~/.cache/deskhand/NAME`, where the venvs live.
pub fn cache_dir(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/deskhand").join(name)
}
