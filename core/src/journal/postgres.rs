//! The PostgreSQL journal (cargo feature `postgres`): one database shared by many app instances
//! and machines, with leases (decision 0015).
//!
//! * **Schema**: [`POSTGRES_SCHEMA_SQL`] (the file `postgres.sql`, the one source of the DDL), in
//!   a schema and with a table prefix of your choice. The journal applies it itself the first time
//!   it is used, inside a transaction holding `pg_advisory_xact_lock` (so instances starting
//!   together apply it once), and records the version in `<prefix>journal_migrations`. A DBA may
//!   apply it by hand instead; a journal finding the version recorded runs no DDL at all, so the
//!   app's user needs only `SELECT, INSERT, UPDATE`.
//! * **Every write** is one transaction: the row is read `FOR UPDATE` together with the server's
//!   `now()`, the same `apply_*` function as the other journals changes it, and it is written
//!   back. Lease expiries use the server's clock, so app machines' clocks do not matter.
//! * **Claiming** ([`Journal::claim_unresolved`]): `SELECT … FOR UPDATE SKIP LOCKED` over the
//!   unresolved intents whose lease is free or expired, oldest first, then each claimed row is
//!   leased to the claimer in the same transaction.
//! * **Connections**: a small pool (deadpool-postgres), opened lazily: building a client never
//!   blocks on the database; the first journal call connects (and migrates).
//!
//! URL options besides libpq's: `schema` (default `public`), `table_prefix` (default `dollr_`),
//! `lease_ms` (default 30000), `pool_size` (default 8). TLS is not supported by this build:
//! `sslmode=require` fails to connect (use a local socket, a private network or a TLS proxy).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::OnceCell;
use tokio_postgres::{NoTls, Row};

use super::{
    apply_claim, apply_claimed_attempt, apply_outcome, apply_release, attempt_claim,
    journal_safe_execution, Begin, Claim, ClaimCursor, Intent, IntentOutcome, IntentState, Journal,
    Lease, LeaseRequest, NewIntent, PostgresUrl, DEFAULT_LEASE_TTL,
};
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::{Error, Result};
use crate::models::Execution;

/// The schema version this SDK writes (a row of `<prefix>journal_migrations`).
pub const POSTGRES_SCHEMA_VERSION: i32 = 1;

/// The DDL of schema version 1, with the placeholders `__SCHEMA__` and `__PREFIX__` (see the
/// file's header for applying it by hand).
pub const POSTGRES_SCHEMA_SQL: &str = include_str!("postgres.sql");

const DEFAULT_SCHEMA: &str = "public";
const DEFAULT_TABLE_PREFIX: &str = "dollr_";
const DEFAULT_POOL_SIZE: usize = 8;
/// How long a journal call waits for a pooled connection, or for a new one to connect.
const POOL_TIMEOUT: Duration = Duration::from_secs(30);

const COLUMNS: &str = "reference_id, operation, request_hash, request_json, state, attempts, \
     last_status, last_execution_json, last_error, created_at, updated_at, lease_owner, \
     lease_expires_at, lease_generation";

/// The options of a `postgresql://` journal URL.
#[derive(Clone, Debug)]
pub(crate) struct PostgresOptions {
    pub(crate) connection: tokio_postgres::Config,
    pub(crate) schema: String,
    pub(crate) table_prefix: String,
    pub(crate) lease_ttl: Duration,
    pub(crate) pool_size: usize,
}

fn option_error(url: &PostgresUrl, message: impl std::fmt::Display) -> Error {
    Error::invalid_field("journal", format!("{}: {message}", url.redacted()))
}

/// A schema or prefix goes into SQL text (quoted): only plain lower-case identifiers.
fn check_identifier(
    url: &PostgresUrl,
    option: &str,
    value: &str,
    may_be_empty: bool,
) -> Result<()> {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !value.starts_with(|c: char| c.is_ascii_digit());
    if (value.is_empty() && !may_be_empty) || !plain || value.len() > 40 {
        return Err(option_error(
            url,
            format!("`{option}` must be lower-case letters, digits and _ (at most 40, not starting with a digit), got {value:?}"),
        ));
    }
    Ok(())
}

