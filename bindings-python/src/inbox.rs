//! `LoopInbox`: how asyncio calls' outcomes and events reach their event loop without a worker
//! entering Python.
//!
//! A worker that finishes an asyncio call (or has a progress event of it) pushes its outcome (plain
//! Rust: an id and the core's result or event) onto the inbox of the caller's event loop and, if
//! the loop has not been woken since it last emptied the inbox, writes one byte to a socket the
//! loop watches (`loop.add_reader`). The loop thread then empties the inbox in order: it hands each
//! event to the call's callback, builds each result's Python object and settles its future. So the
//! worker never takes the GIL (it used to take it per call, build the result and call
//! `loop.call_soon_threadsafe`, competing with the loop for the GIL), outcomes that finish together
//! cost the loop one wake-up, and no worker touches Python for a call while the interpreter exits.
//!
//! Each loop gets its inbox from `dollr._support._loop_inbox`; a loop that cannot watch a socket
//! (Windows' proactor loop) gets none, and its calls' events and outcomes are handed back the older
//! way (`crate::runtime::start_for_asyncio`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use dollr_core::Error;
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};
use serde_json::Value;

/// Builds a finished call's Python result (run on the loop thread, GIL held).
pub(crate) type Answer = Arc<dyn Fn(Python<'_>, &Value) -> PyResult<Py<PyAny>> + Send + Sync>;

/// A call awaited on the loop: the future its outcome settles, how to build its result, and the
/// callback its progress events go to.
struct Waiting {
    future: Py<PyAny>,
    answer: Answer,
    on_event: Option<Py<PyAny>>,
}

/// What a worker hands the loop about a call.
enum Arrived {
    /// A progress event (delivered before anything that arrives after it).
    Event(Value),
    /// The call's outcome.
    Finished(Result<Value, Error>),
}

/// The half of an inbox the runtime's workers hold: what arrived, in order, and the wake-up socket.
pub(crate) struct Outcomes {
    arrived: Mutex<Vec<(u64, Arrived)>>,
    /// Set by the worker that writes the wake-up byte, cleared by the loop before it empties
    /// `arrived`: at most one byte is in flight however many calls finish meanwhile.
    woken: AtomicBool,
    wake: Wake,
}

impl Outcomes {
    /// Hands call `id`'s outcome to its loop (from any thread; never blocks on Python).
    pub(crate) fn push(&self, id: u64, outcome: Result<Value, Error>) {
        self.hand_over(id, Arrived::Finished(outcome));
    }

    /// Hands one of call `id`'s progress events to its loop, likewise.
    pub(crate) fn push_event(&self, id: u64, event: Value) {
        self.hand_over(id, Arrived::Event(event));
    }

    fn hand_over(&self, id: u64, arrived: Arrived) {
        self.arrived
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, arrived));
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.wake.signal();
        }
    }
}

/// One event loop's inbox (`dollr._native.LoopInbox`): created and watched by
/// `dollr._support._loop_inbox`, used only on that loop's thread.
///
/// Held by its loop alone (the reader callback), so a loop closed with calls in flight is freed
/// with its inbox; `dollr._support` only keeps a weak reference. The futures it holds refer to
/// the loop: the garbage collector sees them (`__traverse__`), so a loop dropped unclosed is
/// collected too.
#[pyclass(frozen, weakref, module = "dollr._native")]
pub(crate) struct LoopInbox {
    outcomes: Arc<Outcomes>,
    waiting: Mutex<HashMap<u64, Waiting>>,
    next_id: AtomicU64,
}

impl LoopInbox {
    /// Registers a call about to start; its events and outcome must be pushed under the returned
    /// id.
    pub(crate) fn expect(
        &self,
        future: Py<PyAny>,
        answer: Answer,
        on_event: Option<Py<PyAny>>,
    ) -> (u64, Arc<Outcomes>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id,
                Waiting {
                    future,
                    answer,
                    on_event,
                },
            );
        (id, self.outcomes.clone())
    }

    /// Forgets a call that was answered at once (its outcome will never be pushed).
    pub(crate) fn forget(&self, id: u64) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

