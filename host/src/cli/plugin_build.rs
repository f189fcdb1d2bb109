//! `deskhand plugin build DIR`: one command that turns a plugin's source,
//! in Rust, Python or JavaScript, into a component in the plugins folder.
//!
//! * Rust (`Cargo.toml`): `cargo build --release --target wasm32-wasip2`;
//! * Python (`app.py`): componentize-py, installed once into
//!   `~/.cache/deskhand/venv-componentize`;
//! * JavaScript (`app.js`): componentize-js (the engine of `jco
//!   componentize`), installed once into `~/.cache/deskhand/node-componentize`.
//!
//! All three build against the same WIT contract (`wit/`, world `tool`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};

/// componentize-py's version.
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";
/// componentize-js's version (what `jco componentize` runs).
const COMPONENTIZE_JS: &str = "@bytecodealliance/componentize-js@0.23.0";
/// The WASI shim componentize-js imports at the top level. npm nests it
/// under jco now (jco pins its own), so it is installed beside, at a
/// release whose WASI host can open the WIT folder (0.26 cannot).
const PREVIEW2_SHIM: &str = "@bytecodealliance/preview2-shim@0.25.0";

/// A plugin's source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    /// The language of the plugin in `dir`, from the file that starts it.
    pub fn of(dir: &Path) -> anyhow::Result<Lang> {
        if dir.join("Cargo.toml").is_file() {
            Ok(Lang::Rust)
        } else if dir.join("app.py").is_file() {
            Ok(Lang::Python)
        } else if dir.join("app.js").is_file() {
            Ok(Lang::Js)
        } else {
            bail!(
                "{} holds no plugin: expected Cargo.toml (Rust), app.py (Python) or app.js \
                 (JavaScript); start one with `deskhand plugin new NAME --lang rust|python|js`",
                dir.display()
            )
        }
    }
}

/// Builds the plugin in `dir` into `out` (a `.wasm` file, or a folder to
/// put `NAME.wasm` in); prints what it did.
pub fn build(dir: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let lang = Lang::of(dir)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("the plugin folder has no name")?;
    let out = if out.extension().is_some_and(|e| e == "wasm") {
        out.to_path_buf()
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        out.join(format!("{name}.wasm"))
    };
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let wit = std::fs::canonicalize(&wit).unwrap_or(wit);
    let started = Instant::now();
    // Written beside the target first, then moved: a plugins folder under
    // watch never sees half a file.
    let partial = out.with_extension("wasm.partial");
    match lang {
        Lang::Rust => build_rust(dir, &partial)?,
        Lang::Python => {
            let python = deskhand::venv::python(
                &deskhand::venv::cache_dir("venv-componentize"),
                &[COMPONENTIZE_PY],
                "import componentize_py",
                "componentize-py (Python plugins)",
            )?;
            let tool = python.with_file_name("componentize-py");
            run(
                Command::new(&tool)
                    .arg("-d")
                    .arg(&wit)
                    .args(["-w", "tool", "componentize", "-p"])
                    .arg(dir)
                    .arg("app")
                    .arg("-o")
                    .arg(&partial),
                "componentize-py",
            )?;
        }
        Lang::Js => {
            let tool = componentize_js()?;
            run(
                Command::new("node")
                    .arg(&tool)
                    .arg(dir.join("app.js"))
                    .arg("--wit")
                    .arg(&wit)
                    .args([
                        "--world-name",
                        "tool",
                        "--disable",
                        "http",
                        "fetch-event",
                        "-o",
                    ])
                    .arg(&partial),
                "componentize-js",
            )?;
        }
    }
    std::fs::rename(&partial, &out)
        .with_context(|| format!("moving the component to {}", out.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "built {} ({:?}, {:.1} MB) in {:.1} s",
        out.display(),
        lang,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!("  a desk loading from that folder picks it up at once (hot reload)");
    Ok(ExitCode::SUCCESS)
}

fn build_rust(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!("cargo build of {} failed (see above)", dir.display());
    }
    let artifact = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
        })
        .rfind(|f| f.extension().is_some_and(|e| e == "wasm"))
        .context("cargo built no .wasm; is the crate a cdylib?")?;
    std::fs::copy(&artifact, out).with_context(|| format!("copying {}", artifact.display()))?;
    Ok(())
}

/// componentize-js's command-line script, installed on first use (one
/// installer at a time across processes: tests build plugins in parallel).
fn componentize_js() -> anyhow::Result<PathBuf> {
    let prefix = deskhand::venv::cache_dir("node-componentize");
    let script = prefix.join("node_modules/@bytecodealliance/componentize-js/src/cli.js");
    // Written once npm has finished, so a half-made install (or one of
    // other versions) is never used.
    let installed = prefix.join(".installed");
    let wanted = format!("{COMPONENTIZE_JS} {PREVIEW2_SHIM}");
    let ready =
        || script.is_file() && std::fs::read_to_string(&installed).is_ok_and(|text| text == wanted);
    if ready() {
        return Ok(script);
    }
    std::fs::create_dir_all(&prefix)?;
    let lock = std::fs::File::create(prefix.with_extension("lock"))
        .with_context(|| format!("locking {}", prefix.display()))?;
    lock.lock()
        .with_context(|| format!("locking {}", prefix.display()))?;
    if ready() {
        return Ok(script);
    }
    eprintln!(
        "installing {COMPONENTIZE_JS} into {}, once…",
        prefix.display()
    );
    // What an interrupted install left behind is started over.
    let _ = std::fs::remove_dir_all(prefix.join("node_modules"));
    run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .args([COMPONENTIZE_JS, PREVIEW2_SHIM]),
        "npm install (Node.js and npm are needed for JavaScript plugins)",
    )?;
    anyhow::ensure!(script.is_file(), "npm installed no {}", script.display());
    std::fs::write(&installed, &wanted)?;
    Ok(script)
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
