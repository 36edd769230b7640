//! `client.reconcile(..)`: bring every unresolved journal intent (`Pending`, `Processing` or
//! `NotSubmitted`, e.g. left by a crash or an `AmbiguousExecution`) to its current status.
//!
//! Intents are **claimed** from the journal ([`crate::Journal::claim_unresolved`]: each is
//! leased to this client; PostgreSQL uses `FOR UPDATE SKIP LOCKED`), so several reconcilers —
//! other processes or machines sharing the journal — can run at once and each intent is handled
//! by one of them; intents whose lease another instance holds (a call in flight there) are left
//! to it. Up to [`RECONCILE_CONCURRENCY`] intents are worked on at once, oldest first.
//!
//! For each intent the status endpoint is asked with the intent's reference id:
//!
//! * found → the execution is recorded in the journal; reported `Completed`, `Failed` or
//!   `StillProcessing` (follow those with `client.status().wait(..)`);
//! * 404 → the API has no execution with this reference id **yet**: nothing has moved so far.
//!   The intent is marked `NotSubmitted` and reported so, but it stays unresolved, because a
//!   POST delayed in the network can still land after that answer: the next `reconcile` asks
//!   again and adopts a late landing. Never start the payment again under a new reference id —
//!   with a late landing that pays twice. To finish it, submit it again under the **same**
//!   reference id, which the API deduplicates: [`ReconcileOptions::resubmit`] POSTs the journaled
//!   request through the normal exactly-once path (status first, then the POST), and so does
//!   executing the same request again. Payouts can only be resubmitted when the options carry
//!   the passcode, because the journal never holds it;
//! * any other failure → reported `Unreachable` with the error; the intent stays unresolved for
//!   the next run.
//!
//! Only a failure to read the journal fails the whole call (`Internal`).

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;

use crate::client::Client;
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::{Error, ErrorKind, Result};
use crate::execute::{execute_leased, lookup, ExecutePolicy, Lookup};
use crate::journal::{ClaimCursor, Intent, IntentOutcome};
use crate::lease::{while_held, HeldLease};

/// How many intents one `reconcile` works on at once (each is a few status lookups, and a POST
/// when resubmitting).
pub const RECONCILE_CONCURRENCY: usize = 16;
use crate::models::{
    CollectionExecutionRequest, Execution, Passcode, PayoutExecutionRequest,
    RefundExecutionRequest, TransferExecutionRequest,
};
use crate::status::{StatusAnomaly, StatusMachine};

/// What [`Client::reconcile`] may do beyond looking (by default it only looks).
#[derive(Clone, Debug, Default)]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Deserialize, schemars::JsonSchema),
    serde(default)
)]
pub struct ReconcileOptions {
    /// POST intents the API has not seen (yet) again, with the same reference id (off by
    /// default: reconcile only looks). The API deduplicates the reference id, so a late landing
    /// of the first POST and the resubmission are one payment; a refusal (e.g. the session
    /// expired) moves nothing and resolves the intent as `Rejected`.
    pub resubmit: bool,
    /// The passcode to resubmit payouts with (the journal never stores it). Without it, payouts
    /// are reported `NotSubmitted` and left alone.
    pub payout_passcode: Option<Passcode>,
    /// The policy for resubmissions.
    #[cfg_attr(feature = "bridge", serde(rename = "execute_policy"))]
    pub policy: ExecutePolicy,
}

/// Where one intent stands after reconciliation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, schemars::JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum ReconcileOutcome {
    /// The API reports `COMPLETED`: money moved.
    Completed,
    /// The API reports `FAILED`: nothing moved.
    Failed,
    /// The API has it and it is not final yet: follow it with `client.status().wait(..)`.
    StillProcessing,
    /// The API has no execution with this reference id yet: nothing has moved so far, but a
    /// delayed POST may still land, so the intent stays open and the next reconcile asks again.
    /// Finish it only under the same reference id ([`ReconcileOptions::resubmit`]), never a new one.
    NotSubmitted,
    /// It was not found and was POSTed again with the same reference id ([`ReconcileOptions::resubmit`]);
    /// see the entry's execution for its status.
    Resubmitted,
    /// Its status could not be learned now (see the entry's error); it stays unresolved.
    Unreachable,
}

/// One intent in a [`ReconcileReport`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
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
    /// The error met, if any (always carries the reference id).
    pub error: Option<Error>,
    /// Why a `NotSubmitted` intent was not resubmitted, when resubmission was asked for.
    pub note: Option<String>,
}

