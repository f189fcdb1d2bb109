//! A model served by an OpenAI-compatible chat-completions server
//! (llama.cpp's server or llama-cpp-python's, vLLM, Ollama).
//!
//! * text streams over server-sent events, cut at the stop strings on this
//!   side too ([`client`], [`sse`]);
//! * JSON that must fit a schema is asked with the server's
//!   structured-output parameter, in the first dialect it accepts
//!   ([`request::StructuredOutput`]), and validated here in every case: a
//!   reply that does not fit is asked again, then refused;
//! * a choice between fixed options is read from the log-probabilities of
//!   the reply's tokens, or else asked as a constrained value ([`choice`]);
//! * scoring a given text is not something a chat server can do, so
//!   [`ModelBackend::log_likelihood`] is [`LlmError::Unsupported`].
//!
//! Every request has a time-out; a server that is down, slow or answers
//! nonsense is an [`LlmError::Remote`] naming the server and the problem.

mod choice;
mod client;
mod json;
mod request;
mod sse;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

use super::backend::{ModelBackend, ModelPrompt};
use super::error::LlmError;
use super::generation::{Choice, Event, Generation, GenerationStats, Output};
use super::sampler::SamplingParams;
use crate::background::BackgroundRuntime;
use client::{Client, RequestError, connection_problem};
use json::json_reply;
use request::{body, endpoint, messages};

/// The environment variable holding the server's API key (sent as a bearer
/// token); `OPENAI_API_KEY` is read when it is unset.
pub const API_KEY_VARIABLE: &str = "DESKHAND_MODEL_API_KEY";

/// How to reach the server.
#[derive(Clone)]
pub struct RemoteConfig {
    /// The server's base URL, e.g. `http://127.0.0.1:8081` (with or
    /// without `/v1`).
    pub url: String,
    /// The model to ask for; some servers serve several.
    pub model: Option<String>,
    /// The API key, if the server wants one.
    pub api_key: Option<String>,
    /// The longest one request may take (default 120 s).
    pub timeout: Duration,
    /// Requests in flight at once (default 4); more wait.
    pub max_in_flight: usize,
    /// How often JSON that does not fit its schema is asked for (default 3).
    pub json_attempts: usize,
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("url", &self.shown_url())
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RemoteConfig {
    /// The URL as messages show it: any password in it replaced by `***`.
    pub fn shown_url(&self) -> String {
        crate::store::redact_password(&self.url)
    }

    /// Defaults for the server at `url`, with the API key from the
    /// environment.
    pub fn new(url: impl Into<String>) -> Self {
        let api_key = std::env::var(API_KEY_VARIABLE)
            .or_else(|_| std::env::var("OPENAI_API_KEY"))
            .ok()
            .filter(|key| !key.is_empty());
        RemoteConfig {
            url: url.into(),
            model: None,
            api_key,
            timeout: Duration::from_secs(120),
            max_in_flight: 4,
            json_attempts: 3,
        }
    }
}

/// A model on a chat-completions server.
pub struct RemoteModel {
    config: RemoteConfig,
    client: Arc<Client>,
    runtime: BackgroundRuntime,
}

impl RemoteModel {
    /// Checks that the server answers (`GET /v1/models`), and learns the
    /// model's name from it when none was given.
    pub fn connect(mut config: RemoteConfig) -> Result<Self, LlmError> {
        let remote = |reason: String| LlmError::Remote {
            url: config.shown_url(),
            reason,
        };
        if !(config.url.starts_with("http://") || config.url.starts_with("https://")) {
            return Err(remote(
                "the URL must start with http:// or https:// (e.g. http://127.0.0.1:8081)".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| remote(format!("making the HTTP client: {e}")))?;
        let runtime = BackgroundRuntime::new("deskhand-model-client")
            .map_err(|e| remote(format!("starting the client's runtime: {e}")))?;
        let client = Arc::new(Client {
            http,
            chat_url: endpoint(&config.url, "chat/completions"),
            api_key: config.api_key.clone(),
            timeout: config.timeout,
            slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            structured: AtomicUsize::new(0),
        });
        let models_url = endpoint(&config.url, "models");
        let probe = {
            let client = client.clone();
            async move {
                let response = client
                    .authorised(client.http.get(&models_url))
                    .send()
                    .await?;
                let status = response.status();
                let listing: Value = response.json().await.unwrap_or(Value::Null);
                Ok::<_, reqwest::Error>((status, listing))
            }
        };
        let (status, listing) = runtime
            .wait(probe, Duration::from_secs(10))
            .ok_or_else(|| remote("it did not answer GET /v1/models within 10 s".into()))?
            .map_err(|e| {
                remote(format!(
                    "{} (start llama.cpp's server, vLLM or Ollama there, or leave out \
                     --model-url to run the model locally)",
                    connection_problem(&e, Duration::from_secs(10))
                ))
            })?;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(remote(format!(
                "it refused the API key (HTTP {status}); set {API_KEY_VARIABLE}"
            )));
        }
        if !status.is_success() {
            return Err(remote(format!(
                "GET /v1/models answered HTTP {status}; give the server's base URL (such as http://HOST:PORT)"
            )));
        }
        if config.model.is_none() {
            config.model = listing
                .pointer("/data/0/id")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        tracing::info!(url = %config.shown_url(), model = ?config.model, "remote model server answers");
        Ok(RemoteModel {
            config,
            client,
            runtime,
        })
    }

    /// Asking for one JSON reply, as work for the client's runtime.
    fn json_work(
        &self,
        prompt: &ModelPrompt,
        schema: Value,
        params: SamplingParams,
    ) -> impl std::future::Future<Output = Result<(Value, GenerationStats), LlmError>> + Send + 'static
    {
        json_reply(
            self.client.clone(),
            self.config.clone(),
            prompt.clone(),
            schema,
            params,
        )
    }

    /// The error for a failed request.
    fn error(&self, error: &RequestError) -> LlmError {
        remote_error(&self.config.shown_url(), error)
    }

    /// Blocks on `future` on the client's runtime.
    fn wait<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = Result<T, LlmError>> + Send + 'static,
    ) -> Result<T, LlmError> {
        // The requests time themselves out; this bound only guards a hang.
        self.runtime
            .wait(
                future,
                self.config.timeout * (self.config.json_attempts as u32 + 3)
                    + Duration::from_secs(5),
            )
            .unwrap_or_else(|| {
                Err(LlmError::Remote {
                    url: self.config.shown_url(),
                    reason: "the request hung".into(),
                })
            })
    }
}

fn remote_error(url: &str, error: &RequestError) -> LlmError {
    LlmError::Remote {
        url: url.to_string(),
        reason: error.describe(),
    }
}

impl ModelBackend for RemoteModel {
    fn describe(&self) -> String {
        format!(
            "{} at {}",
            self.config.model.as_deref().unwrap_or("the served model"),
            self.config.shown_url()
        )
    }

