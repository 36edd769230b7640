//! The one way a thread Python did not start (a runtime worker, a thread finishing an interrupted
//! call) enters the interpreter, and the exit hook that closes that way before Python finalizes.
//!
//! CPython must not be entered by a foreign thread once it is finalizing: `PyGILState_Ensure` then
//! exits or hangs the thread, and a thread already inside may see objects freed under it (`Fatal
//! Python error: PyGILState_Release`, or SIGSEGV). A worker forwarding a log line, or an asyncio
//! call's event or outcome on a loop without an inbox (`crate::inbox`), can run at any moment, also
//! while the main thread returns from the script. So every such entry goes through [`attach`], and
//! an `atexit` hook ([`close`]) — which runs before finalization starts — shuts the gate and waits
//! for the threads already inside to leave. After it, workers never touch Python again: a result
//! nobody can await any more is dropped, and the Python objects a task still holds are released
//! through pyo3's deferred reference pool, which needs no interpreter.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// How long the exit hook waits for threads already inside (each is one short delivery: a
/// `call_soon_threadsafe`, a flow's event or a log record). Past it, exit goes on rather than hang
/// on a stuck log handler.
const EXIT_WAIT: Duration = Duration::from_secs(5);

struct Gate {
    /// Set by the exit hook; never cleared (the interpreter is going away).
    closed: bool,
    /// Foreign threads currently inside the interpreter through [`attach`].
    inside: usize,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    closed: false,
    inside: 0,
});
static LEFT: Condvar = Condvar::new();

fn gate() -> std::sync::MutexGuard<'static, Gate> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts a thread out of the interpreter, also when `f` unwinds.
struct Inside;

impl Drop for Inside {
    fn drop(&mut self) {
        let mut gate = gate();
        gate.inside -= 1;
        if gate.inside == 0 {
            LEFT.notify_all();
        }
    }
}

/// Runs `f` attached to the interpreter, unless it is exiting (then `None`, and `f` is dropped
/// unrun). For threads Python did not start; the lock is never held while attaching, so a thread
/// waiting here for the GIL cannot block one that holds it.
pub(crate) fn attach<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    {
        let mut gate = gate();
        if gate.closed {
            return None;
        }
        gate.inside += 1;
    }
    let _inside = Inside;
    Python::try_attach(f)
}

/// Whether the exit hook has run: from then on no worker hands anything to Python.
pub(crate) fn closed() -> bool {
    gate().closed
}

/// The `atexit` hook: no foreign thread enters the interpreter from now on. Waits (GIL released,
/// so they can finish) for the ones inside to leave.
#[pyfunction]
pub(crate) fn close(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        let mut gate = gate();
        gate.closed = true;
        while gate.inside > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            gate = LEFT
                .wait_timeout(gate, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    });
}

/// Registers [`close`] with `atexit` (at module import).
pub(crate) fn register_exit_hook(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(close, module)?;
    module
        .py()
        .import("atexit")?
        .call_method1("register", (hook,))?;
    Ok(())
}
