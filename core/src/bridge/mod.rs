//! The bridge: one generic, JSON-in/JSON-out entry point to every operation and flow of the core,
//! and a machine-readable schema of them, for the language bindings.
//!
//! Bindings (Python, Node, Swift/Kotlin) must expose everything the core does without deciding
//! anything themselves. Instead of one hand-written wrapper per operation and one mirror class per
//! model, a binding:
//!
//! 1. calls [`call`] (or [`call_with_events`]) with an operation name (`"invoices.add_item"`,
//!    `"collect"`, …) and a JSON object of arguments, and gets JSON back;
//! 2. generates its typed layer (classes, stubs, `.d.ts`) from [`schema()`], which is derived
//!    from the core's own Rust types (see `SCHEMA.md` beside this file).
//!
//! ## Arguments
//! One JSON object: the API's field names (snake_case) of the operation's request body or query,
//! plus its positional parameters by name (`id`, `item_id`, `number`, `reference_id`,
//! `operation_type`, …; see each operation's `params` in the schema). Decimals may be JSON
//! strings (`"250.10"`, preferred: no binary float on the way) or numbers; ids are integers;
//! timestamps are RFC 3339 strings; durations are integer milliseconds named `*_ms`; `null` means
//! "not given". An unknown key (a typo such as `amout`), a missing required one, or a value of the
//! wrong type is a `Validation` error naming the field; everything else is decided by the core's
//! own `Deserialize` and validation, exactly as for a Rust caller.
//!
//! ## Results
//! JSON with decimals as exact **strings** (`"250.10"`), timestamps as RFC 3339 strings with `Z`,
//! enums as their wire strings (unknown values kept), ids as integers, secrets as plain strings
//! (the schema marks them `secret` for bindings to wrap), `null` for operations without a result.
//! Decimals become strings through [`crate::money::DecimalsAsStrings`], a per-thread switch that
//! the core's `money::exact` serializers consult while the bridge serializes a result
//! synchronously; no model is duplicated for it, and the API wire format is untouched.
//!
//! ## Errors
//! The core [`Error`] unchanged: bindings map its [`crate::ErrorKind`] in one function each
//! ([`error_json`] gives its fields as JSON if that is handier).
//!
//! ## Events
//! [`call_with_events`] sends JSON events to a sink as they happen: flow steps (`party_ready`,
//! `status_changed`, … with `elapsed_ms`, `at`, `message`) and the `transition`s observed by
//! `status.wait`. The schema lists every event and its fields.

mod args;
mod drive;
pub(crate) mod flows;
mod options;
pub(crate) mod registry;
mod schema;
mod shape;
mod uniffi_wrappers;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub use self::drive::{panic_text, poll_once, BoxedCall, FirstPoll};
#[cfg(not(target_arch = "wasm32"))]
pub use self::drive::{
    CalledInsideItsOwnCall, Continuation, EventedCall, FirstWake, OwnRuntime, Stretch,
};
pub use self::options::{client_from_options, ClientOptions};
pub use self::shape::{ResultShape, ResultShapes};
pub use self::uniffi_wrappers::uniffi_resources_rs;
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};

/// Parses JSON text a binding's host-language layer produced (its own JSON encoder: Python's
/// `json.dumps`, `JSON.stringify`); a failure means the caller passed something JSON cannot carry,
/// reported as a `Validation` error naming `what` (e.g. "the arguments").
pub fn parse_host_json(what: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Validation,
            format!("{what} are not valid JSON: {e}"),
        )
    })
}

/// The error for an argument of `operation` that a binding could not turn into JSON (Python
/// `bytes`, a JavaScript `BigInt`, an object of the caller's own class, a structure nested too
/// deeply to be data): `Validation`, naming the field at `path` (its keys and indexes from the
/// argument object down) and located where the API takes it, like the core's own type errors.
/// `what` is the value as the host language names it ("a bytes", "a bigint").
pub fn unsendable_argument(operation: &str, path: &[String], what: &str) -> Error {
    let field = path.join(".");
    let error = args::field_error(
        &field,
        format!(
            "invalid `{field}` for `{operation}`: {}",
            cannot_be_sent(what)
        ),
        "type_error",
    );
    match registry::find(operation) {
        Some(found) => found.locations.relocate(error),
        None => error,
    }
}

