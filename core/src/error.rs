//! The one error type of the SDK.
//!
//! Every failure is an [`Error`] with a stable [`ErrorKind`]. The kind names are the contract every
//! binding mirrors (Python exception classes, Node `code`, the uniffi error enum), so they never change
//! meaning. The richer context (HTTP status, validation details, `Retry-After`, the execution
//! `reference_id`, the request id, a redacted copy of an unexpected body) rides along as fields.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Stable error categories. Bindings map these one-to-one; names are part of the public contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display))]
pub enum ErrorKind {
    /// Bad input: refused locally before anything was sent, or a 422 from the API.
    Validation,
    /// 401: bad client credentials, or a token the API no longer accepts.
    Authentication,
    /// 403: the merchant is not verified for this feature, or a payout passcode was refused.
    PermissionDenied,
    /// 404: the object does not exist (or is not yours).
    NotFound,
    /// A conflicting request: a `reference_id` reused with different parameters, or a state that
    /// forbids the operation (e.g. cancelling an invoice that is PROCESSING).
    Conflict,
    /// 429: slow down; see [`Error::retry_after`].
    RateLimited,
    /// 5xx from the API.
    Server,
    /// The request could not be sent, or the connection broke before an answer arrived.
    Network,
    /// No answer within the configured timeout.
    Timeout,
    /// An execution may or may not have happened and the SDK could not find out.
    /// [`Error::reference_id`] is the id to resume with (`status`, `wait` or `reconcile`);
    /// never create a new payment for the same intent while this is unresolved.
    AmbiguousExecution,
    /// The API answered with something the SDK could not understand.
    Decode,
    /// A fault inside the SDK itself (journal storage, a caught panic in a binding).
    Internal,
}

impl ErrorKind {
    /// The stable name of the kind, identical in every binding (`"Validation"`, `"RateLimited"`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "Validation",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::Server => "Server",
            ErrorKind::Network => "Network",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::AmbiguousExecution => "AmbiguousExecution",
            ErrorKind::Decode => "Decode",
            ErrorKind::Internal => "Internal",
        }
    }

    /// Every kind, in declaration order (bindings use it to prove their mapping is complete).
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Validation,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::AmbiguousExecution,
        ErrorKind::Decode,
        ErrorKind::Internal,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field-level problem, as in FastAPI's 422 body (`{"loc": [...], "msg": ..., "type": ...}`).
/// Client-side validation produces the same shape with `loc[0] == "body" | "query" | "path"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ValidationDetail {
    /// Where the problem is, e.g. `["body", "currency"]`. Integers in the API's `loc` become strings.
    pub loc: Vec<String>,
    /// What is wrong, in words.
    pub msg: String,
    /// A machine-readable type, e.g. `value_error.missing`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl ValidationDetail {
    /// A detail for a request-body field.
    pub fn body(field: &str, msg: impl Into<String>, kind: &str) -> Self {
        ValidationDetail {
            loc: field_loc("body", field),
            msg: msg.into(),
            kind: kind.to_string(),
        }
    }

    /// The field path without its `body`/`query`/`path` prefix, dotted: `passcode.device.name`.
    pub fn field(&self) -> String {
        let rest = match self.loc.first().map(String::as_str) {
            Some("body" | "query" | "path") => &self.loc[1..],
            _ => &self.loc[..],
        };
        rest.join(".")
    }
}

fn field_loc(prefix: &str, field: &str) -> Vec<String> {
    std::iter::once(prefix.to_string())
        .chain(field.split('.').map(str::to_string))
        .collect()
}

/// The SDK's error. Cheap to move (one pointer, so `Result`s stay small); never contains a secret
/// (credentials, tokens, passcodes are redacted before a body or message is stored here).
#[derive(Clone)]
pub struct Error(Box<ErrorInner>);

#[derive(Clone)]
struct ErrorInner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    details: Vec<ValidationDetail>,
    retry_after: Option<Duration>,
    reference_id: Option<String>,
    request_id: Option<String>,
    body: Option<String>,
}

impl Error {
    /// A new error of `kind` with a human message (say what went wrong and what to do).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            kind,
            message: message.into(),
            status: None,
            details: Vec::new(),
            retry_after: None,
            reference_id: None,
            request_id: None,
            body: None,
        }))
    }

    /// A client-side validation error on one field (`field` is dotted, e.g. `passcode.token.code`).
    pub fn invalid_field(field: &str, msg: impl Into<String>) -> Self {
        let msg = msg.into();
        Error::new(ErrorKind::Validation, format!("invalid `{field}`: {msg}"))
            .with_details(vec![ValidationDetail::body(field, msg, "value_error")])
    }

    /// A client-side "required field missing" error.
    pub fn missing_field(field: &str) -> Self {
        Error::new(ErrorKind::Validation, format!("`{field}` is required")).with_details(vec![
            ValidationDetail::body(field, "field required", "value_error.missing"),
        ])
    }

    /// An internal fault (journal storage and the like).
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// The stable category.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The human-readable message (no secrets).
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }
    /// Field-level problems (422 or client-side validation).
    pub fn details(&self) -> &[ValidationDetail] {
        &self.0.details
    }
    /// How long the API asked us to wait (429 `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// The execution `reference_id` this error concerns, if any.
    pub fn reference_id(&self) -> Option<&str> {
        self.0.reference_id.as_deref()
    }
    /// The API's request id header, if it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// The raw response body (secrets redacted, truncated), kept for `Decode` and unexpected errors.
    pub fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }

    /// Whether the same request may succeed if repeated later (429, 5xx, network, timeout).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network | ErrorKind::Timeout
        )
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }
    /// The error with each client-side detail located in `location` (`path`, `query`) rather
    /// than the body, for validators of path and query parameters.
    pub(crate) fn located(self, location: &str) -> Self {
        self.edit_details(|detail| {
            if detail.loc.first().is_some_and(|first| first == "body") {
                detail.loc[0] = location.to_string();
            }
        })
    }
    /// The error with `edit` applied to each validation detail, in place.
    pub(crate) fn edit_details(mut self, edit: impl FnMut(&mut ValidationDetail)) -> Self {
        self.0.details.iter_mut().for_each(edit);
        self
    }
    /// Replaces the message (the bridge renames a field the caller never wrote).
    #[cfg_attr(not(feature = "bridge"), allow(dead_code))]
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }
    /// Sets the validation details.
    pub fn with_details(mut self, details: Vec<ValidationDetail>) -> Self {
        self.0.details = details;
        self
    }
    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }
    /// Sets the execution reference id.
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.0.reference_id = Some(reference_id.into());
        self
    }
    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.0.request_id = request_id;
        self
    }
    /// Keeps the (already redacted) response body.
    pub fn with_body(mut self, body: Option<String>) -> Self {
        self.0.body = body;
        self
    }
    /// Re-labels the error (e.g. a 422 "duplicate reference" becomes `Conflict`).
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)?;
        if let Some(status) = self.0.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(reference_id) = &self.0.reference_id {
            write!(f, " [reference_id {reference_id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("status", &self.0.status)
            .field("details", &self.0.details)
            .field("retry_after", &self.0.retry_after)
            .field("reference_id", &self.0.reference_id)
            .field("request_id", &self.0.request_id)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Error {}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
