//! `client.reconcile(..)` (on both clients): a flow whose Swift/Kotlin method is written by hand
//! (the core method says so with `#[uniffi_by_hand]`; every other flow's but `status.wait`'s is
//! generated into `resources.rs`, decision 0012). Its report carries the core `Error` (here
//! [`DollrError`]) and counts with `usize`, which uniffi does not carry, and its options' `policy`
//! has no default on the foreign side, so the options are taken as parameters.

use dollr_core::models::{Execution, Passcode};
use dollr_core::status::StatusAnomaly;
use dollr_core::{ExecutePolicy, OperationType, ReconcileOptions, ReconcileOutcome};

use crate::blocking::{block, DollrBlockingClient};
use crate::client::DollrClient;
use crate::error::DollrError;
use crate::runtime::run;

#[uniffi::export(async_runtime = "tokio")]
impl DollrClient {
    /// Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its
    /// current status. With `resubmit`, intents the API never saw are POSTed again with the same
    /// reference id (payouts only with `payout_passcode`, which the journal never stores).
    #[uniffi::method(default(resubmit = false, payout_passcode = None, policy = None))]
    pub async fn reconcile(
        &self,
        resubmit: bool,
        payout_passcode: Option<Passcode>,
        policy: Option<ExecutePolicy>,
    ) -> Result<ReconcileReport, DollrError> {
        let client = self.inner.clone();
        let options = reconcile_options(resubmit, payout_passcode, policy);
        run(async move {
            let report = client.reconcile(options).await?;
            Ok(ReconcileReport::from(report))
        })
        .await
    }
}

#[uniffi::export]
impl DollrBlockingClient {
    /// Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its
    /// current status, returning when all are done. With `resubmit`, intents the API never saw are
    /// POSTed again with the same reference id (payouts only with `payout_passcode`, which the
    /// journal never stores).
    #[uniffi::method(default(resubmit = false, payout_passcode = None, policy = None))]
    pub fn reconcile(
        &self,
        resubmit: bool,
        payout_passcode: Option<Passcode>,
        policy: Option<ExecutePolicy>,
    ) -> Result<ReconcileReport, DollrError> {
        let options = reconcile_options(resubmit, payout_passcode, policy);
        let report = block(&self.runtime, self.inner.reconcile(options))?;
        Ok(ReconcileReport::from(report))
    }
}

/// The core's options from the parameters both clients take (no `policy`: the core's default).
fn reconcile_options(
    resubmit: bool,
    payout_passcode: Option<Passcode>,
    policy: Option<ExecutePolicy>,
) -> ReconcileOptions {
    ReconcileOptions {
        resubmit,
        payout_passcode,
        policy: policy.unwrap_or_default(),
    }
}

/// One journal intent after reconciliation. Defined here because the core's entry carries the
/// core error (mapped to [`DollrError`]).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ReconcileEntry {
    /// The intent's reference id.
    pub reference_id: String,
    /// Which execution.
    pub operation: OperationType,
    /// Where it stands.
    pub outcome: ReconcileOutcome,
    /// The execution as the API returned it, when found.
    pub execution: Option<Execution>,
    /// An illegal change from the journaled status, or an unknown status.
    pub anomaly: Option<StatusAnomaly>,
    /// The error met, if any (it carries the reference id).
    pub error: Option<DollrError>,
    /// Why a `NotSubmitted` intent was not resubmitted, when resubmission was asked for.
    pub note: Option<String>,
}

/// The result of `reconcile`. Defined here because the core's report counts with `usize`, which
/// uniffi does not carry.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ReconcileReport {
    /// One entry per unresolved intent, oldest first.
    pub entries: Vec<ReconcileEntry>,
    /// Entries `Completed`.
    pub completed: u64,
    /// Entries `Failed`.
    pub failed: u64,
    /// Entries `StillProcessing`.
    pub still_processing: u64,
    /// Entries `NotSubmitted`.
    pub not_submitted: u64,
    /// Entries `Resubmitted`.
    pub resubmitted: u64,
    /// Entries `Unreachable`.
    pub unreachable: u64,
}

impl From<dollr_core::ReconcileReport> for ReconcileReport {
    fn from(report: dollr_core::ReconcileReport) -> ReconcileReport {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        ReconcileReport {
            completed: count(report.completed),
            failed: count(report.failed),
            still_processing: count(report.still_processing),
            not_submitted: count(report.not_submitted),
            resubmitted: count(report.resubmitted),
            unreachable: count(report.unreachable),
            entries: report
                .entries
                .into_iter()
                .map(|entry| ReconcileEntry {
                    reference_id: entry.reference_id,
                    operation: entry.operation,
                    outcome: entry.outcome,
                    execution: entry.execution,
                    anomaly: entry.anomaly,
                    error: entry.error.map(DollrError::from),
                    note: entry.note,
                })
                .collect(),
        }
    }
}
