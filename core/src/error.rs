//! The one error type of the SDK.
//!
//! Every failure is an [`Error`] with a stable [`ErrorKind`]. The kind names are the contract every
//! binding mirrors (Python exception classes, Node `code`, the uniffi error enum), so they never change
//! meaning. The richer context (HTTP status, validation details, `Retry-After`, the execution
//! `reference_id`, the request id, a redacted copy of an unexpected body) rides along as fields.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// THE table of error kinds, one row per kind: its name (the variant), a `description` (the kind's
/// doc everywhere: rustdoc, the bridge schema, the error classes of every binding), whether it is
/// `retryable` (the same request may succeed if repeated later) and the `action` a caller should
/// take. Descriptions and actions are written for every language: no Rust paths or links; a
/// field is named the API's way (`reference_id`) and each binding spells it its own way.
///
/// A macro, so that the one table both declares [`ErrorKind`] (below) and reaches, as literals, a
/// binding that needs the docs in its own source: uniffi reads doc comments at compile time, so
/// `bindings-swift` declares its `DollrError` with `dollr_core::error_kinds!(its_macro)`. It
/// calls `$callback! { Kind { description: "..", retryable: bool, action: ".." }, .. }`.
/// Everything else reads [`ErrorKind::info`] or the bridge schema's `errors`.
#[macro_export]
#[rustfmt::skip] // it would re-indent the strings' continuation lines
macro_rules! error_kinds {
    ($callback:ident) => {
        $callback! {
            Validation {
                description: "Bad input: refused before anything was sent, or a 422 from the API.",
                retryable: false,
                action: "Fix the input that `details` names; the same request fails again.",
            },
            Authentication {
                description: "401: bad client credentials, a token the API no longer accepts, \
                    or a failing access-token provider.",
                retryable: false,
                action: "Check the client id and secret (`DOLLR_CLIENT_ID`, \
                    `DOLLR_CLIENT_SECRET`) or the token provider.",
            },
            PermissionDenied {
                description: "403: the merchant is not verified for this feature, or a payout \
                    passcode was refused.",
                retryable: false,
                action: "Have the merchant verified for this feature, or use a valid payout \
                    passcode; the same request fails again.",
            },
            NotFound {
                description: "404: the object does not exist (or is not yours).",
                retryable: false,
                action: "Check the id, and that it belongs to the merchant whose credentials \
                    you use.",
            },
            Conflict {
                description: "A conflicting request: a `reference_id` reused with different \
                    parameters, or a state that forbids the operation (e.g. cancelling an \
                    invoice that is PROCESSING).",
                retryable: false,
                action: "Give a new intent a new `reference_id`, or read the object's state \
                    before acting on it again.",
            },
            RateLimited {
                description: "429: too many requests.",
                retryable: true,
                action: "Wait as long as `retry_after` says, then retry.",
            },
            Server {
                description: "5xx from the API.",
                retryable: true,
                action: "Retry later. A payment is resumed with its `reference_id` (status, wait \
                    or reconcile), never started again.",
            },
            Network {
                description: "The request could not be sent, or the connection broke before an \
                    answer arrived.",
                retryable: true,
                action: "Check the connection and retry. A payment is resumed with its \
                    `reference_id` (status, wait or reconcile), never started again.",
            },
            Timeout {
                description: "No answer within the configured timeout.",
                retryable: true,
                action: "Retry, or allow a longer timeout. A payment is resumed with its \
                    `reference_id` (status, wait or reconcile), never started again.",
            },
            AmbiguousExecution {
                description: "An execution may or may not have happened and the SDK could not \
                    find out.",
                retryable: false,
                action: "Resume with its `reference_id` (status, wait or reconcile); never \
                    create a new payment for the same intent while this is unresolved.",
            },
            Decode {
                description: "The API answered with something the SDK could not understand.",
                retryable: false,
                action: "Upgrade the SDK if the API is newer; otherwise report it with the \
                    `request_id`.",
            },
            Internal {
                description: "A fault inside the SDK itself (journal storage, a caught panic in \
                    a binding).",
                retryable: false,
                action: "Report it. A journal that cannot be written stops a payment before \
                    anything is sent: check the journal's storage.",
            },
        }
    };
}

/// One row of the table of error kinds ([`error_kinds!`]), as the bridge schema's `errors` lists
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorKindInfo {
    /// The stable name of the kind, identical in every binding (`"Validation"`, …).
    #[serde(rename = "kind")]
    pub name: &'static str,
    /// What happened, in words for every language.
    pub description: &'static str,
    /// Whether the same request may succeed if repeated later.
    pub retryable: bool,
    /// What the caller should do.
    pub action: &'static str,
}

