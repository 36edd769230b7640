//! The execution journal: the in-memory, SQLite and key-value store journals behave the same (one
//! test body run against each), SQLite survives reopening and concurrent writers, and no secret is
//! ever written.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;
mod journal_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dollr_core::journal::{
    canonical_json, request_hash, Begin, JournalStore, StoreJournal, SQLITE_SCHEMA_VERSION,
};
use dollr_core::models::{Passcode, PasscodeDevice, PasscodeToken, PayoutExecutionRequest};
use dollr_core::{
    ErrorKind, ExecutionRequest, IntentOutcome, IntentState, Journal, JournalConfig, MemoryJournal,
    Secret, SqliteJournal,
};
use execution_support::{client, fast_policy, FakeApi, TempDir};
use journal_support::{
    claim_contract, concurrent_writers_contract, execution, journal_contract, lease,
    lease_contract, new_intent, rid, stalled_owner_loses_its_intent,
};
use serde_json::json;

#[tokio::test]
async fn memory_journal_honours_the_contract() {
    journal_contract(Arc::new(MemoryJournal::new())).await;
}

#[tokio::test]
async fn sqlite_journal_honours_the_contract() {
    let dir = TempDir::new("journal-contract");
    journal_contract(Arc::new(SqliteJournal::open(dir.file("j.sqlite")).unwrap())).await;
}

/// A key-value store in memory, as a WebAssembly host's (a Durable Object's storage) would be.
#[derive(Default)]
struct MapStore(Mutex<BTreeMap<String, String>>);

#[async_trait::async_trait]
impl JournalStore for MapStore {
    async fn get(&self, key: &str) -> dollr_core::Result<Option<String>> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn put(&self, key: &str, value: &str) -> dollr_core::Result<()> {
        self.0
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    async fn list(&self, prefix: &str) -> dollr_core::Result<Vec<String>> {
        let map = self.0.lock().unwrap();
        Ok(map
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(_, value)| value.clone())
            .collect())
    }
}

fn store_journal() -> Arc<dyn Journal> {
    Arc::new(StoreJournal::new(Arc::new(MapStore::default())))
}

#[tokio::test]
async fn store_journal_honours_the_contract() {
    journal_contract(store_journal()).await;
}