/// [`unsendable_argument`] for a client option (`ClientOptions`), named as its other errors are.
pub fn unsendable_option(path: &[String], what: &str) -> Error {
    let option = path.join(".");
    args::field_error(
        &option,
        format!("invalid client option `{option}`: {}", cannot_be_sent(what)),
        "type_error",
    )
}

fn cannot_be_sent(what: &str) -> String {
    format!("{what} cannot be sent; only text, numbers, booleans, lists and mappings of them can")
}

/// A bridge result (or event) as the JSON text a binding hands its host-language layer.
pub fn host_json(value: &Value) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal(format!("could not encode the result as JSON: {e}")))
}

/// The version of the schema's format (not of the SDK): bumped when the document's structure
/// changes incompatibly.
pub const SCHEMA_VERSION: u32 = 2;

/// Receives the JSON events of a call as they happen (flow progress, status transitions). Called
/// inline on the task running the call: keep it quick (e.g. hand the value to the binding's
/// event loop).
pub type EventSink = Arc<dyn Fn(Value) + Send + Sync>;

/// Calls the operation `operation` (`"parties.create"`, `"collect"`, …) with JSON `args` and
/// returns its result as JSON (see the module documentation for both conventions).
///
/// Errors: `Validation` for an unknown operation (naming it), an unknown, missing or mistyped
/// argument (naming the field) or anything the core's validation refuses; otherwise whatever the
/// operation itself returns.
pub async fn call(client: &Client, operation: &str, args: Value) -> Result<Value> {
    call_output(client, operation, args, None).await?.to_value()
}

/// [`call`], sending the call's events (flow steps, `status.wait` transitions) to `events` as they
/// happen. Operations without events (`"events": false` in the schema) never call the sink.
pub async fn call_with_events(
    client: &Client,
    operation: &str,
    args: Value,
    events: EventSink,
) -> Result<Value> {
    call_output(client, operation, args, Some(events))
        .await?
        .to_value()
}

/// [`call`] (with `events`, [`call_with_events`]), its result not yet written: the binding writes
/// it in the form it needs ([`Output`]), without a JSON value in between.
pub async fn call_output(
    client: &Client,
    operation: &str,
    args: Value,
    events: Option<EventSink>,
) -> Result<Output> {
    match registry::find(operation) {
        Some(found) => (found.run)(client, args, events).await,
        None => {
            let names: Vec<String> = operation_names().iter().map(|n| n.to_string()).collect();
            let hint = match args::closest(operation, &names) {
                Some(guess) => format!(" (did you mean `{guess}`?)"),
                None => String::new(),
            };
            Err(args::field_error(
                "operation",
                format!(
                    "unknown operation `{operation}`{hint}; the schema's `operations` lists every name"
                ),
                "value_error.unknown_operation",
            ))
        }
    }
}

/// Every operation name the bridge answers to, in the schema's order.
pub fn operation_names() -> Vec<&'static str> {
    registry::operations().iter().map(|op| op.name).collect()
}

/// Serializes a result for a binding: decimals as strings (see the module documentation).
pub(crate) fn output<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    let _strings = crate::money::DecimalsAsStrings::enable();
    serde_json::to_value(value)
        .map_err(|e| Error::internal(format!("the bridge could not encode a result: {e}")))
}

/// One call's result as the core returned it (its typed value), for the binding to write in the
/// form it needs: a JSON value ([`Output::to_value`]), JSON text ([`Output::to_json`]) or the
/// host layer's own JSON ([`Output::to_shaped_json`]). Written straight from the typed value,
/// decimals as strings, so no JSON value is built and dropped for a binding that wants text
/// (issue #19: that value tree was a tenth of dollr-native's instructions per request).
pub struct Output(Box<dyn WriteResult>);

