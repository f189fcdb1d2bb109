//! What every request handler shares.

use std::sync::Arc;

use super::admission::Admission;
use super::config::{ApiKey, LimitsSection, ServerConfig};
use super::keys::KeyRing;
use super::metrics::{Gauges, Metrics};
use crate::agent::Agent;

/// Direct tool calls that run at once, and that may wait.
const TOOL_CALLS_AT_ONCE: usize = 4;
const TOOL_CALLS_WAITING: usize = 64;

/// The server's shared state.
pub struct AppState {
    pub agent: Arc<Agent>,
    pub keys: KeyRing,
    /// The public demo keys in force, offered by the web page.
    pub demo_keys: Vec<ApiKey>,
    pub limits: LimitsSection,
    pub admission: Admission,
    /// Direct tool calls: sandboxed and short, but bounded too.
    pub tool_admission: Admission,
    pub metrics: Metrics,
    /// The address the server listens on (the MCP endpoint accepts it as a Host).
    pub address: std::net::SocketAddr,
    /// Which host this is, among several serving one desk: `[server] host_id`
    /// (DESKHAND_HOST_ID), or the machine's name and port.
    pub host_id: String,
}

impl AppState {
    /// The state for `agent` under `config` (already validated).
    pub fn new(agent: Arc<Agent>, config: &ServerConfig) -> Self {
        // Demo keys, when no keys are configured, are for the customers the
        // agent's store has (unless the caller named them).
        let mut config = config.clone();
        if config.keys.is_none() && config.demo_customers.is_empty() {
            config.demo_customers = agent
                .records()
                .customers()
                .map(|customers| customers.into_iter().map(|c| c.id).collect())
                .unwrap_or_default();
        }
        let keys = config.keys();
        let limits = config.limits.clone();
        AppState {
            agent,
            keys: KeyRing::new(&keys),
            demo_keys: keys.into_iter().filter(ApiKey::is_demo).collect(),
            admission: Admission::new(limits.concurrency, limits.queue, limits.retry_after_seconds),
            tool_admission: Admission::new(
                TOOL_CALLS_AT_ONCE,
                TOOL_CALLS_WAITING,
                limits.retry_after_seconds,
            ),
            limits,
            metrics: Metrics::default(),
            address: config.server.address,
            host_id: config.host_id(),
        }
    }

    /// The values `/metrics` reads at scrape time.
    pub fn gauges(&self) -> Gauges {
        let status = self.agent.gate().policies().status();
        Gauges {
            queue_depth: self.admission.queue_depth(),
            running_turns: self.admission.running(),
            policy_reloads: status.reloads,
            policy_rejected: status.rejected,
            plugins: self.agent.gate().tools().catalog().plugins().count(),
        }
    }
}
