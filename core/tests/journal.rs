//! The execution journal: the in-memory and SQLite journals behave the same (one test body run
//! against both), SQLite survives reopening and concurrent writers, and no secret is ever written.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;

use std::sync::Arc;

use dollr_core::journal::{canonical_json, request_hash, Begin, NewIntent, SQLITE_SCHEMA_VERSION};
use dollr_core::models::{
    Execution, Passcode, PasscodeDevice, PasscodeToken, PayoutExecutionRequest,
};
use dollr_core::{
    ErrorKind, ExecutionRequest, ExecutionStatus, IntentOutcome, IntentState, Journal,
    JournalConfig, MemoryJournal, OperationType, Secret, SqliteJournal,
};
use execution_support::{client, execution_json, fast_policy, FakeApi, TempDir};
use serde_json::json;

fn new_intent(reference_id: &str, hash: &str) -> NewIntent {
    NewIntent {
        reference_id: reference_id.to_string(),
        operation: OperationType::Collection,
        request_hash: hash.to_string(),
        request: json!({"session_id": "55", "payment_account_id": "7", "currency": "USD", "reference_id": reference_id}),
    }
}

fn execution(reference_id: &str, status: &str) -> Execution {
    serde_json::from_value(execution_json(reference_id, "COLLECTION", status)).unwrap()
}

fn rid() -> String {
    dollr_core::new_reference_id()
}

/// The contract every journal must honour.
async fn journal_contract(journal: Arc<dyn Journal>) {
    let a = rid();
    // begin: insert when new…
    let begun = journal.begin(new_intent(&a, "hash-1")).await.unwrap();
    assert!(begun.created());
    let intent = begun.intent();
    assert_eq!(intent.state, IntentState::Pending);
    assert_eq!(intent.attempts, 0);
    assert_eq!(intent.request_hash, "hash-1");
    // …and return the existing entry untouched otherwise (the caller compares hashes).
    match journal.begin(new_intent(&a, "hash-2")).await.unwrap() {
        Begin::Existing(existing) => {
            assert_eq!(existing.request_hash, "hash-1");
            assert_eq!(existing.operation, OperationType::Collection);
            assert_eq!(existing.request["session_id"], "55");
        }
        Begin::Created(_) => panic!("a second begin with the same reference id must not create"),
    }

    // attempts
    let after = journal.record_attempt(&a).await.unwrap();
    assert_eq!(after.attempts, 1);
    assert_eq!(after.state, IntentState::Pending);
    assert_eq!(journal.record_attempt(&a).await.unwrap().attempts, 2);
    let missing = journal.record_attempt(&rid()).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Internal);

    // an ambiguous outcome keeps it pending, with the error
    assert!(journal
        .record_outcome(
            &a,
            IntentOutcome::Ambiguous {
                error: "timeout".into()
            }
        )
        .await
        .unwrap());
    let got = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(got.state, IntentState::Pending);
    assert_eq!(got.last_error.as_deref(), Some("timeout"));

    // observed statuses
    journal
        .record_outcome(&a, IntentOutcome::Observed(execution(&a, "PROCESSING")))
        .await
        .unwrap();
    let got = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(got.state, IntentState::Processing);
    assert_eq!(got.last_status, Some(ExecutionStatus::Processing));
    assert_eq!(got.last_error, None);
    assert_eq!(journal.list_unresolved().await.unwrap().len(), 1);

    journal
        .record_outcome(&a, IntentOutcome::Observed(execution(&a, "COMPLETED")))
        .await
        .unwrap();
    let got = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(got.state, IntentState::Completed);
    let stored = got.last_execution.unwrap();
    assert_eq!(stored.status, ExecutionStatus::Completed);
    assert_eq!(stored.payee_amount.to_string(), "1995.75");
    assert!(
        stored.client_secret.is_none(),
        "the card client_secret is never journaled"
    );
    assert!(journal.list_unresolved().await.unwrap().is_empty());

    // a stale, unsettled observation cannot undo a settled outcome; nor can a rejection
    journal
        .record_outcome(&a, IntentOutcome::Observed(execution(&a, "PROCESSING")))
        .await
        .unwrap();
    journal
        .record_outcome(
            &a,
            IntentOutcome::Rejected {
                error: "late".into(),
            },
        )
        .await
        .unwrap();
    journal.record_attempt(&a).await.unwrap();
    assert_eq!(
        journal.get(&a).await.unwrap().unwrap().state,
        IntentState::Completed
    );

    // rejected and not-submitted intents are resolved (nothing moved)
    let b = rid();
    journal.begin(new_intent(&b, "h")).await.unwrap();
    journal
        .record_outcome(
            &b,
            IntentOutcome::Rejected {
                error: "422".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        journal.get(&b).await.unwrap().unwrap().state,
        IntentState::Rejected
    );
    // a new attempt on a rejected intent makes it pending again
    journal.record_attempt(&b).await.unwrap();
    assert_eq!(
        journal.get(&b).await.unwrap().unwrap().state,
        IntentState::Pending
    );

    let c = rid();
    journal.begin(new_intent(&c, "h")).await.unwrap();
    journal
        .record_outcome(&c, IntentOutcome::NotSubmitted)
        .await
        .unwrap();
    assert_eq!(
        journal.get(&c).await.unwrap().unwrap().state,
        IntentState::NotSubmitted
    );

    // unknown reference ids
    assert!(!journal
        .record_outcome(&rid(), IntentOutcome::NotSubmitted)
        .await
        .unwrap());
    assert!(journal.get(&rid()).await.unwrap().is_none());

    // unresolved = pending, processing or not submitted (not final), oldest first
    let d = rid();
    journal.begin(new_intent(&d, "h")).await.unwrap();
    journal
        .record_outcome(&d, IntentOutcome::Observed(execution(&d, "PENDING")))
        .await
        .unwrap();
    let unresolved: Vec<String> = journal
        .list_unresolved()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.reference_id)
        .collect();
    assert_eq!(unresolved, vec![b.clone(), c.clone(), d.clone()]);
    assert_eq!(
        journal.get(&d).await.unwrap().unwrap().state,
        IntentState::Processing
    );
}

#[tokio::test]
async fn memory_journal_honours_the_contract() {
    journal_contract(Arc::new(MemoryJournal::new())).await;
}

#[tokio::test]
async fn sqlite_journal_honours_the_contract() {
    let dir = TempDir::new("journal-contract");
    journal_contract(Arc::new(SqliteJournal::open(dir.file("j.sqlite")).unwrap())).await;
}

#[tokio::test]
async fn sqlite_journal_survives_reopening_and_is_versioned() {
    let dir = TempDir::new("journal-reopen");
    let path = dir.file("journal.sqlite");
    let (a, b) = (rid(), rid());
    {
        let journal = SqliteJournal::open(&path).unwrap();
        journal.begin(new_intent(&a, "hash-a")).await.unwrap();
        journal.record_attempt(&a).await.unwrap();
        journal.begin(new_intent(&b, "hash-b")).await.unwrap();
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
            tasks.push(tokio::spawn(async move { journal.begin(intent).await }));
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
