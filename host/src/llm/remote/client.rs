//! Talking to the server: one request at a time per slot, time-outs, and
//! errors that say what went wrong and what to check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::sse::{EventReader, StreamPiece, chunk_pieces, excerpt};
use crate::llm::generation::{Event, FinishReason, GenerationStats};
use crate::llm::stream::TextStream;

/// Why a request failed, before it becomes an [`LlmError`](crate::llm::LlmError).
#[derive(Debug)]
pub enum RequestError {
    /// No connection, or no answer in time.
    Unreachable(String),
    /// The server answered with an error status.
    Status(u16, String),
    /// The server answered something that is not a chat completion.
    Malformed(String),
}

impl RequestError {
    /// Whether the server refused the request's form rather than failing:
    /// an error status whose text names one of `parameters` (servers
    /// answer 400, 422 or, llama-cpp-python, 500 for an unknown value). A
    /// 400 about anything else (a prompt too long, say) is a failure.
    pub fn is_refusal_of(&self, parameters: &[&str]) -> bool {
        match self {
            RequestError::Status(status, body) => {
                *status >= 400 && parameters.iter().any(|p| body.contains(p))
            }
            _ => false,
        }
    }

    /// The sentence for the error message.
    pub fn describe(&self) -> String {
        match self {
            RequestError::Unreachable(reason) => reason.clone(),
            RequestError::Status(status, body) => {
                format!("it answered HTTP {status}: {}", excerpt(body))
            }
            RequestError::Malformed(reason) => reason.clone(),
        }
    }
}

/// What every request of one backend shares.
pub struct Client {
    pub http: reqwest::Client,
    /// `…/v1/chat/completions`.
    pub chat_url: String,
    pub api_key: Option<String>,
    /// The longest a whole request may take.
    pub timeout: Duration,
    /// Requests in flight at most.
    pub slots: Arc<Semaphore>,
    /// Requests waiting for a slot.
    pub waiting: AtomicUsize,
    /// The structured-output form the server takes, as an index into
    /// [`StructuredOutput::ALL`](super::request::StructuredOutput::ALL);
    /// moves on when the server refuses one.
    pub structured: AtomicUsize,
}

impl Client {
    /// Waits for a slot; returns it with the time waited.
    pub async fn slot(&self) -> (Option<OwnedSemaphorePermit>, f64) {
        let started = Instant::now();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let permit = self.slots.clone().acquire_owned().await.ok();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        (permit, started.elapsed().as_secs_f64() * 1e3)
    }