#[tokio::test]
async fn store_journal_honours_the_lease_contract() {
    let journal = store_journal();
    lease_contract(journal.clone(), journal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_journal_hands_each_intent_to_one_claimer() {
    let journal = store_journal();
    claim_contract(vec![journal.clone(), journal.clone(), journal]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_journal_state_only_moves_forward_under_concurrent_writers() {
    concurrent_writers_contract(vec![store_journal(); 6]).await;
}

/// `n` SQLite journals (connections, as separate processes would have) on one file.
fn sqlite_handles(dir: &TempDir, n: usize) -> Vec<Arc<dyn Journal>> {
    let path = dir.file("shared.sqlite");
    (0..n)
        .map(|_| Arc::new(SqliteJournal::open(&path).unwrap()) as Arc<dyn Journal>)
        .collect()
}

#[tokio::test]
async fn memory_journal_honours_the_lease_contract() {
    let journal: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    lease_contract(journal.clone(), journal).await;
}

#[tokio::test]
async fn sqlite_journal_honours_the_lease_contract() {
    let dir = TempDir::new("journal-lease");
    let mut handles = sqlite_handles(&dir, 2);
    lease_contract(handles.remove(0), handles.remove(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_journal_hands_each_intent_to_one_claimer() {
    let journal: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    claim_contract(vec![journal.clone(), journal.clone(), journal]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_journal_hands_each_intent_to_one_claimer() {
    let dir = TempDir::new("journal-claim");
    claim_contract(sqlite_handles(&dir, 3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_journal_state_only_moves_forward_under_concurrent_writers() {
    let journal: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    concurrent_writers_contract(vec![journal.clone(); 6]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_journal_state_only_moves_forward_under_concurrent_writers() {
    let dir = TempDir::new("journal-writers");
    concurrent_writers_contract(sqlite_handles(&dir, 6)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_journal_a_stalled_instance_loses_its_intent_and_sends_nothing() {
    let journal: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    stalled_owner_loses_its_intent(journal.clone(), journal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_journal_a_stalled_instance_loses_its_intent_and_sends_nothing() {
    let dir = TempDir::new("journal-stall");
    let mut handles = sqlite_handles(&dir, 2);
    stalled_owner_loses_its_intent(handles.remove(0), handles.remove(0)).await;
}

#[tokio::test]
async fn sqlite_journal_survives_reopening_and_is_versioned() {
    let dir = TempDir::new("journal-reopen");
    let path = dir.file("journal.sqlite");
    let (a, b) = (rid(), rid());
    {
        let journal = SqliteJournal::open(&path).unwrap();
        let me = lease("owner", 60_000);
        journal.begin(new_intent(&a, "hash-a"), &me).await.unwrap();
        journal.record_attempt(&a, &me).await.unwrap();
        journal.begin(new_intent(&b, "hash-b"), &me).await.unwrap();
        journal
            .record_outcome(&b, IntentOutcome::Observed(execution(&b, "COMPLETED")))
            .await
            .unwrap();
    }
    let journal = SqliteJournal::open(&path).unwrap();
    let got_a = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(
        (got_a.state, got_a.attempts, got_a.request_hash.as_str()),
        (IntentState::Pending, 1, "hash-a")
    );
    assert_eq!(got_a.request["currency"], "USD");
    let got_b = journal.get(&b).await.unwrap().unwrap();
    assert_eq!(got_b.state, IntentState::Completed);
    assert_eq!(got_b.last_execution.unwrap().reference_id, b);
    let unresolved = journal.list_unresolved().await.unwrap();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0].reference_id, a);

    // The schema version and WAL mode are on the file.
    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SQLITE_SCHEMA_VERSION);
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode.to_ascii_lowercase(), "wal");
    // A file from a newer SDK is refused rather than misread.
    connection
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    drop(connection);
    drop(journal);
    let err = SqliteJournal::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.message().contains("newer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_begins_of_one_reference_id_create_it_exactly_once() {
    let dir = TempDir::new("journal-race");
    let path = dir.file("race.sqlite");
    // Memory: one journal, many tasks. SQLite: many journals (= connections, as separate
    // processes would have) on one file.
    let memory: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    let sqlite: Vec<Arc<dyn Journal>> = (0..8)
        .map(|_| Arc::new(SqliteJournal::open(&path).unwrap()) as Arc<dyn Journal>)
        .collect();
    for round in 0..2 {
        let reference_id = rid();
        let mut tasks = Vec::new();
        for i in 0..32 {
            let journal = if round == 0 {
                memory.clone()
            } else {
                sqlite[i % sqlite.len()].clone()
            };
            let intent = new_intent(&reference_id, &format!("hash-{i}"));
            let me = lease(&format!("owner-{i}"), 60_000);
            tasks.push(tokio::spawn(
                async move { journal.begin(intent, &me).await },
            ));
        }
        let mut created = Vec::new();
        let mut existing_hashes = Vec::new();
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Begin::Created(intent) => created.push(intent.request_hash),
                Begin::Existing(intent) => existing_hashes.push(intent.request_hash),
            }
        }
        assert_eq!(
            created.len(),
            1,
            "round {round}: exactly one begin creates the intent"
        );
        assert_eq!(existing_hashes.len(), 31);
        // Everyone else sees the winner's entry.
        assert!(
            existing_hashes.iter().all(|h| *h == created[0]),
            "round {round}"
        );
    }
}

fn passcode(code: &str) -> Passcode {
    Passcode {
        token: PasscodeToken {
            code: Secret::new(code),
            user_id: None,
            phone: Some("231771234567".into()),
        },
        device: PasscodeDevice {
            name: "payout-worker-1".into(),
            device_type: "SERVER".into(),
            platform: "NODE".into(),
            user_agent: "dollr-tests".into(),
            client_ip: "10.0.0.7".into(),
        },
    }
}

#[tokio::test]
async fn the_payout_passcode_never_reaches_the_sqlite_file() {
    let dir = TempDir::new("journal-secret");
    let path = dir.file("secret.sqlite");
    let fake = FakeApi::new();
    let client = client(&fake, JournalConfig::Sqlite(path.clone()));
    let code = "PASSCODE-739146";
    let request = PayoutExecutionRequest::new(55, 9, passcode(code));
    let reference_id = request.reference_id.clone();
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .payout(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, reference_id);
    // The code did go over the wire…
    assert_eq!(fake.execution_posts()[0]["passcode"]["token"]["code"], code);
    // …but the journal kept the request without it (device and phone kept for audit).
    let intent = client.journal().get(&reference_id).await.unwrap().unwrap();
    assert!(
        intent.request["passcode"]["token"].get("code").is_none(),
        "{}",
        intent.request
    );
    assert_eq!(
        intent.request["passcode"]["device"]["client_ip"],
        "10.0.0.7"
    );
    drop(client);
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        if let Ok(content) = std::fs::read(&file) {
            bytes.extend(content);
        }
    }
    assert!(
        bytes
            .windows(reference_id.len())
            .any(|w| w == reference_id.as_bytes()),
        "the intent is in the file"
    );
    assert!(
        !bytes.windows(code.len()).any(|w| w == code.as_bytes()),
        "the passcode code must never be written"
    );
    assert!(
        !bytes.windows(10).any(|w| w == b"pi_123_sec"),
        "the card client_secret must never be written"
    );
}

#[test]
fn the_request_hash_ignores_the_passcode_and_key_order_but_not_the_payment() {
    let a = PayoutExecutionRequest::new(55, 9, passcode("111111")).with_reference_id("r");
    let mut b = a.clone();
    b.passcode = passcode("222222");
    b.passcode.device.client_ip = "10.9.9.9".into();
    let hash =
        |r: &PayoutExecutionRequest| request_hash(&r.operation(), &r.hashed_fields().unwrap());
    assert_eq!(
        hash(&a),
        hash(&b),
        "credentials and device are not what the payment is"
    );
    let mut c = a.clone();
    c.payout_account_id = 10;
    assert_ne!(hash(&a), hash(&c));
    assert_eq!(
        canonical_json(&json!({"z": 1, "a": [true, null]})),
        canonical_json(&serde_json::from_str(r#"{ "a" : [true,null], "z":1 }"#).unwrap())
    );
}
