//! The execution journal: every execution intent is recorded **before** its HTTP call and its
//! outcome after, so that a lost response, a crash or a restart never turns into a second payment.
//!
//! A journal entry ([`Intent`]) is keyed by the execution's `reference_id` and bound to a hash of
//! its request (see [`request_hash`]); the request itself is kept **without secrets** (a payout's
//! passcode code is never written).
//!
//! The [`Journal`] trait is deliberately small and storage-neutral, so that a server-grade
//! implementation (a database shared by many app instances) can be plugged in with
//! [`crate::JournalConfig::Custom`] without touching the callers:
//!
//! * [`Journal::begin`] is an atomic insert-or-get (SQL: `INSERT … ON CONFLICT DO NOTHING`, then
//!   read the row). Whoever gets [`Begin::Created`] made the entry; everyone else gets the
//!   existing one and compares hashes. Nothing relies on in-process locks: concurrent executions
//!   of the same reference id from different processes are made safe by the API's own
//!   idempotency (a second POST with the same id is refused as a duplicate and adopted via status).
//! * Updates are keyed by reference id and never move a settled (`Completed`/`Failed`) entry back
//!   to an unsettled state, so late or concurrent writers cannot undo an outcome.
//!
//! Implementations here: [`MemoryJournal`] (per process) and [`SqliteJournal`] (a file; WAL mode;
//! safe across processes using the same file).

mod memory;
mod sqlite;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::enums::{ExecutionStatus, OperationType};
use crate::error::Result;
use crate::models::Execution;
use crate::time::Timestamp;

pub use memory::MemoryJournal;
pub use sqlite::{SqliteJournal, SQLITE_SCHEMA_VERSION};

/// Where an intent stands, from the SDK's point of view.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntentState {
    /// Recorded; the POST is about to be sent or was sent and its outcome is unknown.
    Pending,
    /// The API has the execution and it is not final yet (API status `PENDING`, `PROCESSING` or
    /// a status this SDK does not know).
    Processing,
    /// The API reports `COMPLETED`: money moved.
    Completed,
    /// The API reports `FAILED`: nothing moved.
    Failed,
    /// The API refused the request (4xx: validation, passcode, session, rate limit): nothing moved.
    Rejected,
    /// `reconcile` found no execution with this reference id *yet*: nothing has moved so far, but
    /// a POST delayed in the network may still land, so this is not final. It stays unresolved:
    /// the next `reconcile` asks status again and adopts a late landing. It is only ever sent
    /// again under the same reference id (which the API deduplicates), never under a new one.
    NotSubmitted,
}

impl IntentState {
    /// Every state, in declaration order.
    pub const ALL: [IntentState; 6] = [
        IntentState::Pending,
        IntentState::Processing,
        IntentState::Completed,
        IntentState::Failed,
        IntentState::Rejected,
        IntentState::NotSubmitted,
    ];

