//! Error bodies, shaped like the FastAPI service the sandbox simulates.
//!
//! * Every 422 is the list shape `{"detail": [{"loc", "msg", "type"}]}`, also for
//!   business-rule failures (state machine, duplicate reference_id, ...), so a
//!   client can always read `detail` as an array on 422.
//! * Every other error is `{"detail": "<string>"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// One entry of a FastAPI validation error.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// Path to the field, e.g. `["body", "currency"]`.
    pub loc: Vec<Value>,
    /// Human-readable message.
    pub msg: String,
    /// Machine-readable type, e.g. `value_error.missing`.
    pub kind: String,
}

impl FieldError {
    /// Builds an error at `loc`.
    pub fn new(loc: Vec<Value>, msg: impl Into<String>, kind: impl Into<String>) -> FieldError {
        FieldError {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }

    /// An error at `["body", field]`.
    pub fn body(field: &str, msg: impl Into<String>, kind: impl Into<String>) -> FieldError {
        FieldError::new(vec![json!("body"), json!(field)], msg, kind)
    }

    /// An error at `["path", field]`.
    pub fn path(field: &str, msg: impl Into<String>, kind: impl Into<String>) -> FieldError {
        FieldError::new(vec![json!("path"), json!(field)], msg, kind)
    }

    /// An error at `["query", field]`.
    pub fn query(field: &str, msg: impl Into<String>, kind: impl Into<String>) -> FieldError {
        FieldError::new(vec![json!("query"), json!(field)], msg, kind)
    }

    fn to_json(&self) -> Value {
        json!({"loc": self.loc, "msg": self.msg, "type": self.kind})
    }
}

/// Every error the API can answer with.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// 401 `Not authenticated`: no Authorization header.
    NotAuthenticated,
    /// 401 `Could not validate credentials`.
    InvalidCredentials,
    /// 403 with a message.
    Forbidden(String),
    /// 404 with a message.
    NotFound(String),
    /// 405.
    MethodNotAllowed,
    /// 409 with a message (control endpoints only).
    Conflict(String),
    /// 408: the request body did not arrive within this many milliseconds.
    RequestTimeout(u128),
    /// 413.
    PayloadTooLarge(usize),
    /// 415.
    UnsupportedMediaType,
    /// 422 list.
    Validation(Vec<FieldError>),
    /// 429 with Retry-After seconds.
    RateLimited(u64),
    /// 500 / 503 with `Internal Server Error`.
    Internal(u16),
}

impl ApiError {
    /// A single-entry 422.
    pub fn field(err: FieldError) -> ApiError {
        ApiError::Validation(vec![err])
    }

    /// A 422 about a body field.
    pub fn body(field: &str, msg: impl Into<String>, kind: &str) -> ApiError {
        ApiError::field(FieldError::body(field, msg, kind))
    }

    /// A 422 about a path parameter.
    pub fn path(field: &str, msg: impl Into<String>, kind: &str) -> ApiError {
        ApiError::field(FieldError::path(field, msg, kind))
    }

    /// A 422 about a query parameter.
    pub fn query(field: &str, msg: impl Into<String>, kind: &str) -> ApiError {
        ApiError::field(FieldError::query(field, msg, kind))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotAuthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(code) => {
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The JSON body.
    pub fn body_json(&self) -> Value {
        let detail = match self {
            ApiError::NotAuthenticated => json!("Not authenticated"),
            ApiError::InvalidCredentials => json!("Could not validate credentials"),
            ApiError::Forbidden(m) | ApiError::NotFound(m) | ApiError::Conflict(m) => json!(m),
            ApiError::MethodNotAllowed => json!("Method Not Allowed"),
            ApiError::RequestTimeout(ms) => json!(format!(
                "Request Timeout: the request body did not arrive within {ms} ms"
            )),
            ApiError::PayloadTooLarge(limit) => {
                json!(format!("Request body too large (limit {limit} bytes)"))
            }
            ApiError::UnsupportedMediaType => {
                json!("Unsupported Media Type: send the body as application/json")
            }
            ApiError::Validation(errs) => {
                Value::Array(errs.iter().map(FieldError::to_json).collect())
            }
            ApiError::RateLimited(_) => json!("Too Many Requests"),
            ApiError::Internal(_) => json!("Internal Server Error"),
        };
        json!({ "detail": detail })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), axum::Json(self.body_json())).into_response();
        match &self {
            ApiError::NotAuthenticated | ApiError::InvalidCredentials => {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited(secs) => {
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        resp
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
