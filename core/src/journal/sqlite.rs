//! The SQLite journal: one file, one table, survives crashes and restarts, and is safe for several
//! processes using the same file (WAL mode, a busy timeout, and every read-modify-write inside a
//! `BEGIN IMMEDIATE` transaction, which takes the file's write lock).
//!
//! Schema (version 2, recorded in `PRAGMA user_version`; version 2 added the lease columns):
//!
//! ```sql
//! CREATE TABLE execution_intents (
//!     reference_id        TEXT PRIMARY KEY NOT NULL,  -- UUID v4, the idempotency key
//!     operation           TEXT NOT NULL,              -- COLLECTION | PAYOUT | TRANSFER | REFUND
//!     request_hash        TEXT NOT NULL,              -- hex sha256 of the canonical request
//!     request_json        TEXT NOT NULL,              -- the request, secrets removed
//!     state               TEXT NOT NULL,              -- PENDING | PROCESSING | COMPLETED | FAILED | REJECTED | NOT_SUBMITTED
//!     attempts            INTEGER NOT NULL DEFAULT 0, -- POSTs started
//!     last_status         TEXT,                       -- the API's last execution status
//!     last_execution_json TEXT,                       -- the API's last ExecutionResponse (no client_secret)
//!     last_error          TEXT,                       -- redacted
//!     created_at          TEXT NOT NULL,              -- RFC 3339 UTC, microseconds
//!     updated_at          TEXT NOT NULL,
//!     lease_owner         TEXT,                       -- who works on it now (v2)
//!     lease_expires_at    TEXT,                       -- until when (v2)
//!     lease_generation    INTEGER NOT NULL DEFAULT 0  -- fencing token (v2)
//! );
//! CREATE INDEX execution_intents_state ON execution_intents (state, created_at);
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{
    apply_claim, apply_claimed_attempt, apply_outcome, apply_release, attempt_claim,
    journal_safe_execution, Begin, Claim, ClaimCursor, Intent, IntentOutcome, IntentState, Journal,
    Lease, LeaseRequest, NewIntent,
};
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::{Error, Result};
use crate::models::Execution;
use crate::time::{parse_timestamp, Timestamp};

/// The schema version this SDK writes (`PRAGMA user_version`).
pub const SQLITE_SCHEMA_VERSION: i64 = 2;

/// How long a writer waits for another process holding the file's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const COLUMNS: &str =
    "reference_id, operation, request_hash, request_json, state, attempts, last_status, \
                       last_execution_json, last_error, created_at, updated_at, lease_owner, \
                       lease_expires_at, lease_generation";

/// A journal in a SQLite file. Cheap to clone (one shared connection inside).
#[derive(Clone)]
pub struct SqliteJournal {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJournal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn storage_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::internal(format!("execution journal {}: {error}", path.display()))
}

fn timestamp_text(ts: &Timestamp) -> String {
    // Fixed precision so that text order is time order (used by ORDER BY created_at).
    ts.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl SqliteJournal {
    /// Opens (creating if needed) the journal file at `path` and migrates its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteJournal> {
        let path = path.as_ref().to_path_buf();
        let mut connection = Connection::open(&path).map_err(|e| storage_error(&path, e))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| storage_error(&path, e))?;
        // WAL lets readers and one writer work at once across processes; synchronous=FULL makes
        // an intent durable before its POST is sent, even on power loss.
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| storage_error(&path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode = %mode, "the execution journal could not switch to WAL mode");
        }
        connection
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| storage_error(&path, e))?;
        migrate(&mut connection).map_err(|e| storage_error(&path, e))?;
        Ok(SqliteJournal {
            path,
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the connection off the async threads (SQLite blocks, and may wait for
    /// another process's lock).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> std::result::Result<T, JournalFault> + Send + 'static,
    ) -> Result<T> {
        let connection = self.connection.clone();
        let path = self.path.clone();
        let job = move || {
            let mut guard = match connection.lock() {
                Ok(guard) => guard,
                // SQLite rolls back an unfinished transaction itself; the connection is usable.
                Err(poisoned) => poisoned.into_inner(),
            };
            work(&mut guard)
        };
        let outcome = match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(job)
                .await
                .map_err(|e| storage_error(&path, format!("journal task failed: {e}")))?,
            Err(_) => job(),
        };
        outcome.map_err(|fault| match fault {
            JournalFault::Sqlite(e) => storage_error(&path, e),
            JournalFault::Other(error) => error,
        })
    }
}