    /// The stored name (`PENDING`, `PROCESSING`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            IntentState::Pending => "PENDING",
            IntentState::Processing => "PROCESSING",
            IntentState::Completed => "COMPLETED",
            IntentState::Failed => "FAILED",
            IntentState::Rejected => "REJECTED",
            IntentState::NotSubmitted => "NOT_SUBMITTED",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<IntentState> {
        IntentState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state an execution in `status` puts its intent in.
    pub fn from_status(status: &ExecutionStatus) -> IntentState {
        match status {
            ExecutionStatus::Completed => IntentState::Completed,
            ExecutionStatus::Failed => IntentState::Failed,
            _ => IntentState::Processing,
        }
    }

    /// Whether the API's final word is known (`Completed`, `Failed`): it never changes again.
    pub fn is_settled(&self) -> bool {
        matches!(self, IntentState::Completed | IntentState::Failed)
    }

    /// Whether `reconcile` must still look at it (`Pending`, `Processing`, `NotSubmitted`): the
    /// outcome is unknown or not final. A `NotSubmitted` intent was not found by status once, but
    /// a delayed POST can land after that answer. `Rejected` is resolved (the API refused it:
    /// nothing moved) but may be submitted again with the same reference id.
    pub fn is_unresolved(&self) -> bool {
        matches!(
            self,
            IntentState::Pending | IntentState::Processing | IntentState::NotSubmitted
        )
    }
}

impl fmt::Display for IntentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One execution intent as journaled.
#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    /// The execution's idempotency key (UUID v4).
    pub reference_id: String,
    /// Which execution endpoint.
    pub operation: OperationType,
    /// [`request_hash`] of the request: a reference id is bound to exactly one request.
    pub request_hash: String,
    /// The request as sent, with secrets removed (no passcode code).
    pub request: Value,
    /// Where it stands.
    pub state: IntentState,
    /// How many POSTs were started for it (across processes and restarts).
    pub attempts: u32,
    /// The last execution status the API reported.
    pub last_status: Option<ExecutionStatus>,
    /// The last execution the API returned (without its card `client_secret`).
    pub last_execution: Option<Execution>,
    /// The last error met (redacted text), if any.
    pub last_error: Option<String>,
    /// When the intent was recorded.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What [`Journal::begin`] records.
#[derive(Clone, Debug, PartialEq)]
pub struct NewIntent {
    /// The execution's idempotency key.
    pub reference_id: String,
    /// Which execution endpoint.
    pub operation: OperationType,
    /// [`request_hash`] of the request.
    pub request_hash: String,
    /// The request without secrets.
    pub request: Value,
}

impl NewIntent {
    /// The journal entry this creates (`Pending`, no attempt yet).
    pub fn into_intent(self, now: Timestamp) -> Intent {
        Intent {
            reference_id: self.reference_id,
            operation: self.operation,
            request_hash: self.request_hash,
            request: self.request,
            state: IntentState::Pending,
            attempts: 0,
            last_status: None,
            last_execution: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The answer of [`Journal::begin`].
#[derive(Clone, Debug, PartialEq)]
pub enum Begin {
    /// No intent had this reference id; this call created it.
    Created(Intent),
    /// An intent with this reference id already exists (untouched): compare its hash.
    Existing(Intent),
}

impl Begin {
    /// The intent, whichever way.
    pub fn intent(&self) -> &Intent {
        match self {
            Begin::Created(intent) | Begin::Existing(intent) => intent,
        }
    }
    /// Whether this call created it.
    pub fn created(&self) -> bool {
        matches!(self, Begin::Created(_))
    }
}

/// An outcome to record on an intent.
// Built and consumed once per journal write; boxing the execution would only burden callers.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum IntentOutcome {
    /// The API returned this execution (POST answer or status). Sets the state from its status,
    /// clears the last error.
    Observed(Execution),
    /// The API refused the request (4xx): nothing moved.
    Rejected {
        /// The (redacted) error text.
        error: String,
    },
    /// The attempt ended without a definite answer: the intent stays `Pending`.
    Ambiguous {
        /// The (redacted) error text.
        error: String,
    },
    /// The API has no execution with this reference id yet (found by `reconcile`); not final.
    NotSubmitted,
}

/// Records execution intents before money moves, and their outcomes after.
///
/// Every method is keyed by reference id and must be atomic on its own; implementations must be
/// safe to call concurrently from many tasks (and, for shared storage, many processes).
#[async_trait]
pub trait Journal: Send + Sync + 'static {
    /// Inserts `intent` as `Pending` if no intent has its reference id; otherwise returns the
    /// existing intent unchanged. Atomic: of many concurrent calls with one reference id, exactly
    /// one gets [`Begin::Created`].
    async fn begin(&self, intent: NewIntent) -> Result<Begin>;

    /// Records that a POST is about to be sent: `attempts + 1`, and the state back to `Pending`
    /// unless it is already `Processing` or settled. Returns the updated intent (a caller seeing a
    /// settled state must not send). Fails if the reference id is unknown.
    async fn record_attempt(&self, reference_id: &str) -> Result<Intent>;

    /// Records an outcome. Returns `false` when no intent has this reference id. A settled intent
    /// is never moved back to an unsettled state (a stale `Processing` arriving after `Completed` is
    /// ignored), but a different final status reported by the API is recorded.
    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool>;

    /// The intent with this reference id.
    async fn get(&self, reference_id: &str) -> Result<Option<Intent>>;

    /// Every intent that is `Pending`, `Processing` or `NotSubmitted` (see
    /// [`IntentState::is_unresolved`]), oldest first.
    async fn list_unresolved(&self) -> Result<Vec<Intent>>;
}

/// Applies `outcome` to `intent` (shared by the built-in journals so they behave identically).
pub(crate) fn apply_outcome(intent: &mut Intent, outcome: IntentOutcome, now: Timestamp) {
    match outcome {
        IntentOutcome::Observed(execution) => {
            let next = IntentState::from_status(&execution.status);
            if intent.state.is_settled() && !next.is_settled() {
                // A stale answer (e.g. a slow poller) must not undo a final outcome.
                return;
            }
            intent.state = next;
            intent.last_status = Some(execution.status.clone());
            intent.last_execution = Some(journal_safe_execution(execution));
            intent.last_error = None;
        }
        IntentOutcome::Rejected { error } => {
            if !intent.state.is_settled() && intent.state != IntentState::Processing {
                intent.state = IntentState::Rejected;
            }
            intent.last_error = Some(error);
        }
        IntentOutcome::Ambiguous { error } => {
            intent.last_error = Some(error);
        }
        IntentOutcome::NotSubmitted => {
            if intent.state == IntentState::Pending {
                intent.state = IntentState::NotSubmitted;
            }
        }
    }
    intent.updated_at = now;
}

/// Applies [`Journal::record_attempt`] to `intent`.
pub(crate) fn apply_attempt(intent: &mut Intent, now: Timestamp) {
    intent.attempts = intent.attempts.saturating_add(1);
    if !intent.state.is_settled() && intent.state != IntentState::Processing {
        intent.state = IntentState::Pending;
    }
    intent.updated_at = now;
}

/// An execution as it may be stored: the card `client_secret` (a Stripe secret) is dropped; it
/// is only useful to the live 3-D Secure step of the call that received it.
pub fn journal_safe_execution(mut execution: Execution) -> Execution {
    execution.client_secret = None;
    execution
}

/// The JSON text of `value` with object keys sorted at every depth and no whitespace: the same
/// request always gives the same bytes, whatever the field order of the serializer.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash a reference id is bound to: hex SHA-256 of `"<OPERATION>\n"` followed by the
/// canonical JSON of the request's hashed fields (secrets and credentials excluded; see
/// [`crate::execute::ExecutionRequest::hashed_fields`]).
pub fn request_hash(operation: &OperationType, hashed_fields: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(operation.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_json(hashed_fields).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where execution intents are recorded before money moves.
#[derive(Clone, Default)]
pub enum JournalConfig {
    /// In memory: exactly-once within this process only.
    #[default]
    Memory,
    /// A SQLite file: survives crashes and restarts (the durable choice for anything that moves money).
    Sqlite(PathBuf),
    /// Your own implementation (e.g. a database shared by many app instances).
    Custom(Arc<dyn Journal>),
}

impl std::fmt::Debug for JournalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalConfig::Memory => f.write_str("Memory"),
            JournalConfig::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            JournalConfig::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Opens the journal the configuration names.
pub fn open(config: &JournalConfig) -> Result<Arc<dyn Journal>> {
    match config {
        JournalConfig::Memory => Ok(Arc::new(MemoryJournal::new())),
        JournalConfig::Sqlite(path) => Ok(Arc::new(SqliteJournal::open(path)?)),
        JournalConfig::Custom(journal) => Ok(journal.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a: Value = serde_json::json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "s"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        let h1 = request_hash(&OperationType::Collection, &a);
        let h2 = request_hash(&OperationType::Refund, &a);
        assert_eq!(h1.len(), 64);
        assert_ne!(h1, h2);
    }
}