impl PostgresOptions {
    /// Reads the URL: dollr's own options are taken out, the rest goes to tokio-postgres.
    pub(crate) fn parse(url: &PostgresUrl) -> Result<PostgresOptions> {
        let mut parsed = url::Url::parse(url.expose())
            .map_err(|e| option_error(url, format!("not a URL ({e})")))?;
        let mut schema = DEFAULT_SCHEMA.to_string();
        let mut table_prefix = DEFAULT_TABLE_PREFIX.to_string();
        let mut lease_ttl = DEFAULT_LEASE_TTL;
        let mut pool_size = DEFAULT_POOL_SIZE;
        let mut rest = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "schema" => schema = value.into_owned(),
                "table_prefix" => table_prefix = value.into_owned(),
                "lease_ms" => {
                    lease_ttl = value
                        .parse::<u64>()
                        .ok()
                        .filter(|ms| (100..=86_400_000).contains(ms))
                        .map(Duration::from_millis)
                        .ok_or_else(|| {
                            option_error(url, "`lease_ms` must be an integer from 100 to 86400000")
                        })?
                }
                "pool_size" => {
                    pool_size = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or_else(|| {
                            option_error(url, "`pool_size` must be an integer from 1 to 256")
                        })?
                }
                _ => rest.push((key.into_owned(), value.into_owned())),
            }
        }
        check_identifier(url, "schema", &schema, false)?;
        check_identifier(url, "table_prefix", &table_prefix, true)?;
        if rest.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(rest);
        }
        // tokio-postgres's own errors name the bad option, never the password.
        let connection =
            tokio_postgres::Config::from_str(parsed.as_str()).map_err(|e| option_error(url, e))?;
        Ok(PostgresOptions {
            connection,
            schema,
            table_prefix,
            lease_ttl,
            pool_size,
        })
    }
}

/// The SQL texts, with the schema and prefix filled in.
struct Statements {
    intents: String,
    migrations: String,
    lock_key: String,
    select: String,
    insert: String,
    update: String,
    claim_first: String,
    claim_after: String,
    unresolved: String,
    ddl: String,
}

impl Statements {
    fn new(schema: &str, prefix: &str) -> Statements {
        let intents = format!("\"{schema}\".\"{prefix}execution_intents\"");
        let migrations = format!("\"{schema}\".\"{prefix}journal_migrations\"");
        let unresolved = "state IN ('PENDING', 'PROCESSING', 'NOT_SUBMITTED')";
        Statements {
            lock_key: format!("dollr journal {schema}.{prefix}"),
            select: format!(
                "SELECT {COLUMNS}, now() FROM {intents} WHERE reference_id = $1 FOR UPDATE"
            ),
            insert: format!(
                "INSERT INTO {intents} (reference_id, operation, request_hash, request_json, state, attempts,
                     lease_owner, lease_expires_at, lease_generation, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'PENDING', 0, $5, now() + $6::bigint * interval '1 millisecond', 1, now(), now())
                 ON CONFLICT (reference_id) DO NOTHING
                 RETURNING {COLUMNS}"
            ),
            update: format!(
                "UPDATE {intents} SET state = $2, attempts = $3, last_status = $4, last_execution_json = $5,
                     last_error = $6, updated_at = now(), lease_owner = $7, lease_expires_at = $8,
                     lease_generation = $9
                 WHERE reference_id = $1"
            ),
            claim_first: format!(
                "SELECT {COLUMNS}, now() FROM {intents}
                 WHERE {unresolved}
                   AND (lease_expires_at IS NULL OR lease_expires_at <= now())
                 ORDER BY created_at, reference_id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED"
            ),
            claim_after: format!(
                "SELECT {COLUMNS}, now() FROM {intents}
                 WHERE {unresolved}
                   AND (lease_expires_at IS NULL OR lease_expires_at <= now())
                   AND (created_at, reference_id) > ($2, $3)
                 ORDER BY created_at, reference_id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED"
            ),
            unresolved: format!(
                "SELECT {COLUMNS} FROM {intents} WHERE {unresolved} ORDER BY created_at, reference_id"
            ),
            ddl: POSTGRES_SCHEMA_SQL
                .replace("__SCHEMA__", schema)
                .replace("__PREFIX__", prefix),
            intents,
            migrations,
        }
    }
}

