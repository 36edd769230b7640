//! The binding's one tokio runtime, and the two guards every export goes through.
//!
//! uniffi polls an exported future from the foreign side (a Kotlin coroutine, a Swift task).
//! `async_runtime = "tokio"` on the export gives that poll a tokio context. The work is polled
//! once right there (`dollr_core::bridge::FirstWake`: a refused argument answers without a thread
//! hand-off) and, if it has to wait, continues on one multi-threaded runtime shared by every
//! client, so that all HTTP connections, timers and the journal live on the same reactor. Panics
//! are contained either way: they become [`DollrError::Internal`] instead of unwinding into uniffi.
//! When the foreign side drops the call (a cancelled coroutine), the work is aborted.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::task::Wake;

use dollr_core::bridge::{panic_text, FirstPoll, FirstWake};
use futures::future::{AbortHandle, Abortable};
use futures::FutureExt;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::error::DollrError;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The runtime every export runs on, with ONE worker: the SDK mostly waits on the network, and a
/// second worker only added wake-ups (measured: the runtime's threads made 4.1 voluntary context
/// switches per suspending status lookup with two, the idle one woken to look for work to steal,
/// and 1.7–2.3 with one; the whole process ~5 → 3.0–3.8, JVM threads included; #19). The app's
/// listeners, which may call the same client and wait, are called through
/// `dollr_core::runtime::call_foreign`, so they never hold the only worker; blocking work (the
/// SQLite journal) runs on tokio's blocking threads.
pub(crate) fn runtime() -> Result<&'static Runtime, DollrError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("dollr-ffi")
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the SDK's tokio runtime: {e}"))
        })
        .as_ref()
        .map_err(|message| DollrError::internal(message.clone()))
}

/// Aborts the work when the awaiting future is dropped (the foreign caller gave up), and wakes it
/// so that it ends now: a call still parked in its `FirstWake` would otherwise wait for what it
/// waits on (a long timer, say) before finding out.
struct AbortOnDrop {
    abort: AbortHandle,
    first_wake: Arc<FirstWake>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.abort.abort();
        Wake::wake_by_ref(&self.first_wake);
    }
}

/// Runs `work` on the SDK's runtime: a panic becomes `Internal`, dropping the returned future
/// aborts the work. Work that waits goes to the runtime when what it waits for first wakes it
/// (`FirstWake`): the worker that read the answer runs it to its end.
pub(crate) async fn run<T, F>(work: F) -> Result<T, DollrError>
where
    F: Future<Output = Result<T, DollrError>> + Send + 'static,
    T: Send + 'static,
{
    let runtime = runtime()?;
    let first_wake = FirstWake::new(runtime.handle().clone());
    let work = match first_wake.poll_once(Box::pin(work)) {
        FirstPoll::Ready(Ok(result)) => return result,
        FirstPoll::Ready(Err(panic)) => return Err(panicked(panic)),
        FirstPoll::Pending(work) => work,
    };
    let (outcome, answer) = oneshot::channel();
    let (abort, registration) = AbortHandle::new_pair();
    let _abort = AbortOnDrop {
        abort,
        first_wake: Arc::clone(&first_wake),
    };
    first_wake.park(Box::pin(async move {
        let finish = async move {
            let _ = outcome.send(AssertUnwindSafe(work).catch_unwind().await);
        };
        // Aborted: the caller is gone, and the work is dropped with nobody to answer.
        let _ = Abortable::new(finish, registration).await;
    }));
    match answer.await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(panicked(panic)),
        Err(_) => Err(DollrError::internal("the SDK's task was cancelled")),
    }
}

/// Runs a synchronous export: a panic becomes `Internal`.
pub(crate) fn guard<T>(work: impl FnOnce() -> Result<T, DollrError>) -> Result<T, DollrError> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(panicked(panic)))
}

fn panicked(panic: Box<dyn Any + Send>) -> DollrError {
    let text = panic_text(panic.as_ref()).unwrap_or("(no message)");
    DollrError::internal(format!(
        "a panic inside the SDK was caught: {text} (please report it)"
    ))
}