#[pymethods]
impl LoopInbox {
    #[new]
    fn new() -> PyResult<Self> {
        Ok(LoopInbox {
            outcomes: Arc::new(Outcomes {
                arrived: Mutex::new(Vec::new()),
                woken: AtomicBool::new(false),
                wake: Wake::new()?,
            }),
            waiting: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        })
    }

    /// The socket the loop watches for readability.
    fn fileno(&self) -> i64 {
        self.outcomes.wake.fileno()
    }

    /// The loop's reader callback: delivers the events that arrived and settles the futures of
    /// every call that has finished, in the order they arrived.
    pub(crate) fn drain(&self, py: Python<'_>) -> PyResult<()> {
        self.outcomes.wake.clear();
        // Cleared before emptying `arrived`: anything pushed after this either is taken below or
        // writes a new wake-up byte.
        self.outcomes.woken.store(false, Ordering::SeqCst);
        let arrived = std::mem::take(
            &mut *self
                .outcomes
                .arrived
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let settle = crate::runtime::settle_future(py)?;
        for (id, arrived) in arrived {
            let outcome = match arrived {
                Arrived::Event(event) => {
                    // Not delivered with the map locked: the callback is the app's code.
                    let callback = self
                        .waiting
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&id)
                        .and_then(|waiting| waiting.on_event.as_ref())
                        .map(|callback| callback.clone_ref(py));
                    if let Some(callback) = callback {
                        crate::runtime::deliver(py, &callback, &event);
                    }
                    continue;
                }
                Arrived::Finished(outcome) => outcome,
            };
            let Some(Waiting { future, answer, .. }) = self
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id)
            else {
                continue;
            };
            let (result, error) = crate::runtime::settle_arguments(py, outcome, &*answer);
            if let Err(error) = settle.call1((future, result, error)) {
                // Only a broken future gets here; the other calls are still settled.
                error.write_unraisable(py, Some(settle));
            }
        }
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // The GIL is held whenever the map is locked, so it is never locked here; if it were,
        // skipping it only delays a collection.
        if let Ok(waiting) = self.waiting.try_lock() {
            for call in waiting.values() {
                visit.call(&call.future)?;
                visit.call(&call.on_event)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let waiting =
            std::mem::take(&mut *self.waiting.lock().unwrap_or_else(PoisonError::into_inner));
        drop(waiting);
    }

    fn __repr__(&self) -> String {
        let waiting = self
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        format!("LoopInbox(waiting={waiting})")
    }
}

/// The wake-up socket: a connected pair, both ends owned here (so a worker writing after the loop
/// is gone never meets a closed peer), non-blocking (a full buffer already means "woken").
#[cfg(unix)]
struct Wake {
    loop_end: std::os::unix::net::UnixStream,
    worker_end: std::os::unix::net::UnixStream,
}

#[cfg(unix)]
impl Wake {
    fn new() -> PyResult<Wake> {
        let (loop_end, worker_end) = std::os::unix::net::UnixStream::pair()?;
        loop_end.set_nonblocking(true)?;
        worker_end.set_nonblocking(true)?;
        Ok(Wake {
            loop_end,
            worker_end,
        })
    }

    fn fileno(&self) -> i64 {
        use std::os::fd::AsRawFd;
        i64::from(self.loop_end.as_raw_fd())
    }

    fn signal(&self) {
        use std::io::Write;
        // WouldBlock: the buffer is full of unread wake-ups, so the loop is woken anyway.
        let _ = (&self.worker_end).write(&[1]);
    }

    /// Reads every pending wake-up byte.
    fn clear(&self) {
        use std::io::Read;
        let mut bytes = [0_u8; 64];
        loop {
            match (&self.loop_end).read(&mut bytes) {
                Ok(read) if read == bytes.len() => continue,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                _ => return,
            }
        }
    }
}

/// No socket pair without Unix sockets: `LoopInbox()` raises `NotImplementedError`, and calls
/// use the `call_soon_threadsafe` hand-back.
#[cfg(not(unix))]
struct Wake;

#[cfg(not(unix))]
impl Wake {
    fn new() -> PyResult<Wake> {
        Err(pyo3::exceptions::PyNotImplementedError::new_err(
            "no loop inbox on this platform",
        ))
    }

    fn fileno(&self) -> i64 {
        -1
    }

    fn signal(&self) {}

    fn clear(&self) {}
}
