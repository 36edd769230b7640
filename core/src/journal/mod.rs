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
//! * Updates are keyed by reference id and only move an intent **forward**: a settled
//!   (`Completed`/`Failed`) entry never changes state again, and an observed status never goes
//!   back (`PROCESSING` is not followed by an older `PENDING`), so late or concurrent writers
//!   cannot undo an outcome.
//! * **Leases** (see [`Lease`], [`LeaseRequest`]): while an instance executes an intent it holds
//!   the intent's lease (owner id + expiry, renewed while the call is in flight). A POST is only
//!   sent after [`Journal::record_attempt`] granted the lease, atomically with counting the
//!   attempt; an expired lease can be taken over by another instance, and a holder whose lease was
//!   taken over (its generation changed) is refused, so a stalled instance never POSTs again.
//! * [`Journal::claim_unresolved`] hands each unresolved intent to one reconciler at a time.
//!
//! Every built-in journal applies the same pure functions ([`apply_outcome`], [`apply_attempt`],
//! [`apply_claim`], [`apply_release`]) to a row read inside its own transaction, so they behave
//! identically. Implementations here: [`MemoryJournal`] (per process), [`SqliteJournal`] (a file;
//! WAL mode; safe across processes using the same file; native builds only), with the `postgres`
//! feature `PostgresJournal` (a database shared by many app instances and machines), and
//! [`StoreJournal`] (a host's key-value store: WebAssembly hosts' journal, decision 0018).

mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod store;
// rusqlite has no wasm32-unknown-unknown support: a WebAssembly build journals in memory or in
// a host-provided journal (bindings-wasm).
#[cfg(not(target_arch = "wasm32"))]
mod sqlite;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::enums::{ExecutionStatus, OperationType};
use crate::error::Result;
use crate::models::Execution;
use crate::time::Timestamp;

pub use memory::MemoryJournal;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresJournal, POSTGRES_SCHEMA_SQL, POSTGRES_SCHEMA_VERSION};
#[cfg(not(target_arch = "wasm32"))]
pub use sqlite::{SqliteJournal, SQLITE_SCHEMA_VERSION};
pub use store::{JournalStore, StoreJournal};

/// How long an intent's lease lasts unless renewed (default; a `postgresql://` journal URL can
/// set `lease_ms`). Renewed every third of it while a call or wait is in flight.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// Where an intent stands, from the SDK's point of view.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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
// serde: the stored form of a `StoreJournal` (one JSON document per intent).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Intent {
    /// The execution's idempotency key (UUID v4).
    pub reference_id: String,
    /// Which execution endpoint.
    pub operation: OperationType,
    /// [`request_hash`] of the request: a reference id is bound to exactly one request.
    pub request_hash: String,
    /// The request as sent, with secrets removed (no passcode code). Shared, not copied, by the
    /// copies of an intent a journal hands out (the memory journal hands out two per execution).
    pub request: Arc<Value>,
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
    /// Who is working on it now, if anyone (an expired lease is free to take).
    pub lease: Option<Lease>,
    /// How many times the lease changed hands (a fencing token: a holder that finds another
    /// generation has lost it).
    pub lease_generation: u64,
}

/// An intent's lease: the instance working on it, until when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lease {
    /// The holder's id (one per [`crate::Client`]: process id and a random part).
    pub owner: String,
    /// When the lease ends unless renewed (the journal's clock: the database server's for
    /// PostgreSQL, so app machines' clocks do not matter).
    pub expires_at: Timestamp,
}

/// A request for an intent's lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRequest {
    /// Who asks.
    pub owner: String,
    /// For how long, from the journal's now.
    pub ttl: Duration,
    /// `Some(generation)` when the asker believes it holds the lease of that generation
    /// (renewal): granted only if nobody took it over since. `None`: take it if it is free,
    /// expired or already the asker's.
    pub generation: Option<u64>,
}

