//! The journal contract against a real PostgreSQL server (the same bodies as `tests/journal.rs`
//! runs for memory and SQLite), plus what only PostgreSQL has: schema creation by many instances
//! at once, the schema/table-prefix options, a newer schema refused, and the URL's password kept
//! out of every message.
//!
//! Run by `make test-postgres`, which starts a throwaway server (tests/postgres/server.sh) and
//! passes its URL in `DOLLR_TEST_POSTGRES_URL`. Without it these tests FAIL (they are never
//! skipped to look green). Every test works in a schema of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;
mod journal_support;

use std::sync::Arc;

use dollr_core::journal::{POSTGRES_SCHEMA_SQL, POSTGRES_SCHEMA_VERSION};
use dollr_core::{Client, ErrorKind, Journal, JournalConfig, PostgresJournal};
use journal_support::{
    claim_contract, concurrent_writers_contract, journal_contract, lease, lease_contract,
    new_intent, rid, stalled_owner_loses_its_intent,
};

const ENV_URL: &str = "DOLLR_TEST_POSTGRES_URL";

/// The server's URL (no dollr options).
fn server_url() -> String {
    std::env::var(ENV_URL).unwrap_or_else(|_| {
        panic!("{ENV_URL} is not set: run these tests with `make test-postgres`, which starts a throwaway PostgreSQL server")
    })
}

/// The server URL with `options` added (`schema=…&lease_ms=…`).
fn url_with(options: &str) -> String {
    let base = server_url();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{options}")
}

/// A fresh schema name.
fn fresh_schema() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

/// `n` journals (each with its own pool, as separate app instances have) on one fresh schema.
fn handles(n: usize) -> Vec<Arc<dyn Journal>> {
    let url = JournalConfig::parse(&url_with(&format!("schema={}", fresh_schema()))).unwrap();
    (0..n)
        .map(|_| dollr_core::journal::open(&url).unwrap())
        .collect()
}

fn psql_client() -> tokio_postgres::Config {
    server_url().parse().unwrap()
}

async fn sql(statement: &str) -> Vec<tokio_postgres::Row> {
    let (client, connection) = psql_client().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.query(statement, &[]).await.unwrap()
}

