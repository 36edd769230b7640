//! Exactly-once executions against a scripted API (a `Transport` that can commit an execution and
//! then lose its answer, fail before processing, rate-limit, refuse) and one real HTTP server:
//! every ambiguous outcome is resolved by status with the same reference id, nothing is ever
//! POSTed twice once it landed, and a new reference id is never minted. Also `reconcile` after a
//! simulated crash.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dollr_core::journal::{
    Begin, Claim, ClaimCursor, Intent, IntentOutcome, LeaseRequest, NewIntent,
};
use dollr_core::models::{
    CollectionExecutionRequest, Passcode, PasscodeDevice, PasscodeToken, PayoutExecutionRequest,
    RefundExecutionRequest, TransferExecutionRequest,
};
use dollr_core::{
    Client, Error, ErrorKind, ExecutePolicy, ExecutionStatus, IntentState, Journal, JournalConfig,
    MemoryJournal, ReconcileOptions, ReconcileOutcome, Result, Secret,
};
use execution_support::{client, fast_policy, FakeApi, PostFault, StatusFault, TempDir};
use serde_json::json;

fn collection() -> CollectionExecutionRequest {
    CollectionExecutionRequest::new(55, 7, "USD")
}

fn memory_client(fake: &FakeApi) -> Client {
    client(fake, JournalConfig::Memory)
}

async fn intent(client: &Client, reference_id: &str) -> Intent {
    client
        .journal()
        .get(reference_id)
        .await
        .unwrap()
        .expect("the intent is journaled")
}

/// Every execution POST carried `reference_id`, and there were `count` of them.
fn assert_posts(fake: &FakeApi, reference_id: &str, count: usize) {
    let posts = fake.execution_posts();
    assert_eq!(posts.len(), count, "execution POSTs: {posts:?}");
    for body in posts {
        assert_eq!(
            body["reference_id"], reference_id,
            "a POST carried another reference id: {body}"
        );
    }
}

#[tokio::test]
async fn a_clean_execution_is_journaled_before_and_after() {
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let request = collection();
    let execution = client.executions().collection(&request).await.unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_eq!(execution.status, ExecutionStatus::Pending);
    assert_posts(&fake, &request.reference_id, 1);
    assert_eq!(
        fake.execution_posts()[0]["session_id"],
        "55",
        "ids are strings on executions"
    );
    assert_eq!(fake.status_gets(), 0);
    let journaled = intent(&client, &request.reference_id).await;
    assert_eq!(journaled.state, IntentState::Processing);
    assert_eq!(journaled.attempts, 1);
    assert_eq!(journaled.last_status, Some(ExecutionStatus::Pending));
    // The card client_secret reaches the caller but not the journal.
    assert!(execution.client_secret.is_some());
    assert!(journaled.last_execution.unwrap().client_secret.is_none());
}

