//! Outgoing HTTP requests to the hosts granted to the plugin.
//!
//! ```ignore
//! let status: Status = http::get_json("http://127.0.0.1:9300/lines/42")?;
//! ```

pub use crate::bindings::deskhand::plugin::http::{HttpError, Request, Response, send};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ToolError;

impl Response {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ToolError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ToolError::new(
                "bad-upstream-response",
                format!("A system we depend on answered something unexpected ({e})."),
            )
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, HttpError> {
    send(&Request {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
    })
}

/// `GET url`, expecting a 2xx JSON answer.
pub fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ToolError> {
    let response = get(url)?;
    expect_ok(&response)?;
    response.json()
}

/// `POST url` with a JSON body, expecting a 2xx JSON answer.
pub fn post_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> Result<T, ToolError> {
    let body = serde_json::to_vec(body)
        .map_err(|e| ToolError::new("internal-error", format!("could not encode: {e}")))?;
    let response = send(&Request {
        method: "POST".into(),
        url: url.into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(body),
    })?;
    expect_ok(&response)?;
    response.json()
}

fn expect_ok(response: &Response) -> Result<(), ToolError> {
    if response.ok() {
        Ok(())
    } else {
        Err(ToolError::new(
            "upstream-error",
            format!(
                "A system we depend on answered with status {}; please try again later.",
                response.status
            ),
        ))
    }
}
