//! `POST /v1/chat`: one turn, answered as JSON or streamed as server-sent
//! events (`start`, `step`, `token`, `done` or `error`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
use tracing::{Instrument, info_span};

use crate::agent::{AgentError, Conversation, TurnEvent, TurnOutcome};
use crate::server::admission::Ticket;
use crate::server::auth::Caller;
use crate::server::body::ApiJson;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// The body of `POST /v1/chat`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Continue this conversation; without it a new one starts.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// What the customer wrote.
    pub message: String,
}

/// The answer of `POST /v1/chat` (and the data of the `done` event).
#[derive(Debug, Serialize)]
pub struct ChatResponse {
    pub conversation_id: String,
    /// The stored customer message.
    pub message_id: i64,
    /// The stored reply (for feedback).
    pub reply_id: i64,
    pub reply: String,
    /// The whole turn: route, tools, policy decisions, steps, timings.
    pub trace: TurnOutcome,
}

impl From<TurnOutcome> for ChatResponse {
    fn from(trace: TurnOutcome) -> Self {
        ChatResponse {
            conversation_id: trace.conversation_id.clone(),
            message_id: trace.message_id,
            reply_id: trace.reply_id,
            reply: trace.reply.clone(),
            trace,
        }
    }
}

/// Checks the message before anything is stored or queued.
fn check_message(message: &str, limit: usize) -> Result<(), ApiError> {
    let chars = message.chars().count();
    if chars > limit {
        return Err(ApiError::TooLarge(format!(
            "message: {chars} characters; the limit is {limit}. Please shorten it"
        )));
    }
    crate::agent::clean_message(message).map_err(AgentError::from)?;
    Ok(())
}

/// Whether the client asked for a stream of events.
fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

pub async fn chat(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let customer = caller.customer()?.to_string();
    if let Err(error) = check_message(&request.message, state.limits.max_message_chars) {
        state.metrics.rejected(error.code());
        return Err(error);
    }
    let agent = state.agent.clone();
    // An unknown (or someone else's) conversation is a 404 before queueing.
    let existing = match &request.conversation_id {
        Some(id) => Some(agent.resume(&customer, id)?),
        None => None,
    };
    let ticket = state.admission.admit().await.inspect_err(|error| {
        state.metrics.rejected(error.code());
    })?;
    let conversation = match existing {
        Some(conversation) => conversation,
        None => agent.start(&customer)?,
    };
    let events = run(state.clone(), conversation.clone(), request.message, ticket);
    if wants_events(&headers) {
        Ok(stream(conversation, events).into_response())
    } else {
        Ok(Json(ChatResponse::from(wait(events).await?)).into_response())
    }
}

/// Runs the turn in its own task, which holds the slot until the turn ends
/// (even if the client goes away) and records the metrics.
fn run(
    state: Arc<AppState>,
    conversation: Conversation,
    message: String,
    ticket: Ticket,
) -> mpsc::UnboundedReceiver<TurnEvent> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let span =
        info_span!("chat", conversation = %conversation.id, customer = %conversation.customer_id);
    let mut turn = state.agent.turn(&conversation, &message);
    let task = async move {
        let _ticket = ticket;
        while let Some(event) = turn.next().await {
            let last = matches!(event, TurnEvent::Done(_) | TurnEvent::Failed(_));
            match &event {
                TurnEvent::Done(outcome) => state.metrics.turn(outcome),
                TurnEvent::Failed(_) => state.metrics.failed_turn(),
                _ => {}
            }
            // The client may have gone; the turn still finishes and is stored.
            let _ = sender.send(event);
            if last {
                break;
            }
        }
    };
    tokio::spawn(task.instrument(span));
    receiver
}

/// Waits for the end of the turn.
async fn wait(mut events: mpsc::UnboundedReceiver<TurnEvent>) -> Result<TurnOutcome, ApiError> {
    while let Some(event) = events.recv().await {
        if let Some(end) = event.into_end() {
            return end.map_err(ApiError::from);
        }
    }
    Err(ApiError::Internal(
        "the turn ended without an answer".into(),
    ))
}

/// The turn as server-sent events.
fn stream(
    conversation: Conversation,
    events: mpsc::UnboundedReceiver<TurnEvent>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let start = Event::default()
        .event("start")
        .json_data(json!({"conversation_id": conversation.id}))
        .expect("serialisable");
    let turn = futures::stream::unfold(Some(events), |events| async move {
        let mut events = events?;
        let event = events.recv().await;
        let (sse, more) = match event {
            Some(TurnEvent::Step(step)) => (Event::default().event("step").json_data(&step), true),
            Some(TurnEvent::Text(text)) => (
                Event::default()
                    .event("token")
                    .json_data(json!({"text": text})),
                true,
            ),
            Some(TurnEvent::Done(outcome)) => (
                Event::default()
                    .event("done")
                    .json_data(ChatResponse::from(*outcome)),
                false,
            ),
            Some(TurnEvent::Failed(error)) => (error_event(error), false),
            None => (
                error_event(AgentError::Stopped(
                    "the turn ended without an answer".into(),
                )),
                false,
            ),
        };
        let sse = sse.unwrap_or_else(|e| {
            Event::default().event("error").data(
                ApiError::Internal(format!("an event could not be encoded: {e}"))
                    .body()
                    .to_string(),
            )
        });
        Some((Ok::<Event, Infallible>(sse), more.then_some(events)))
    });
    let all = futures::StreamExt::chain(
        futures::stream::once(async { Ok::<Event, Infallible>(start) }),
        turn,
    );
    Sse::new(all).keep_alive(KeepAlive::default())
}

fn error_event(error: AgentError) -> Result<Event, axum::Error> {
    Event::default()
        .event("error")
        .json_data(ApiError::from(error).body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_checked_before_anything_runs() {
        assert!(matches!(
            check_message("", 4000),
            Err(ApiError::BadRequest { .. })
        ));
        assert!(matches!(
            check_message(" \u{7} ", 4000),
            Err(ApiError::BadRequest { .. })
        ));
        assert!(matches!(
            check_message(&"é".repeat(4001), 4000),
            Err(ApiError::TooLarge(_))
        ));
        assert!(check_message(&"é".repeat(4000), 4000).is_ok());
        assert!(matches!(
            check_message("hello there", 5),
            Err(ApiError::TooLarge(_))
        ));
    }
}
