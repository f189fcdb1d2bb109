//! Builds the WebAssembly guests (tool plugins and policies) as part
//! of the host's normal build, the way wasmtime builds its test programs.
//!
//! Each guest workspace (`plugins/`, `policies/`) is compiled to
//! `wasm32-wasip2` with its own target directory beside the host's, and the
//! resulting components are copied into folders next to the host binary:
//!
//! * `<profile>/plugins/`: the shipped tools (the default plugins directory);
//! * `<profile>/test-plugins/`: the template and the hostile test plugins;
//! * `<profile>/policies/` and `<profile>/test-policies/`: the same for policies.
//!
//! A file is only rewritten when its bytes change, so a running server that
//! watches the folder reloads exactly the plugins that were rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/deskhand-<hash>/out.
    let profile_dir = out_dir.ancestors().nth(3).unwrap().to_path_buf();
    let guest_target = profile_dir.parent().unwrap().join("guests");

    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    ensure_wasm_target();
    let built = guest_target.join(WASM_TARGET).join("release");
    for (workspace, shipped_env, testing_env) in [
        (
            "plugins",
            "DESKHAND_BUILTIN_PLUGINS",
            "DESKHAND_TEST_PLUGINS",
        ),
        (
            "policies",
            "DESKHAND_BUILTIN_POLICIES",
            "DESKHAND_TEST_POLICIES",
        ),
    ] {
        let workspace_dir = root.join(workspace);
        // Only the guests' sources: editing policies.toml or a test case must
        // not rebuild the host (the running host reloads those by itself).
        for file in ["Cargo.toml", "Cargo.lock"] {
            println!(
                "cargo:rerun-if-changed={}",
                workspace_dir.join(file).display()
            );
        }
        for member in workspace_members(&workspace_dir) {
            println!("cargo:rerun-if-changed={}", member.display());
        }
        build_workspace(&workspace_dir, &guest_target);
        let shipped = profile_dir.join(workspace);
        let testing = profile_dir.join(format!("test-{workspace}"));
        let mut produced: Vec<PathBuf> = Vec::new();
        for member in workspace_members(&workspace_dir) {
            let Some(lib) = cdylib_name(&member) else {
                continue;
            };
            let relative = member.strip_prefix(&workspace_dir).unwrap();
            let dest = if relative.starts_with("testing") || relative.starts_with("_template") {
                &testing
            } else {
                &shipped
            };
            let target = dest.join(format!("{lib}.wasm"));
            copy_if_changed(&built.join(format!("{lib}.wasm")), &target);
            produced.push(target);
        }
        // A crate that left the workspace leaves the folders too (the target
        // directory is shared by every checkout).
        for dir in [&shipped, &testing] {
            for stale in wasm_files(dir)
                .into_iter()
                .filter(|f| !produced.contains(f))
            {
                let _ = fs::remove_file(stale);
            }
        }
        println!("cargo:rustc-env={shipped_env}={}", shipped.display());
        println!("cargo:rustc-env={testing_env}={}", testing.display());
    }
}

/// Adds the wasm target through rustup when the toolchain lacks it, so a fresh
/// machine needs no manual step.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if libdir.is_some_and(|dir| dir.exists()) {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        panic!(
            "the {WASM_TARGET} target is missing and `rustup target add {WASM_TARGET}` failed; \
             install it by hand and build again"
        );
    }
}

fn build_workspace(workspace: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--workspace")
        .args(["--target", WASM_TARGET])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        // The host's flags (e.g. -C target-cpu=native) must not leak into the guests.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_PROFILE_RELEASE_OPT_LEVEL");
    let output = cmd
        .output()
        .expect("running cargo to build the wasm guests");
    if !output.status.success() {
        panic!(
            "building the guests in {} failed:\n{}",
            workspace.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The member folders of a guest workspace, with `dir/*` globs expanded.
fn workspace_members(workspace: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    let mut dirs = Vec::new();
    for member in members.iter().filter_map(|m| m.as_str()) {
        match member.strip_suffix("/*") {
            Some(parent) => {
                let mut found: Vec<PathBuf> = fs::read_dir(workspace.join(parent))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("Cargo.toml").exists())
                    .collect();
                found.sort();
                dirs.extend(found);
            }
            None => dirs.push(workspace.join(member)),
        }
    }
    dirs
}

/// The library name of a `cdylib` member, which names its .wasm file.
fn cdylib_name(member: &Path) -> Option<String> {
    let manifest: toml::Table = fs::read_to_string(member.join("Cargo.toml"))
        .ok()?
        .parse()
        .ok()?;
    let lib = manifest.get("lib")?;
    let is_cdylib = lib
        .get("crate-type")?
        .as_array()?
        .iter()
        .any(|t| t.as_str() == Some("cdylib"));
    if !is_cdylib {
        return None;
    }
    let name = lib
        .get("name")
        .or_else(|| manifest.get("package")?.get("name"))?
        .as_str()?;
    Some(name.replace('-', "_"))
}

fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect()
}

fn copy_if_changed(from: &Path, to: &Path) {
    let bytes = fs::read(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
    if fs::read(to).ok().as_deref() == Some(bytes.as_slice()) {
        return;
    }
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    // Write beside and rename, so a watcher never sees half a component.
    let partial = to.with_extension("wasm.partial");
    fs::write(&partial, &bytes).unwrap();
    fs::rename(&partial, to).unwrap();
}