/// Errors inside a journal job.
enum JournalFault {
    Sqlite(rusqlite::Error),
    Other(Error),
}

impl From<rusqlite::Error> for JournalFault {
    fn from(error: rusqlite::Error) -> Self {
        JournalFault::Sqlite(error)
    }
}

impl From<Error> for JournalFault {
    fn from(error: Error) -> Self {
        JournalFault::Other(error)
    }
}

fn migrate(connection: &mut Connection) -> rusqlite::Result<()> {
    // IMMEDIATE: two processes opening a new file at once must not both create the schema.
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SQLITE_SCHEMA_VERSION {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "schema version {version} was written by a newer dollr SDK (this one knows version {SQLITE_SCHEMA_VERSION}); upgrade the SDK"
        )));
    }
    if version < 1 {
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS execution_intents (
                 reference_id        TEXT PRIMARY KEY NOT NULL,
                 operation           TEXT NOT NULL,
                 request_hash        TEXT NOT NULL,
                 request_json        TEXT NOT NULL,
                 state               TEXT NOT NULL,
                 attempts            INTEGER NOT NULL DEFAULT 0,
                 last_status         TEXT,
                 last_execution_json TEXT,
                 last_error          TEXT,
                 created_at          TEXT NOT NULL,
                 updated_at          TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS execution_intents_state ON execution_intents (state, created_at);
             PRAGMA user_version = 1;",
        )?;
    }
    if version < 2 {
        tx.execute_batch(
            "ALTER TABLE execution_intents ADD COLUMN lease_owner TEXT;
             ALTER TABLE execution_intents ADD COLUMN lease_expires_at TEXT;
             ALTER TABLE execution_intents ADD COLUMN lease_generation INTEGER NOT NULL DEFAULT 0;
             PRAGMA user_version = 2;",
        )?;
    }
    tx.commit()
}

fn read_intent(row: &Row<'_>) -> rusqlite::Result<RawIntent> {
    Ok(RawIntent {
        reference_id: row.get(0)?,
        operation: row.get(1)?,
        request_hash: row.get(2)?,
        request_json: row.get(3)?,
        state: row.get(4)?,
        attempts: row.get(5)?,
        last_status: row.get(6)?,
        last_execution_json: row.get(7)?,
        last_error: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        lease_owner: row.get(11)?,
        lease_expires_at: row.get(12)?,
        lease_generation: row.get(13)?,
    })
}

/// A row as stored, before its text columns are parsed.
struct RawIntent {
    reference_id: String,
    operation: String,
    request_hash: String,
    request_json: String,
    state: String,
    attempts: i64,
    last_status: Option<String>,
    last_execution_json: Option<String>,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
    lease_owner: Option<String>,
    lease_expires_at: Option<String>,
    lease_generation: i64,
}

