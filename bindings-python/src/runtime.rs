//! The one tokio runtime of the module, and the two ways Python waits on it.
//!
//! Every core call runs as a task on this runtime: the sync client blocks its own thread (with the
//! GIL released) until the task reports back; the async client awaits the task's `JoinHandle` from
//! a pyo3 coroutine, so no thread is parked per call. Both wrap the task in `catch_unwind`, so a
//! panic anywhere in the core becomes an `InternalError` instead of tearing the process down.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::Duration;

use dollr_core::{Error, ErrorKind};
use futures::FutureExt;
use pyo3::prelude::*;
use serde_json::Value;
use tokio::runtime::Runtime;

/// How often a blocked sync call wakes up to let Python deliver Ctrl-C.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The module's runtime, built on first use. A failure to build it is kept (not retried) so every
/// call reports the same clear error.
fn runtime() -> Result<&'static Runtime, Error> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("dollr-worker")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::internal(format!("could not start the dollr runtime: {e}")))
}

/// The text of a panic payload (`panic!("...")` carries a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

/// A caught panic as the SDK's `Internal` error.
pub(crate) fn panic_error(payload: &(dyn Any + Send)) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!(
            "dollr hit an internal fault (a Rust panic): {}",
            panic_message(payload)
        ),
    )
}

/// Runs `f` (the body of an exported function), turning a panic into an `Internal` error.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(panic_error(payload.as_ref())),
    }
}

/// What a running call sends back to the blocked sync caller.
pub(crate) enum Message {
    /// A flow progress event, delivered on the caller's thread.
    Event(Value),
    /// The call finished.
    Done(Result<Value, Error>),
}

/// Sender half given to a call, so it can report events before its result.
pub(crate) type Reporter = mpsc::Sender<Message>;

/// Runs `make(reporter)` on the runtime and blocks this thread until it finishes, with the GIL
/// released (the in-process sandbox and other Python threads keep running). Events the call
/// reports are handed to `on_event` on this thread, with the GIL held. Ctrl-C interrupts the wait
/// (the call itself carries on in the background: an execution is never abandoned half-way).
pub(crate) fn block_on<F, Fut>(
    py: Python<'_>,
    make: F,
    mut on_event: impl FnMut(Python<'_>, Value),
) -> PyResult<Result<Value, Error>>
where
    F: FnOnce(Reporter) -> Fut,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => return Ok(Err(error)),
    };
    let (sender, receiver) = mpsc::channel::<Message>();
    let future = make(sender.clone());
    runtime.spawn(async move {
        let result = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(panic_error(payload.as_ref())),
        };
        // The caller may have stopped waiting (Ctrl-C); then nobody needs the answer.
        let _ = sender.send(Message::Done(result));
    });
    let mut receiver = receiver;
    loop {
        // The receiver is `Send` but not `Sync`: move it into the detached closure and back.
        let (message, returned) = py.detach(move || {
            let message = receiver.recv_timeout(SIGNAL_CHECK_INTERVAL);
            (message, receiver)
        });
        receiver = returned;
        match message {
            Ok(Message::Done(result)) => return Ok(result),
            Ok(Message::Event(event)) => on_event(py, event),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Ok(Err(Error::internal(
                    "the dollr runtime dropped a call before it finished",
                )))
            }
        }
    }
}

/// Runs `future` on the runtime and waits for it without holding a thread: the caller (a pyo3
/// coroutine polled by asyncio) awaits the task's handle, and is woken when it completes.
pub(crate) async fn spawn<Fut>(future: Fut) -> Result<Value, Error>
where
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let runtime = runtime()?;
    let task = runtime.spawn(AssertUnwindSafe(future).catch_unwind());
    match task.await {
        Ok(Ok(result)) => result,
        Ok(Err(payload)) => Err(panic_error(payload.as_ref())),
        Err(join_error) => Err(Error::internal(format!(
            "the dollr runtime dropped a call before it finished: {join_error}"
        ))),
    }
}
