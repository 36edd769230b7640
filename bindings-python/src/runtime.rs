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
//! see `dollr_core::bridge::FirstWake`) and a call that waits continues on the runtime once what
//! it waits for first wakes it, so no thread is parked per call. The worker pushes the call's
//! progress events and outcome onto the event loop's inbox (`crate::inbox`), without entering
//! Python; the loop delivers the events, builds the result and settles the caller's asyncio
//! future. On a loop that cannot watch the inbox's socket the worker hands them back itself
//! instead; that and a log record are the only times a worker enters Python, always through
//! [`crate::interpreter::attach`], which is closed before the interpreter finalizes.
//!
//! Both paths catch panics, so a panic anywhere in the core becomes an `InternalError` instead of
//! tearing the process down.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dollr_core::bridge::{
    panic_text, BoxedCall, EventSink, EventedCall, FirstPoll, FirstWake, OwnRuntime, Stretch,
};
use dollr_core::{Error, ErrorKind};
use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::errors::{into_py, to_py_err};
use crate::inbox::{self, LoopInbox};
use crate::interpreter;
use crate::typed;

/// How often a blocked sync call returns to Python to let it deliver Ctrl-C.
pub(crate) const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The module's multi-thread runtime, built on first use, with ONE worker: it only writes requests
/// and reads answers, and a second worker only added wake-ups (the idle one woken to look for work
/// to steal: 4.1 voluntary context switches per asyncio status lookup with two, 2.4–2.7 with one;
/// #19). Log handlers, the only Python code that runs on it, are called through
/// `dollr_core::runtime::call_foreign`, so one that waits on a call never holds the only worker. A
/// failure to build the runtime is kept (not retried) so every call reports the same clear error.
fn shared_runtime() -> Result<&'static Runtime, Error> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
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
    /// its calls. Released wherever Python frees the client — the garbage collector may do that
    /// on a thread driving another client's call, which `OwnRuntime`'s drop allows for.
    Own(Arc<OwnRuntime>),
    /// The module's multi-thread runtime (asyncio clients, and calls outside any client).
    Shared(&'static Runtime),
}

impl CallRuntime {
    /// A new current-thread runtime for one blocking client.
    pub(crate) fn own() -> Result<CallRuntime, Error> {
        OwnRuntime::new()
            .map(|runtime| CallRuntime::Own(Arc::new(runtime)))
            .map_err(|e| Error::internal(format!("could not start the dollr runtime: {e}")))
    }

    /// The module's shared runtime.
    pub(crate) fn shared() -> Result<CallRuntime, Error> {
        shared_runtime().map(CallRuntime::Shared)
    }

