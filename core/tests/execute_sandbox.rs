//! Exactly-once executions and waits against the real local sandbox (`dollr-sandbox`), using its
//! fault injection (a response dropped AFTER the execution is committed, a 5xx before processing)
//! and its stats (one execution per reference id, never a duplicate payment).

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dollr_core::models::CollectionExecutionRequest;
use dollr_core::transport::{
    HttpRequest, HttpResponse, Method, ReqwestTransport, Transport, TransportError,
};
use dollr_core::{
    test_numbers, ApiRequest, Client, ErrorKind, ExecutePolicy, ExecutionStatus, IntentState,
    OperationType, ReconcileOptions, ReconcileOutcome, RetryPolicy, WaitOptions, WaitOutcome,
};
use dollr_sandbox::{FaultRule, FaultScope, Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn sandbox(settle_ms: u64) -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests(settle_ms))
        .await
        .unwrap()
}

/// The real reqwest transport, recording the body of every execution POST it sends.
struct Recording {
    inner: ReqwestTransport,
    execution_bodies: Mutex<Vec<Value>>,
}

#[async_trait]
impl Transport for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.method == Method::Post && request.url.contains("/v1/executions/") {
            let body = request
                .body
                .as_deref()
                .map(|b| serde_json::from_slice(b).unwrap())
                .unwrap_or(Value::Null);
            self.execution_bodies.lock().unwrap().push(body);
        }
        self.inner.send(request).await
    }
}

fn client_for(sandbox: &Sandbox) -> (Client, Arc<Recording>) {
    let builder = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(2),
        });
    let recording = Arc::new(Recording {
        inner: ReqwestTransport::new(builder.resolve().unwrap().reqwest_settings()).unwrap(),
        execution_bodies: Mutex::new(Vec::new()),
    });
    (
        builder.transport(recording.clone()).build().unwrap(),
        recording,
    )
}

/// Every execution POST the client sent carried `reference_id`; returns how many there were.
fn posts_with(recording: &Recording, reference_id: &str) -> usize {
    let bodies = recording.execution_bodies.lock().unwrap();
    for body in bodies.iter() {
        assert_eq!(
            body["reference_id"], reference_id,
            "a POST carried another reference id: {body}"
        );
    }
    bodies.len()
}

fn policy() -> ExecutePolicy {
    ExecutePolicy {
        max_attempts: 3,
        max_status_checks: 5,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(3),
    }
}

fn fast_wait(timeout: Duration) -> WaitOptions {
    WaitOptions {
        timeout,
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        backoff_factor: 1.5,
        max_not_found: 3,
        ..WaitOptions::default()
    }
}

async fn call(client: &Client, request: ApiRequest) -> Value {
    client.send_value(request).await.unwrap()
}

/// Party → counterparty → published invoice → payment account for `phone` → checkout session.
/// Returns a collection request (with a fresh reference id) for that session.
async fn collection_request(client: &Client, phone: &str) -> CollectionExecutionRequest {
    let party = call(
        client,
        ApiRequest::post("/v1/parties/create")
            .json(&json!({"fullname": "Amara Kamara", "phone": phone, "country_code": "LR"}))
            .unwrap(),
    )
    .await;
    let counterparty = call(
        client,
        ApiRequest::post("/v1/counterparties/create")
            .json(&json!({"relationship_type": "CUSTOMER", "party_id": party["id"]}))
            .unwrap(),
    )
    .await;
    let invoice = call(
        client,
        ApiRequest::post("/v1/invoices/create")
            .json(&json!({"counterparty_id": counterparty["id"], "currency": "USD", "note": "exactly once",
                           "fee_bearer": "PAYER", "as_payment_link": false}))
            .unwrap(),
    )
    .await;
    let invoice_id = invoice["id"].as_i64().unwrap();
    call(
        client,
        ApiRequest::post(format!("/v1/invoices/{invoice_id}/items/add"))
            .json(&json!({"name": "Rice, 25 kg", "currency": "USD", "qty": 1, "amount": 10}))
            .unwrap(),
    )
    .await;
    call(
        client,
        ApiRequest::put(format!("/v1/invoices/publish/{invoice_id}")),
    )
    .await;
    let mmo = call(
        client,
        ApiRequest::get("/v1/predictions/mmo-provider-info")
            .query("phone", phone)
            .query("operation_type", "COLLECTION"),
    )
    .await;
    let account = call(
        client,
        ApiRequest::post("/v1/payment-accounts/create")
            .query("operation_type", "COLLECTION")
            .json(&json!({"account_name": "MoMo", "provider": mmo["gateway_provider"], "method": mmo["payment_method"],
                           "party_id": party["id"], "insensitive_account_number": phone}))
            .unwrap(),
    )
    .await;
    let session = call(
        client,
        ApiRequest::post("/v1/sessions/checkout")
            .json(&json!({"source_id": invoice_id, "source_type": "INVOICE"}))
            .unwrap(),
    )
    .await;
    CollectionExecutionRequest::new(
        session["id"].as_i64().unwrap(),
        account["id"].as_i64().unwrap(),
        "USD",
    )
}

