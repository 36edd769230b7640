//! What the resource objects offer beyond the API's operations (those are generated into
//! `resources.rs` from the core's declarations): the executions' policy for ambiguous outcomes and
//! the status wait, which returns a cancellable handle (and blocks on the blocking client).

use std::sync::Arc;

use dollr_core::{ExecutePolicy, OperationType, Transition, WaitOutcome};

use crate::blocking::block_reporting;
use crate::error::DollrError;
use crate::resources::{BlockingStatus, Executions, Status};
use crate::wait::{deliver, TransitionListener, WaitHandle, WaitOptions};

#[uniffi::export]
impl Executions {
    /// The same handle with another policy for ambiguous outcomes.
    pub fn with_policy(&self, policy: ExecutePolicy) -> Arc<Executions> {
        Arc::new(Executions {
            inner: self.inner.clone().with_policy(policy),
        })
    }

    /// The policy in effect.
    pub fn policy(&self) -> ExecutePolicy {
        self.inner.policy().clone()
    }
}

#[uniffi::export]
impl Status {
    /// Starts following the execution `reference_id` until it is `COMPLETED` or `FAILED`, or the
    /// deadline passes, and returns at once: await `result()` on the handle, or `cancel()` it.
    /// Each observed change goes to `listener`.
    #[uniffi::method(default(listener = None, options))]
    pub fn wait(
        &self,
        operation_type: OperationType,
        reference_id: String,
        options: WaitOptions,
        listener: Option<Arc<dyn TransitionListener>>,
    ) -> Result<Arc<WaitHandle>, DollrError> {
        crate::runtime::guard(|| {
            WaitHandle::start(
                self.inner.clone(),
                operation_type,
                reference_id,
                options,
                listener,
            )
        })
    }
}

#[uniffi::export]
impl BlockingStatus {
    /// Follows the execution `reference_id` until it is `COMPLETED` or `FAILED` (`Finished`), or
    /// the deadline passes (`StillProcessing` with the last execution seen: resume later with the
    /// same reference id), and returns then. Each observed change goes to `listener`, on the
    /// calling thread; it may call the same client.
    #[uniffi::method(default(listener = None, options))]
    pub fn wait(
        &self,
        operation_type: OperationType,
        reference_id: String,
        options: WaitOptions,
        listener: Option<Arc<dyn TransitionListener>>,
    ) -> Result<WaitOutcome, DollrError> {
        let status = self.inner.clone();
        let listener = listener.map(|listener| move |change| deliver(listener.as_ref(), change));
        block_reporting(&self.runtime, listener, move |reporter| {
            let mut options = options.to_core();
            if let Some(reporter) = reporter {
                options = options.on_transition(move |change: &Transition| {
                    // The waiting thread reads every change before the outcome.
                    let _ = reporter.send(change.clone());
                });
            }
            async move { status.wait(operation_type, &reference_id, options).await }
        })
    }
}