impl LeaseRequest {
    /// A request by `owner` for `ttl`, not holding the lease yet.
    pub fn new(owner: impl Into<String>, ttl: Duration) -> LeaseRequest {
        LeaseRequest {
            owner: owner.into(),
            ttl,
            generation: None,
        }
    }

    /// The same request from the holder of `generation`.
    pub fn holding(&self, generation: Option<u64>) -> LeaseRequest {
        LeaseRequest {
            generation,
            ..self.clone()
        }
    }
}

/// The answer of a lease-taking journal call ([`Journal::record_attempt`], [`Journal::acquire`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// Granted (and, for `record_attempt`, the attempt counted): the intent as it is now.
    Granted(Intent),
    /// Another instance holds the lease, or took it over from the asker: nothing changed.
    Refused(Intent),
}

impl Claim {
    /// `Granted` or `Refused`, as the claim went.
    pub(crate) fn new(granted: bool, intent: Intent) -> Claim {
        if granted {
            Claim::Granted(intent)
        } else {
            Claim::Refused(intent)
        }
    }

    /// The intent, whichever way.
    pub fn intent(&self) -> &Intent {
        match self {
            Claim::Granted(intent) | Claim::Refused(intent) => intent,
        }
    }
}

/// What [`Journal::record_attempt`] answers once a journal applied the claim to its stored
/// intent (`Some((granted, intent as now))`), or the error when it has no such intent: every
/// caller writes the intent (`begin`) before any attempt, so a missing one is an SDK fault.
pub(crate) fn attempt_claim(reference_id: &str, changed: Option<(bool, Intent)>) -> Result<Claim> {
    match changed {
        Some((granted, intent)) => Ok(Claim::new(granted, intent)),
        None => Err(crate::error::Error::internal(format!(
            "the journal has no intent {reference_id} to record an attempt on"
        ))
        .with_reference_id(reference_id)),
    }
}

/// Where [`Journal::claim_unresolved`] continues from: the last claimed intent's
/// `(created_at, reference_id)` as the journal stored them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimCursor {
    /// The last claimed intent's creation time (as stored).
    pub created_at: Timestamp,
    /// The last claimed intent's reference id.
    pub reference_id: String,
}

impl ClaimCursor {
    /// The cursor after `intent`.
    pub fn after(intent: &Intent) -> ClaimCursor {
        ClaimCursor {
            created_at: intent.created_at,
            reference_id: intent.reference_id.clone(),
        }
    }

    /// Whether `intent` comes after this cursor in claim order.
    pub fn precedes(&self, intent: &Intent) -> bool {
        (intent.created_at, intent.reference_id.as_str())
            > (self.created_at, self.reference_id.as_str())
    }
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
    /// The journal entry this creates (`Pending`, no attempt yet), leased to `lease.owner`.
    pub fn into_intent(self, lease: &LeaseRequest, now: Timestamp) -> Intent {
        Intent {
            reference_id: self.reference_id,
            operation: self.operation,
            request_hash: self.request_hash,
            request: Arc::new(self.request),
            state: IntentState::Pending,
            attempts: 0,
            last_status: None,
            last_execution: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            lease: Some(Lease {
                owner: lease.owner.clone(),
                expires_at: lease_end(now, lease.ttl),
            }),
            lease_generation: 1,
        }
    }
}