/// The sandbox's view of one reference id.
fn stats_for(sandbox: &Sandbox, reference_id: &str) -> Value {
    sandbox.stats()["executions"]["by_reference_id"][reference_id].clone()
}

fn assert_no_duplicate_payment(sandbox: &Sandbox) {
    let stats = sandbox.stats();
    assert_eq!(stats["duplicate_payments"], 0, "{stats}");
    // Every execution the sandbox holds has its own reference id: one execution per id.
    let by_reference = stats["executions"]["by_reference_id"].as_object().unwrap();
    for (reference_id, entry) in by_reference {
        assert!(
            entry["posts"].as_u64().unwrap_or(0) >= 1,
            "{reference_id}: {entry}"
        );
    }
}

#[tokio::test]
async fn a_dropped_response_is_adopted_and_executed_once() {
    let sandbox = sandbox(30).await;
    let (client, recording) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::COMPLETES).await;
    sandbox.add_fault(FaultRule::drop_response().count(1));
    let execution = client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    let stats = stats_for(&sandbox, &request.reference_id);
    assert_eq!(
        stats["posts"], 1,
        "adopted from status, never re-POSTed: {stats}"
    );
    assert_eq!(stats["created"], true, "{stats}");
    assert_eq!(posts_with(&recording, &request.reference_id), 1);
    assert_eq!(sandbox.stats()["executions"]["created"], 1);
    assert_eq!(sandbox.stats()["faults"]["drop_response"], 1);
    let outcome = client
        .status()
        .wait(
            OperationType::Collection,
            &request.reference_id,
            fast_wait(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.execution().unwrap().status,
        ExecutionStatus::Completed
    );
    assert_eq!(
        client
            .journal()
            .get(&request.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Completed
    );
    assert_no_duplicate_payment(&sandbox);
}

#[tokio::test]
async fn a_5xx_before_processing_is_re_posted_with_the_same_id() {
    let sandbox = sandbox(30).await;
    let (client, recording) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::COMPLETES).await;
    sandbox.add_fault(FaultRule::error(503).scope(FaultScope::Executions).count(1));
    let execution = client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    let stats = stats_for(&sandbox, &request.reference_id);
    assert_eq!(
        posts_with(&recording, &request.reference_id),
        2,
        "the 503 and the re-POST, same id"
    );
    assert_eq!(stats["posts"], 1, "one POST reached the handler: {stats}");
    assert_eq!(stats["created"], true, "{stats}");
    assert_eq!(sandbox.stats()["executions"]["created"], 1);
    assert_no_duplicate_payment(&sandbox);
}

#[tokio::test]
async fn an_unresolvable_outcome_is_ambiguous_and_resumable_with_the_same_id() {
    let sandbox = sandbox(30).await;
    let (client, recording) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::COMPLETES).await;
    sandbox.add_fault(FaultRule::error(502).scope(FaultScope::Executions));
    let err = client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AmbiguousExecution);
    assert_eq!(err.reference_id(), Some(request.reference_id.as_str()));
    assert_eq!(
        posts_with(&recording, &request.reference_id),
        3,
        "bounded re-POSTs, all with the same id"
    );
    let refused = sandbox
        .request_log()
        .iter()
        .filter(|e| e.method == "POST" && e.path.starts_with("/v1/executions/") && e.status == 502)
        .count();
    assert_eq!(refused, 3, "the sandbox saw the three POSTs");
    assert_eq!(sandbox.stats()["executions"]["created"], 0);
    assert_eq!(
        client
            .journal()
            .get(&request.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Pending
    );

    // The outage ends: reconcile finds nothing landed; executing the same request again resumes
    // with the same id and executes it exactly once.
    sandbox.clear_faults();
    let report = client.reconcile(ReconcileOptions::default()).await.unwrap();
    assert_eq!(
        report.entry(&request.reference_id).unwrap().outcome,
        ReconcileOutcome::NotSubmitted
    );
    let execution = client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.reference_id, request.reference_id);
    assert_eq!(stats_for(&sandbox, &request.reference_id)["created"], true);
    assert_eq!(sandbox.stats()["executions"]["created"], 1);
    assert_eq!(
        posts_with(&recording, &request.reference_id),
        4,
        "still the same id after the outage"
    );
    assert_no_duplicate_payment(&sandbox);
}

