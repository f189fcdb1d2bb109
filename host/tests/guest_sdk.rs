//! The guest SDKs' own unit tests (money, date and wording helpers that every
//! plugin and policy relies on). The SDKs live in the guest workspaces, so
//! they are tested there, natively, through cargo.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run_guest_tests(workspace: &str, package: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guests-native");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--quiet", "-p", package, "--manifest-path"])
        .arg(root.join(workspace).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("running cargo test for a guest SDK");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{package} tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("test result: ok"), "{stdout}");
}

#[test]
fn plugin_sdk_unit_tests_pass() {
    run_guest_tests("plugins", "deskhand-plugin-sdk");
}

#[test]
fn policy_sdk_unit_tests_pass() {
    run_guest_tests("policies", "deskhand-policy-sdk");
}
