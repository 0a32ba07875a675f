//! The one place where errors become HTTP responses.
//!
//! Every failure leaves the server as JSON `{code, message, error_id}`. Client errors
//! (4xx) say what to fix and name the field; server errors (5xx) say only "internal
//! error" with the `error_id`, and the full error chain is logged under that id.

use std::error::Error as StdError;
use std::fmt;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use torro_catalog::CatalogError;
use torro_engine::EngineError;
use utoipa::ToSchema;

/// The closed set of error codes the API returns; each knows its HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter or body field is missing or invalid (400).
    InvalidRequest,
    /// No such resource or route (404).
    NotFound,
    /// The route exists, the method does not (405).
    MethodNotAllowed,
    /// The request conflicts with the current state, e.g. an invalid status transition (409).
    Conflict,
    /// A unique key is already taken (409).
    AlreadyExists,
    /// A scan is already running (409).
    ScanRunning,
    /// No sources are configured, so there is nothing to scan (409).
    NoSources,
    /// The request body is larger than the limit (413).
    PayloadTooLarge,
    /// The request body is not `application/json` (415).
    UnsupportedMediaType,
    /// No valid session cookie or API token came with the request (401).
    Unauthenticated,
    /// The signed-in user's role does not allow this (403).
    Forbidden,
    /// A cookie-authenticated mutation came without the session's `X-CSRF-Token` (403).
    CsrfFailed,
    /// Too many attempts from this address; retry after the `Retry-After` seconds (429).
    RateLimited,
    /// A dependency (the database) cannot be reached (503).
    Unavailable,
    /// Anything else; details are only in the server log (500).
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::ScanRunning => "scan_running",
            ErrorCode::NoSources => "no_sources",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict | ErrorCode::AlreadyExists | ErrorCode::ScanRunning | ErrorCode::NoSources => {
                StatusCode::CONFLICT
            }
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::CsrfFailed => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code: invalid_request, not_found, method_not_allowed, conflict,
    /// already_exists, scan_running, no_sources, payload_too_large, unsupported_media_type,
    /// unauthenticated, forbidden, csrf_failed, rate_limited, unavailable, internal.
    #[schema(example = "invalid_request")]
    pub code: String,
    /// What went wrong and, for client errors, which field to fix.
    #[schema(example = "size must be between 1 and 100, got 1000")]
    pub message: String,
    /// Quote this when reporting a problem; the server log has the details under it.
    #[schema(example = "5f0c2a9e1b7d4c36")]
    pub error_id: String,
}

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An error on its way to the client.
pub struct ApiError {
    code: ErrorCode,
    message: String,
    /// The underlying error of a 5xx, logged and never shown.
    source: Option<BoxError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// A 400 for one request field; `message` should name the field.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// A 500 whose cause is logged, not returned.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        ApiError {
            code: ErrorCode::Internal,
            message: "internal error".into(),
            source: Some(source.into()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| error_chain(s.as_ref())))
            .finish()
    }
}

/// "outer: cause: root cause".
fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

fn new_error_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error_id = new_error_id();
        let status = self.code.status();
        let message = if status.is_server_error() {
            let chain = self.source.as_deref().map(|e| error_chain(e)).unwrap_or_default();
            tracing::error!(error_id = %error_id, code = self.code.as_str(), error = %chain, "{}", self.message);
            format!("{}; quote error_id {error_id} when reporting it", self.message)
        } else {
            tracing::debug!(error_id = %error_id, code = self.code.as_str(), "{}", self.message);
            self.message
        };
        let body = ErrorBody {
            code: self.code.as_str().to_string(),
            message,
            error_id,
        };
        (status, Json(body)).into_response()
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
            CatalogError::AlreadyExists(_) => ApiError::new(ErrorCode::AlreadyExists, e.to_string()),
            CatalogError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            CatalogError::InvalidInput { .. } => ApiError::invalid(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::AlreadyRunning(_) => ApiError::new(ErrorCode::ScanRunning, e.to_string()),
            EngineError::NoSources => ApiError::new(ErrorCode::NoSources, e.to_string()),
            EngineError::Catalog(c) => c.into(),
            EngineError::InvalidInput { .. } => ApiError::invalid(e.to_string()),
            // Shown (it says what to do and holds no secret), and logged under the error id.
            EngineError::Secrets(message) => ApiError::new(ErrorCode::Internal, message),
            other => ApiError::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            _ => ErrorCode::InvalidRequest,
        };
        let message = match &r {
            JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
                format!("request body is not valid JSON for this endpoint: {}", r.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => {
                "request body must be JSON (Content-Type: application/json)".into()
            }
            _ => r.body_text(),
        };
        ApiError::new(code, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::invalid(format!("invalid query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid(format!("invalid path: {}", r.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(e: ApiError) -> (StatusCode, serde_json::Value) {
        let response = e.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause_but_give_an_id() {
        let (status, body) = body_of(CatalogError::Corrupt("row 7 has secret=hunter2".into()).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let message = body["message"].as_str().unwrap();
        assert!(!message.contains("hunter2"), "{message}");
        let id = body["error_id"].as_str().unwrap();
        assert_eq!(id.len(), 16);
        assert!(message.contains(id), "{message}");
        assert_eq!(body["code"], "internal");
    }

    #[tokio::test]
    async fn store_and_engine_errors_map_to_statuses() {
        let cases: Vec<(ApiError, StatusCode, &str)> = vec![
            (
                CatalogError::NotFound("discovery 9".into()).into(),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                CatalogError::AlreadyExists("x".into()).into(),
                StatusCode::CONFLICT,
                "already_exists",
            ),
            (
                CatalogError::Conflict("nope".into()).into(),
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                CatalogError::InvalidInput {
                    field: "size".into(),
                    message: "too big".into(),
                }
                .into(),
                StatusCode::BAD_REQUEST,
                "invalid_request",
            ),
            (
                EngineError::AlreadyRunning(4).into(),
                StatusCode::CONFLICT,
                "scan_running",
            ),
            (EngineError::NoSources.into(), StatusCode::CONFLICT, "no_sources"),
            (
                EngineError::InvalidInput {
                    field: "config.root".into(),
                    message: "missing".into(),
                }
                .into(),
                StatusCode::BAD_REQUEST,
                "invalid_request",
            ),
            (
                EngineError::Secrets("cannot decrypt".into()).into(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
            (
                EngineError::Config("bad".into()).into(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ];
        for (error, status, code) in cases {
            let (got_status, body) = body_of(error).await;
            assert_eq!((got_status, body["code"].as_str().unwrap()), (status, code), "{body}");
        }
    }

    #[test]
    fn error_chain_joins_causes() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("outer")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(error_chain(&e), "outer: disk on fire");
    }
}
