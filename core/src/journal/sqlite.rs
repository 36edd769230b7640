//! The SQLite journal: one file, one table, survives crashes and restarts, and is safe for several
//! processes using the same file (WAL mode, a busy timeout, and every read-modify-write inside a
//! `BEGIN IMMEDIATE` transaction, which takes the file's write lock).
//!
//! One thread owns the connection and runs every operation on it, in the order they came. The
//! operations waiting when it starts a transaction share it (a group commit): each runs inside
//! a savepoint of its own, so its failure undoes only its own writes, and each is answered after
//! the one `COMMIT` that makes them all durable (`synchronous = FULL`: one fsync for the group
//! instead of one each). Decision 0027.
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

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde_json::Value;
use tokio::sync::oneshot;

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

/// The intent columns, in `read_intent`'s order. A macro, so that each statement below is one
/// `&'static str` (`concat!`): the key under which the connection keeps it prepared.
macro_rules! columns {
    () => {
        "reference_id, operation, request_hash, request_json, state, attempts, last_status, \
         last_execution_json, last_error, created_at, updated_at, lease_owner, lease_expires_at, \
         lease_generation"
    };
}

// The journal's statements, each prepared once per connection (`prepare_cached`): preparing one
// (SQLite's parser and code generator) took a third of the journal thread's time when every
// operation prepared its statements again (a `dollr payouts run` of 10,000 rows under perf).
const SELECT_ONE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM execution_intents WHERE reference_id = ?1"
);
const UPDATE_ONE: &str =
    "UPDATE execution_intents SET state = ?2, attempts = ?3, last_status = ?4, \
     last_execution_json = ?5, last_error = ?6, updated_at = ?7, lease_owner = ?8, \
     lease_expires_at = ?9, lease_generation = ?10 WHERE reference_id = ?1";
const INSERT_NEW: &str = concat!(
    "INSERT INTO execution_intents (",
    columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7, ?7, ?8, ?9, ?10) \
     ON CONFLICT(reference_id) DO NOTHING"
);
const SELECT_UNRESOLVED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM execution_intents WHERE state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED') \
     ORDER BY created_at, reference_id"
);
const SELECT_CLAIMABLE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM execution_intents WHERE state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED') \
     AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?1) \
     AND (created_at > ?2 OR (created_at = ?2 AND reference_id > ?3)) \
     ORDER BY created_at, reference_id LIMIT ?4"
);

/// How many waiting operations one transaction takes at most: a bound on how long the first of
/// them waits for the group's commit.
const MOST_IN_ONE_COMMIT: usize = 128;

/// A journal in a SQLite file. Cheap to clone: the clones hand their operations to the one
/// thread that owns the connection, which closes it once the last clone is gone.
#[derive(Clone)]
pub struct SqliteJournal {
    path: Arc<Path>,
    jobs: mpsc::Sender<Box<dyn Job>>,
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
        let (jobs, waiting) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("dollr-journal".to_string())
            .spawn(move || serve(connection, &waiting))
            .map_err(|e| storage_error(&path, format!("could not start its thread: {e}")))?;
        Ok(SqliteJournal {
            path: path.into(),
            jobs,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the journal's thread (SQLite blocks, and may wait for another process's
    /// lock), inside the transaction of its group; answers once that transaction has committed.
    /// `work` opens a savepoint for what it writes (`Connection::savepoint`), never a
    /// transaction of its own, and writes nothing if `access` is `Access::Read`.
    async fn run<T: Send + 'static>(
        &self,
        access: Access,
        work: impl FnOnce(&mut Connection) -> std::result::Result<T, JournalFault> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let stopped = || storage_error(&self.path, "its thread has stopped");
        self.jobs
            .send(Box::new(Task {
                access,
                work,
                reply,
            }))
            .map_err(|_| stopped())?;
        let outcome = answer.await.map_err(|_| stopped())?;
        outcome.map_err(|fault| match fault {
            JournalFault::Sqlite(e) => storage_error(&self.path, e),
            JournalFault::Commit(why) => storage_error(&self.path, why),
            JournalFault::Other(error) => error,
        })
    }
}

/// What an operation does to the file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Access {
    /// Only reads: a group of reads alone takes no write lock, so it never waits for another
    /// process's writes (WAL).
    Read,
    /// Reads and writes under the file's write lock.
    Write,
}