/// The ways a typed result can be written (one implementation, for every `Serialize` result).
trait WriteResult: Send {
    fn to_value(&self) -> Result<Value>;
    fn to_json(&self) -> Result<String>;
    fn to_shaped_json(&self, shape: &ResultShape) -> Result<String>;
}

impl<T: Serialize + Send> WriteResult for T {
    fn to_value(&self) -> Result<Value> {
        output(self)
    }

    fn to_json(&self) -> Result<String> {
        let _strings = crate::money::DecimalsAsStrings::enable();
        serde_json::to_string(self)
            .map_err(|e| Error::internal(format!("could not encode the result as JSON: {e}")))
    }

    fn to_shaped_json(&self, shape: &ResultShape) -> Result<String> {
        let _strings = crate::money::DecimalsAsStrings::enable();
        shape.to_json(self)
    }
}

impl Output {
    pub(crate) fn new<T: Serialize + Send + 'static>(value: T) -> Output {
        Output(Box::new(value))
    }

    /// The result as a JSON value (what [`call`] returns).
    pub fn to_value(&self) -> Result<Value> {
        self.0.to_value()
    }

    /// The result as JSON text (what [`host_json`] makes of [`call`]'s value).
    pub fn to_json(&self) -> Result<String> {
        self.0.to_json()
    }

    /// The result as the host layer returns it, written by `shape` (see [`ResultShape::to_json`]).
    pub fn to_shaped_json(&self, shape: &ResultShape) -> Result<String> {
        self.0.to_shaped_json(shape)
    }

    /// The text a binding hands its host layer: written by the shape the host layer asked for
    /// with the call, else the wire's JSON.
    pub fn to_host_json(&self, shape: Option<&ResultShape>) -> Result<String> {
        match shape {
            Some(shape) => self.to_shaped_json(shape),
            None => self.to_json(),
        }
    }
}

/// An [`Error`] as JSON, with the fields every binding's error carries: `kind` (the stable
/// name), `message`, `status`, `details` (`[{loc, msg, type}]`), `retry_after_ms`,
/// `reference_id`, `request_id`. Never contains a secret (the error never holds one).
pub fn error_json(error: &Error) -> Value {
    output(error).unwrap_or_else(
        |_| serde_json::json!({"kind": error.kind().name(), "message": error.message()}),
    )
}

// The JSON form of an `Error` (its fields are private to the error module).
/// An error as JSON: the same fields the bindings' exceptions carry.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ErrorInfo")]
struct ErrorInfo<'a> {
    /// The stable category (`Validation`, `NotFound`, …; see `errors`).
    kind: ErrorKind,
    /// The human-readable message (no secrets).
    message: &'a str,
    /// The HTTP status, when the API answered.
    status: Option<u16>,
    /// Field-level problems (422 or client-side validation).
    details: &'a [crate::error::ValidationDetail],
    /// How long the API asked to wait (429).
    #[serde(with = "crate::millis::opt")]
    #[schemars(with = "Option<u64>")]
    retry_after_ms: Option<std::time::Duration>,
    /// The execution `reference_id` the error concerns.
    reference_id: Option<&'a str>,
    /// The API's request id.
    request_id: Option<&'a str>,
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ErrorInfo {
            kind: self.kind(),
            message: self.message(),
            status: self.status(),
            details: self.details(),
            retry_after_ms: self.retry_after(),
            reference_id: self.reference_id(),
            request_id: self.request_id(),
        }
        .serialize(serializer)
    }
}

impl JsonSchema for Error {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErrorInfo".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ErrorInfo::json_schema(generator)
    }
}