/// The result of [`Client::reconcile`].
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct ReconcileReport {
    /// One entry per unresolved intent, oldest first.
    pub entries: Vec<ReconcileEntry>,
    /// Entries `Completed`.
    pub completed: usize,
    /// Entries `Failed`.
    pub failed: usize,
    /// Entries `StillProcessing`.
    pub still_processing: usize,
    /// Entries `NotSubmitted`.
    pub not_submitted: usize,
    /// Entries `Resubmitted`.
    pub resubmitted: usize,
    /// Entries `Unreachable`.
    pub unreachable: usize,
}

impl ReconcileReport {
    fn push(&mut self, entry: ReconcileEntry) {
        let counter = match entry.outcome {
            ReconcileOutcome::Completed => &mut self.completed,
            ReconcileOutcome::Failed => &mut self.failed,
            ReconcileOutcome::StillProcessing => &mut self.still_processing,
            ReconcileOutcome::NotSubmitted => &mut self.not_submitted,
            ReconcileOutcome::Resubmitted => &mut self.resubmitted,
            ReconcileOutcome::Unreachable => &mut self.unreachable,
        };
        *counter += 1;
        self.entries.push(entry);
    }

    /// The entry for `reference_id`.
    pub fn entry(&self, reference_id: &str) -> Option<&ReconcileEntry> {
        self.entries.iter().find(|e| e.reference_id == reference_id)
    }
}

fn outcome_of(status: &ExecutionStatus) -> ReconcileOutcome {
    match status {
        ExecutionStatus::Completed => ReconcileOutcome::Completed,
        ExecutionStatus::Failed => ReconcileOutcome::Failed,
        _ => ReconcileOutcome::StillProcessing,
    }
}