/// Declares [`ErrorKind`] from the table: each variant documented with its description.
macro_rules! declare_error_kind {
    ($(
        $kind:ident {
            description: $description:literal,
            retryable: $retryable:literal,
            action: $action:literal $(,)?
        }
    ),+ $(,)?) => {
        /// Stable error categories. Bindings map these one-to-one; names are part of the public contract.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
        )]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[cfg_attr(feature = "uniffi", uniffi::export(Display))]
        pub enum ErrorKind {
            $( #[doc = $description] $kind, )+
        }

        impl ErrorKind {
            /// Every kind, in the table's order (bindings use it to prove their mapping is
            /// complete).
            pub const ALL: [ErrorKind; [$(stringify!($kind)),+].len()] = [$(ErrorKind::$kind),+];

            /// The kind's row of the table: name, description, retryability, advice.
            pub const fn info(self) -> &'static ErrorKindInfo {
                match self {
                    $(
                        ErrorKind::$kind => &ErrorKindInfo {
                            name: stringify!($kind),
                            description: $description,
                            retryable: $retryable,
                            action: $action,
                        },
                    )+
                }
            }
        }
    };
}

error_kinds!(declare_error_kind);

impl ErrorKind {
    /// The stable name of the kind, identical in every binding (`"Validation"`, `"RateLimited"`, …).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// What the kind means (its doc in every binding).
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// Whether the same request may succeed if repeated later (the table's `retryable`).
    pub fn is_retryable(self) -> bool {
        self.info().retryable
    }

    /// What the caller should do about an error of this kind.
    pub fn action(self) -> &'static str {
        self.info().action
    }

    /// The kind of a stable name (`"NotFound"` → `NotFound`).
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
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

    /// Whether the same request may succeed if repeated later: the kind's
    /// [`ErrorKind::is_retryable`].
    pub fn is_transient(&self) -> bool {
        self.0.kind.is_retryable()
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The variants as serde and schemars see them: the derives count every variant of the
    /// enum, whatever `ALL` and the table say.
    fn declared_variants() -> Vec<String> {
        let schema = serde_json::to_value(schemars::schema_for!(ErrorKind)).unwrap();
        let branches = schema["oneOf"]
            .as_array()
            .expect("documented variants: a oneOf");
        branches
            .iter()
            .map(|branch| branch["const"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_table_has_exactly_one_row_per_kind() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.name()).collect();
        assert_eq!(
            names,
            declared_variants(),
            "ALL lists every variant once, in order"
        );
        assert_eq!(
            names.iter().collect::<HashSet<_>>().len(),
            names.len(),
            "{names:?}"
        );
        for kind in ErrorKind::ALL {
            let info = kind.info();
            // The table's name is the wire name (serde) and the Display text.
            assert_eq!(serde_json::to_value(kind).unwrap(), info.name);
            assert_eq!(kind.to_string(), info.name);
            assert_eq!(ErrorKind::from_name(info.name), Some(kind));
            for text in [info.description, info.action] {
                assert!(text.ends_with('.'), "{kind}: {text:?}");
                assert!(
                    !text.contains("  ") && !text.contains('\n'),
                    "{kind}: {text:?}"
                );
                // Every language reads these: no rustdoc links or Rust paths.
                assert!(
                    !text.contains('[') && !text.contains("::"),
                    "{kind}: {text:?}"
                );
            }
        }
        assert_eq!(ErrorKind::from_name("Bogus"), None);
    }

    #[test]
    fn retryable_kinds_are_the_transient_ones() {
        let retryable: Vec<ErrorKind> = ErrorKind::ALL
            .into_iter()
            .filter(|kind| kind.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                ErrorKind::RateLimited,
                ErrorKind::Server,
                ErrorKind::Network,
                ErrorKind::Timeout
            ]
        );
        for kind in ErrorKind::ALL {
            assert_eq!(Error::new(kind, "x").is_transient(), kind.is_retryable());
        }
    }

    #[test]
    fn each_variant_is_documented_with_its_description() {
        let schema = serde_json::to_value(schemars::schema_for!(ErrorKind)).unwrap();
        for branch in schema["oneOf"].as_array().unwrap() {
            let kind = ErrorKind::from_name(branch["const"].as_str().unwrap()).unwrap();
            assert_eq!(branch["description"], kind.description());
        }
    }
}
