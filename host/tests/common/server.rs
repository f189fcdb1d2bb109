//! A deskhand server on a free loopback port, over a test agent.

use std::net::SocketAddr;
use std::sync::Arc;

use deskhand::server::ServerConfig;
use deskhand::store::SqliteStore;
use serde_json::{Value, json};

use super::agent::{TestAgent, shared};
use super::http::{Request, Response};

/// A running server; stopped when dropped.
pub struct TestServer {
    pub address: SocketAddr,
    pub test: TestAgent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// The demo configuration over a freshly seeded shop.
    pub fn start() -> Self {
        Self::with(TestAgent::new(), ServerConfig::default())
    }

    /// `test`'s agent served under `config`.
    pub fn with(test: TestAgent, config: ServerConfig) -> Self {
        config.validate().expect("a valid configuration");
        let runtime = &shared().runtime;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binding a port");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(deskhand::server::serve(
            listener,
            test.agent.clone(),
            &config,
            async move {
                let _ = stopped.await;
            },
        ));
        TestServer {
            address,
            test,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The store behind the server.
    pub fn store(&self) -> &Arc<SqliteStore> {
        &self.test.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn get(&self, path: &str, key: &str) -> Response {
        Request::new("GET", path).key(key).send(self.address)
    }

    pub fn post(&self, path: &str, key: &str, body: &Value) -> Response {
        Request::new("POST", path)
            .key(key)
            .json(body)
            .send(self.address)
    }

    /// A chat message, answered as JSON.
    pub fn chat(&self, key: &str, conversation: Option<&str>, message: &str) -> Response {
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        self.post("/v1/chat", key, &body)
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = shared().runtime.block_on(task);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
