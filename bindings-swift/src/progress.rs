//! Flow progress for Kotlin/Swift listeners.
//!
//! The core reports each step of a flow to a Rust closure (`FlowOptions::on_progress`) with a
//! [`dollr_core::FlowEvent`]. Neither crosses the FFI as is (a closure; an enum with `&'static str`
//! fields and boxed receipts), so a foreign [`FlowProgressListener`] is passed beside the request
//! and receives a [`FlowProgress`]: the event's stable name (the same names as the other
//! bindings' events), its one-line description, and the execution's reference id and status
//! where the event has them. Defined here because the core type cannot derive.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use dollr_core::flows::ProgressCallback;
use dollr_core::{ExecutionStatus, FlowEvent, Timestamp};

/// One step of a flow, as it happens.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FlowProgress {
    /// The event's stable name: `validated`, `provider_predicted`, `party_ready`,
    /// `counterparty_ready`, `source_created`, `item_added`, `source_published`, `fees_predicted`,
    /// `payment_account_ready`, `session_created`, `execution_starting`, `execution_submitted`,
    /// `status_changed`, `still_processing`, `source_status_changed`, `receipt_fetched`,
    /// `step_retried`.
    pub event: String,
    /// What happened, in one line (no secrets).
    pub message: String,
    /// Time since the flow started.
    pub elapsed: Duration,
    /// Wall-clock time of the event.
    pub at: Timestamp,
    /// The execution's idempotency key, once it is fixed.
    pub reference_id: Option<String>,
    /// The execution's status, for the events that observe one.
    pub status: Option<ExecutionStatus>,
}

/// Receives a flow's steps as they happen, on an SDK thread: keep it quick. An exception thrown
/// here is ignored (the flow goes on).
#[uniffi::export(foreign)]
pub trait FlowProgressListener: Send + Sync {
    /// One step.
    fn on_progress(&self, progress: FlowProgress);
}

impl From<&dollr_core::FlowProgress> for FlowProgress {
    fn from(progress: &dollr_core::FlowProgress) -> FlowProgress {
        let (reference_id, status) = match &progress.event {
            FlowEvent::ExecutionStarting { reference_id, .. } => (Some(reference_id.clone()), None),
            FlowEvent::ExecutionSubmitted {
                reference_id,
                execution,
                ..
            } => (Some(reference_id.clone()), Some(execution.status.clone())),
            FlowEvent::StatusChanged {
                reference_id,
                transition,
                ..
            } => (Some(reference_id.clone()), Some(transition.to.clone())),
            FlowEvent::StillProcessing {
                reference_id,
                status,
                ..
            } => (Some(reference_id.clone()), Some(status.clone())),
            _ => (None, None),
        };
        FlowProgress {
            event: progress.event.name().to_string(),
            message: progress.message.clone(),
            elapsed: progress.elapsed,
            at: progress.at,
            reference_id,
            status,
        }
    }
}

/// The core callback that forwards to `listener`; a listener that throws is ignored.
pub(crate) fn callback(listener: Arc<dyn FlowProgressListener>) -> ProgressCallback {
    Arc::new(move |progress: &dollr_core::FlowProgress| {
        let event = FlowProgress::from(progress);
        let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| listener.on_progress(event)));
        if delivered.is_err() {
            tracing::warn!("a flow progress listener threw; the flow goes on");
        }
    })
}