/// One operation waiting for the journal's thread.
trait Job: Send {
    fn access(&self) -> Access;
    /// Runs the operation inside the group's open transaction; what it returns answers the
    /// caller once the transaction has ended.
    fn perform(self: Box<Self>, connection: &mut Connection) -> Box<dyn Answer>;
    /// Answers the caller without running: the group's transaction could not begin.
    fn refuse(self: Box<Self>, why: &str);
}

/// An operation's outcome, held until its group's transaction ends.
trait Answer: Send {
    /// `Ok` once the group has committed; otherwise why nothing of it was kept. An operation
    /// that failed reports its own error either way (its savepoint undid its writes).
    fn settle(self: Box<Self>, committed: std::result::Result<(), &str>);
}

struct Task<T, W> {
    access: Access,
    work: W,
    reply: oneshot::Sender<std::result::Result<T, JournalFault>>,
}

struct Outcome<T> {
    outcome: std::result::Result<T, JournalFault>,
    reply: oneshot::Sender<std::result::Result<T, JournalFault>>,
}

impl<T, W> Job for Task<T, W>
where
    T: Send + 'static,
    W: FnOnce(&mut Connection) -> std::result::Result<T, JournalFault> + Send + 'static,
{
    fn access(&self) -> Access {
        self.access
    }

    fn perform(self: Box<Self>, connection: &mut Connection) -> Box<dyn Answer> {
        let Task { work, reply, .. } = *self;
        // A panic must not end the thread every clone of the journal sends to; the savepoint
        // the work opened rolls back as it unwinds.
        let outcome = catch_unwind(AssertUnwindSafe(|| work(connection))).unwrap_or_else(|_| {
            Err(JournalFault::Other(Error::internal(
                "an execution journal operation panicked",
            )))
        });
        Box::new(Outcome { outcome, reply })
    }

    fn refuse(self: Box<Self>, why: &str) {
        // The caller may have stopped waiting (its call was cancelled): nobody to tell.
        let _ = self.reply.send(Err(JournalFault::Commit(why.to_string())));
    }
}

impl<T: Send> Answer for Outcome<T> {
    fn settle(self: Box<Self>, committed: std::result::Result<(), &str>) {
        let answer = match (self.outcome, committed) {
            (Ok(_), Err(why)) => Err(JournalFault::Commit(why.to_string())),
            (outcome, _) => outcome,
        };
        // As in `refuse`: a caller that stopped waiting has nobody to tell.
        let _ = self.reply.send(answer);
    }
}