    fn queue_depth(&self) -> usize {
        self.client.waiting.load(Ordering::SeqCst)
    }

    fn generate(
        &self,
        prompt: &ModelPrompt,
        params: SamplingParams,
        output: Output,
    ) -> Result<Generation, LlmError> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let cancel = Arc::new(AtomicBool::new(false));
        match output {
            Output::Text => {
                let request = body(
                    self.config.model.as_deref(),
                    messages(prompt),
                    &params,
                    true,
                );
                let client = self.client.clone();
                let (flag, url) = (cancel.clone(), self.config.shown_url());
                self.runtime.handle().spawn(async move {
                    client
                        .stream(request, params.stop, sender, flag, |error| {
                            remote_error(&url, error).to_string()
                        })
                        .await;
                });
            }
            Output::Json(schema) => {
                let work = self.json_work(prompt, schema, params);
                self.runtime.handle().spawn(async move {
                    match work.await {
                        Ok((value, stats)) => {
                            let _ = sender.send(Event::Text(value.to_string()));
                            let _ = sender.send(Event::Done(stats));
                        }
                        Err(error) => {
                            let _ = sender.send(Event::Failed(error.to_string()));
                        }
                    }
                });
            }
        }
        Ok(Generation {
            events: receiver,
            cancel,
        })
    }

    fn generate_json(
        &self,
        prompt: &ModelPrompt,
        schema: &Value,
        params: SamplingParams,
    ) -> Result<(Value, GenerationStats), LlmError> {
        self.wait(self.json_work(prompt, schema.clone(), params))
    }

    fn choose(&self, prompt: &ModelPrompt, options: &[&str]) -> Result<Choice, LlmError> {
        if options.is_empty() {
            return Err(LlmError::Constraint(
                "choose needs at least one option".into(),
            ));
        }
        // First the log-probabilities of a greedy reply as long as the
        // longest option: they weigh every option where the options part.
        let longest = options.iter().map(|o| o.len()).max().unwrap_or(1);
        let params = SamplingParams {
            max_tokens: longest.clamp(1, 16),
            temperature: 0.0,
            ..SamplingParams::default()
        };
        let mut request = body(
            self.config.model.as_deref(),
            messages(prompt),
            &params,
            false,
        );
        request.insert("logprobs".into(), json!(true));
        request.insert("top_logprobs".into(), json!(20));
        let client = self.client.clone();
        let reply = self.wait(async move { Ok(client.complete(&request).await) })?;
        match reply {
            Ok(reply) => {
                if let Some(choice) = choice::from_logprobs(&reply, options) {
                    return Ok(choice);
                }
            }
            Err(error) if error.is_refusal_of(&["logprobs"]) => {}
            Err(error) => return Err(self.error(&error)),
        }
        // Else a value constrained to the options.
        let schema = json!({"type": "string", "enum": options});
        // Room for the quotes and a space or two around the option.
        let constrained = SamplingParams {
            max_tokens: params.max_tokens + 8,
            ..params
        };
        let (value, _) = self.generate_json(prompt, &schema, constrained)?;
        choice::named(&value, options).ok_or_else(|| LlmError::Remote {
            url: self.config.shown_url(),
            reason: format!("it chose {value}, which is none of the options"),
        })
    }

    fn log_likelihood(&self, _prompt: &ModelPrompt, _text: &str) -> Result<(f32, usize), LlmError> {
        Err(LlmError::Unsupported(
            "a chat-completions server cannot score a given reply; run the model locally for perplexity"
                .into(),
        ))
    }
}