#[dollr_macros::flows]
impl Client {
    /// Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its
    /// current status; optionally resubmits those the API never saw, with the same reference id.
    #[uniffi_by_hand(
        "bindings-swift/src/reconcile.rs: the report carries the core `Error` (as `DollrError`) and \
         counts with `usize`, and the options' `policy` has no default on the foreign side"
    )]
    pub async fn reconcile(&self, #[options] options: ReconcileOptions) -> Result<ReconcileReport> {
        let journal = self.journal();
        let lease = &self.inner.lease;
        let claim_error = |e: Error| {
            Error::new(
                ErrorKind::Internal,
                format!(
                    "could not claim the journal's unresolved intents: {}",
                    e.message()
                ),
            )
        };
        let mut cursor: Option<ClaimCursor> = None;
        let mut exhausted = false;
        let mut failure = None;
        let mut in_flight = FuturesUnordered::new();
        let mut done = Vec::new();
        loop {
            // Keep up to RECONCILE_CONCURRENCY intents in flight, claiming only as many as can
            // start now (a claimed intent's lease is renewed only while it is worked on), in
            // batches of at least half of it (one claim per finished intent would be a query each).
            while !exhausted && in_flight.len() <= RECONCILE_CONCURRENCY / 2 {
                let want = RECONCILE_CONCURRENCY - in_flight.len();
                match journal.claim_unresolved(lease, cursor.as_ref(), want).await {
                    Ok(batch) => {
                        exhausted = batch.len() < want;
                        if let Some(last) = batch.last() {
                            cursor = Some(ClaimCursor::after(last));
                        }
                        for intent in batch {
                            in_flight.push(self.reconcile_claimed(intent, &options));
                        }
                    }
                    Err(error) => {
                        // Finish what was claimed, then report the failure.
                        failure = Some(claim_error(error));
                        exhausted = true;
                    }
                }
            }
            match in_flight.next().await {
                Some(done_one) => done.push(done_one),
                None => break,
            }
        }
        if let Some(error) = failure {
            if done.is_empty() {
                return Err(error);
            }
            tracing::warn!(error = %error, "reconcile stopped claiming intents early");
        }
        done.sort_by(|a: &(Intent, ReconcileEntry), b| {
            (a.0.created_at, &a.0.reference_id).cmp(&(b.0.created_at, &b.0.reference_id))
        });
        tracing::info!(count = done.len(), "reconciled unresolved executions");
        let mut report = ReconcileReport::default();
        for (_, entry) in done {
            report.push(entry);
        }
        Ok(report)
    }

    /// Reconciles one claimed intent, renewing its lease meanwhile and giving it back after.
    async fn reconcile_claimed(
        &self,
        intent: Intent,
        options: &ReconcileOptions,
    ) -> (Intent, ReconcileEntry) {
        let held = HeldLease::holding(intent.lease_generation);
        let entry = while_held(
            self,
            &intent.reference_id,
            &held,
            self.reconcile_one(&intent, options, &held),
        )
        .await;
        tracing::info!(reference_id = %entry.reference_id, outcome = ?entry.outcome, "reconciled execution");
        (intent, entry)
    }

    async fn reconcile_one(
        &self,
        intent: &Intent,
        options: &ReconcileOptions,
        held: &HeldLease,
    ) -> ReconcileEntry {
        let reference_id = intent.reference_id.clone();
        let mut entry = ReconcileEntry {
            reference_id: reference_id.clone(),
            operation: intent.operation.clone(),
            outcome: ReconcileOutcome::Unreachable,
            execution: None,
            anomaly: None,
            error: None,
            note: None,
        };
        match lookup(self, &intent.operation, &reference_id).await {
            Lookup::Found(execution) => {
                entry.anomaly = match &intent.last_status {
                    Some(from) => from.check_transition(&execution.status).err(),
                    None => execution.status.check_known().err(),
                };
                if let Err(error) = self
                    .journal()
                    .record_outcome(&reference_id, IntentOutcome::Observed(execution.clone()))
                    .await
                {
                    tracing::warn!(reference_id = %reference_id, error = %error, "the execution journal could not record a status");
                }
                entry.outcome = outcome_of(&execution.status);
                entry.execution = Some(execution);
            }
            Lookup::NotFound => {
                // Not final: `NotSubmitted` stays in `list_unresolved`, so a late landing is
                // adopted by the next run.
                if let Err(error) = self
                    .journal()
                    .record_outcome(&reference_id, IntentOutcome::NotSubmitted)
                    .await
                {
                    tracing::warn!(reference_id = %reference_id, error = %error, "the execution journal could not record NotSubmitted");
                }
                entry.outcome = ReconcileOutcome::NotSubmitted;
                if options.resubmit {
                    self.resubmit(intent, options, held, &mut entry).await;
                }
            }
            Lookup::Failed(error) => entry.error = Some(error),
        }
        entry
    }

    async fn resubmit(
        &self,
        intent: &Intent,
        options: &ReconcileOptions,
        held: &HeldLease,
        entry: &mut ReconcileEntry,
    ) {
        let outcome = match intent.operation {
            OperationType::Collection => match parse::<CollectionExecutionRequest>(&intent.request)
            {
                Ok(request) => execute_leased(self, &request, &options.policy, held).await,
                Err(note) => return entry.note = Some(note),
            },
            OperationType::Transfer => match parse::<TransferExecutionRequest>(&intent.request) {
                Ok(request) => execute_leased(self, &request, &options.policy, held).await,
                Err(note) => return entry.note = Some(note),
            },
            OperationType::Refund => match parse::<RefundExecutionRequest>(&intent.request) {
                Ok(request) => execute_leased(self, &request, &options.policy, held).await,
                Err(note) => return entry.note = Some(note),
            },
            OperationType::Payout => {
                let Some(passcode) = &options.payout_passcode else {
                    entry.note = Some(
                        "payout not resubmitted: the journal never stores the passcode; pass one in ReconcileOptions::payout_passcode"
                            .to_string(),
                    );
                    return;
                };
                let mut request = serde_json::Value::clone(&intent.request);
                match serde_json::to_value(passcode) {
                    Ok(passcode) => {
                        if let Some(map) = request.as_object_mut() {
                            map.insert("passcode".to_string(), passcode);
                        }
                    }
                    Err(_) => {
                        return entry.note = Some("the passcode could not be encoded".to_string())
                    }
                }
                match parse::<PayoutExecutionRequest>(&request) {
                    Ok(request) => execute_leased(self, &request, &options.policy, held).await,
                    Err(note) => return entry.note = Some(note),
                }
            }
            OperationType::Other(ref other) => {
                entry.note = Some(format!(
                    "operation {other} cannot be resubmitted by this SDK version"
                ));
                return;
            }
        };
        match outcome {
            Ok(execution) => {
                entry.outcome = ReconcileOutcome::Resubmitted;
                entry.execution = Some(execution);
            }
            Err(error) if error.kind() == ErrorKind::AmbiguousExecution => {
                entry.outcome = ReconcileOutcome::Unreachable;
                entry.error = Some(error);
            }
            // Refused (e.g. the session expired while the process was down): nothing moved.
            Err(error) => entry.error = Some(error),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(request: &Value) -> std::result::Result<T, String> {
    serde_json::from_value(request.clone())
        .map_err(|e| format!("the journaled request could not be rebuilt for resubmission: {e}"))
}
