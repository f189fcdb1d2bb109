//! The server's errors: configuration problems at start-up, and API errors
//! that become JSON responses with the right status.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::agent::AgentError;
use crate::store::StoreError;

/// Why the server cannot start with this configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML of the expected shape.
    #[error("{} is not a valid deskhand configuration: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// Public demo keys on an address other than loopback.
    #[error(
        "refusing to serve the public demo keys on {0}: configure your own [[keys]] in deskhand.toml, \
         listen on 127.0.0.1, or pass --allow-demo-keys"
    )]
    DemoKeysInPublic(SocketAddr),
}

/// An API error: a status, a stable code and a sentence saying what was
/// wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; `field` names the offending field.
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// No key, or an unknown key.
    #[error("{0}")]
    Unauthorized(String),
    /// The key is valid but not allowed here.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not this customer's.
    #[error("{0}")]
    NotFound(String),
    /// The route exists, but not with this method.
    #[error("this route does not take that method; see /docs for the API")]
    MethodNotAllowed,
    /// The message or the body is too long.
    #[error("{0}")]
    TooLarge(String),
    /// Too many turns are waiting; try again after `retry_after` seconds.
    #[error("the assistant is busy; try again in {retry_after} s")]
    Busy { retry_after: u64 },
    /// A tool plugin crashed, ran out of time or memory, or broke its result schema.
    #[error("{0}")]
    ToolFailed(String),
    /// A bug or an unavailable resource on our side.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::ToolFailed(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Busy { .. } => "busy",
            ApiError::ToolFailed(_) => "tool_failed",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The JSON body: `{"error": {status, code, message, field?}}`.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({
            "status": self.status().as_u16(),
            "code": self.code(),
            "message": self.to_string(),
        });
        if let ApiError::BadRequest {
            field: Some(field), ..
        } = self
        {
            error["field"] = json!(field);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Internal(_) | ApiError::ToolFailed(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::Busy { retry_after } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after.to_string()).expect("digits"),
            );
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"deskhand\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Internal(format!("the store failed: {error}"))
    }
}

impl From<AgentError> for ApiError {
    fn from(error: AgentError) -> Self {
        match error {
            AgentError::Input(input) => match input {
                crate::agent::InputError::TooLong { .. } => {
                    ApiError::TooLarge(format!("message: {input}"))
                }
                other => ApiError::field("message", other.to_string()),
            },
            AgentError::UnknownConversation(id) => {
                ApiError::NotFound(format!("there is no conversation {id:?} on your account"))
            }
            AgentError::Llm(crate::llm::LlmError::Busy { .. }) => ApiError::Busy { retry_after: 2 },
            AgentError::Llm(crate::llm::LlmError::PromptTooLong { .. }) => ApiError::TooLarge(
                "message: the conversation is too long for the language model; start a new conversation".into(),
            ),
            AgentError::UnknownCustomer(id) => ApiError::Forbidden(format!(
                "the customer {id:?} of this key does not exist in the store"
            )),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
