//! Capability failures as tool errors, so `?` works inside [`Tool::call`](crate::Tool::call).
//!
//! A denied permission is reported to the host as well (it names the
//! missing grant in its own error); the customer only ever sees a
//! customer-safe sentence.

use crate::http::HttpError;
use crate::records::RecordsError;
use crate::{ToolError, log};

impl From<RecordsError> for ToolError {
    fn from(error: RecordsError) -> Self {
        match error {
            RecordsError::NotFound => {
                ToolError::new("not-found", "I can't find that on your account.")
            }
            RecordsError::Conflict(detail) => ToolError::new("conflict", detail),
            RecordsError::Denied(permission) => {
                log::log(
                    log::Level::Error,
                    &format!("permission denied: {permission}"),
                );
                ToolError::new(
                    "permission-denied",
                    "This service is not set up to do that yet; a colleague can help.",
                )
            }
            RecordsError::Invalid(detail) => {
                log::log(
                    log::Level::Error,
                    &format!("invalid records call: {detail}"),
                );
                ToolError::new(
                    "internal-error",
                    "Something went wrong on our side; please try again later.",
                )
            }
            RecordsError::Unavailable(detail) => {
                log::log(log::Level::Error, &format!("records unavailable: {detail}"));
                ToolError::new(
                    "temporarily-unavailable",
                    "Our system is not answering right now. Please try again in a moment.",
                )
            }
        }
    }
}

impl From<HttpError> for ToolError {
    fn from(error: HttpError) -> Self {
        log::log(
            log::Level::Error,
            &format!("http request failed: {error:?}"),
        );
        match error {
            HttpError::Denied(_) => ToolError::new(
                "permission-denied",
                "This service is not set up to do that yet; a colleague can help.",
            ),
            _ => ToolError::new(
                "temporarily-unavailable",
                "A system we depend on is not answering right now. Please try again in a moment.",
            ),
        }
    }
}