/// A field path as camelCase languages spell it (JS, Kotlin, Swift): the core and the API name
/// fields the wire's way (`base_amount`, `items.0.unit_price`); such a caller wrote
/// `baseAmount`, `items.0.unitPrice`. `_` followed by a lowercase letter or digit is dropped and
/// the letter uppercased, as the bindings' generated layers name fields, so results and errors
/// agree; other segments (indexes, `body`, `MTN_MOMO_LBR`) are unchanged.
pub fn camel_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(next) if c == '_' && (next.is_ascii_lowercase() || next.is_ascii_digit()) => {
                out.push(next.to_ascii_uppercase());
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// An error text (a message or a detail's `msg`) with every field it names in backticks
/// (`` `payer_name` is required``, `` `items.0.unit_price` ``) spelled by [`camel_case`], for
/// bindings whose callers write camelCase. Only backticked lowercase dotted identifiers are
/// fields; anything else in backticks (values, `MTN_MOMO_LBR`, `not-a-uuid`) is left as written.
pub fn camel_case_field_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    // Odd pieces are inside backticks when a closing one follows (the last piece never is).
    let rest: Vec<&str> = parts.collect();
    for (index, piece) in rest.iter().enumerate() {
        out.push('`');
        let quoted = index % 2 == 0 && index + 1 < rest.len();
        if quoted && is_field_path(piece) {
            out.push_str(&camel_case(piece));
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// `name`, `items.0.unit_price`: lowercase identifiers and indexes joined by dots.
fn is_field_path(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|segment| {
            segment
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// The schema of every operation, model, enum and event, derived from the core's Rust types.
///
/// ```text
/// {"version": 1, "sdk_version": "0.1.0",
///  "types": ["string", "integer", "number", "boolean", "decimal", "timestamp", "secret", "json",
///            "null", "enum:<Name>", "model:<Name>", "list:<type>"],
///  "operations": [{"name": "invoices.add_item", "resource": "invoices", "method": "add_item",
///                  "params": [{"name": "id", "type": "integer", "required": true, "kind": "path", "doc": "..."},
///                             {"name": "amount", "type": "decimal", "required": true, "kind": "body", "doc": "..."}, ...],
///                  "returns": "model:SourceItem", "doc": "...", "events": false}, ...],
///  "models": [{"name": "Party", "doc": "...", "fields": [{"name": "id", "type": "integer", "optional": false, "doc": "..."}, ...]}],
///  "enums": [{"name": "PaymentMethod", "doc": "...", "values": ["MTN_MOMO_LBR", ...], "value_docs": {...}, "open": true}],
///  "events": [{"name": "party_ready", "doc": "...", "fields": [...]}],
///  "errors": [{"kind": "Validation", "description": "...", "retryable": false, "action": "..."}, ...],
///  "client_options": [{"name": "client_id", "type": "string", "required": false, "kind": "option", "doc": "..."}, ...],
///  "test_numbers": {"COMPLETES": "231771234567", ...}}
/// ```
///
/// `kind` of a parameter: `path` / `query` / `body` (where the API takes it), `arg` (an SDK
/// argument that is not sent as such, e.g. a wait timeout). `returns` is a grammar type, `null`
/// for no result. Models and fields are sorted (required first, then by name); the full
/// description is `core/src/bridge/SCHEMA.md`.
pub fn schema() -> Value {
    let mut ctx = schema::SchemaContext::new();
    let operations: Vec<Value> = registry::operations()
        .iter()
        .map(|op| (op.describe)(&mut ctx))
        .collect();
    ctx.document(operations)
}

/// The schema type `operation` returns (`model:Execution`, `list:model:Party`, `null`), as
/// [`schema()`] lists it, derived for that operation alone: a binding that builds each result as
/// its type asks on a process's first call of each operation, where the whole schema takes tens of
/// milliseconds.
pub fn operation_returns(operation: &str) -> Option<String> {
    let found = registry::find(operation)?;
    let described = (found.describe)(&mut schema::SchemaContext::new());
    described["returns"].as_str().map(str::to_string)
}

/// [`schema()`] pretty-printed, as committed in `core/bridge-schema.json`.
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// A flow event as the bridge sends it (exposed for the CLI and tests that print flows the way
/// bindings see them).
pub fn flow_event_json(progress: &crate::flows::FlowProgress) -> Result<Value> {
    output(progress)
}