/// The journal's thread: takes the operations in the order they came, as many as are waiting
/// (up to `MOST_IN_ONE_COMMIT`) into each transaction, until every clone of the journal is gone.
fn serve(mut connection: Connection, waiting: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = waiting.recv() {
        let mut group = vec![first];
        while group.len() < MOST_IN_ONE_COMMIT {
            match waiting.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        run_group(&mut connection, group);
    }
}

/// Runs `group` in one transaction and answers each operation after its `COMMIT`: `BEGIN
/// IMMEDIATE` (the file's write lock, as each operation had on its own) if any of them writes.
/// If SQLite ends the transaction itself (an I/O error, a full disk, ...), what the group did so
/// far is not durable and its operations are told so; the rest go on in a new transaction.
fn run_group(connection: &mut Connection, group: Vec<Box<dyn Job>>) {
    let begin = if group.iter().any(|job| job.access() == Access::Write) {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    let mut jobs = group.into_iter().peekable();
    while jobs.peek().is_some() {
        if let Err(e) = connection.execute_batch(begin) {
            let why = e.to_string();
            jobs.for_each(|job| job.refuse(&why));
            return;
        }
        let mut performed: Vec<Box<dyn Answer>> = Vec::new();
        let mut ended_by_sqlite = false;
        for job in jobs.by_ref() {
            performed.push(job.perform(connection));
            if connection.is_autocommit() {
                ended_by_sqlite = true;
                break;
            }
        }
        let committed = if ended_by_sqlite {
            Err("SQLite rolled the transaction back after an error".to_string())
        } else {
            connection
                .execute_batch("COMMIT")
                .map_err(|e| e.to_string())
        };
        if committed.is_err() && !connection.is_autocommit() {
            // Nothing of the group is kept, as its operations will be told; a failed rollback
            // leaves the connection as SQLite left it, and the next BEGIN reports it.
            let _ = connection.execute_batch("ROLLBACK");
        }
        for answer in performed {
            answer.settle(committed.as_ref().map(|_| ()).map_err(String::as_str));
        }
    }
}

/// Errors inside a journal job.
enum JournalFault {
    Sqlite(rusqlite::Error),
    /// The transaction of the job's group did not begin or did not commit.
    Commit(String),
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

/// How many parsed requests the journal thread keeps (see [`parsed_request`]): several times the
/// executions `dollr payouts run` has in flight at its default concurrency, about 2 MB. More in
/// flight than this only costs parses again, never a wrong answer.
const PARSED_REQUESTS_KEPT: usize = 512;

thread_local! {
    /// The requests this thread parsed last, by reference id, with the text each was parsed from.
    /// Only the journal's thread reads rows, so this is the journal's own cache.
    static PARSED_REQUESTS: RefCell<HashMap<String, (String, Arc<Value>)>> =
        RefCell::new(HashMap::new());
}

/// `request_json` parsed, shared with the last parse of the same text for `reference_id` (or with
/// the value `begin` wrote it from). Every operation on an intent reads its row again (a payout
/// reads it five times between its `begin` and its outcome), and the request never changes after
/// the `begin`: parsing it each time, and freeing the parsed tree with each copy of the intent,
/// was a fifth of the journal thread's time in a `dollr payouts run`. The text is compared, not
/// assumed, so a row that did change (another file at the same path, another process) is parsed
/// again. `None` when the text is not JSON.
fn parsed_request(reference_id: &str, request_json: &str) -> Option<Arc<Value>> {
    PARSED_REQUESTS.with_borrow_mut(|kept| {
        if let Some((text, request)) = kept.get(reference_id) {
            if text == request_json {
                return Some(Arc::clone(request));
            }
        }
        let request = Arc::new(serde_json::from_str::<Value>(request_json).ok()?);
        keep(
            kept,
            reference_id,
            request_json.to_string(),
            Arc::clone(&request),
        );
        Some(request)
    })
}

/// Keeps `request`, the value `request_json` was written from, as the parse of `reference_id`'s
/// request: an intent this thread has just inserted is never parsed for the reads after it.
fn keep_request(reference_id: &str, request_json: String, request: Arc<Value>) {
    PARSED_REQUESTS.with_borrow_mut(|kept| keep(kept, reference_id, request_json, request));
}

fn keep(
    kept: &mut HashMap<String, (String, Arc<Value>)>,
    reference_id: &str,
    request_json: String,
    request: Arc<Value>,
) {
    if kept.len() >= PARSED_REQUESTS_KEPT {
        // The executions in flight are parsed again once; the rest are done with.
        kept.clear();
    }
    kept.insert(reference_id.to_string(), (request_json, request));
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
        let request = parsed_request(&self.reference_id, &self.request_json)
            .ok_or_else(|| bad("request", "…"))?;
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
        .prepare_cached(SELECT_ONE)?
        .query_row(params![reference_id], read_intent)
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
    connection.prepare_cached(UPDATE_ONE)?.execute(params![
        intent.reference_id,
        intent.state.as_str(),
        i64::from(intent.attempts),
        intent.last_status.as_ref().map(|s| s.as_str().to_string()),
        execution_json(intent)?,
        intent.last_error,
        timestamp_text(&intent.updated_at),
        intent.lease.as_ref().map(|lease| lease.owner.clone()),
        intent
            .lease
            .as_ref()
            .map(|lease| timestamp_text(&lease.expires_at)),
        i64::try_from(intent.lease_generation).unwrap_or(i64::MAX),
    ])?;
    Ok(())
}

impl SqliteJournal {
    /// Reads `reference_id` inside its group's write transaction (`BEGIN IMMEDIATE`: the file's
    /// write lock, so no other process changes the row between the read and the write), lets
    /// `change` modify it and writes it back, in a savepoint of its own. `None` when there is no
    /// such intent.
    async fn modify<T: Send + 'static>(
        &self,
        reference_id: &str,
        change: impl FnOnce(&mut Intent) -> T + Send + 'static,
    ) -> Result<Option<(T, Intent)>> {
        let reference_id = reference_id.to_string();
        self.run(Access::Write, move |connection| {
            let tx = connection.savepoint()?;
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
        self.run(Access::Write, move |connection| {
            let tx = connection.savepoint()?;
            let created = intent.into_intent(&lease, Utc::now());
            let request_json = serde_json::to_string(&created.request)
                .map_err(|e| Error::internal(format!("could not encode the request: {e}")))?;
            let inserted = tx.prepare_cached(INSERT_NEW)?.execute(params![
                created.reference_id,
                created.operation.as_str(),
                created.request_hash,
                request_json,
                created.state.as_str(),
                i64::from(created.attempts),
                timestamp_text(&created.created_at),
                created.lease.as_ref().map(|lease| lease.owner.clone()),
                created
                    .lease
                    .as_ref()
                    .map(|lease| timestamp_text(&lease.expires_at)),
                i64::try_from(created.lease_generation).unwrap_or(i64::MAX),
            ])?;
            let outcome = if inserted == 1 {
                keep_request(
                    &created.reference_id,
                    request_json,
                    Arc::clone(&created.request),
                );
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
        self.run(Access::Read, move |connection| {
            select(connection, &reference_id)
        })
        .await
    }

    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        self.run(Access::Read, |connection| {
            let mut statement = connection.prepare_cached(SELECT_UNRESOLVED)?;
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
        self.run(Access::Write, move |connection| {
            // The group's transaction is IMMEDIATE: the claim reads and writes under the file's
            // write lock, so two processes never claim the same intent (SQLite has one writer at
            // a time; no SKIP LOCKED needed).
            let tx = connection.savepoint()?;
            let now = Utc::now();
            let (cursor_at, cursor_id) = match &after {
                Some(cursor) => (
                    timestamp_text(&cursor.created_at),
                    cursor.reference_id.clone(),
                ),
                None => (String::new(), String::new()),
            };
            let raws = {
                let mut statement = tx.prepare_cached(SELECT_CLAIMABLE)?;
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;

    type Reply = oneshot::Receiver<std::result::Result<(), JournalFault>>;

    #[test]
    fn a_request_read_again_is_the_same_parse_unless_its_text_changed() {
        let first = parsed_request("ref-cache-1", r#"{"currency":"USD"}"#).expect("json");
        let again = parsed_request("ref-cache-1", r#"{"currency":"USD"}"#).expect("json");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the same text is not parsed again"
        );
        let changed = parsed_request("ref-cache-1", r#"{"currency":"LRD"}"#).expect("json");
        assert_eq!(changed["currency"], "LRD", "changed text is parsed again");
        assert_eq!(
            first["currency"], "USD",
            "an earlier copy keeps its own value"
        );
        let other = parsed_request("ref-cache-2", r#"{"currency":"LRD"}"#).expect("json");
        assert!(!Arc::ptr_eq(&changed, &other), "kept by reference id");
        assert!(parsed_request("ref-cache-3", "{not json").is_none());
    }

    #[test]
    fn an_inserted_request_is_kept_as_written() {
        let written = Arc::new(serde_json::json!({"currency": "USD"}));
        let text = serde_json::to_string(&*written).expect("json");
        keep_request("ref-kept-1", text.clone(), Arc::clone(&written));
        let read = parsed_request("ref-kept-1", &text).expect("json");
        assert!(
            Arc::ptr_eq(&written, &read),
            "the row's first read is not parsed"
        );
    }

    #[test]
    fn the_parsed_requests_kept_are_bounded() {
        for i in 0..PARSED_REQUESTS_KEPT * 3 {
            parsed_request(&format!("ref-bound-{i}"), r#"{"n":1}"#).expect("json");
        }
        let kept = PARSED_REQUESTS.with_borrow(HashMap::len);
        assert!(kept <= PARSED_REQUESTS_KEPT, "{kept} kept");
    }

    fn job(
        work: impl FnOnce(&mut Connection) -> std::result::Result<(), JournalFault> + Send + 'static,
    ) -> (Box<dyn Job>, Reply) {
        access_job(Access::Write, work)
    }

    fn access_job(
        access: Access,
        work: impl FnOnce(&mut Connection) -> std::result::Result<(), JournalFault> + Send + 'static,
    ) -> (Box<dyn Job>, Reply) {
        let (reply, answer) = oneshot::channel();
        let task = Task {
            access,
            work,
            reply,
        };
        (Box::new(task), answer)
    }

    /// An operation as the journal's are written: its writes in a savepoint of its own.
    fn insert(key: &'static str) -> (Box<dyn Job>, Reply) {
        job(move |connection| {
            let savepoint = connection.savepoint()?;
            savepoint.execute("INSERT INTO kept (key) VALUES (?1)", [key])?;
            savepoint.commit()?;
            Ok(())
        })
    }

    fn answer(mut reply: Reply) -> std::result::Result<(), String> {
        match reply.try_recv().expect("the operation was answered") {
            Ok(()) => Ok(()),
            Err(JournalFault::Sqlite(e)) => Err(e.to_string()),
            Err(JournalFault::Commit(why)) => Err(why),
            Err(JournalFault::Other(e)) => Err(e.to_string()),
        }
    }

    /// After a group that kept nothing, the connection goes on: the next group writes `key`,
    /// the only row of the table.
    fn next_group_commits(connection: &mut Connection, key: &'static str) {
        let (next, next_reply) = insert(key);
        run_group(connection, vec![next]);
        assert_eq!(answer(next_reply), Ok(()));
        assert_eq!(keys(connection), [key]);
    }

    fn keys(connection: &Connection) -> Vec<String> {
        let mut statement = connection
            .prepare("SELECT key FROM kept ORDER BY key")
            .expect("select");
        let rows = statement.query_map([], |row| row.get(0)).expect("rows");
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .expect("keys")
    }

    /// A fresh file (WAL, as the journal's) with the table the operations write.
    fn database(name: &str) -> (PathBuf, Connection) {
        let path = std::env::temp_dir().join(format!(
            "dollr-sqlite-group-{}-{name}.db",
            std::process::id()
        ));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let connection = Connection::open(&path).expect("open");
        connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| {
                row.get::<_, String>(0)
            })
            .expect("WAL");
        connection
            .execute_batch("CREATE TABLE kept (key TEXT PRIMARY KEY NOT NULL);")
            .expect("table");
        (path, connection)
    }

    #[test]
    fn a_group_shares_one_commit_and_a_failure_undoes_only_its_own_writes() {
        let (path, mut connection) = database("shares");
        let (first, first_reply) = insert("a");
        // Another connection does not see the first operation's row while the second runs: the
        // group has not committed yet.
        let reader = Connection::open(&path).expect("reader");
        let (looks, looks_reply) = job(move |_| {
            assert!(
                keys(&reader).is_empty(),
                "a row was committed before its group"
            );
            Ok(())
        });
        let (fails, fails_reply) = job(|connection| {
            let savepoint = connection.savepoint()?;
            savepoint.execute("INSERT INTO kept (key) VALUES ('b')", [])?;
            savepoint.execute("INSERT INTO kept (key) VALUES ('a')", [])?; // a duplicate
            savepoint.commit()?;
            Ok(())
        });
        let (last, last_reply) = insert("c");
        run_group(&mut connection, vec![first, looks, fails, last]);

        assert_eq!(answer(first_reply), Ok(()));
        assert_eq!(answer(looks_reply), Ok(()));
        let refused = answer(fails_reply).expect_err("the duplicate is refused");
        assert!(refused.contains("UNIQUE"), "{refused}");
        assert_eq!(answer(last_reply), Ok(()));
        assert_eq!(keys(&Connection::open(&path).expect("open")), ["a", "c"]);
        assert!(connection.is_autocommit(), "the group's transaction ended");
    }

    #[test]
    fn an_operation_that_panics_is_answered_and_the_others_are_kept() {
        let (path, mut connection) = database("panics");
        let (first, first_reply) = insert("a");
        let (panics, panics_reply) = job(|connection| {
            let savepoint = connection.savepoint()?;
            savepoint.execute("INSERT INTO kept (key) VALUES ('b')", [])?;
            std::panic::panic_any("a bug in an operation");
        });
        let (last, last_reply) = insert("c");
        run_group(&mut connection, vec![first, panics, last]);

        assert_eq!(answer(first_reply), Ok(()));
        let failed = answer(panics_reply).expect_err("the panic is an error");
        assert!(failed.contains("panicked"), "{failed}");
        assert_eq!(answer(last_reply), Ok(()));
        assert_eq!(keys(&Connection::open(&path).expect("open")), ["a", "c"]);
    }

    #[test]
    fn a_group_whose_commit_fails_keeps_nothing_and_tells_every_operation() {
        let (path, mut connection) = database("commit");
        // A deferred foreign key is checked at COMMIT: the group's commit fails.
        connection
            .execute_batch(
                "PRAGMA foreign_keys = ON;
                 CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
            )
            .expect("tables");
        let (first, first_reply) = insert("a");
        let (orphan, orphan_reply) = job(|connection| {
            let savepoint = connection.savepoint()?;
            savepoint.execute("INSERT INTO child (parent_id) VALUES (42)", [])?;
            savepoint.commit()?;
            Ok(())
        });
        run_group(&mut connection, vec![first, orphan]);

        for reply in [first_reply, orphan_reply] {
            let failed = answer(reply).expect_err("nothing was committed");
            assert!(failed.contains("FOREIGN KEY"), "{failed}");
        }
        assert!(keys(&Connection::open(&path).expect("open")).is_empty());
        assert!(
            connection.is_autocommit(),
            "the failed group was rolled back"
        );
        next_group_commits(&mut connection, "b");
    }

    #[test]
    fn when_sqlite_ends_the_transaction_the_operations_before_are_told_and_the_rest_go_on() {
        let (path, mut connection) = database("ended");
        let (first, first_reply) = insert("a");
        // What SQLite does after some I/O errors: the whole transaction is rolled back, and
        // the statement fails.
        let (ends, ends_reply) = job(|connection| {
            connection.execute_batch("ROLLBACK")?;
            Err(JournalFault::Other(Error::internal(
                "disk I/O error (simulated)",
            )))
        });
        let (last, last_reply) = insert("c");
        run_group(&mut connection, vec![first, ends, last]);

        let failed = answer(first_reply).expect_err("its writes were rolled back");
        assert!(failed.contains("rolled the transaction back"), "{failed}");
        let failed = answer(ends_reply).expect_err("it failed");
        assert!(failed.contains("disk I/O error"), "its own error: {failed}");
        assert_eq!(answer(last_reply), Ok(()));
        assert_eq!(keys(&Connection::open(&path).expect("open")), ["c"]);
    }

    #[test]
    fn a_group_that_cannot_take_the_write_lock_refuses_its_operations_and_reads_go_on() {
        let (path, mut connection) = database("locked");
        connection
            .busy_timeout(Duration::from_millis(1))
            .expect("timeout");
        let other_process = Connection::open(&path).expect("open");
        other_process
            .execute_batch("BEGIN IMMEDIATE")
            .expect("the other writer takes the lock");
        let (first, first_reply) = insert("a");
        let (second, second_reply) = insert("b");
        run_group(&mut connection, vec![first, second]);
        for reply in [first_reply, second_reply] {
            let failed = answer(reply).expect_err("refused");
            assert!(failed.contains("locked"), "{failed}");
        }
        // Reads alone take no write lock: they go on while the other process writes.
        let (read, read_reply) = access_job(Access::Read, |connection| {
            keys(connection);
            Ok(())
        });
        run_group(&mut connection, vec![read]);
        assert_eq!(answer(read_reply), Ok(()));
        other_process.execute_batch("COMMIT").expect("released");
        next_group_commits(&mut connection, "a");
    }

    #[test]
    fn the_thread_answers_in_order_and_ends_with_the_last_handle() {
        let (_path, connection) = database("thread");
        let (jobs, waiting) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::spawn(move || serve(connection, &waiting));
        let replies: Vec<Reply> = ["a", "b", "c"]
            .into_iter()
            .map(|key| {
                let (job, reply) = insert(key);
                jobs.send(job).expect("the thread takes jobs");
                reply
            })
            .collect();
        let (duplicate, duplicate_reply) = insert("b");
        jobs.send(duplicate).expect("the thread takes jobs");
        drop(jobs);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !thread.is_finished() {
            assert!(
                Instant::now() < deadline,
                "the thread outlived every handle"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        for reply in replies {
            assert_eq!(answer(reply), Ok(()));
        }
        assert!(
            answer(duplicate_reply).is_err(),
            "the later duplicate is refused"
        );
    }
}
