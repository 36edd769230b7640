//! Following an execution with a wait that can be cancelled.
//!
//! uniffi cannot cancel a foreign `await` from Swift (a Kotlin coroutine's cancellation does drop
//! the Rust future, Swift's does not), so `client.status().wait(..)` returns a [`WaitHandle`] at
//! once: `result()` awaits the outcome, `cancel()` stops the polling. A cancelled wait ends like
//! one that reached its deadline: `WaitOutcome.StillProcessing` with the last execution seen, to
//! be resumed later with the same reference id. [`WaitOptions`] is the core's `WaitOptions`
//! without its Rust callback (transitions go to a foreign [`TransitionListener`]); defined here
//! because the core type cannot derive.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dollr_core::models::Execution;
use dollr_core::status::StatusAnomaly;
use dollr_core::{OperationType, Transition, WaitOutcome};
use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::task::AbortHandle;

use crate::error::DollrError;

/// How a wait polls. Every field defaults to the core's default: 5 minutes in total, polling
/// every 2 s and backing off by 1.5× up to 15 s, three 404s in a row tolerated.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct WaitOptions {
    /// How long to wait in total before the outcome is `StillProcessing`.
    #[uniffi(default = None)]
    pub timeout: Option<Duration>,
    /// The first interval between polls, and the interval after each change.
    #[uniffi(default = None)]
    pub initial_interval: Option<Duration>,
    /// The longest interval between polls.
    #[uniffi(default = None)]
    pub max_interval: Option<Duration>,
    /// The interval grows by this factor on each poll without a change.
    #[uniffi(default = None)]
    pub backoff_factor: Option<f64>,
    /// How many 404s in a row are tolerated before `NotFound`.
    #[uniffi(default = None)]
    pub max_not_found: Option<u32>,
    /// For a collection: its checkout session, so the wait also listens on Supabase Realtime
    /// (when the client has a Supabase URL and anon key).
    #[uniffi(default = None)]
    pub session_id: Option<i64>,
    /// What the session pays (default `INVOICE`).
    #[uniffi(default = None)]
    pub source_type: Option<dollr_core::SourceType>,
    /// How long the realtime channel may stay silent before polling resumes (default 30 s).
    #[uniffi(default = None)]
    pub realtime_timeout: Option<Duration>,
}

impl WaitOptions {
    pub(crate) fn to_core(&self) -> dollr_core::WaitOptions {
        let defaults = dollr_core::WaitOptions::default();
        dollr_core::WaitOptions {
            timeout: self.timeout.unwrap_or(defaults.timeout),
            initial_interval: self.initial_interval.unwrap_or(defaults.initial_interval),
            max_interval: self.max_interval.unwrap_or(defaults.max_interval),
            backoff_factor: self.backoff_factor.unwrap_or(defaults.backoff_factor),
            max_not_found: self.max_not_found.unwrap_or(defaults.max_not_found),
            realtime: self
                .session_id
                .map(|session_id| dollr_core::wait::RealtimeTarget {
                    session_id,
                    source_type: self
                        .source_type
                        .clone()
                        .unwrap_or(dollr_core::SourceType::Invoice),
                }),
            realtime_timeout: self.realtime_timeout.unwrap_or(defaults.realtime_timeout),
            ..defaults
        }
    }
}

/// Receives each observed status change of a wait, in order, on an SDK thread: keep it quick.
/// An exception thrown here is ignored (the wait goes on).
#[uniffi::export(foreign)]
pub trait TransitionListener: Send + Sync {
    /// One change (including the first status seen).
    fn on_transition(&self, transition: Transition);
}

/// Hands `change` to `listener`; one that throws is ignored (the wait goes on).
pub(crate) fn deliver(listener: &dyn TransitionListener, change: Transition) {
    let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| {
        dollr_core::runtime::call_foreign(|| listener.on_transition(change))
    }));
    if delivered.is_err() {
        tracing::warn!("a transition listener threw; the wait goes on");
    }
}

/// What the wait has seen so far, for the outcome of a cancelled wait.
#[derive(Default)]
struct Seen {
    last: Option<Execution>,
    anomalies: Vec<StatusAnomaly>,
}

type SharedOutcome = Shared<BoxFuture<'static, Result<WaitOutcome, DollrError>>>;

/// A running wait (see the module docs). Dropping the last reference to it cancels the wait.
#[derive(uniffi::Object)]
pub struct WaitHandle {
    reference_id: String,
    abort: AbortHandle,
    cancelled: AtomicBool,
    outcome: SharedOutcome,
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    // A poisoned lock only means a listener panicked mid-update of plain data: keep using it.
    seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WaitHandle {
    /// Starts `status.wait(..)` on the SDK's runtime.
    pub(crate) fn start(
        status: dollr_core::api::Status,
        operation: OperationType,
        reference_id: String,
        options: WaitOptions,
        listener: Option<Arc<dyn TransitionListener>>,
    ) -> Result<Arc<WaitHandle>, DollrError> {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let recorder = seen.clone();
        let core_options = options
            .to_core()
            .on_transition(move |transition: &Transition| {
                {
                    let mut seen = lock(&recorder);
                    seen.last = Some(transition.execution.clone());
                    if let Some(anomaly) = &transition.anomaly {
                        seen.anomalies.push(anomaly.clone());
                    }
                }
                if let Some(listener) = &listener {
                    deliver(listener.as_ref(), transition.clone());
                }
            });
        let id = reference_id.clone();
        let task = crate::runtime::runtime()?.spawn(async move {
            status
                .wait(operation, &id, core_options)
                .await
                .map_err(DollrError::from)
        });
        let abort = task.abort_handle();
        let id = reference_id.clone();
        let outcome = async move {
            match task.await {
                Ok(result) => result,
                Err(failure) if failure.is_cancelled() => {
                    let seen = lock(&seen);
                    Ok(WaitOutcome::StillProcessing {
                        reference_id: id,
                        last: seen.last.clone(),
                        anomalies: seen.anomalies.clone(),
                    })
                }
                Err(failure) => Err(DollrError::internal(format!(
                    "the wait's task failed: {failure}"
                ))),
            }
        }
        .boxed()
        .shared();
        Ok(Arc::new(WaitHandle {
            reference_id,
            abort,
            cancelled: AtomicBool::new(false),
            outcome,
        }))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl WaitHandle {
    /// The execution being followed.
    pub fn reference_id(&self) -> String {
        self.reference_id.clone()
    }

    /// Waits for the outcome: `Finished`, or `StillProcessing` at the deadline or after
    /// `cancel()`. May be awaited any number of times. Abandoning this call does not stop the wait
    /// (call `cancel()` for that).
    pub async fn result(&self) -> Result<WaitOutcome, DollrError> {
        let outcome = self.outcome.clone();
        crate::runtime::run(outcome).await
    }

    /// Stops polling now. `result()` then gives `StillProcessing` with the last execution seen
    /// (unless the wait had already finished). Safe to call more than once.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.abort.abort();
    }

    /// Whether `cancel()` was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Drop for WaitHandle {
    fn drop(&mut self) {
        self.abort.abort();
    }
}
