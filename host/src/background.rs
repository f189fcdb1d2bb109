//! A small tokio runtime of its own, so that synchronous code (the MCP
//! client side of a tool call, the PostgreSQL store, the remote model) can
//! wait on async I/O from any thread, inside another runtime or not.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};

/// A runtime that is shut down in the background when dropped, wherever
/// that happens.
pub struct BackgroundRuntime {
    runtime: Option<Runtime>,
}

impl BackgroundRuntime {
    /// A runtime with one worker thread named `name`.
    pub fn new(name: &str) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(BackgroundRuntime {
            runtime: Some(runtime),
        })
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        self.runtime
            .as_ref()
            .expect("running until dropped")
            .handle()
    }

    /// Runs `future` on this runtime and waits for it, at most `timeout`;
    /// `None` when it did not finish in time. Blocks the calling thread, so
    /// an async caller uses `spawn_blocking`.
    pub fn wait<F>(&self, future: F, timeout: Duration) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (sender, receiver) = std::sync::mpsc::channel();
        self.handle().spawn(async move {
            let _ = sender.send(tokio::time::timeout(timeout, future).await);
        });
        receiver.recv().ok()?.ok()
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_what_finishes_and_gives_up_on_what_hangs() {
        let runtime = BackgroundRuntime::new("test-mcp").unwrap();
        assert_eq!(runtime.wait(async { 7 }, Duration::from_secs(1)), Some(7));
        let hung = runtime.wait(
            async { tokio::time::sleep(Duration::from_secs(60)).await },
            Duration::from_millis(20),
        );
        assert!(hung.is_none());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn waits_from_inside_another_runtime_too() {
        let runtime = BackgroundRuntime::new("test-mcp").unwrap();
        let answer = tokio::task::spawn_blocking(move || {
            runtime.wait(async { "ok" }, Duration::from_secs(1))
        })
        .await
        .unwrap();
        assert_eq!(answer, Some("ok"));
    }
}