/// A journal in a PostgreSQL database. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PostgresJournal {
    pool: Pool,
    sql: std::sync::Arc<Statements>,
    migrated: std::sync::Arc<OnceCell<()>>,
    url: PostgresUrl,
}

impl std::fmt::Debug for PostgresJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresJournal")
            .field("url", &self.url)
            .field("table", &self.sql.intents)
            .finish_non_exhaustive()
    }
}

fn db_error(error: impl std::fmt::Display) -> Error {
    Error::internal(format!("execution journal (PostgreSQL): {error}"))
}

/// A database error with its detail (tokio-postgres's `Display` says only "db error").
fn pg_error(error: tokio_postgres::Error) -> Error {
    match error.as_db_error() {
        Some(db) => db_error(format!("{} ({})", db.message(), db.code().code())),
        None => db_error(error),
    }
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

impl PostgresJournal {
    /// A journal for `url` (see the module documentation for its options). Connects lazily:
    /// errors in the URL are reported here, an unreachable server on the first journal call.
    pub fn open(url: &PostgresUrl) -> Result<PostgresJournal> {
        let options = PostgresOptions::parse(url)?;
        let manager = Manager::from_config(
            options.connection.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(db_error)?;
        Ok(PostgresJournal {
            pool,
            sql: std::sync::Arc::new(Statements::new(&options.schema, &options.table_prefix)),
            migrated: std::sync::Arc::new(OnceCell::new()),
            url: url.clone(),
        })
    }

    /// The intents table, quoted (`"public"."dollr_execution_intents"`).
    pub fn table(&self) -> &str {
        &self.sql.intents
    }

    /// Creates or migrates the tables now (otherwise done by the first journal call).
    pub async fn migrate(&self) -> Result<()> {
        self.migrated
            .get_or_try_init(|| self.apply_schema())
            .await
            .map(|_| ())
    }

    async fn apply_schema(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(db_error)?;
        // Already at this version (e.g. applied by a DBA): no DDL, no lock, no privileges needed.
        let version = client
            .query_opt(
                &format!("SELECT max(version) FROM {}", self.sql.migrations),
                &[],
            )
            .await
            .ok()
            .flatten()
            .and_then(|row| row.get::<_, Option<i32>>(0));
        if version == Some(POSTGRES_SCHEMA_VERSION) {
            return Ok(());
        }
        let tx = client.transaction().await.map_err(pg_error)?;
        // Instances starting together: one applies the schema, the others wait here and then find
        // it applied. A transaction-scoped lock, released by COMMIT or a dropped connection (no
        // session state left behind for a pooling proxy).
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&self.sql.lock_key],
        )
        .await
        .map_err(pg_error)?;
        let table: Option<String> = tx
            .query_one("SELECT to_regclass($1)::text", &[&self.sql.migrations])
            .await
            .map_err(pg_error)?
            .get(0);
        let version = match table {
            Some(_) => tx
                .query_one(
                    &format!("SELECT max(version) FROM {}", self.sql.migrations),
                    &[],
                )
                .await
                .map_err(pg_error)?
                .get::<_, Option<i32>>(0),
            None => None,
        };
        match version {
            Some(version) if version > POSTGRES_SCHEMA_VERSION => {
                return Err(db_error(format!(
                    "schema version {version} of {} was written by a newer dollr SDK (this one knows version {POSTGRES_SCHEMA_VERSION}); upgrade the SDK",
                    self.sql.intents
                )));
            }
            Some(POSTGRES_SCHEMA_VERSION) => return tx.commit().await.map_err(pg_error),
            // Every statement of the file is idempotent (IF NOT EXISTS, ON CONFLICT DO NOTHING);
            // a later version adds its own file here, applied when `version` is below it.
            _ => tx.batch_execute(&self.sql.ddl).await.map_err(pg_error)?,
        }
        tx.commit().await.map_err(pg_error)?;
        tracing::info!(table = %self.sql.intents, version = POSTGRES_SCHEMA_VERSION, "execution journal schema ready");
        Ok(())
    }

    async fn connection(&self) -> Result<deadpool_postgres::Object> {
        self.migrate().await?;
        self.pool.get().await.map_err(db_error)
    }

    /// Reads the row `FOR UPDATE` with the server's `now()`, lets `change` modify it, writes it
    /// back, commits. `None` when there is no such intent.
    async fn modify<T>(
        &self,
        reference_id: &str,
        change: impl FnOnce(&mut Intent, DateTime<Utc>) -> T,
    ) -> Result<Option<(T, Intent)>> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let select = tx
            .prepare_cached(&self.sql.select)
            .await
            .map_err(pg_error)?;
        let Some(row) = tx
            .query_opt(&select, &[&reference_id])
            .await
            .map_err(pg_error)?
        else {
            return Ok(None);
        };
        let mut intent = read_intent(&row)?;
        let now: DateTime<Utc> = row.try_get(14).map_err(pg_error)?;
        let answer = change(&mut intent, now);
        self.write(&tx, &intent).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(Some((answer, intent)))
    }

    async fn write(&self, tx: &deadpool_postgres::Transaction<'_>, intent: &Intent) -> Result<()> {
        let update = tx
            .prepare_cached(&self.sql.update)
            .await
            .map_err(pg_error)?;
        let last_execution = intent
            .last_execution
            .as_ref()
            .map(|execution| serde_json::to_string(&journal_safe_execution(execution.clone())))
            .transpose()
            .map_err(|e| Error::internal(format!("could not encode the execution: {e}")))?;
        let attempts = i32::try_from(intent.attempts).unwrap_or(i32::MAX);
        let generation = i64::try_from(intent.lease_generation).unwrap_or(i64::MAX);
        tx.execute(
            &update,
            &[
                &intent.reference_id,
                &intent.state.as_str(),
                &attempts,
                &intent.last_status.as_ref().map(|s| s.as_str().to_string()),
                &last_execution,
                &intent.last_error,
                &intent.lease.as_ref().map(|lease| lease.owner.clone()),
                &intent.lease.as_ref().map(|lease| lease.expires_at),
                &generation,
            ],
        )
        .await
        .map_err(pg_error)?;
        Ok(())
    }
}

