//! The one place a core [`Error`] becomes a JavaScript error, and the panic guards that turn a Rust
//! panic into such an error instead of aborting the Node process.
//!
//! The error classes themselves are plain JavaScript (`DollrError` in `lib/errors.js`, one subclass
//! per kind generated into `lib/generated/errors.js` from the core's table of error kinds) so that
//! `instanceof` and stack traces behave like any other JS error; the JS layer hands them to the
//! addon once at load time ([`register_error_classes`]), by kind name, and the mapping below picks
//! the class, sets the message and every field. No other code decides what a JS error looks like.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use dollr_core::bridge::{panic_text, FirstPoll, FirstWake};
use dollr_core::{Error, ErrorKind};
use futures::FutureExt;
use napi::bindgen_prelude::{
    within_runtime_if_available, Either3, Function, JsObjectValue, Object, PromiseRaw, Unknown,
};
use napi::{Env, JsValue, Status};
use napi_derive::napi;

type ErrorClass<'env> = Function<'env, String, Unknown<'env>>;

/// The registered class of `kind` (the base `DollrError` for a kind the JS layer does not know
/// yet), or `None` before `lib/errors.js` registered its classes.
fn class_of<'env>(env: &'env Env, kind: ErrorKind) -> napi::Result<Option<ErrorClass<'env>>> {
    let Some(classes) = crate::per_env::get(env)?.and_then(|state| state.error_classes.as_ref())
    else {
        return Ok(None);
    };
    let classes = classes.get_value(env)?;
    let by_kind = classes.get_named_property::<Object>("byKind")?;
    match by_kind.get_named_property::<Option<ErrorClass>>(kind.name())? {
        Some(class) => Ok(Some(class)),
        None => classes.get_named_property::<Option<ErrorClass>>("base"),
    }
}

/// Called once by `lib/errors.js` with `{ base: DollrError, byKind: { Validation: …, … } }`.
#[napi(js_name = "_registerErrorClasses")]
pub fn register_error_classes(env: Env, classes: Object) -> napi::Result<()> {
    guard_sync(&env, || {
        crate::per_env::get_or_init(&env)?.error_classes = Some(classes.create_ref::<false>()?);
        Ok(())
    })
}

/// `[[kind, className], …]` for every core kind, as the addon maps it (so a JS test can prove the
/// mapping is complete).
#[napi(js_name = "_errorKinds")]
pub fn error_kinds(env: Env) -> napi::Result<Vec<Vec<String>>> {
    ErrorKind::ALL
        .iter()
        .map(|kind| {
            let name = match class_of(&env, *kind)? {
                Some(class) => class.get_named_property::<String>("name")?,
                None => String::new(),
            };
            Ok(vec![kind.name().to_string(), name])
        })
        .collect()
}

/// A field as JS spells it: the core and the API name fields the wire's way (`base_amount`,
/// `items.0.unit_price`); a JS caller wrote `baseAmount`, `items.0.unitPrice` (the JS layer's
/// `camelCase` too, so results and errors agree). One conversion for every camelCase binding.
fn js_name(path: &str) -> String {
    dollr_core::bridge::camel_case(path)
}