#[tokio::test]
async fn wait_follows_a_slow_payment_across_a_deadline() {
    // The sandbox moves the payment only when the test says so (a settle time no run reaches):
    // the first wait's deadline passes with it in flight however the test is scheduled, and it
    // completes only between the two waits.
    let sandbox = sandbox(600_000).await;
    let (client, _) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::SLOW).await;
    client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    // A slow payment: at the operator (PROCESSING) for a long time.
    assert_eq!(
        sandbox.advance(&request.reference_id).unwrap(),
        "PROCESSING"
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = fast_wait(Duration::from_millis(60))
        .on_transition(move |t| sink.lock().unwrap().push((t.from.clone(), t.to.clone())));
    let first = client
        .status()
        .wait(
            OperationType::Collection,
            &request.reference_id,
            options.clone(),
        )
        .await
        .unwrap();
    match &first {
        WaitOutcome::StillProcessing {
            reference_id, last, ..
        } => {
            assert_eq!(reference_id, &request.reference_id);
            // What the wait saw, if its poll answered before the deadline (it has at least
            // 1 s to): the payment in flight.
            if let Some(last) = last {
                assert_eq!(last.status, ExecutionStatus::Processing, "{last:?}");
            }
        }
        other => panic!("expected StillProcessing, got {other:?}"),
    }
    // The operator answers; the resumed wait picks it up.
    assert_eq!(
        sandbox.advance_to_final(&request.reference_id).unwrap(),
        "COMPLETED"
    );
    let resumed = client
        .status()
        .wait(
            OperationType::Collection,
            &request.reference_id,
            WaitOptions {
                timeout: Duration::from_secs(15),
                ..options
            },
        )
        .await
        .unwrap();
    assert_eq!(
        resumed.execution().unwrap().status,
        ExecutionStatus::Completed
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last().unwrap().1, ExecutionStatus::Completed);
    assert!(
        seen.iter().all(|(from, to)| from.as_ref() != Some(to)),
        "only changes are reported: {seen:?}"
    );
    assert!(resumed.anomalies().is_empty(), "{:?}", resumed.anomalies());
    assert_eq!(
        client
            .journal()
            .get(&request.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Completed
    );
}

#[tokio::test]
async fn wait_reports_a_declined_payment_as_failed() {
    let sandbox = sandbox(20).await;
    let (client, _) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::DECLINES).await;
    client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    let outcome = client
        .status()
        .wait(
            OperationType::Collection,
            &request.reference_id,
            fast_wait(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert!(outcome.is_finished());
    assert_eq!(outcome.execution().unwrap().status, ExecutionStatus::Failed);
    assert_eq!(
        client
            .journal()
            .get(&request.reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Failed
    );
}

#[tokio::test]
async fn wait_sees_each_step_the_sandbox_is_advanced_through() {
    // Settling never happens by itself: the test moves the execution and the wait follows.
    let sandbox = sandbox(600_000).await;
    let (client, _) = client_for(&sandbox);
    let request = collection_request(&client, test_numbers::COMPLETES).await;
    let execution = client
        .executions()
        .with_policy(policy())
        .collection(&request)
        .await
        .unwrap();
    assert_eq!(execution.status, ExecutionStatus::Pending);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = fast_wait(Duration::from_secs(10)).on_transition(move |t| {
        let _ = tx.send((t.from.clone(), t.to.clone()));
    });
    let waiter = {
        let client = client.clone();
        let reference_id = request.reference_id.clone();
        tokio::spawn(async move {
            client
                .status()
                .wait(OperationType::Collection, &reference_id, options)
                .await
        })
    };
    assert_eq!(
        sandbox.advance(&request.reference_id).unwrap(),
        "PROCESSING"
    );
    let step = rx.recv().await.unwrap();
    assert_eq!(
        step,
        (Some(ExecutionStatus::Pending), ExecutionStatus::Processing)
    );
    assert_eq!(sandbox.advance(&request.reference_id).unwrap(), "COMPLETED");
    let outcome = waiter.await.unwrap().unwrap();
    assert_eq!(
        outcome.execution().unwrap().status,
        ExecutionStatus::Completed
    );
    assert_eq!(
        rx.recv().await.unwrap(),
        (
            Some(ExecutionStatus::Processing),
            ExecutionStatus::Completed
        )
    );
}