fn read_intent(row: &Row) -> Result<Intent> {
    let get_error = |e: tokio_postgres::Error| pg_error(e);
    let reference_id: String = row.try_get(0).map_err(get_error)?;
    let bad = |what: &str| {
        Error::internal(format!(
            "execution journal row {reference_id}: unreadable {what}"
        ))
        .with_reference_id(reference_id.clone())
    };
    let operation: String = row.try_get(1).map_err(get_error)?;
    let state: String = row.try_get(4).map_err(get_error)?;
    let request_json: String = row.try_get(3).map_err(get_error)?;
    let last_execution_json: Option<String> = row.try_get(7).map_err(get_error)?;
    let last_status: Option<String> = row.try_get(6).map_err(get_error)?;
    let attempts: i32 = row.try_get(5).map_err(get_error)?;
    let lease_owner: Option<String> = row.try_get(11).map_err(get_error)?;
    let lease_expires_at: Option<DateTime<Utc>> = row.try_get(12).map_err(get_error)?;
    let generation: i64 = row.try_get(13).map_err(get_error)?;
    let last_execution = match last_execution_json {
        Some(text) => Some(serde_json::from_str::<Execution>(&text).map_err(|_| bad("execution"))?),
        None => None,
    };
    Ok(Intent {
        operation: OperationType::parse(&operation),
        request_hash: row.try_get(2).map_err(get_error)?,
        request: serde_json::from_str(&request_json).map_err(|_| bad("request"))?,
        state: IntentState::parse(&state).ok_or_else(|| bad("state"))?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_status: last_status.as_deref().map(ExecutionStatus::parse),
        last_execution,
        last_error: row.try_get(8).map_err(get_error)?,
        created_at: row.try_get(9).map_err(get_error)?,
        updated_at: row.try_get(10).map_err(get_error)?,
        lease: match (lease_owner, lease_expires_at) {
            (Some(owner), Some(expires_at)) => Some(Lease { owner, expires_at }),
            _ => None,
        },
        lease_generation: u64::try_from(generation).unwrap_or(0),
        reference_id,
    })
}

