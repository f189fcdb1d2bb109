//! Outgoing HTTP for plugins: only to granted hosts, with a time-out and a
//! response-size cap, every request traced.
//!
//! Requests run on one background thread with its own tokio runtime, so a
//! plugin call (synchronous, and possibly on a tokio worker itself) can wait
//! for the answer without nesting runtimes. Redirects are followed by this
//! module, not by the HTTP client, so every hop is checked against the grant.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};

use super::grants::PluginGrant;
use crate::bindings::http::{HttpError, Request, Response};

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 5;
/// Largest request body a plugin may send.
const MAX_REQUEST_BYTES: usize = 1 << 20;

struct Job {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    grant: Arc<PluginGrant>,
    timeout: Duration,
    max_bytes: u64,
    reply: std::sync::mpsc::Sender<Result<Response, HttpError>>,
}

/// The process's HTTP client for plugins, started on first use.
pub struct HttpClient {
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
}

impl HttpClient {
    /// Starts the background thread.
    pub fn start() -> Arc<Self> {
        let (jobs, mut queue) = tokio::sync::mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("deskhand-plugin-http".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        tracing::error!("plugin HTTP is unavailable: {e}");
                        return;
                    }
                };
                let client = match reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .build()
                {
                    Ok(client) => client,
                    Err(e) => {
                        tracing::error!("plugin HTTP is unavailable: {e}");
                        return;
                    }
                };
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        let client = client.clone();
                        tokio::spawn(async move {
                            let reply = job.reply.clone();
                            let timeout = job.timeout;
                            let outcome = tokio::time::timeout(timeout, run(&client, job))
                                .await
                                .unwrap_or(Err(HttpError::Timeout));
                            let _ = reply.send(outcome);
                        });
                    }
                });
            })
            .expect("spawning the plugin HTTP thread");
        Arc::new(HttpClient { jobs })
    }
}

/// A request the plugin may make, checked for form (not yet for its grant).
pub(crate) struct Outgoing {
    pub method: Method,
    pub url: Url,
    pub host: String,
    pub port: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Checks a plugin's request for form: an absolute http(s) URL, a known
/// method, a body within the limit.
pub(crate) fn outgoing(request: Request) -> Result<Outgoing, HttpError> {
    let url = Url::parse(&request.url)
        .map_err(|e| HttpError::InvalidRequest(format!("{:?} is not a URL: {e}", request.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::InvalidRequest(format!(
            "only http:// and https:// URLs can be requested, not {}://",
            url.scheme()
        )));
    }
    let (host, port) = host_port(&url)?;
    let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .ok()
        .filter(|m| {
            matches!(
                *m,
                Method::GET
                    | Method::POST
                    | Method::PUT
                    | Method::PATCH
                    | Method::DELETE
                    | Method::HEAD
            )
        })
        .ok_or_else(|| {
            HttpError::InvalidRequest(format!("unsupported method {:?}", request.method))
        })?;
    if request
        .body
        .as_ref()
        .is_some_and(|b| b.len() > MAX_REQUEST_BYTES)
    {
        return Err(HttpError::InvalidRequest(format!(
            "the request body is larger than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    Ok(Outgoing {
        method,
        url,
        host,
        port,
        headers: request.headers,
        body: request.body,
    })
}

impl HttpClient {
    /// Sends a request whose host `grant` allows, waiting at most `timeout`;
    /// redirects are followed only to hosts `grant` allows too.
    pub(crate) fn send(
        &self,
        plugin: &str,
        request: Outgoing,
        grant: Arc<PluginGrant>,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        let span = tracing::info_span!(
            "plugin.http",
            plugin,
            method = %request.method,
            host = %request.host,
            port = request.port,
            status = tracing::field::Empty,
            bytes = tracing::field::Empty,
            micros = tracing::field::Empty,
        );
        let _entered = span.enter();
        let started = Instant::now();
        let (reply, answer) = std::sync::mpsc::channel();
        let job = Job {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
            max_bytes: grant.http_max_bytes(),
            grant,
            timeout,
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Err(HttpError::Failed(
                "the host's HTTP client is not running".into(),
            ));
        }
        let outcome = answer
            .recv_timeout(timeout + Duration::from_millis(200))
            .unwrap_or(Err(HttpError::Timeout));
        span.record("micros", started.elapsed().as_micros() as u64);
        match &outcome {
            Ok(response) => {
                span.record("status", response.status);
                span.record("bytes", response.body.len());
            }
            Err(e) => tracing::warn!("plugin HTTP request failed: {e:?}"),
        }
        outcome
    }
}

fn host_port(url: &Url) -> Result<(String, u16), HttpError> {
    let host = url
        .host_str()
        .ok_or_else(|| HttpError::InvalidRequest("the URL has no host".into()))?
        .to_ascii_lowercase();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| HttpError::InvalidRequest("the URL has no port".into()))?;
    Ok((host, port))
}

async fn run(client: &reqwest::Client, job: Job) -> Result<Response, HttpError> {
    let Job {
        mut method,
        mut url,
        headers,
        mut body,
        grant,
        max_bytes,
        ..
    } = job;
    for _ in 0..=MAX_REDIRECTS {
        let mut builder = client.request(method.clone(), url.clone());
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_builder() {
                HttpError::InvalidRequest(e.to_string())
            } else {
                HttpError::Failed(e.to_string())
            }
        })?;
        let status = response.status();
        if status.is_redirection()
            && let Some(location) = response.headers().get(reqwest::header::LOCATION)
        {
            let location = location
                .to_str()
                .map_err(|_| HttpError::Failed("a redirect with an unreadable Location".into()))?;
            let next = url
                .join(location)
                .map_err(|e| HttpError::Failed(format!("a redirect to a bad URL: {e}")))?;
            let (host, port) = host_port(&next)?;
            if !grant.allows_host(&host, port) {
                return Err(HttpError::Denied(format!(
                    "a redirect to {host}:{port}, which is not granted (http = [\"{host}:{port}\"])"
                )));
            }
            // 303, and 301/302 after a POST, continue as GET without a body.
            if status == reqwest::StatusCode::SEE_OTHER
                || (method == Method::POST && matches!(status.as_u16(), 301 | 302))
            {
                method = Method::GET;
                body = None;
            }
            url = next;
            continue;
        }
        if let Some(length) = response.content_length()
            && length > max_bytes
        {
            return Err(HttpError::TooLarge(max_bytes));
        }
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HttpError::Failed(e.to_string()))?
        {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(HttpError::TooLarge(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Response {
            status: status.as_u16(),
            headers,
            body: bytes,
        });
    }
    Err(HttpError::Failed(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}