/// `now + ttl`, saturating.
pub fn lease_end(now: Timestamp, ttl: Duration) -> Timestamp {
    chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .unwrap_or(now)
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
/// safe to call concurrently from many tasks (and, for shared storage, many processes). The
/// built-in journals implement each method as one transaction that reads the row, applies the
/// matching `apply_*` function of this module and writes it back.
#[async_trait]
pub trait Journal: Send + Sync + 'static {
    /// Inserts `intent` as `Pending`, leased to `lease.owner` for `lease.ttl`, if no intent has
    /// its reference id; otherwise returns the existing intent unchanged. Atomic: of many
    /// concurrent calls with one reference id, exactly one gets [`Begin::Created`].
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin>;

    /// Records that a POST is about to be sent, **only with the lease** ([`apply_claim`]): when
    /// granted, `attempts + 1` and the state back to `Pending` unless it is already `Processing`
    /// or settled ([`apply_attempt`]), returning the updated intent (a caller seeing a settled
    /// state must not send); when refused, nothing changes and the caller must not send. Fails
    /// if the reference id is unknown.
    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim>;

    /// Takes or renews the lease ([`apply_claim`]) without counting an attempt. `None` when no
    /// intent has this reference id.
    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>>;

    /// Gives the lease back if `owner` still holds it at `generation` ([`apply_release`]).
    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()>;

    /// Records an outcome ([`apply_outcome`]). Returns `false` when no intent has this reference
    /// id. State only moves forward: a settled intent never changes state again, and a status
    /// older than the one recorded is ignored.
    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool>;

    /// The intent with this reference id.
    async fn get(&self, reference_id: &str) -> Result<Option<Intent>>;

    /// Every intent that is `Pending`, `Processing` or `NotSubmitted` (see
    /// [`IntentState::is_unresolved`]), oldest first.
    async fn list_unresolved(&self) -> Result<Vec<Intent>>;

    /// Claims up to `limit` unresolved intents whose lease is free or expired, oldest first,
    /// after `after` (in `(created_at, reference_id)` order): each is leased to `lease.owner`
    /// ([`apply_claim`]) and returned. Atomic across instances: of several reconcilers claiming at
    /// once, each intent goes to one (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>>;
}

/// Whether `intent`'s lease is free for anyone at `now` (none, or expired).
pub fn lease_is_free(intent: &Intent, now: Timestamp) -> bool {
    !matches!(&intent.lease, Some(lease) if lease.expires_at > now)
}

/// Whether `claim_unresolved` may take `intent` at `now`: unresolved, its lease free, and past
/// the caller's cursor. The journals that filter in Rust (memory, host store) share it; SQLite and
/// PostgreSQL say the same in SQL.
pub(crate) fn claimable(intent: &Intent, now: Timestamp, after: Option<&ClaimCursor>) -> bool {
    intent.state.is_unresolved()
        && lease_is_free(intent, now)
        && after.map_or(true, |cursor| cursor.precedes(intent))
}

/// The order `list_unresolved` and `claim_unresolved` hand intents out in: oldest first, the
/// reference id breaking ties (the order of [`ClaimCursor`]).
pub(crate) fn oldest_first(a: &Intent, b: &Intent) -> std::cmp::Ordering {
    a.created_at
        .cmp(&b.created_at)
        .then_with(|| a.reference_id.cmp(&b.reference_id))
}

/// Applies a lease request to `intent`; returns whether it was granted.
///
/// * Renewal (`generation: Some(g)`): granted only if the asker is still the owner at generation
///   `g` — even when the lease expired meanwhile, as long as nobody took it over; a takeover (or a
///   release) changes the owner or the generation, and the old holder is refused for good.
/// * Otherwise: granted if the lease is free, expired or already the asker's; a change of owner
///   starts a new generation.
///
/// Granted → the lease is the asker's until `now + ttl`.
pub fn apply_claim(intent: &mut Intent, lease: &LeaseRequest, now: Timestamp) -> bool {
    let owned = intent
        .lease
        .as_ref()
        .is_some_and(|held| held.owner == lease.owner);
    match lease.generation {
        Some(generation) => {
            if !owned || intent.lease_generation != generation {
                return false;
            }
        }
        None => {
            if !owned {
                if !lease_is_free(intent, now) {
                    return false;
                }
                intent.lease_generation = intent.lease_generation.saturating_add(1);
            }
        }
    }
    intent.lease = Some(Lease {
        owner: lease.owner.clone(),
        expires_at: lease_end(now, lease.ttl),
    });
    true
}