/// Builds the JS error object for a core error: an instance of the kind's class (falling back to
/// a plain `Error` if the JS layer did not register its classes) with `code` = the kind name,
/// `details` (always an array; fields spelled as JS spells them, see [`js_name`], in the message
/// and each `msg` too: `` `payerName` is required``) and, when
/// known, `status`, `retryAfter` (seconds, like the HTTP header), `referenceId` and `requestId`.
/// The core never puts a secret in any of these.
pub(crate) fn js_error<'env>(env: &'env Env, error: &Error) -> napi::Result<Object<'env>> {
    let message = dollr_core::bridge::camel_case_field_names(error.message());
    let mut object = match class_of(env, error.kind())? {
        Some(class) => class.new_instance(message)?.coerce_to_object()?,
        None => env.create_error(napi::Error::new(Status::GenericFailure, message))?,
    };
    object.set_named_property("code", error.kind().name())?;
    let mut details = env.create_array(0)?;
    for (index, detail) in error.details().iter().enumerate() {
        let mut item = Object::new(env)?;
        // `field` as JavaScript spells it; `loc` stays in the API's terms (what its 422s say).
        item.set_named_property("field", js_name(&detail.field()))?;
        item.set_named_property("loc", detail.loc.clone())?;
        item.set_named_property(
            "msg",
            dollr_core::bridge::camel_case_field_names(&detail.msg),
        )?;
        item.set_named_property("type", detail.kind.as_str())?;
        details.set(u32::try_from(index).unwrap_or(u32::MAX), item)?;
    }
    object.set_named_property("details", details)?;
    if let Some(status) = error.status() {
        object.set_named_property("status", u32::from(status))?;
    }
    if let Some(retry_after) = error.retry_after() {
        object.set_named_property("retryAfter", retry_after.as_secs_f64())?;
    }
    if let Some(reference_id) = error.reference_id() {
        object.set_named_property("referenceId", reference_id)?;
    }
    if let Some(request_id) = error.request_id() {
        object.set_named_property("requestId", request_id)?;
    }
    Ok(object)
}

/// The `napi::Error` that makes napi throw (or reject with) exactly [`js_error`]'s object. If even
/// building that object fails, the caller still gets an error carrying the message.
pub(crate) fn to_napi_error(env: &Env, error: &Error) -> napi::Error {
    match js_error(env, error) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(_) => napi::Error::new(
            Status::GenericFailure,
            format!("{}: {}", error.kind(), error.message()),
        ),
    }
}

/// A caught panic as a core error of kind `Internal`.
pub(crate) fn panic_error(payload: Box<dyn Any + Send>) -> Error {
    let what = panic_text(payload.as_ref()).unwrap_or("unknown panic payload");
    Error::internal(format!(
        "dollr-native hit an internal bug (a Rust panic: {what}); the operation did not complete, please report it"
    ))
}

/// Runs a synchronous export body, turning a panic into a thrown `InternalError` (a panic must
/// never unwind into Node: that aborts the process).
pub(crate) fn guard_sync<T>(env: &Env, body: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(to_napi_error(env, &panic_error(payload))),
    }
}

/// Like [`guard_sync`] for bodies that fail with a core error.
pub(crate) fn guard_core<T>(
    env: &Env,
    body: impl FnOnce() -> dollr_core::Result<T>,
) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(to_napi_error(env, &error)),
        Err(payload) => Err(to_napi_error(env, &panic_error(payload))),
    }
}

/// Runs `future` on napi's tokio runtime and returns the Promise of its result. A core error
/// rejects with [`js_error`]'s object; a panic inside the future (napi does not reliably catch
/// those in async tasks) rejects with an `InternalError` and the process carries on.
fn spawn_promise<'env, F>(env: &'env Env, future: F) -> napi::Result<PromiseRaw<'env, String>>
where
    F: Future<Output = dollr_core::Result<String>> + Send + 'static,
{
    let guarded = async move {
        let outcome = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(payload) => Err(panic_error(payload)),
        };
        Ok::<_, napi::Error>(outcome)
    };
    env.spawn_future_with_callback(guarded, |env, outcome| match outcome {
        Ok(json) => Ok(json),
        Err(error) => Err(to_napi_error(env, &error)),
    })
}

