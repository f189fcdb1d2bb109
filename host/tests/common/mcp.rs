//! Running the official MCP Python SDK against deskhand (and external
//! servers): the venv, a plan of steps, and reading its answers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// The Python of the venv with the MCP SDK (~/.cache/deskhand/venv-mcp).
pub fn python() -> PathBuf {
    deskhand::venv::python(
        &deskhand::venv::cache_dir("venv-mcp"),
        &["mcp==2.3.0"],
        "import mcp.client.stdio, mcp.server.mcpserver",
        "the MCP Python SDK",
    )
    .expect("the MCP venv")
}

/// The folder of the tests' Python scripts.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// Runs `plan` with `mcp_client.py` (see its docstring) and returns its
/// lines: the initialize result first, then one per step.
pub fn run_plan(plan: &Value) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let mut child = Command::new(python())
        .arg(scripts().join("mcp_client.py"))
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running the MCP client");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            panic!("the MCP client did not finish within 240 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let steps = plan["steps"].as_array().map_or(0, Vec::len);
    assert_eq!(
        lines.len(),
        steps + 1,
        "the client ran every step; stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines
}

/// Whether a tool result is an error.
pub fn is_error(result: &Value) -> bool {
    result["isError"] == Value::Bool(true)
}

/// A tool result's structured content.
pub fn structured(result: &Value) -> Value {
    result["structuredContent"].clone()
}

/// A tool result's text, joined.
pub fn call_text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