impl RawIntent {
    fn parse(self) -> std::result::Result<Intent, JournalFault> {
        let bad = |what: &str, value: &str| {
            JournalFault::Other(
                Error::internal(format!(
                    "execution journal row {}: unreadable {what} {value:?}",
                    self.reference_id
                ))
                .with_reference_id(self.reference_id.clone()),
            )
        };
        let state = IntentState::parse(&self.state).ok_or_else(|| bad("state", &self.state))?;
        let request = serde_json::from_str(&self.request_json).map_err(|_| bad("request", "…"))?;
        let last_execution = match &self.last_execution_json {
            Some(text) => {
                Some(serde_json::from_str::<Execution>(text).map_err(|_| bad("execution", "…"))?)
            }
            None => None,
        };
        let created_at =
            parse_timestamp(&self.created_at).ok_or_else(|| bad("created_at", &self.created_at))?;
        let updated_at =
            parse_timestamp(&self.updated_at).ok_or_else(|| bad("updated_at", &self.updated_at))?;
        let lease = match (&self.lease_owner, &self.lease_expires_at) {
            (Some(owner), Some(expires_at)) => Some(Lease {
                owner: owner.clone(),
                expires_at: parse_timestamp(expires_at)
                    .ok_or_else(|| bad("lease_expires_at", expires_at))?,
            }),
            _ => None,
        };
        Ok(Intent {
            operation: OperationType::parse(&self.operation),
            request_hash: self.request_hash,
            request,
            state,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_status: self.last_status.as_deref().map(ExecutionStatus::parse),
            last_execution,
            last_error: self.last_error,
            created_at,
            updated_at,
            lease,
            lease_generation: u64::try_from(self.lease_generation).unwrap_or(0),
            reference_id: self.reference_id,
        })
    }
}

fn select(
    connection: &Connection,
    reference_id: &str,
) -> std::result::Result<Option<Intent>, JournalFault> {
    let raw = connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM execution_intents WHERE reference_id = ?1"),
            params![reference_id],
            read_intent,
        )
        .optional()?;
    raw.map(RawIntent::parse).transpose()
}

fn execution_json(intent: &Intent) -> std::result::Result<Option<String>, JournalFault> {
    intent
        .last_execution
        .as_ref()
        .map(|execution| serde_json::to_string(&journal_safe_execution(execution.clone())))
        .transpose()
        .map_err(|e| {
            JournalFault::Other(Error::internal(format!(
                "could not encode the execution: {e}"
            )))
        })
}

/// Writes the mutable columns of `intent`.
fn update(connection: &Connection, intent: &Intent) -> std::result::Result<(), JournalFault> {
    connection.execute(
        "UPDATE execution_intents SET state = ?2, attempts = ?3, last_status = ?4, last_execution_json = ?5,
             last_error = ?6, updated_at = ?7, lease_owner = ?8, lease_expires_at = ?9, lease_generation = ?10
             WHERE reference_id = ?1",
        params![
            intent.reference_id,
            intent.state.as_str(),
            i64::from(intent.attempts),
            intent.last_status.as_ref().map(|s| s.as_str().to_string()),
            execution_json(intent)?,
            intent.last_error,
            timestamp_text(&intent.updated_at),
            intent.lease.as_ref().map(|lease| lease.owner.clone()),
            intent.lease.as_ref().map(|lease| timestamp_text(&lease.expires_at)),
            i64::try_from(intent.lease_generation).unwrap_or(i64::MAX),
        ],
    )?;
    Ok(())
}

impl SqliteJournal {
    /// Reads `reference_id` inside a write transaction (`BEGIN IMMEDIATE`: the file's write lock,
    /// so no other process changes the row between the read and the write), lets `change` modify
    /// it, writes it back and commits. `None` when there is no such intent.
    async fn modify<T: Send + 'static>(
        &self,
        reference_id: &str,
        change: impl FnOnce(&mut Intent) -> T + Send + 'static,
    ) -> Result<Option<(T, Intent)>> {
        let reference_id = reference_id.to_string();
        self.run(move |connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(mut intent) = select(&tx, &reference_id)? else {
                return Ok(None);
            };
            let answer = change(&mut intent);
            update(&tx, &intent)?;
            tx.commit()?;
            Ok(Some((answer, intent)))
        })
        .await
    }
}

