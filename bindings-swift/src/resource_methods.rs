//! What the resource objects offer beyond the API's operations (those are generated into
//! `resources.rs` from the core's declarations): the executions' policy for ambiguous outcomes and
//! the status wait, which returns a cancellable handle.

use std::sync::Arc;

use dollr_core::{ExecutePolicy, OperationType};

use crate::error::DollrError;
use crate::resources::{Executions, Status};
use crate::wait::{TransitionListener, WaitHandle, WaitOptions};

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
