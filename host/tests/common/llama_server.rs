//! Real and fake OpenAI-compatible model servers for the remote backend's
//! tests: llama-cpp-python's server on the default GGUF (in a venv made
//! once under `~/.cache/deskhand/`), and a small Python server that
//! misbehaves on purpose.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The llama-cpp-python release the tests run against.
pub const LLAMA_CPP_SERVER: &str = "llama-cpp-python[server]==0.3.36";

/// A server process, stopped when dropped.
pub struct ModelServer {
    child: Child,
    pub url: String,
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python, made on first use (it compiles llama.cpp: minutes).
pub fn llama_python() -> PathBuf {
    deskhand::venv::python(
        &deskhand::venv::cache_dir("venv-llama-server"),
        &[LLAMA_CPP_SERVER],
        "import llama_cpp.server.app, uvicorn, sse_starlette",
        "llama-cpp-python's OpenAI-compatible server (it compiles llama.cpp: several minutes)",
    )
    .expect("the llama-cpp-python venv")
}

/// Waits until `GET /v1/models` answers.
fn wait_until_up(child: &mut Child, url: &str, patience: Duration) {
    let address: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let started = Instant::now();
    while started.elapsed() < patience {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the model server at {url} exited early: {status}");
        }
        // The servers listen only once the model is loaded.
        if std::net::TcpStream::connect(address).is_ok() {
            let models = super::http::Request::new("GET", "/v1/models").send(address);
            assert_eq!(models.status, 200, "{url}/v1/models: {}", models.text());
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the model server at {url} did not come up within {patience:?}");
}

/// llama-cpp-python's server on `model`, on a free loopback port.
pub fn llama_server(model: &Path) -> ModelServer {
    let python = llama_python();
    let port = super::free_port();
    let mut child = Command::new(python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--n_ctx", "2048", "--n_threads", "2", "--verbose", "false"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting llama-cpp-python's server");
    let url = format!("http://127.0.0.1:{port}");
    wait_until_up(&mut child, &url, Duration::from_secs(120));
    ModelServer { child, url }
}

/// The misbehaving server in `mode` (slow, garbage, error).
pub fn fake_server(mode: &str) -> ModelServer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fake_model_server.py");
    let port = super::free_port();
    let mut child = Command::new("python3")
        .arg(script)
        .args([mode, &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("starting the fake model server");
    let url = format!("http://127.0.0.1:{port}");
    wait_until_up(&mut child, &url, Duration::from_secs(20));
    ModelServer { child, url }
}
