//! One external MCP server: started (or reached) with rmcp's client, its
//! tools listed, its calls bounded in time, and started again after it
//! died.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, MetaObject, RequestMetaObject, Tool};
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

use crate::background::BackgroundRuntime;
use crate::desk::{McpServerSpec, McpTransport};
use crate::plugins::RemoteFailure;

/// The shortest time between two starts of a server that keeps dying.
const RESTART_BACKOFF: Duration = Duration::from_secs(1);

/// The `_meta` key that tells a server whose conversation a call is for.
pub const CUSTOMER_META: &str = "deskhand/customer";

/// A running client session with the server.
struct Live {
    /// Keeps the session (and the child process) alive.
    service: RunningService<RoleClient, ()>,
    peer: Peer<RoleClient>,
}

/// A connection to one server, shared by all its tools.
pub struct ServerConnection {
    spec: McpServerSpec,
    runtime: Arc<BackgroundRuntime>,
    live: tokio::sync::Mutex<Option<Live>>,
    last_start: parking_lot::Mutex<Option<Instant>>,
}

impl ServerConnection {
    /// Starts the server and lists its tools, within its startup time-out.
    pub fn connect(
        spec: McpServerSpec,
        runtime: Arc<BackgroundRuntime>,
    ) -> Result<(Arc<Self>, Vec<Tool>), String> {
        let connection = Arc::new(ServerConnection {
            spec,
            runtime,
            live: tokio::sync::Mutex::new(None),
            last_start: parking_lot::Mutex::new(None),
        });
        let timeout = connection.spec.startup_timeout;
        let this = connection.clone();
        let tools = connection
            .runtime
            .wait(
                async move {
                    let peer = this.peer().await?;
                    peer.list_all_tools()
                        .await
                        .map_err(|e| format!("listing its tools failed: {e}"))
                },
                timeout,
            )
            .unwrap_or_else(|| {
                Err(format!(
                    "it did not start and list its tools within {} ms (startup_timeout_ms)",
                    timeout.as_millis()
                ))
            })?;
        Ok((connection, tools))
    }

    /// The server's name in the desk.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Calls the server's tool `tool` with `args` for `customer_id`.
    pub fn call(
        self: &Arc<Self>,
        tool: &str,
        customer_id: &str,
        args: &Value,
        timeout: Duration,
    ) -> Result<Value, RemoteFailure> {
        let mut params = CallToolRequestParams::new(tool.to_string())
            .with_arguments(args.as_object().cloned().unwrap_or_default());
        let mut meta = serde_json::Map::new();
        meta.insert(CUSTOMER_META.into(), Value::String(customer_id.to_string()));
        params.meta = Some(RequestMetaObject(MetaObject(meta)));
        let this = self.clone();
        let answer = self.runtime.wait(
            async move {
                let peer = this.peer().await.map_err(RemoteFailure::Unavailable)?;
                match peer.call_tool(params).await {
                    Ok(result) => Ok(result),
                    Err(error) => {
                        // A broken session is started afresh on the next call.
                        if peer.is_transport_closed() {
                            this.live.lock().await.take();
                        }
                        Err(RemoteFailure::Unavailable(format!(
                            "the MCP server {} failed the call: {error}",
                            this.spec.name
                        )))
                    }
                }
            },
            timeout,
        );
        match answer {
            None => Err(RemoteFailure::Timeout {
                limit_ms: timeout.as_millis() as u64,
            }),
            Some(result) => result.and_then(|r| result_value(&self.spec.name, r)),
        }
    }

    /// The live session's peer, starting the server when there is none.
    async fn peer(&self) -> Result<Peer<RoleClient>, String> {
        let mut live = self.live.lock().await;
        if let Some(session) = live.as_ref()
            && !session.peer.is_transport_closed()
        {
            return Ok(session.peer.clone());
        }
        *live = None;
        {
            let mut last = self.last_start.lock();
            if last.is_some_and(|at| at.elapsed() < RESTART_BACKOFF) {
                return Err(format!(
                    "the MCP server {} stopped and is started again at most once a second",
                    self.spec.name
                ));
            }
            *last = Some(Instant::now());
        }
        let service = start(&self.spec).await?;
        let peer = service.peer().clone();
        *live = Some(Live {
            service,
            peer: peer.clone(),
        });
        Ok(peer)
    }
}

impl Drop for ServerConnection {
    fn drop(&mut self) {
        // The session ends inside its runtime, where the child process is
        // stopped; never waited for here, since the last reference may go
        // on that runtime's own thread.
        if let Some(live) = self.live.get_mut().take() {
            self.runtime.handle().spawn(async move {
                let _ = live.service.cancel().await;
            });
        }
    }
}

/// Starts a client session with the server `spec` describes.
async fn start(spec: &McpServerSpec) -> Result<RunningService<RoleClient, ()>, String> {
    let name = spec.name.clone();
    let failed =
        |what: &str, e: &dyn std::fmt::Display| format!("{what} the MCP server {name}: {e}");
    match &spec.transport {
        McpTransport::Stdio {
            program,
            args,
            env,
            dir,
        } => {
            let mut command = tokio::process::Command::new(program);
            command
                .args(args)
                .envs(env)
                .current_dir(dir)
                .kill_on_drop(true);
            let (transport, stderr) = TokioChildProcess::builder(command)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| failed(&format!("starting `{}` for", program.display()), &e))?;
            if let Some(stderr) = stderr {
                let server = spec.name.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        tracing::info!(server = %server, "{line}");
                    }
                });
            }
            ().serve(transport)
                .await
                .map_err(|e| failed("opening a session with", &e))
        }
        McpTransport::Http { url } => {
            let transport = StreamableHttpClientTransport::from_uri(url.as_str());
            ().serve(transport)
                .await
                .map_err(|e| failed(&format!("connecting to {url} for"), &e))
        }
    }
}

/// The value of a tool's answer: its structured content, or the JSON its
/// text holds, or the text itself; an `isError` answer is the tool's refusal.
fn result_value(server: &str, result: CallToolResult) -> Result<Value, RemoteFailure> {
    let text: Vec<String> = result
        .content
        .iter()
        .filter_map(|block| match block {
            rmcp::model::ContentBlock::Text(text) => Some(text.text.clone()),
            _ => None,
        })
        .collect();
    let text = text.join("\n");
    if result.is_error == Some(true) {
        let message = if text.trim().is_empty() {
            "the tool reported an error without saying why".to_string()
        } else {
            text
        };
        return Err(RemoteFailure::Refused(message));
    }
    if let Some(value) = result.structured_content {
        return Ok(value);
    }
    if text.is_empty() {
        return Err(RemoteFailure::Invalid(format!(
            "the MCP server {server} answered with neither structured content nor text"
        )));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
