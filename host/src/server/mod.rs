//! `deskhand serve`: the agent behind an HTTP API, a web chat page,
//! Prometheus metrics and an OpenAPI document.
//!
//! * [`config`]: `deskhand.toml` (address, paths, model, generation,
//!   limits, API keys);
//! * [`auth`]: bearer keys that map to a customer or to staff;
//! * [`admission`]: how many turns run and wait, and the 503 beyond;
//! * [`routes`]: one file per resource; [`app`] puts them together;
//! * [`metrics`]: counters and histograms in the Prometheus text format.
//!
//! A customer key only ever reaches its own customer's conversations and
//! orders: the customer comes from the key, never from the request body.

pub mod admission;
pub mod app;
pub mod auth;
pub mod body;
pub mod config;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;

pub use app::router;
pub use config::{ApiKey, Role, ServerConfig};
pub use error::{ApiError, ConfigError};
pub use state::AppState;

use crate::agent::Agent;

/// Serves `agent` on `listener` until `shutdown` completes. The future owns
/// everything it needs, so it can be spawned.
pub fn serve(
    listener: tokio::net::TcpListener,
    agent: Arc<Agent>,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = std::io::Result<()>> + Send + 'static {
    let app = router(Arc::new(AppState::new(agent, config)));
    async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