#[async_trait]
impl Journal for PostgresJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        let client = self.connection().await?;
        let request_json = serde_json::to_string(&intent.request)
            .map_err(|e| Error::internal(format!("could not encode the request: {e}")))?;
        let insert = client
            .prepare_cached(&self.sql.insert)
            .await
            .map_err(pg_error)?;
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same id to commit, so the
        // SELECT below always finds the winner's row.
        let inserted = client
            .query_opt(
                &insert,
                &[
                    &intent.reference_id,
                    &intent.operation.as_str(),
                    &intent.request_hash,
                    &request_json,
                    &lease.owner,
                    &millis(lease.ttl),
                ],
            )
            .await
            .map_err(pg_error)?;
        if let Some(row) = inserted {
            return Ok(Begin::Created(read_intent(&row)?));
        }
        let row = client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM {} WHERE reference_id = $1",
                    self.sql.intents
                ),
                &[&intent.reference_id],
            )
            .await
            .map_err(pg_error)?
            .ok_or_else(|| {
                Error::internal("the journal refused the intent but has no row for it")
            })?;
        Ok(Begin::Existing(read_intent(&row)?))
    }

    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        let changed = self
            .modify(reference_id, |intent, now| {
                apply_claimed_attempt(intent, lease, now)
            })
            .await?;
        attempt_claim(reference_id, changed)
    }

    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        let changed = self
            .modify(reference_id, |intent, now| apply_claim(intent, lease, now))
            .await?;
        Ok(changed.map(|(granted, intent)| Claim::new(granted, intent)))
    }

    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        self.modify(reference_id, |intent, _| {
            apply_release(intent, owner, generation)
        })
        .await?;
        Ok(())
    }

    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        let changed = self
            .modify(reference_id, |intent, now| {
                apply_outcome(intent, outcome, now)
            })
            .await?;
        Ok(changed.is_some())
    }

    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        let client = self.connection().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM {} WHERE reference_id = $1",
                    self.sql.intents
                ),
                &[&reference_id],
            )
            .await
            .map_err(pg_error)?;
        row.as_ref().map(read_intent).transpose()
    }

    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        let client = self.connection().await?;
        let rows = client
            .query(&self.sql.unresolved, &[])
            .await
            .map_err(pg_error)?;
        rows.iter().map(read_intent).collect()
    }

    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // SKIP LOCKED: rows another reconciler is claiming right now are left to it.
        let rows = match after {
            Some(cursor) => {
                let claim = tx
                    .prepare_cached(&self.sql.claim_after)
                    .await
                    .map_err(pg_error)?;
                tx.query(&claim, &[&limit, &cursor.created_at, &cursor.reference_id])
                    .await
            }
            None => {
                let claim = tx
                    .prepare_cached(&self.sql.claim_first)
                    .await
                    .map_err(pg_error)?;
                tx.query(&claim, &[&limit]).await
            }
        }
        .map_err(pg_error)?;
        let fresh = lease.holding(None);
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut intent = read_intent(row)?;
            let now: DateTime<Utc> = row.try_get(14).map_err(pg_error)?;
            if apply_claim(&mut intent, &fresh, now) {
                self.write(&tx, &intent).await?;
                claimed.push(intent);
            }
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(claimed)
    }
}