/// Gives `intent`'s lease back if `owner` holds it at `generation`; returns whether it did.
pub fn apply_release(intent: &mut Intent, owner: &str, generation: u64) -> bool {
    let holds = intent.lease_generation == generation
        && intent
            .lease
            .as_ref()
            .is_some_and(|held| held.owner == owner);
    if holds {
        intent.lease = None;
    }
    holds
}

/// How far along the API's status machine a status is: a status is only recorded over one that
/// is not further along (an unknown status ranks with `PROCESSING`).
fn status_rank(status: &ExecutionStatus) -> u8 {
    match status {
        ExecutionStatus::Pending => 0,
        ExecutionStatus::Completed | ExecutionStatus::Failed => 2,
        _ => 1,
    }
}

/// Applies `outcome` to `intent` (shared by the built-in journals so they behave identically).
/// State only moves forward: a settled intent keeps its final word (the API's terminal statuses
/// never change, so a different one can only come from a confused writer), and an observation
/// older than the recorded status (`PENDING` after `PROCESSING`) is ignored.
pub fn apply_outcome(intent: &mut Intent, outcome: IntentOutcome, now: Timestamp) {
    match outcome {
        IntentOutcome::Observed(execution) => {
            let next = IntentState::from_status(&execution.status);
            if intent.state.is_settled() {
                // A stale answer (e.g. a slow poller or a second reconciler) must not undo or
                // replace a final outcome.
                if next != intent.state {
                    tracing::warn!(reference_id = %intent.reference_id, recorded = %intent.state, observed = %execution.status, "ignoring a status that contradicts the journaled final outcome");
                }
                return;
            }
            if intent
                .last_status
                .as_ref()
                .is_some_and(|last| status_rank(&execution.status) < status_rank(last))
            {
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

/// [`Journal::record_attempt`] on `intent`: the lease claim and, when it is granted, the attempt.
/// Whether it was granted. Every journal's `record_attempt` is this inside its own transaction.
pub fn apply_claimed_attempt(intent: &mut Intent, lease: &LeaseRequest, now: Timestamp) -> bool {
    let granted = apply_claim(intent, lease, now);
    if granted {
        apply_attempt(intent, now);
    }
    granted
}

/// Applies a granted [`Journal::record_attempt`] to `intent`.
pub fn apply_attempt(intent: &mut Intent, now: Timestamp) {
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
    let bytes = canonical_bytes(value);
    // serde_json writes UTF-8 only; the lossy branch is never taken.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// Strings and scalars are written by serde_json itself (its escapes, and number texts kept as
/// received under `arbitrary_precision`), straight into `out`: no text per key or value.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The hash a reference id is bound to: hex SHA-256 of `"<OPERATION>\n"` followed by the
/// canonical JSON of the request's hashed fields (secrets and credentials excluded; see
/// [`crate::execute::ExecutionRequest::hashed_fields`]).
pub fn request_hash(operation: &OperationType, hashed_fields: &Value) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    hasher.update(operation.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_bytes(hashed_fields));
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Where execution intents are recorded before money moves.
#[derive(Clone, Default)]
pub enum JournalConfig {
    /// In memory: exactly-once within this process only.
    #[default]
    Memory,
    /// A SQLite file: survives crashes and restarts (the durable choice for anything that moves
    /// money on one machine).
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by many app instances (a `postgresql://` URL; see
    /// [`JournalConfig::parse`] for its options). Needs the `postgres` cargo feature to open.
    Postgres(PostgresUrl),
    /// Your own implementation.
    Custom(Arc<dyn Journal>),
}

/// A `postgresql://` journal URL. Its password never appears in `Debug` or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// The URL as given (with its password: only for connecting).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    // Only fails for URLs that cannot have a password, which this one has.
                    let _ = url.set_password(Some("***"));
                }
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k.eq_ignore_ascii_case("password") {
                            "***".to_string()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                if !pairs.is_empty() {
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
            Err(_) => "postgresql://(unparsable)".to_string(),
        }
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for JournalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalConfig::Memory => f.write_str("Memory"),
            JournalConfig::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            JournalConfig::Postgres(url) => f.debug_tuple("Postgres").field(url).finish(),
            JournalConfig::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl JournalConfig {
    /// The journal a string names — the one place a journal string (a binding's `journal`
    /// option, `ClientBuilder::journal_url`, `DOLLR_JOURNAL`) is read:
    ///
    /// * `postgresql://…` or `postgres://…` → [`JournalConfig::Postgres`]. Besides the usual
    ///   libpq URL parameters it takes `schema` (default `public`), `table_prefix` (default
    ///   `dollr_`), `lease_ms` (default 30000) and `pool_size` (default 8).
    /// * `memory` or `:memory:` → [`JournalConfig::Memory`].
    /// * anything else → a SQLite file at that path.
    ///
    /// An empty string, or a PostgreSQL URL in a build without the `postgres` feature, is a
    /// `Validation` error naming `journal`.
    pub fn parse(text: &str) -> Result<JournalConfig> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(crate::error::Error::invalid_field(
                "journal",
                "the journal is empty: give a SQLite file path or a postgresql:// URL",
            ));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgresql://") || lower.starts_with("postgres://") {
            let url = PostgresUrl(trimmed.to_string());
            #[cfg(feature = "postgres")]
            postgres::PostgresOptions::parse(&url)?;
            #[cfg(not(feature = "postgres"))]
            return Err(no_postgres_support(&url));
            #[cfg(feature = "postgres")]
            return Ok(JournalConfig::Postgres(url));
        }
        if lower == "memory" || lower == ":memory:" {
            return Ok(JournalConfig::Memory);
        }
        Ok(JournalConfig::Sqlite(PathBuf::from(text)))
    }

    /// How long this journal's leases last unless renewed.
    pub fn lease_ttl(&self) -> Duration {
        match self {
            #[cfg(feature = "postgres")]
            JournalConfig::Postgres(url) => postgres::PostgresOptions::parse(url)
                .map(|options| options.lease_ttl)
                .unwrap_or(DEFAULT_LEASE_TTL),
            _ => DEFAULT_LEASE_TTL,
        }
    }
}

/// The error for a PostgreSQL journal in a build without the `postgres` feature.
#[cfg(not(feature = "postgres"))]
fn no_postgres_support(url: &PostgresUrl) -> crate::error::Error {
    crate::error::Error::invalid_field(
        "journal",
        format!(
            "{} is a PostgreSQL journal, but this build of dollr has no PostgreSQL support (cargo feature `postgres`)",
            url.redacted()
        ),
    )
}

/// Opens the journal the configuration names.
pub fn open(config: &JournalConfig) -> Result<Arc<dyn Journal>> {
    match config {
        JournalConfig::Memory => Ok(Arc::new(MemoryJournal::new())),
        #[cfg(not(target_arch = "wasm32"))]
        JournalConfig::Sqlite(path) => Ok(Arc::new(SqliteJournal::open(path)?)),
        #[cfg(target_arch = "wasm32")]
        JournalConfig::Sqlite(path) => Err(crate::error::Error::invalid_field(
            "journal",
            format!(
                "{} is a SQLite journal, but the WebAssembly build of dollr has no SQLite: use \"memory\" or a journal provided by the host",
                path.display()
            ),
        )),
        #[cfg(feature = "postgres")]
        JournalConfig::Postgres(url) => Ok(Arc::new(PostgresJournal::open(url)?)),
        #[cfg(not(feature = "postgres"))]
        JournalConfig::Postgres(url) => Err(no_postgres_support(url)),
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

    /// The exact bytes, escapes and number texts included: hashes already stored depend on them.
    #[test]
    fn canonical_json_bytes_are_stable() {
        let value: Value = serde_json::from_str(
            r#"{"b\"\u00e9": "x\u0001\n\t/", "a": [1.50, -0, 1e3, true, null, "\ud83d\ude00"], "": {}}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"":{},"a":[1.50,-0,1e+3,true,null,"😀"],"b\"é":"x\u0001\n\t/"}"#
        );
    }
}
