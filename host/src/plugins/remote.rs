//! Tools that run outside the sandbox, such as an external MCP server's.
//!
//! They join the catalog as [`Plugin`](super::Plugin)s, so they go through
//! the same argument and result validation, policies, confirmation and
//! audit as components. What differs is only who runs the call: another
//! process that the host talks to, with a time-out and a result-size cap
//! the host enforces. Such a tool cannot reach the record store at all; the
//! session's customer is passed along so that the other side can scope its
//! own data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::error::ToolError;
use super::scope::CustomerScope;

/// A tool that another process runs.
pub trait RemoteTool: Send + Sync {
    /// Runs the tool with `args` (already checked against its schema) for
    /// `customer_id`, waiting at most `timeout` for the answer.
    fn call(
        &self,
        customer_id: &str,
        args: &Value,
        timeout: Duration,
    ) -> Result<Value, RemoteFailure>;
}

/// Why a remote call produced no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteFailure {
    /// The tool answered with an error of its own: a business failure.
    #[error("{0}")]
    Refused(String),
    /// No answer came within the time-out.
    #[error("no answer within {limit_ms} ms")]
    Timeout { limit_ms: u64 },
    /// The other process is not running, or the connection to it broke.
    #[error("{0}")]
    Unavailable(String),
    /// The answer is not a usable result (not JSON, not what was asked).
    #[error("{0}")]
    Invalid(String),
}

/// What the host allows one remote call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteLimits {
    /// The longest the host waits for an answer.
    pub timeout: Duration,
    /// The largest result accepted, in bytes of JSON.
    pub max_result_bytes: usize,
}

impl Default for RemoteLimits {
    fn default() -> Self {
        RemoteLimits {
            timeout: Duration::from_secs(5),
            max_result_bytes: 64 << 10,
        }
    }
}

/// A remote tool with the limits it runs under.
#[derive(Clone)]
pub struct RemoteRunner {
    tool: Arc<dyn RemoteTool>,
    limits: RemoteLimits,
}

impl RemoteRunner {
    /// `tool`, called within `limits`.
    pub fn new(tool: Arc<dyn RemoteTool>, limits: RemoteLimits) -> Self {
        RemoteRunner { tool, limits }
    }

    /// One call for `scope`'s customer, its failures as the host reports
    /// them for any plugin.
    pub(super) fn call(
        &self,
        name: &str,
        scope: &CustomerScope,
        args: &Value,
    ) -> Result<Value, ToolError> {
        let tool = name.to_string();
        let started = Instant::now();
        let value = self
            .tool
            .call(&scope.customer_id, args, self.limits.timeout)
            .map_err(|failure| match failure {
                RemoteFailure::Refused(message) => ToolError::Failed {
                    tool: tool.clone(),
                    code: "refused".into(),
                    message: shorten(&message, 500),
                },
                RemoteFailure::Timeout { limit_ms } => ToolError::Timeout {
                    tool: tool.clone(),
                    limit_ms,
                },
                RemoteFailure::Unavailable(detail) => ToolError::Crashed {
                    tool: tool.clone(),
                    detail,
                },
                RemoteFailure::Invalid(detail) => ToolError::InvalidResult {
                    tool: tool.clone(),
                    detail,
                },
            })?;
        // An answer after the deadline is still too late: the host promised
        // its callers this bound.
        if started.elapsed() > self.limits.timeout + Duration::from_millis(50) {
            return Err(ToolError::Timeout {
                tool,
                limit_ms: self.limits.timeout.as_millis() as u64,
            });
        }
        let size = serde_json::to_string(&value).map(|t| t.len()).unwrap_or(0);
        if size > self.limits.max_result_bytes {
            return Err(ToolError::InvalidResult {
                tool,
                detail: format!(
                    "its result is {size} bytes, over the limit of {} bytes (max_result_bytes)",
                    self.limits.max_result_bytes
                ),
            });
        }
        Ok(value)
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::store::SqliteStore;
    use serde_json::json;

    struct Echo(Result<Value, RemoteFailure>);

    impl RemoteTool for Echo {
        fn call(&self, _: &str, _: &Value, _: Duration) -> Result<Value, RemoteFailure> {
            self.0.clone()
        }
    }

    fn scope() -> CustomerScope {
        CustomerScope::new(
            "c1",
            Arc::new(SqliteStore::in_memory().unwrap()),
            Clock::system(),
        )
    }

    fn run(answer: Result<Value, RemoteFailure>, max: usize) -> Result<Value, ToolError> {
        let limits = RemoteLimits {
            max_result_bytes: max,
            ..RemoteLimits::default()
        };
        RemoteRunner::new(Arc::new(Echo(answer)), limits).call("t", &scope(), &json!({}))
    }

    #[test]
    fn a_refusal_is_a_business_failure_and_a_hang_a_timeout() {
        let refused = run(Err(RemoteFailure::Refused("no such order".into())), 100).unwrap_err();
        assert!(refused.is_business_failure());
        assert_eq!(refused.customer_message(), "no such order");
        let late = run(Err(RemoteFailure::Timeout { limit_ms: 5 }), 100).unwrap_err();
        assert_eq!(late.code(), "timeout");
        let gone = run(Err(RemoteFailure::Unavailable("exited".into())), 100).unwrap_err();
        assert!(!gone.is_business_failure());
    }

    #[test]
    fn a_result_over_the_cap_is_refused() {
        assert!(run(Ok(json!({"a": "x"})), 100).is_ok());
        let error = run(Ok(json!({"a": "x".repeat(200)})), 100).unwrap_err();
        assert_eq!(error.code(), "invalid-result");
        assert!(error.to_string().contains("max_result_bytes"), "{error}");
    }
}