#[async_trait]
impl Journal for SqliteJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        let lease = lease.clone();
        self.run(move |connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let created = intent.into_intent(&lease, Utc::now());
            let request_json = serde_json::to_string(&created.request)
                .map_err(|e| Error::internal(format!("could not encode the request: {e}")))?;
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO execution_intents ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7, ?7, ?8, ?9, ?10)
                     ON CONFLICT(reference_id) DO NOTHING"
                ),
                params![
                    created.reference_id,
                    created.operation.as_str(),
                    created.request_hash,
                    request_json,
                    created.state.as_str(),
                    i64::from(created.attempts),
                    timestamp_text(&created.created_at),
                    created.lease.as_ref().map(|lease| lease.owner.clone()),
                    created.lease.as_ref().map(|lease| timestamp_text(&lease.expires_at)),
                    i64::try_from(created.lease_generation).unwrap_or(i64::MAX),
                ],
            )?;
            let outcome = if inserted == 1 {
                Begin::Created(created)
            } else {
                match select(&tx, &created.reference_id)? {
                    Some(existing) => Begin::Existing(existing),
                    None => {
                        return Err(JournalFault::Other(Error::internal(
                            "the journal refused the intent but has no row for it",
                        )))
                    }
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        let lease = lease.clone();
        let changed = self
            .modify(reference_id, move |intent| {
                apply_claimed_attempt(intent, &lease, Utc::now())
            })
            .await?;
        attempt_claim(reference_id, changed)
    }

    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        let lease = lease.clone();
        let changed = self
            .modify(reference_id, move |intent| {
                apply_claim(intent, &lease, Utc::now())
            })
            .await?;
        Ok(changed.map(|(granted, intent)| Claim::new(granted, intent)))
    }

    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        let owner = owner.to_string();
        self.modify(reference_id, move |intent| {
            apply_release(intent, &owner, generation)
        })
        .await?;
        Ok(())
    }

    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        let changed = self
            .modify(reference_id, move |intent| {
                apply_outcome(intent, outcome, Utc::now())
            })
            .await?;
        Ok(changed.is_some())
    }

    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        let reference_id = reference_id.to_string();
        self.run(move |connection| select(connection, &reference_id))
            .await
    }

    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        self.run(|connection| {
            let mut statement = connection.prepare(&format!(
                "SELECT {COLUMNS} FROM execution_intents WHERE state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED')
                 ORDER BY created_at, reference_id"
            ))?;
            let rows = statement.query_map([], read_intent)?;
            let mut intents = Vec::new();
            for row in rows {
                intents.push(row?.parse()?);
            }
            Ok(intents)
        })
        .await
    }

    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        let lease = lease.holding(None);
        let after = after.cloned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |connection| {
            // IMMEDIATE: the claim is one write transaction, so two processes never claim the
            // same intent (SQLite has one writer at a time; no SKIP LOCKED needed).
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = Utc::now();
            let (cursor_at, cursor_id) = match &after {
                Some(cursor) => (
                    timestamp_text(&cursor.created_at),
                    cursor.reference_id.clone(),
                ),
                None => (String::new(), String::new()),
            };
            let raws = {
                let mut statement = tx.prepare(&format!(
                    "SELECT {COLUMNS} FROM execution_intents
                     WHERE state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED')
                       AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?1)
                       AND (created_at > ?2 OR (created_at = ?2 AND reference_id > ?3))
                     ORDER BY created_at, reference_id LIMIT ?4"
                ))?;
                let rows = statement.query_map(
                    params![timestamp_text(&now), cursor_at, cursor_id, limit],
                    read_intent,
                )?;
                rows.collect::<rusqlite::Result<Vec<RawIntent>>>()?
            };
            let mut claimed = Vec::with_capacity(raws.len());
            for raw in raws {
                let mut intent = raw.parse()?;
                if apply_claim(&mut intent, &lease, now) {
                    update(&tx, &intent)?;
                    claimed.push(intent);
                }
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }
}
