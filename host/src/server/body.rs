//! JSON request bodies whose errors name the field that is wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body of type `T`; malformed JSON, a wrong type or a missing field
/// is a 400 that says which field, and an oversized body a 413.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge("the request body is too large".into())
                } else {
                    ApiError::BadRequest {
                        message: format!("the request body could not be read: {rejection}"),
                        field: None,
                    }
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// One path parameter, whose rejection (bad percent-encoding) is a JSON 400.
pub struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::BadRequest {
                message: format!("the path is malformed: {}", rejection.body_text()),
                field: None,
            })
    }
}

/// Parses a JSON body, naming the offending field on error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            message: "the request body is empty; send a JSON object".into(),
            field: None,
        });
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::BadRequest {
            message: "the request body must be a JSON object, such as {\"message\": \"…\"}".into(),
            field: None,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadRequest {
                message: format!("the request body is not valid JSON: {inner}"),
                field: None,
            };
        }
        let message = inner.to_string();
        // "missing field `message`" and "unknown field `x`" name the field
        // in the message; the path then only points at the object.
        let field = if path == "." {
            message.split('`').nth(1).map(str::to_string)
        } else {
            Some(path)
        };
        match field {
            Some(field) => ApiError::field(&field, strip_position(&message)),
            None => ApiError::BadRequest {
                message: format!(
                    "the request body has the wrong shape: {}",
                    strip_position(&message)
                ),
                field: None,
            },
        }
    })?;
    deserializer.end().map_err(|error| ApiError::BadRequest {
        message: format!("the request body has trailing characters after the JSON: {error}"),
        field: None,
    })?;
    Ok(value)
}

/// "invalid type: … at line 1 column 14" → "invalid type: …".
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map(|at| &message[..at])
        .unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Chat {
        message: String,
        conversation_id: Option<String>,
    }

    fn field_of(body: &str) -> Option<String> {
        match parse::<Chat>(body.as_bytes()) {
            Err(ApiError::BadRequest { field, .. }) => field,
            other => panic!("expected a 400 for {body}, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of("{}").as_deref(), Some("message"));
        assert_eq!(field_of(r#"{"message": 5}"#).as_deref(), Some("message"));
        assert_eq!(
            field_of(r#"{"message": "hi", "mesage": 1}"#).as_deref(),
            Some("mesage")
        );
        assert_eq!(
            field_of(r#"{"message": "hi", "conversation_id": []}"#).as_deref(),
            Some("conversation_id")
        );
        assert_eq!(field_of("{\"message\": "), None);
        assert_eq!(field_of("[1, 2]"), None);
        assert_eq!(field_of(""), None);
        assert!(parse::<Chat>(br#"{"message": "hi"}"#).is_ok());
    }
}