#[tokio::test]
async fn postgres_journal_honours_the_contract() {
    journal_contract(handles(1).remove(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_journal_honours_the_lease_contract() {
    let mut two = handles(2);
    lease_contract(two.remove(0), two.remove(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_journal_hands_each_intent_to_one_claimer() {
    claim_contract(handles(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_journal_state_only_moves_forward_under_concurrent_writers() {
    concurrent_writers_contract(handles(6)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_journal_a_stalled_instance_loses_its_intent_and_sends_nothing() {
    let mut two = handles(2);
    stalled_owner_loses_its_intent(two.remove(0), two.remove(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_instances_starting_together_create_the_schema_once() {
    let schema = fresh_schema();
    let url = url_with(&format!("schema={schema}&table_prefix=app1_"));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let config = JournalConfig::parse(&url).unwrap();
        tasks.push(tokio::spawn(async move {
            let journal = dollr_core::journal::open(&config).unwrap();
            let r = rid();
            journal
                .begin(
                    new_intent(&r, "h"),
                    &lease(&format!("instance-{i}"), 60_000),
                )
                .await
                .map(|_| r)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap());
    }
    let rows = sql(&format!(
        "SELECT version, description FROM \"{schema}\".app1_journal_migrations"
    ))
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, i32>(0), POSTGRES_SCHEMA_VERSION);
    let rows = sql(&format!(
        "SELECT count(*) FROM \"{schema}\".app1_execution_intents"
    ))
    .await;
    assert_eq!(rows[0].get::<_, i64>(0), 12);
    // The unresolved index exists, under the prefix.
    let rows = sql(&format!(
        "SELECT indexname FROM pg_indexes WHERE schemaname = '{schema}' ORDER BY indexname"
    ))
    .await;
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(
        names.contains(&"app1_execution_intents_unresolved".to_string()),
        "{names:?}"
    );
    // Reopening (a restart) runs no DDL and sees everything.
    let journal = dollr_core::journal::open(&JournalConfig::parse(&url).unwrap()).unwrap();
    for r in &ids {
        assert!(journal.get(r).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn a_schema_applied_by_hand_from_the_documented_sql_is_used_as_is() {
    let schema = fresh_schema();
    let ddl = POSTGRES_SCHEMA_SQL
        .replace("__SCHEMA__", &schema)
        .replace("__PREFIX__", "dollr_");
    let (client, connection) = psql_client().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(&ddl).await.unwrap();
    let journal =
        PostgresJournal::open(
            &match JournalConfig::parse(&url_with(&format!("schema={schema}"))).unwrap() {
                JournalConfig::Postgres(url) => url,
                other => panic!("{other:?}"),
            },
        )
        .unwrap();
    journal.migrate().await.unwrap();
    assert_eq!(
        journal.table(),
        format!("\"{schema}\".\"dollr_execution_intents\"")
    );
    journal_contract(Arc::new(journal)).await;
}

#[tokio::test]
async fn a_schema_from_a_newer_sdk_is_refused() {
    let schema = fresh_schema();
    let url = url_with(&format!("schema={schema}"));
    let journal = dollr_core::journal::open(&JournalConfig::parse(&url).unwrap()).unwrap();
    journal.get(&rid()).await.unwrap();
    sql(&format!(
        "INSERT INTO \"{schema}\".dollr_journal_migrations (version, description) VALUES (99, 'future')"
    ))
    .await;
    let fresh = dollr_core::journal::open(&JournalConfig::parse(&url).unwrap()).unwrap();
    let error = fresh.get(&rid()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Internal);
    assert!(error.message().contains("newer"), "{error}");
}

#[tokio::test]
async fn the_journal_url_is_checked_and_its_password_never_shown() {
    // Bad dollr options are Validation errors naming `journal`, before anything connects.
    for bad in [
        "schema=Robert');DROP",
        "table_prefix=a-b",
        "lease_ms=5",
        "pool_size=0",
        "no_such_option=1",
    ] {
        let error = JournalConfig::parse(&url_with(bad)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation, "{bad}: {error}");
        assert!(error.message().contains("journal"), "{bad}: {error}");
    }
    // A password is never in Debug nor in errors.
    let secret = "s3cret-pw-739146";
    let url = format!("postgresql://app:{secret}@127.0.0.1:9/db?lease_ms=1000&schema=x");
    let config = JournalConfig::parse(&url).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains(secret) && shown.contains("***"), "{shown}");
    let error = JournalConfig::parse(&format!("{url}&pool_size=0")).unwrap_err();
    assert!(!error.to_string().contains(secret), "{error}");
    // Port 9 (discard): nothing listens; the failure names the journal, not the password.
    let client = Client::builder()
        .ignore_env()
        .base_url("http://127.0.0.1:9")
        .client_id("id")
        .client_secret("secret")
        .journal_url(&url)
        .build()
        .unwrap();
    assert!(!format!("{:?}", client.config()).contains(secret));
    let error = client.journal().get(&rid()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Internal);
    assert!(!error.to_string().contains(secret), "{error}");
}

/// Calls end while their lease renewal is mid-transaction (leases of 60 ms are renewed every
/// 20 ms): the renewal must be dropped — its transaction rolled back — before the call gives the
/// lease back, or the release waits forever for the renewal's row lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_ending_during_a_lease_renewal_never_hang() {
    use execution_support::{fast_policy, FakeApi, BASE_URL};
    use futures::StreamExt;
    let config =
        JournalConfig::parse(&url_with(&format!("schema={}&pool_size=4", fresh_schema()))).unwrap();
    let fake = FakeApi::new();
    fake.set_new_script(&["COMPLETED"]);
    let client = Client::builder()
        .ignore_env()
        .base_url(BASE_URL)
        .client_id("test-client")
        .client_secret("test-secret")
        .transport(Arc::new(fake.clone()))
        .journal(config)
        .journal_lease(std::time::Duration::from_millis(60))
        .build()
        .unwrap();
    let calls = futures::stream::iter(0..300)
        .map(|_| {
            let client = client.clone();
            async move {
                let request = dollr_core::models::TransferExecutionRequest::new(77);
                client
                    .executions()
                    .with_policy(fast_policy())
                    .transfer(&request)
                    .await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    let results = tokio::time::timeout(std::time::Duration::from_secs(60), calls)
        .await
        .expect("every call ends (none stuck behind a paused renewal's row lock)");
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.execution_posts().len(), 300);
}