#[tokio::test]
async fn a_lost_response_is_adopted_from_status_without_a_second_post() {
    for fault in [
        PostFault::LoseResponseAfterCommit,
        PostFault::TimeoutAfterCommit,
        PostFault::ServerErrorAfterCommit,
    ] {
        let fake = FakeApi::new();
        fake.push_post_fault(fault.clone());
        let client = memory_client(&fake);
        let request = collection();
        let execution = client
            .executions()
            .with_policy(fast_policy())
            .collection(&request)
            .await
            .unwrap();
        assert_eq!(execution.reference_id, request.reference_id, "{fault:?}");
        assert_eq!(
            execution.status,
            ExecutionStatus::Processing,
            "{fault:?}: the status endpoint's answer"
        );
        assert_posts(&fake, &request.reference_id, 1);
        assert_eq!(fake.status_gets(), 1, "{fault:?}");
        let journaled = intent(&client, &request.reference_id).await;
        assert_eq!(
            (journaled.state, journaled.attempts),
            (IntentState::Processing, 1),
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn a_5xx_before_processing_is_re_posted_with_the_same_reference_id() {
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(503));
    let client = memory_client(&fake);
    let request = collection();
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_posts(&fake, &request.reference_id, 2);
    // Status was asked between the two POSTs (and said 404).
    let order: Vec<String> = fake.api_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(order.len(), 3, "{order:?}");
    assert!(
        order[0].starts_with("/v1/executions/") && order[2].starts_with("/v1/executions/"),
        "{order:?}"
    );
    assert!(order[1].starts_with("/v1/status/collection/"), "{order:?}");
    assert_eq!(intent(&client, &request.reference_id).await.attempts, 2);
}

#[tokio::test]
async fn an_outcome_that_stays_unknown_is_ambiguous_with_the_same_reference_id() {
    // POSTs never processed, status never finds it: bounded re-POSTs, all with the one id.
    let fake = FakeApi::new();
    fake.with(|s| s.post_fault_always = Some(PostFault::ServerErrorBeforeProcessing(502)));
    let client = memory_client(&fake);
    let request = collection();
    let err = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousExecution);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert!(err.message().contains(&request.reference_id));
    assert_posts(&fake, &request.reference_id, 3);
    let journaled = intent(&client, &request.reference_id).await;
    assert_eq!(
        (journaled.state, journaled.attempts),
        (IntentState::Pending, 3)
    );
    assert!(journaled.last_error.is_some());
    let unresolved = client.journal().list_unresolved().await.unwrap();
    assert_eq!(unresolved.len(), 1, "still pending for wait/reconcile");

    // The POST landed but status is down: it is never re-POSTed blindly.
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::LoseResponseAfterCommit);
    fake.with(|s| s.status_fault_always = Some(StatusFault::ServerError));
    let client = memory_client(&fake);
    let request = collection();
    let err = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousExecution);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert_posts(&fake, &request.reference_id, 1);
    assert!(
        fake.status_gets() >= 5,
        "status was asked (with retries) before giving up"
    );
    assert_eq!(
        intent(&client, &request.reference_id).await.state,
        IntentState::Pending
    );

    // Calling again with the same request (the caller's retry) resumes by status: once status is
    // back it adopts the execution, still without a second POST.
    fake.with(|s| s.status_fault_always = None);
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_posts(&fake, &request.reference_id, 1);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_re_posts_the_same_id() {
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::RateLimited("0.3"));
    let client = memory_client(&fake);
    let request = collection();
    let started = Instant::now();
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(execution.reference_id, request.reference_id);
    assert_posts(&fake, &request.reference_id, 2);
    assert_eq!(
        fake.status_gets(),
        0,
        "a 429 processed nothing: no status lookup needed"
    );

    // A Retry-After longer than the policy allows ends the call: nothing moved.
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::RateLimited("120"));
    let client = memory_client(&fake);
    let request = collection();
    let err = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert_posts(&fake, &request.reference_id, 1);
    assert_eq!(
        intent(&client, &request.reference_id).await.state,
        IntentState::Rejected
    );
}

#[tokio::test]
async fn a_422_duplicate_reference_is_adopted_via_status() {
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let request = collection();
    // Another process (or a journal that was lost) already executed this reference id.
    fake.insert_execution(&request.reference_id, "COLLECTION", &["COMPLETED"]);
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_posts(&fake, &request.reference_id, 1);
    assert_eq!(fake.status_gets(), 1);
    assert_eq!(
        intent(&client, &request.reference_id).await.state,
        IntentState::Completed
    );
}

#[tokio::test]
async fn a_4xx_is_rejected_in_the_journal_and_returned() {
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::Refuse(
        422,
        json!({"detail": [{"loc": ["body", "currency"], "msg": "currency not supported", "type": "value_error"}]}),
    ));
    let client = memory_client(&fake);
    let request = collection();
    let err = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert_eq!(err.details()[0].field(), "currency");
    assert_posts(&fake, &request.reference_id, 1);
    assert_eq!(fake.status_gets(), 0);
    let journaled = intent(&client, &request.reference_id).await;
    assert_eq!(journaled.state, IntentState::Rejected);
    assert!(journaled
        .last_error
        .unwrap()
        .contains("currency not supported"));
    assert!(client.journal().list_unresolved().await.unwrap().is_empty());

    // A refused passcode (403) on a payout: PermissionDenied, rejected; the same id may be sent
    // again with the right passcode (the passcode is not part of the request hash).
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::Refuse(
        403,
        json!({"detail": "Invalid passcode"}),
    ));
    let client = memory_client(&fake);
    let request = PayoutExecutionRequest::new(56, 9, passcode("000000"));
    let err = client
        .executions()
        .with_policy(fast_policy())
        .payout(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert_eq!(
        intent(&client, &request.reference_id).await.state,
        IntentState::Rejected
    );
    let mut fixed = request.clone();
    fixed.passcode = passcode("123456");
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .payout(&fixed)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_posts(&fake, &request.reference_id, 2);
    assert_eq!(
        fake.execution_posts()[1]["passcode"]["token"]["code"],
        "123456"
    );
}

