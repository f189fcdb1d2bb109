//! Everything one plugin call may use: its customer, its grant, its staged
//! writes, its deadline. Lives in the call's store data and dies with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::grants::{Access, PluginGrant};
use super::http::{self, HttpClient};
use super::scope::CustomerScope;
use super::staging::Staging;
use crate::bindings::http::{HttpError, Request, Response};

/// What the call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMode {
    /// `invoke`: reads and writes as granted.
    Invoke,
    /// `facts`: a look-up for the policies; every write is refused.
    Facts,
}

/// The capabilities of one call.
pub(crate) struct CallContext {
    pub scope: CustomerScope,
    /// The plugin's file name, which its grant is filed under.
    pub grant_name: Arc<str>,
    pub grant: Arc<PluginGrant>,
    pub mode: CallMode,
    pub staging: Staging,
    /// Permissions the plugin asked for and lacked, in words that say how to grant them.
    pub denials: Vec<String>,
    /// How many HTTP requests were sent (a call that sent any is not re-run on a conflict).
    pub http_requests: u32,
    /// How many times the host answered `conflict` (an id taken meanwhile):
    /// a call that then fails is run again on the fresh data.
    pub conflicts: u32,
    pub http: Arc<HttpClient>,
    pub deadline: Instant,
}

impl CallContext {
    /// The time left before the call's deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Records a missing permission: the WIT error names the permission, the
    /// host's own error (and log) says where to grant it.
    pub fn deny(&mut self, permission: String) -> String {
        let advice = format!(
            "plugin {} lacks the permission {permission}; grant it under [plugins.{}] in the \
             plugins configuration (plugins.toml)",
            self.grant_name, self.grant_name
        );
        tracing::warn!(plugin = %self.grant_name, "{advice}");
        self.denials.push(advice);
        permission
    }

    /// Sends one HTTP request of the call, if its grant allows the host.
    pub fn send_http(&mut self, plugin: &str, request: Request) -> Result<Response, HttpError> {
        let request = http::outgoing(request)?;
        if !self.grant.allows_host(&request.host, request.port) {
            let permission = format!("http = [\"{}:{}\"]", request.host, request.port);
            return Err(HttpError::Denied(self.deny(permission)));
        }
        // Never past the call's own deadline: the plugin would be stopped anyway.
        let timeout = self.grant.http_timeout().min(self.remaining());
        if timeout.is_zero() {
            return Err(HttpError::Timeout);
        }
        self.http_requests += 1;
        self.http.send(plugin, request, self.grant.clone(), timeout)
    }

    /// Whether `collection` may be used with `need`, or the permission that is missing.
    pub fn check_records(&mut self, collection: &str, need: Access) -> Result<(), String> {
        if need == Access::ReadWrite && self.mode == CallMode::Facts {
            return Err(self.deny(format!(
                "to write to {collection} while looking up facts (facts are read-only; write in invoke)"
            )));
        }
        match self.grant.access(collection) {
            Some(have) if have >= need => Ok(()),
            _ => Err(self.deny(format!("records.{collection} = \"{}\"", need.as_str()))),
        }
    }
}
