//! The binding's one tokio runtime, and the two guards every export goes through.
//!
//! uniffi polls an exported future from the foreign side (a Kotlin coroutine, a Swift task).
//! `async_runtime = "tokio"` on the export gives that poll a tokio context. The work is polled
//! once right there (`dollr_core::bridge::poll_once`: a refused argument answers without a thread
//! hand-off) and, if it has to wait, spawned on one multi-threaded runtime shared by every client,
//! so that all HTTP connections, timers and the journal live on the same reactor. Panics are
//! contained either way: they become [`DollrError::Internal`] instead of unwinding into uniffi.
//! When the foreign side drops the call (a cancelled coroutine), the spawned task is aborted.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use dollr_core::bridge::{panic_text, poll_once, FirstPoll};
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

use crate::error::DollrError;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The runtime every export runs on (two workers: the SDK mostly waits on the network).
pub(crate) fn runtime() -> Result<&'static Runtime, DollrError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("dollr-ffi")
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the SDK's tokio runtime: {e}"))
        })
        .as_ref()
        .map_err(|message| DollrError::internal(message.clone()))
}

/// Aborts the task when the awaiting future is dropped (the foreign caller gave up).
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on the SDK's runtime: a panic becomes `Internal`, dropping the returned future
/// aborts the work.
pub(crate) async fn run<T, F>(work: F) -> Result<T, DollrError>
where
    F: Future<Output = Result<T, DollrError>> + Send + 'static,
    T: Send + 'static,
{
    let runtime = runtime()?;
    let work = match poll_once(runtime.handle(), Box::pin(work)) {
        FirstPoll::Ready(Ok(result)) => return result,
        FirstPoll::Ready(Err(panic)) => return Err(panicked(panic)),
        FirstPoll::Pending(work) => work,
    };
    let task = runtime.spawn(work);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(result) => result,
        Err(failure) if failure.is_panic() => Err(panicked(failure.into_panic())),
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