    /// Runs `future` to completion on this thread. A thread already inside a tokio runtime (Python
    /// code called from some other extension's runtime) cannot block on another one, so there the
    /// wait happens on a scoped helper thread.
    pub(crate) fn block_on<T: Send>(
        &self,
        future: impl Future<Output = T> + Send,
    ) -> std::thread::Result<T> {
        match self {
            CallRuntime::Own(runtime) => runtime.block_on(future),
            CallRuntime::Shared(runtime) => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return Ok(runtime.block_on(future));
                }
                std::thread::scope(|scope| scope.spawn(|| runtime.block_on(future)).join())
            }
        }
    }

    /// Spawns `future` on this runtime (a blocking client's own runtime runs it while a thread
    /// drives the runtime).
    pub(crate) fn spawn(
        &self,
        future: impl Future<Output = ()> + Send + 'static,
    ) -> Result<tokio::task::JoinHandle<()>, Error> {
        match self {
            CallRuntime::Own(runtime) => runtime
                .spawn(future)
                .ok_or_else(|| Error::internal("the client's runtime is shut down")),
            CallRuntime::Shared(runtime) => Ok(runtime.spawn(future)),
        }
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
                    .spawn(move || {
                        // Nobody waits for the outcome any more; the journal has the intent.
                        let _ = runtime.block_on(call);
                    });
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

/// Runs `make(reporter)` on `runtime`, driven by this thread with the GIL released (other Python
/// threads keep running). Events the call reports are handed to `on_event` on this thread, with
/// the GIL held and outside the runtime, before its result (`EventedCall`): the callback may call
/// the same client, whose call then drives the runtime and this one, which runs as a task of it.
/// Ctrl-C interrupts the wait; the call itself carries on in the background.
///
/// A call that reports no events is polled right here, in line.
pub(crate) fn block_on<F, Fut>(
    py: Python<'_>,
    runtime: &CallRuntime,
    make: F,
    reports_events: bool,
    mut on_event: impl FnMut(Python<'_>, Value),
) -> PyResult<Result<Value, Error>>
where
    F: FnOnce(Reporter) -> Fut,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let mut call = EventedCall::new(make);
    if reports_events {
        call = call.as_task(|task| {
            // A runtime that is shut down drops the task: the call's outcome says so.
            let _ = runtime.spawn(task);
        });
    }
    loop {
        let step = py.detach(|| runtime.block_on(call.next(Some(SIGNAL_CHECK_INTERVAL))));
        match step {
            Ok(Stretch::Done(outcome)) => return Ok(settle(outcome)),
            Ok(Stretch::Event(event)) => on_event(py, event),
            Ok(Stretch::Tick) => {
                if let Err(interrupt) = py.check_signals() {
                    runtime.finish_in_background(call.into_call());
                    return Err(interrupt);
                }
            }
            Err(payload) => return Ok(Err(panic_error(payload.as_ref()))),
        }
    }
}

/// How an asyncio call started: answered on the spot, or running on the shared runtime.
enum Started {
    /// The first poll finished it (a refused argument, a closed client, a cached answer).
    Done(Result<Value, Error>),
    /// It waits on the network; `finish` gets its outcome on a runtime thread when it ends.
    Running,
}

/// Starts `future` for an asyncio caller: polled once right here (an immediate answer never leaves
/// this thread), otherwise spawned on the shared runtime, which hands its outcome to `finish` on
/// the worker that completes it. No thread waits meanwhile.
fn start<Fut>(future: Fut, finish: impl FnOnce(Result<Value, Error>) + Send + 'static) -> Started
where
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    let runtime = match shared_runtime() {
        Ok(runtime) => runtime,
        Err(error) => return Started::Done(Err(error)),
    };
    let first_wake = FirstWake::new(runtime.handle().clone());
    match first_wake.poll_once(Box::pin(future)) {
        FirstPoll::Ready(outcome) => Started::Done(settle(outcome)),
        FirstPoll::Pending(call) => {
            first_wake.park(Box::pin(async move {
                finish(settle(AssertUnwindSafe(call).catch_unwind().await));
            }));
            Started::Running
        }
    }
}

/// `dollr._support._settle_future(future, result, error)`: sets an asyncio future's result or
/// exception unless it was cancelled meanwhile.
pub(crate) fn settle_future(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    support_function(py, &SETTLE_FUTURE, "_settle_future")
}

static SETTLE_FUTURE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOOP_INBOX: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A function of `dollr._support`, looked up once.
fn support_function<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        py.import("dollr._support")?
            .getattr(name)
            .map(Bound::unbind)
    })
    .map(|function| function.bind(py))
}

