//! The MCP server over streamable HTTP, as a tower service that the HTTP
//! server mounts at `/mcp` behind its bearer-key check.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::gateway::DeskGateway;
use super::handler::DeskServer;

/// The streamable HTTP service of `gateway`: a session per client, each
/// call acting for the customer of that request's key.
///
/// `allowed_hosts` are the `Host` values accepted besides loopback (DNS
/// rebinding protection): the address the server listens on.
pub fn service(
    gateway: Arc<DeskGateway>,
    allowed_hosts: Vec<String>,
) -> StreamableHttpService<DeskServer, LocalSessionManager> {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    hosts.extend(allowed_hosts);
    let config = StreamableHttpServerConfig::default().with_allowed_hosts(hosts);
    StreamableHttpService::new(
        move || Ok(DeskServer::new(gateway.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}