#[tokio::test]
async fn a_refusal_after_an_ambiguous_attempt_is_not_taken_as_final() {
    // First POST: 500 (not processed here, but the SDK cannot know); status 404; second POST is
    // refused — which could be *because* the first landed (session used). Status decides.
    let fake = FakeApi::new();
    fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(500));
    fake.push_post_fault(PostFault::Refuse(
        404,
        json!({"detail": "Session not found or not ACTIVE"}),
    ));
    let client = memory_client(&fake);
    let request = collection();
    let err = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousExecution);
    assert!(err.message().contains("not ACTIVE"), "{err}");
    assert_posts(&fake, &request.reference_id, 2);
    assert_eq!(
        intent(&client, &request.reference_id).await.state,
        IntentState::Pending
    );
}

#[tokio::test]
async fn a_reference_id_is_bound_to_its_request() {
    let fake = FakeApi::new();
    fake.set_new_script(&["COMPLETED"]);
    let client = memory_client(&fake);
    let request = collection();
    client.executions().collection(&request).await.unwrap();
    let before = fake.all_requests();

    // Different parameters: refused locally, nothing sent (not even a token request).
    let mut other = request.clone();
    other.payment_account_id = 8;
    let err = client.executions().collection(&other).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    // Another operation type with the same id: also a conflict.
    let refund = RefundExecutionRequest::new(55).with_reference_id(request.reference_id.clone());
    assert_eq!(
        client
            .executions()
            .refund(&refund)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        fake.all_requests(),
        before,
        "nothing may be sent for a conflicting reuse"
    );

    // The same parameters after completion: the journaled execution, nothing sent.
    let again = client
        .executions()
        .collection(&request.clone())
        .await
        .unwrap();
    assert_eq!(again.status, ExecutionStatus::Completed);
    assert_eq!(again.reference_id, request.reference_id);
    assert_eq!(fake.all_requests(), before);
    assert_posts(&fake, &request.reference_id, 1);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_journaled_or_sent() {
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let mut request = collection();
    request.currency = "usd".into();
    let err = client.executions().collection(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert!(client
        .journal()
        .get(&request.reference_id)
        .await
        .unwrap()
        .is_none());
    // An empty reference id is refused, never silently replaced by a new one.
    let err = client
        .executions()
        .transfer(&TransferExecutionRequest::new(5).with_reference_id(""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(fake.all_requests(), 0);
}

/// A journal that fails on command, wrapping a working one.
struct FailingJournal {
    inner: MemoryJournal,
    fail_begin: bool,
    fail_attempt: bool,
    calls: AtomicUsize,
}

#[async_trait]
impl Journal for FailingJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_begin {
            return Err(Error::internal("disk full"));
        }
        self.inner.begin(intent, lease).await
    }
    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        if self.fail_attempt {
            return Err(Error::internal("disk full"));
        }
        self.inner.record_attempt(reference_id, lease).await
    }
    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        self.inner.acquire(reference_id, lease).await
    }
    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        self.inner.release(reference_id, owner, generation).await
    }
    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        self.inner.claim_unresolved(lease, after, limit).await
    }
    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        self.inner.record_outcome(reference_id, outcome).await
    }
    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        self.inner.get(reference_id).await
    }
    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        self.inner.list_unresolved().await
    }
}

#[tokio::test]
async fn no_journal_record_means_no_request() {
    for (fail_begin, fail_attempt) in [(true, false), (false, true)] {
        let fake = FakeApi::new();
        let journal = Arc::new(FailingJournal {
            inner: MemoryJournal::new(),
            fail_begin,
            fail_attempt,
            calls: AtomicUsize::new(0),
        });
        let client = client(&fake, JournalConfig::Custom(journal.clone()));
        let request = collection();
        let err = client.executions().collection(&request).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Internal,
            "begin {fail_begin}, attempt {fail_attempt}"
        );
        assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
        assert!(
            err.message().contains("disk full") && err.message().contains("nothing was sent"),
            "{err}"
        );
        assert_eq!(
            journal.calls.load(Ordering::SeqCst),
            1,
            "the custom journal was used"
        );
        assert_eq!(
            fake.execution_posts().len(),
            0,
            "no execution may be sent without a journal record"
        );
    }
}