    /// `request` with the API key, if there is one.
    pub fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Posts `body`; the response once its status is a success.
    pub async fn send(&self, body: &Map<String, Value>) -> Result<reqwest::Response, RequestError> {
        let response = self
            .authorised(self.http.post(&self.chat_url).json(body))
            .send()
            .await
            .map_err(|e| RequestError::Unreachable(connection_problem(&e, self.timeout)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        Err(RequestError::Status(status.as_u16(), text))
    }

    /// Posts `body` and reads the whole reply as JSON.
    pub async fn complete(&self, body: &Map<String, Value>) -> Result<Value, RequestError> {
        let (_slot, _) = self.slot().await;
        let work = async {
            let response = self.send(body).await?;
            let text = response
                .text()
                .await
                .map_err(|e| RequestError::Unreachable(connection_problem(&e, self.timeout)))?;
            serde_json::from_str(&text).map_err(|e| {
                RequestError::Malformed(format!("its reply is not JSON ({e}): {}", excerpt(&text)))
            })
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| Err(RequestError::Unreachable(too_slow(self.timeout))))
    }

    /// Streams a text reply into `events`, cut at `stop`; stops early when
    /// `cancel` is set. Ends with `Done` or `Failed`, never silently.
    pub async fn stream(
        &self,
        body: Map<String, Value>,
        stop: Vec<String>,
        events: UnboundedSender<Event>,
        cancel: Arc<AtomicBool>,
        describe: impl Fn(&RequestError) -> String,
    ) {
        let started = Instant::now();
        let (_slot, queue_ms) = self.slot().await;
        let work = self.stream_inner(body, stop, &events, &cancel, started, queue_ms);
        let outcome = tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| Err(RequestError::Unreachable(too_slow(self.timeout))));
        match outcome {
            Ok(stats) => {
                let _ = events.send(Event::Done(stats));
            }
            Err(error) => {
                let _ = events.send(Event::Failed(describe(&error)));
            }
        }
    }

    async fn stream_inner(
        &self,
        body: Map<String, Value>,
        stop: Vec<String>,
        events: &UnboundedSender<Event>,
        cancel: &AtomicBool,
        started: Instant,
        queue_ms: f64,
    ) -> Result<GenerationStats, RequestError> {
        let mut response = self.send(&body).await?;
        let mut reader = EventReader::default();
        let mut text = TextStream::new(stop);
        let mut stats = GenerationStats {
            prompt_tokens: 0,
            cached_tokens: 0,
            generated_tokens: 0,
            queue_ms,
            prefill_ms: 0.0,
            first_token_ms: 0.0,
            total_ms: 0.0,
            finish: FinishReason::Stop,
        };
        let mut pieces_seen = 0usize;
        let mut ended = false;
        // Whether the server said the reply is over ([DONE], a finish
        // reason, or a stop string reached here).
        let mut finished = false;
        while !ended {
            if cancel.load(Ordering::SeqCst) || events.is_closed() {
                finished = true;
                stats.finish = FinishReason::Cancelled;
                break;
            }
            let chunk = response
                .chunk()
                .await
                .map_err(|e| RequestError::Unreachable(connection_problem(&e, self.timeout)))?;
            let pieces = match chunk {
                Some(bytes) => reader.push(&bytes),
                None => {
                    ended = true;
                    reader.finish()
                }
            }
            .map_err(RequestError::Malformed)?;
            for piece in pieces {
                match piece {
                    StreamPiece::Text(piece) => {
                        if pieces_seen == 0 {
                            stats.first_token_ms = started.elapsed().as_secs_f64() * 1e3;
                            stats.prefill_ms = stats.first_token_ms - queue_ms;
                        }
                        pieces_seen += 1;
                        if let Some(out) = text.push_text(&piece) {
                            let _ = events.send(Event::Text(out));
                        }
                        if text.stopped() {
                            ended = true;
                            finished = true;
                        }
                    }
                    StreamPiece::Finish(reason) => {
                        finished = true;
                        if reason == "length" {
                            stats.finish = FinishReason::Length;
                        }
                    }
                    StreamPiece::Usage { prompt, completion } => {
                        stats.prompt_tokens = prompt;
                        stats.generated_tokens = completion;
                    }
                    StreamPiece::Done => {
                        ended = true;
                        finished = true;
                    }
                    StreamPiece::Error(message) => {
                        return Err(RequestError::Malformed(format!(
                            "it failed while streaming: {message}"
                        )));
                    }
                }
                if ended {
                    break;
                }
            }
        }
        if !finished {
            return Err(RequestError::Malformed(
                "its stream ended before the reply was complete".into(),
            ));
        }
        if let Some(rest) = text.finish() {
            let _ = events.send(Event::Text(rest));
        }
        if stats.generated_tokens == 0 {
            stats.generated_tokens = pieces_seen;
        }
        stats.total_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(stats)
    }
}

/// The content of a non-streamed chat completion.
pub fn reply_text(reply: &Value) -> Result<String, RequestError> {
    let pieces = chunk_pieces(reply).map_err(RequestError::Malformed)?;
    let mut text = String::new();
    for piece in pieces {
        match piece {
            StreamPiece::Text(t) => text.push_str(&t),
            StreamPiece::Error(message) => {
                return Err(RequestError::Malformed(format!("it failed: {message}")));
            }
            _ => {}
        }
    }
    Ok(text)
}

/// What a failed connection means, for a person.
pub fn connection_problem(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return too_slow(timeout);
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    if error.is_connect() {
        format!("cannot connect ({text}); is the server running and listening there?")
    } else {
        format!("the connection failed ({text})")
    }
}

fn too_slow(timeout: Duration) -> String {
    format!(
        "it did not answer within {} s (raise --model-timeout-secs, or check the server's load)",
        timeout.as_secs()
    )
}
