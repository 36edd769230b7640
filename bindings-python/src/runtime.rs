//! Where the core's calls run, and the two ways Python waits on them.
//!
//! **Blocking clients** (`dollr.Client`) each own a current-thread tokio runtime, and the Python
//! thread that makes a call drives it (`Runtime::block_on`, GIL released): the request is written,
//! the answer read and decoded on that very thread, with no hand-off to a runtime thread and back.
//! On small VMs each such hand-off is a vCPU wake-up costing tens of microseconds — more than the
//! work of a call on loopback. Several Python threads may call one client at once: tokio lets the
//! first drive the runtime's I/O while the others' calls make progress through it. The client's
//! connections live on that runtime, so a blocking client is only ever driven this way.
//!
//! **Asyncio clients** (`dollr.AsyncClient`) share the module's multi-thread runtime: a call is
//! polled once on the event loop's thread (a refused argument or a closed client answers there,
//! see `dollr_core::bridge::poll_once`) and only a call that waits is spawned; the coroutine
//! awaits its handle, so no thread is parked per call.
//!
//! Both paths catch panics, so a panic anywhere in the core becomes an `InternalError` instead of
//! tearing the process down.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dollr_core::bridge::{panic_text, poll_once, BoxedCall, FirstPoll};
use dollr_core::{Error, ErrorKind};
use futures::FutureExt;
use pyo3::prelude::*;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// How often a blocked sync call returns to Python to let it deliver Ctrl-C.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The module's multi-thread runtime, built on first use. A failure to build it is kept (not
/// retried) so every call reports the same clear error.
fn shared_runtime() -> Result<&'static Runtime, Error> {
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

/// The runtime a client's calls run on.
#[derive(Clone)]
pub(crate) enum CallRuntime {
    /// A blocking client's own current-thread runtime, driven by the Python threads waiting on
    /// its calls.
    Own(Arc<Runtime>),
    /// The module's multi-thread runtime (asyncio clients, and calls outside any client).
    Shared(&'static Runtime),
}

impl CallRuntime {
    /// A new current-thread runtime for one blocking client.
    pub(crate) fn own() -> Result<CallRuntime, Error> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|runtime| CallRuntime::Own(Arc::new(runtime)))
            .map_err(|e| Error::internal(format!("could not start the dollr runtime: {e}")))
    }

    /// The module's shared runtime.
    pub(crate) fn shared() -> Result<CallRuntime, Error> {
        shared_runtime().map(CallRuntime::Shared)
    }

    fn get(&self) -> &Runtime {
        match self {
            CallRuntime::Own(runtime) => runtime,
            CallRuntime::Shared(runtime) => runtime,
        }
    }

    /// Runs `future` to completion on this thread. A thread already inside a tokio runtime (Python
    /// code called from some other extension's runtime) cannot block on another one, so there the
    /// wait happens on a scoped helper thread.
    fn block_on<T: Send>(&self, future: impl Future<Output = T> + Send) -> std::thread::Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(self.get().block_on(future));
        }
        std::thread::scope(|scope| scope.spawn(|| self.get().block_on(future)).join())
    }

    /// Lets an interrupted call finish on its own: an execution is never abandoned half-way.
    fn finish_in_background(&self, call: BoxedCall<CallOutcome>) {
        match self {
            CallRuntime::Shared(runtime) => {
                runtime.spawn(call);
            }
            CallRuntime::Own(runtime) => {
                // The call's connections live on this runtime: keep driving it, from a thread of
                // its own.
                let runtime = Arc::clone(runtime);
                let spawned = std::thread::Builder::new()
                    .name("dollr-interrupted-call".to_string())
                    .spawn(move || runtime.block_on(call));
                if let Err(error) = spawned {
                    tracing::warn!(%error, "could not finish an interrupted dollr call");
                }
            }
        }
    }
}

/// A caught panic as the SDK's `Internal` error.
pub(crate) fn panic_error(payload: &(dyn Any + Send)) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!(
            "dollr hit an internal fault (a Rust panic): {}",
            panic_text(payload).unwrap_or("a panic with a non-text payload")
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

/// A call's result, or the panic that ended it.
type CallOutcome = std::thread::Result<Result<Value, Error>>;

fn settle(outcome: CallOutcome) -> Result<Value, Error> {
    outcome.unwrap_or_else(|payload| Err(panic_error(payload.as_ref())))
}

/// Sender half given to a call, so it can report events before its result.
pub(crate) type Reporter = mpsc::UnboundedSender<Value>;

/// What one stretch of waiting on a blocking call ended with.
enum Step {
    Done(CallOutcome),
    Event(Value),
    /// Time to let Python check for Ctrl-C.
    Tick,
}

/// Runs `make(reporter)` on `runtime`, driven by this thread with the GIL released (the
/// in-process sandbox and other Python threads keep running). Events the call reports are handed
/// to `on_event` on this thread, with the GIL held, before its result. Ctrl-C interrupts the wait;
/// the call itself carries on in the background.
pub(crate) fn block_on<F, Fut>(
    py: Python<'_>,
    runtime: &CallRuntime,
    make: F,
    mut on_event: impl FnMut(Python<'_>, Value),
) -> PyResult<Result<Value, Error>>
where
    F: FnOnce(Reporter) -> Fut,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let (reporter, mut events) = mpsc::unbounded_channel::<Value>();
    let mut call: BoxedCall<CallOutcome> =
        Box::pin(AssertUnwindSafe(make(reporter)).catch_unwind());
    loop {
        let step = py.detach(|| {
            runtime.block_on(async {
                tokio::select! {
                    biased;
                    outcome = call.as_mut() => Step::Done(outcome),
                    Some(event) = events.recv() => Step::Event(event),
                    () = tokio::time::sleep(SIGNAL_CHECK_INTERVAL) => Step::Tick,
                }
            })
        });
        match step {
            Ok(Step::Done(outcome)) => {
                // Events reported in the same stretch as the result come first.
                while let Ok(event) = events.try_recv() {
                    on_event(py, event);
                }
                return Ok(settle(outcome));
            }
            Ok(Step::Event(event)) => on_event(py, event),
            Ok(Step::Tick) => {
                if let Err(interrupt) = py.check_signals() {
                    runtime.finish_in_background(call);
                    return Err(interrupt);
                }
            }
            Err(payload) => return Ok(Err(panic_error(payload.as_ref()))),
        }
    }
}

/// Runs `future` for an asyncio caller: polled once right here (an immediate answer never leaves
/// this thread), otherwise spawned on the shared runtime and awaited through its handle, which
/// wakes the coroutine when the task completes.
pub(crate) async fn spawn<Fut>(future: Fut) -> Result<Value, Error>
where
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let runtime = shared_runtime()?;
    match poll_once(runtime.handle(), Box::pin(future)) {
        FirstPoll::Ready(outcome) => settle(outcome),
        FirstPoll::Pending(call) => {
            match runtime.spawn(AssertUnwindSafe(call).catch_unwind()).await {
                Ok(outcome) => settle(outcome),
                Err(join_error) => Err(Error::internal(format!(
                    "the dollr runtime dropped a call before it finished: {join_error}"
                ))),
            }
        }
    }
}