#[tokio::test]
async fn a_journaled_pending_intent_is_resumed_by_status_first() {
    // As after a crash between the POST and its answer: the journal has the attempt, the API has
    // the execution. Executing the same request again must adopt it, not POST.
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let request = TransferExecutionRequest::new(77);
    fake.with(|s| s.post_faults.push_back(PostFault::LoseResponseAfterCommit));
    fake.with(|s| s.status_fault_always = Some(StatusFault::ServerError));
    let err = client
        .executions()
        .with_policy(fast_policy())
        .transfer(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousExecution);
    fake.with(|s| s.status_fault_always = None);
    let execution = client.executions().transfer(&request).await.unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_posts(&fake, &request.reference_id, 1);

    // A journaled intent that was never sent (crash right after begin): status 404, then POST.
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let request = collection();
    let hash = dollr_core::journal::request_hash(
        &dollr_core::OperationType::Collection,
        &dollr_core::ExecutionRequest::hashed_fields(&request).unwrap(),
    );
    client
        .journal()
        .begin(
            NewIntent {
                reference_id: request.reference_id.clone(),
                operation: dollr_core::OperationType::Collection,
                request_hash: hash,
                request: dollr_core::ExecutionRequest::journal_value(&request).unwrap(),
            },
            &LeaseRequest::new(client.lease_owner(), Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let execution = client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_eq!(fake.status_gets(), 1);
    assert_posts(&fake, &request.reference_id, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_executes_of_one_request_post_it_at_most_once_per_landing() {
    let fake = FakeApi::new();
    let client = memory_client(&fake);
    let request = collection();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            client
                .executions()
                .with_policy(fast_policy())
                .collection(&request)
                .await
        }));
    }
    for task in tasks {
        let execution = task.await.unwrap().unwrap();
        assert_eq!(execution.reference_id, request.reference_id);
    }
    // Counted at the transport: the server holds one execution (one landing), and it took one
    // POST. The seven other callers found the intent journaled and asked status instead of
    // sending it again; a POST beyond the landing would be answered "duplicate reference_id".
    let landings = fake.with(|s| s.executions.len());
    assert_eq!(landings, 1, "one execution on the server");
    assert!(fake.committed(&request.reference_id));
    let posts = fake.execution_posts();
    assert!(
        posts.len() <= landings,
        "{} execution POSTs for {landings} landing(s): {posts:?}",
        posts.len()
    );
    assert_posts(&fake, &request.reference_id, landings);
}

/// A real HTTP server that commits an execution and then answers too late (a client timeout).
mod over_http {
    use super::*;
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use execution_support::execution_json;
    use serde_json::Value;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Server {
        posts: Mutex<Vec<Value>>,
        committed: Mutex<Vec<String>>,
    }

    async fn token() -> Json<Value> {
        Json(json!({"access_token": "t", "expires_in": 60}))
    }