/// The `result` and `error` arguments of `_settle_future` for a call's outcome, its value built
/// into the Python result by `answer` (a failure to build it is the error).
pub(crate) fn settle_arguments(
    py: Python<'_>,
    outcome: Result<Value, Error>,
    answer: &dyn Fn(Python<'_>, &Value) -> PyResult<Py<PyAny>>,
) -> (
    Option<Py<PyAny>>,
    Option<Py<pyo3::exceptions::PyBaseException>>,
) {
    match outcome
        .map_err(|error| to_py_err(py, &error))
        .and_then(|value| answer(py, &value))
    {
        Ok(result) => (Some(result), None),
        Err(error) => (None, Some(error.into_value(py))),
    }
}

/// Calls a Python progress callback with the event (its `FlowEvent` subclass, `crate::typed`),
/// reporting (not raising) its failures: a flow cannot be stopped half-way because a callback broke.
pub(crate) fn deliver(py: Python<'_>, callback: &Py<PyAny>, event: &Value) {
    let outcome = typed::event(py, event).and_then(|event| callback.call1(py, (event,)));
    if let Err(error) = outcome {
        error.write_unraisable(py, Some(callback.bind(py)));
    }
}

/// Runs the call `make` builds for an asyncio caller that created `future` (an `asyncio.Future` of
/// its running loop): returns the answer (the outcome as `answer` builds it) when the first poll
/// has it (a refusal raises here), else `future` itself, which the call's outcome later settles on
/// its event loop's thread (a result may be `None`, so only the future says "not yet"). With
/// `on_event`, `make` gets the sink of the call's progress events, each handed to `on_event` on the
/// loop's thread before the outcome.
///
/// The worker that completes the call pushes its events and outcome onto the loop's [`LoopInbox`],
/// which the loop empties when woken, building results there; the worker never enters Python. A
/// loop that cannot watch the inbox's socket (`dollr._support._loop_inbox` gives `None`: Windows'
/// proactor loop) is handed each event and outcome by the worker instead, through
/// [`interpreter::attach`] (the outcome with `loop.call_soon_threadsafe`); once the interpreter is
/// exiting, those are dropped.
pub(crate) fn start_for_asyncio<Make, Fut, Answer>(
    py: Python<'_>,
    future: Py<PyAny>,
    on_event: Option<Py<PyAny>>,
    make: Make,
    answer: Answer,
) -> PyResult<Py<PyAny>>
where
    Make: FnOnce(Option<EventSink>) -> Fut,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
    Answer: Fn(Python<'_>, &Value) -> PyResult<Py<PyAny>> + Send + Sync + 'static,
{
    if interpreter::closed() {
        // A call made while the interpreter exits (from an `atexit` handler, say): no worker may
        // hand anything back any more, so it is driven to its end right here, without its events.
        let call = make(None);
        let outcome = CallRuntime::shared().and_then(|runtime| {
            let outcome = py.detach(|| runtime.block_on(AssertUnwindSafe(call).catch_unwind()));
            settle(outcome.and_then(|outcome| outcome))
        });
        return answer(py, &into_py(py, outcome)?);
    }
    let event_loop = future.bind(py).call_method0("get_loop")?;
    let inbox = support_function(py, &LOOP_INBOX, "_loop_inbox")?.call1((&event_loop,))?;
    if let Ok(inbox) = inbox.cast::<LoopInbox>() {
        let with_events = on_event.is_some();
        let answer: inbox::Answer = Arc::new(answer);
        let (id, outcomes) = inbox
            .get()
            .expect(future.clone_ref(py), answer.clone(), on_event);
        let events: Option<EventSink> = with_events.then(|| {
            let outcomes = outcomes.clone();
            Arc::new(move |event: Value| outcomes.push_event(id, event)) as EventSink
        });
        return match start(make(events), move |outcome| outcomes.push(id, outcome)) {
            Started::Done(outcome) => {
                if with_events {
                    // Events the first poll reported are in the inbox: delivered before the answer.
                    inbox.get().drain(py)?;
                }
                inbox.get().forget(id);
                answer(py, &into_py(py, outcome)?)
            }
            Started::Running => Ok(future),
        };
    }
    let events: Option<EventSink> = on_event.map(|callback| {
        Arc::new(move |event: Value| {
            // Not delivered once the interpreter is exiting.
            let _ = interpreter::attach(|py| deliver(py, &callback, &event));
        }) as EventSink
    });
    let pending = future.clone_ref(py);
    let call_soon = event_loop.getattr("call_soon_threadsafe")?.unbind();
    let settle = settle_future(py)?.clone().unbind();
    let answer = Arc::new(answer);
    let answer_later = answer.clone();
    let started = start(make(events), move |outcome| {
        interpreter::attach(move |py| {
            let (result, error) = settle_arguments(py, outcome, &*answer_later);
            // Fails only when the loop is closed: then nobody awaits the future any more.
            let _ = call_soon.call1(py, (settle, future, result, error));
        });
    });
    match started {
        Started::Done(outcome) => answer(py, &into_py(py, outcome)?),
        Started::Running => Ok(pending),
    }
}