/// Starts a call on the JS thread: polled once right here (`dollr_core::bridge::FirstWake`); a
/// call that needs nothing outside the process — a refused argument, a closed client — answers
/// at once, without a round trip through a runtime thread and the event loop: its JSON, or its
/// error object, *returned* for the JS layer to throw (a throw from native code makes V8 walk the
/// stack once more and napi keep a reference to the value: a third of the cost of a refused
/// call). A call that waits continues on napi's runtime once what it waits for wakes it, and
/// answers through a Promise ([`answer_later`](crate::completion::answer_later)).
pub(crate) fn start_call<'env, F>(
    env: &'env Env,
    future: F,
) -> napi::Result<Either3<String, Unknown<'env>, Object<'env>>>
where
    F: Future<Output = dollr_core::Result<String>> + Send + 'static,
{
    let refused = |error: Error| match js_error(env, &error) {
        Ok(object) => Ok(Either3::C(object)),
        Err(_) => Err(to_napi_error(env, &error)),
    };
    let runtime = within_runtime_if_available(napi::tokio::runtime::Handle::current);
    // The waker moves the call to the runtime when it first wakes rather than at once (see
    // `FirstWake`).
    let first_wake = FirstWake::new(runtime.clone());
    match first_wake.poll_once(Box::pin(future)) {
        FirstPoll::Ready(Ok(Ok(json))) => Ok(Either3::A(json)),
        FirstPoll::Ready(Ok(Err(error))) => refused(error),
        FirstPoll::Ready(Err(payload)) => refused(panic_error(payload)),
        FirstPoll::Pending(call) => {
            promise_of(env, &runtime, call, Some(first_wake)).map(Either3::B)
        }
    }
}

/// The Promise of a spawned call's JSON: the JS layer's ([`answer_later`]), or napi's own when
/// the addon is used without the JS layer.
///
/// [`answer_later`]: crate::completion::answer_later
fn promise_of<'env, F>(
    env: &'env Env,
    runtime: &napi::tokio::runtime::Handle,
    call: F,
    first_wake: Option<Arc<FirstWake>>,
) -> napi::Result<Unknown<'env>>
where
    F: Future<Output = dollr_core::Result<String>> + Send + 'static,
{
    // napi's Promise (no JS layer) spawns the call at once; a later wake of `first_wake` finds
    // it still polling and does nothing.
    match crate::completion::answer_later(env, runtime, call, first_wake)? {
        Ok(promise) => Ok(promise),
        Err(call) => Ok(spawn_promise(env, call)?.to_unknown()),
    }
}

/// Panics on purpose so the tests can prove a panic becomes an `InternalError` (thrown for
/// `"sync"`, a rejected Promise for `"async"`) and never crashes Node. Hidden from the typings.
#[napi(js_name = "_panicForTests")]
#[allow(clippy::panic)] // the whole point of this export
pub fn panic_for_tests<'env>(env: &'env Env, mode: String) -> napi::Result<Unknown<'env>> {
    guard_sync(env, || {
        if mode == "sync" {
            panic!("deliberate panic for the tests (sync)");
        }
        answer_for_tests(env, async move {
            tokio_yield().await;
            panic!("deliberate panic for the tests (async, mode {mode})");
        })
    })
}

/// Rejects with a core error of `kind` (a kind name, e.g. `"AmbiguousExecution"`) carrying every
/// field, so the tests can check the mapping of kinds the sandbox cannot provoke on demand.
/// Hidden from the typings.
#[napi(js_name = "_errorForTests")]
pub fn error_for_tests<'env>(env: &'env Env, kind: String) -> napi::Result<Unknown<'env>> {
    guard_sync(env, || {
        answer_for_tests(env, async move {
            let kind = ErrorKind::from_name(&kind)
                .ok_or_else(|| Error::internal(format!("no error kind {kind:?}")))?;
            Err(Error::new(kind, format!("a {kind} error for the tests"))
                .with_status(499)
                .with_details(vec![dollr_core::ValidationDetail::body(
                    "items.0.amount",
                    "too many decimals",
                    "value_error",
                )])
                .with_retry_after(Some(std::time::Duration::from_millis(1500)))
                .with_reference_id("6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f")
                .with_request_id(Some("req-123".to_string())))
        })
    })
}

/// The Promise of a test export's call, answered the way every waiting call is ([`promise_of`]).
fn answer_for_tests<'env, F>(env: &'env Env, call: F) -> napi::Result<Unknown<'env>>
where
    F: Future<Output = dollr_core::Result<String>> + Send + 'static,
{
    let runtime = within_runtime_if_available(napi::tokio::runtime::Handle::current);
    promise_of(env, &runtime, call, None)
}

/// Yields once so the async panic happens on the runtime, after the Promise was returned.
async fn tokio_yield() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}