    async fn execute(
        State(server): State<Arc<Server>>,
        Json(body): Json<Value>,
    ) -> impl IntoResponse {
        let reference_id = body["reference_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        server.posts.lock().unwrap().push(body);
        server.committed.lock().unwrap().push(reference_id.clone());
        // Committed; the answer arrives after the client gave up.
        tokio::time::sleep(Duration::from_secs(5)).await;
        Json(execution_json(&reference_id, "COLLECTION", "PENDING"))
    }

    async fn status(
        State(server): State<Arc<Server>>,
        Path(reference_id): Path<String>,
    ) -> impl IntoResponse {
        if server.committed.lock().unwrap().contains(&reference_id) {
            (
                StatusCode::OK,
                Json(execution_json(&reference_id, "COLLECTION", "PROCESSING")),
            )
        } else {
            (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"})))
        }
    }

    #[tokio::test]
    async fn a_timed_out_post_over_real_http_is_adopted_from_status() {
        let server = Arc::new(Server::default());
        let app = Router::new()
            .route("/v1/jwt/client/obtain/token", post(token))
            .route("/v1/executions/collection", post(execute))
            .route("/v1/status/collection/{reference_id}", get(status))
            .with_state(server.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::builder()
            .ignore_env()
            .base_url(format!("http://{address}"))
            .client_id("id")
            .client_secret("secret")
            .timeout(Duration::from_millis(400))
            .build()
            .unwrap();
        let request = collection();
        let execution = client
            .executions()
            .with_policy(fast_policy())
            .collection(&request)
            .await
            .unwrap();
        assert_eq!(execution.reference_id, request.reference_id);
        assert_eq!(execution.status, ExecutionStatus::Processing);
        assert_eq!(
            server.posts.lock().unwrap().len(),
            1,
            "exactly one execution POST reached the server"
        );
        assert_eq!(
            client
                .journal()
                .get(&request.reference_id)
                .await
                .unwrap()
                .unwrap()
                .state,
            IntentState::Processing
        );
    }
}

fn passcode(code: &str) -> Passcode {
    Passcode {
        token: PasscodeToken {
            code: Secret::new(code),
            user_id: Some("user-1".into()),
            phone: None,
        },
        device: PasscodeDevice {
            name: "worker".into(),
            device_type: "SERVER".into(),
            platform: "NODE".into(),
            user_agent: "tests".into(),
            client_ip: "10.0.0.1".into(),
        },
    }
}

#[tokio::test]
async fn reconcile_after_a_crash_brings_every_intent_to_its_status() {
    let dir = TempDir::new("reconcile");
    let path = dir.file("journal.sqlite");
    let fake = FakeApi::new();
    let landed = collection(); // committed, answer lost; will complete
    let never_landed = collection(); // 500 before processing
    let slow = RefundExecutionRequest::new(88); // committed, answer lost; stays processing
    let payout = PayoutExecutionRequest::new(60, 9, passcode("424242")); // never landed
    {
        // The first process: status is down, so every call ends ambiguous (as a crash would).
        let first = client(&fake, JournalConfig::Sqlite(path.clone()));
        fake.with(|s| s.status_fault_always = Some(StatusFault::ServerError));
        let policy = ExecutePolicy {
            max_attempts: 1,
            ..fast_policy()
        };
        fake.push_post_fault(PostFault::LoseResponseAfterCommit);
        fake.set_new_script(&["PENDING", "COMPLETED"]);
        let e1 = first
            .executions()
            .with_policy(policy.clone())
            .collection(&landed)
            .await
            .unwrap_err();
        fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(500));
        let e2 = first
            .executions()
            .with_policy(policy.clone())
            .collection(&never_landed)
            .await
            .unwrap_err();
        fake.push_post_fault(PostFault::TimeoutAfterCommit);
        fake.set_new_script(&["PROCESSING"]);
        let e3 = first
            .executions()
            .with_policy(policy.clone())
            .refund(&slow)
            .await
            .unwrap_err();
        fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(500));
        let e4 = first
            .executions()
            .with_policy(policy)
            .payout(&payout)
            .await
            .unwrap_err();
        for e in [&e1, &e2, &e3, &e4] {
            assert_eq!(e.kind(), ErrorKind::AmbiguousExecution, "{e}");
        }
        assert_eq!(first.journal().list_unresolved().await.unwrap().len(), 4);
    }
    fake.with(|s| s.status_fault_always = None);
    let posts_before = fake.execution_posts().len();

    // The restarted process: a new client on the same file.
    let second = client(&fake, JournalConfig::Sqlite(path.clone()));
    let report = second.reconcile(ReconcileOptions::default()).await.unwrap();
    assert_eq!(report.entries.len(), 4);
    assert_eq!(
        (
            report.completed,
            report.still_processing,
            report.not_submitted,
            report.failed,
            report.unreachable
        ),
        (1, 1, 2, 0, 0),
        "{report:?}"
    );
    let entry = report.entry(&landed.reference_id).unwrap();
    assert_eq!(entry.outcome, ReconcileOutcome::Completed);
    assert_eq!(
        entry.execution.as_ref().unwrap().status,
        ExecutionStatus::Completed
    );
    assert_eq!(
        report.entry(&never_landed.reference_id).unwrap().outcome,
        ReconcileOutcome::NotSubmitted
    );
    assert_eq!(
        report.entry(&slow.reference_id).unwrap().outcome,
        ReconcileOutcome::StillProcessing
    );
    assert_eq!(
        report.entry(&payout.reference_id).unwrap().outcome,
        ReconcileOutcome::NotSubmitted
    );
    assert_eq!(
        fake.execution_posts().len(),
        posts_before,
        "reconcile only looks unless asked to resubmit"
    );

    // The journal now says so. Only the completed one is resolved: `NotSubmitted` is not final (a
    // POST delayed in the network could still land), so the next reconcile looks again.
    let journal = second.journal();
    assert_eq!(
        journal
            .get(&landed.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Completed
    );
    assert_eq!(
        journal
            .get(&never_landed.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::NotSubmitted
    );
    let unresolved: Vec<String> = journal
        .list_unresolved()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.reference_id)
        .collect();
    assert_eq!(
        unresolved,
        vec![
            never_landed.reference_id.clone(),
            slow.reference_id.clone(),
            payout.reference_id.clone()
        ]
    );

    // Opting in: intents the API never saw are re-POSTed with the SAME reference id — but a
    // payout only with a passcode, since the journal never had it.
    let again = collection();
    let payout_again = PayoutExecutionRequest::new(61, 9, passcode("515151"));
    lose_before_processing(&fake, &second, &again, &payout_again).await;
    fake.set_new_script(&["COMPLETED"]);
    let report = second
        .reconcile(ReconcileOptions {
            resubmit: true,
            payout_passcode: None,
            policy: fast_policy(),
        })
        .await
        .unwrap();
    let entry = report.entry(&again.reference_id).unwrap();
    assert_eq!(entry.outcome, ReconcileOutcome::Resubmitted, "{entry:?}");
    assert_eq!(
        entry.execution.as_ref().unwrap().status,
        ExecutionStatus::Completed
    );
    // Reconcile works on several intents at once, so the resubmissions come in any order.
    assert_eq!(
        fake.execution_posts()
            .iter()
            .filter(|post| post["reference_id"] == again.reference_id)
            .count(),
        2,
        "the lost attempt and the resubmission, same id"
    );
    let entry = report.entry(&payout_again.reference_id).unwrap();
    assert_eq!(entry.outcome, ReconcileOutcome::NotSubmitted);
    assert!(
        entry
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("passcode"),
        "{entry:?}"
    );
    // The first run's never-landed collection is still open and is resubmitted too, same id.
    assert_eq!(
        report.entry(&never_landed.reference_id).unwrap().outcome,
        ReconcileOutcome::Resubmitted
    );
    assert_eq!(report.resubmitted, 2);

    // With the passcode in the options, the payout is resubmitted too (same id, code on the wire).
    let posts_before = fake.execution_posts().len();
    let payout_third = PayoutExecutionRequest::new(62, 9, passcode("616161"));
    lose_before_processing(&fake, &second, &collection(), &payout_third).await;
    let report = second
        .reconcile(ReconcileOptions {
            resubmit: true,
            payout_passcode: Some(passcode("717171")),
            policy: fast_policy(),
        })
        .await
        .unwrap();
    assert_eq!(
        report.entry(&payout_third.reference_id).unwrap().outcome,
        ReconcileOutcome::Resubmitted
    );
    let posts = fake.execution_posts();
    let resent: Vec<_> = posts[posts_before..]
        .iter()
        .filter(|b| b["reference_id"] == payout_third.reference_id)
        .collect();
    assert_eq!(
        resent.len(),
        2,
        "the lost attempt and the resubmission, same id"
    );
    assert_eq!(resent[1]["passcode"]["token"]["code"], "717171");
}

/// Executes `collection` and `payout` while every POST fails before processing and status is
/// down, leaving both intents pending in the journal (as a crash would).
async fn lose_before_processing(
    fake: &FakeApi,
    client: &Client,
    collection: &CollectionExecutionRequest,
    payout: &PayoutExecutionRequest,
) {
    fake.with(|s| s.status_fault_always = Some(StatusFault::ServerError));
    let policy = ExecutePolicy {
        max_attempts: 1,
        ..fast_policy()
    };
    fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(500));
    let e = client
        .executions()
        .with_policy(policy.clone())
        .collection(collection)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AmbiguousExecution);
    fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(500));
    let e = client
        .executions()
        .with_policy(policy)
        .payout(payout)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AmbiguousExecution);
    fake.with(|s| s.status_fault_always = None);
}
