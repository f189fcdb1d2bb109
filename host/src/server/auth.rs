//! Bearer-key authentication: who is calling, from the key alone.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::config::Role;
use super::error::ApiError;
use super::state::AppState;

/// The authenticated caller of a `/v1` route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// The customer a customer key logs in as.
    pub customer_id: Option<String>,
}

impl Caller {
    /// The caller's customer id; staff keys cannot act as a customer.
    pub fn customer(&self) -> Result<&str, ApiError> {
        self.customer_id.as_deref().ok_or_else(|| {
            ApiError::Forbidden(
                "this route is for customer keys; a staff key has no customer to act for".into(),
            )
        })
    }

    /// Succeeds for staff keys only.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Staff => Ok(()),
            Role::Customer => Err(ApiError::Forbidden("this route needs a staff key".into())),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "missing API key: send the header `Authorization: Bearer YOUR_KEY`".into(),
                )
            })?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer YOUR_KEY`".into())
            })?;
        let key = state
            .keys
            .find(token)
            .ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
        Ok(Caller {
            role: key.role,
            customer_id: key.customer.clone(),
        })
    }
}
