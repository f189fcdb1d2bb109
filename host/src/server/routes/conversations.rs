//! A customer's conversations, their history of questions and answers, and
//! feedback on replies. Only ever the caller's own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::server::auth::Caller;
use crate::server::body::{ApiJson, ApiPath};
use crate::server::config::Role;
use crate::server::error::ApiError;
use crate::server::state::AppState;
use crate::store::Feedback;

/// The most `GET /v1/history` returns at once.
const MAX_HISTORY: usize = 200;
/// The longest feedback comment, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

/// `GET /v1/conversations`: the caller's conversations, newest first.
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let customer = caller.customer()?;
    let conversations = state.agent.conversations().conversations(customer)?;
    Ok(Json(json!({ "conversations": conversations })))
}

/// `GET /v1/conversations/{id}`: the messages and each turn's trace. A
/// customer reads their own; staff read any (to follow up a handoff).
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<Value>, ApiError> {
    let store = state.agent.conversations();
    // Someone else's conversation is as absent as one that never existed.
    let record = match (caller.role, &caller.customer_id) {
        (Role::Staff, _) => store.any_conversation(&id)?,
        (Role::Customer, Some(customer)) => store.conversation(customer, &id)?,
        (Role::Customer, None) => None,
    }
    .ok_or_else(|| {
        ApiError::NotFound(format!("there is no conversation {id:?} on your account"))
    })?;
    Ok(Json(json!({
        "id": record.id,
        "customer_id": record.customer_id,
        "created_at": record.created_at,
        "messages": store.messages(&id)?,
        "turns": store.turns(&id)?,
    })))
}

/// `GET /v1/history?n=&search=`: the latest question-and-answer pairs.
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let customer = caller.customer()?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest {
        message: format!("the query string is malformed: {}", e.body_text()),
        field: None,
    })?;
    if let Some(unknown) = query.keys().find(|k| *k != "n" && *k != "search") {
        return Err(ApiError::field(
            unknown,
            "unknown parameter; use n and search",
        ));
    }
    let n = match query.get("n") {
        None => 20,
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_HISTORY).contains(&n) => n,
            _ => {
                return Err(ApiError::field(
                    "n",
                    format!("{text:?} is not a whole number between 1 and {MAX_HISTORY}"),
                ));
            }
        },
    };
    let search = query
        .get("search")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let pairs = state.agent.conversations().history(customer, n, search)?;
    Ok(Json(json!({ "history": pairs })))
}

/// The body of `POST /v1/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The reply rated (a `reply_id` from `/v1/chat`).
    pub message_id: i64,
    /// 1 (thumbs up) or -1 (thumbs down).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /v1/feedback`.
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> Result<Json<Value>, ApiError> {
    let customer = caller.customer()?;
    let score = match request.score {
        1 => 1,
        -1 => -1,
        other => return Err(ApiError::field("score", format!("{other} is not 1 or -1"))),
    };
    let comment = request
        .comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(comment) = &comment {
        let chars = comment.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(ApiError::TooLarge(format!(
                "comment: {chars} characters; the limit is {MAX_COMMENT_CHARS}"
            )));
        }
    }
    let feedback = Feedback {
        message_id: request.message_id,
        score,
        comment,
        at: state.agent.clock().now(),
    };
    if !state
        .agent
        .conversations()
        .record_feedback(customer, &feedback)?
    {
        return Err(ApiError::NotFound(format!(
            "there is no reply {} in your conversations",
            request.message_id
        )));
    }
    Ok(Json(json!({ "recorded": true })))
}
