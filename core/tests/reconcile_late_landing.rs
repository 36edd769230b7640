//! Reconcile's `NotSubmitted` is not final: an execution POST that is delayed in the network and
//! lands AFTER reconcile was told "not found" is adopted by the next reconcile, under its own
//! reference id, and nothing is paid twice. Against the in-process sandbox, whose `delay_commit`
//! fault holds an execution's commit until a given number of status lookups answered 404.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dollr_core::models::TransferExecutionRequest;
use dollr_core::{
    new_reference_id, ApiRequest, Client, ErrorKind, ExecutePolicy, IntentState, OperationType,
    ReconcileOptions, ReconcileOutcome, RetryPolicy,
};
use dollr_sandbox::{FaultRule, Sandbox, SandboxConfig};
use serde_json::json;

fn client_for(sandbox: &Sandbox) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(2),
        })
        .build()
        .unwrap()
}

/// One POST and one status lookup: a lost answer ends the call `AmbiguousExecution`.
fn stingy() -> ExecutePolicy {
    ExecutePolicy {
        max_attempts: 1,
        max_status_checks: 1,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(1),
    }
}

/// Party → counterparty → a transfer session from the RWF wallet. Returns a request for it.
async fn transfer_request(client: &Client) -> TransferExecutionRequest {
    let party = client
        .send_value(
            ApiRequest::post("/v1/parties/create")
                .json(&json!({"fullname": "Aline Uwase", "phone": "250781234567", "country_code": "LR"}))
                .unwrap(),
        )
        .await
        .unwrap();
    let counterparty = client
        .send_value(
            ApiRequest::post("/v1/counterparties/create")
                .json(&json!({"relationship_type": "CUSTOMER", "party_id": party["id"]}))
                .unwrap(),
        )
        .await
        .unwrap();
    let expires = (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    let session = client
        .send_value(
            ApiRequest::post("/v1/sessions/transfer")
                .json(
                    &json!({"from_wallet_id": 3, "to_counterparty_id": counterparty["id"],
                              "amount": 10000, "currency": "RWF", "expires_at": expires}),
                )
                .unwrap(),
        )
        .await
        .unwrap();
    TransferExecutionRequest {
        session_id: session["id"].as_i64().unwrap(),
        reference_id: new_reference_id(),
    }
}

async fn journal_state(client: &Client, reference_id: &str) -> IntentState {
    client
        .journal()
        .get(reference_id)
        .await
        .unwrap()
        .unwrap()
        .state
}

#[tokio::test]
async fn a_post_that_lands_after_reconcile_saw_404_is_adopted_by_the_next_reconcile() {
    // The test settles the landed payment itself (`advance_to_final`, which fails on a final
    // one): a settle time no run reaches keeps the sandbox clock from getting there first.
    let sandbox = Sandbox::start(SandboxConfig::for_tests(600_000))
        .await
        .unwrap();
    let client = client_for(&sandbox);
    let request = transfer_request(&client).await;
    let reference_id = request.reference_id.clone();

    // The POST is held by the network: the execute call's one lookup (404) and the first
    // reconcile's lookup (404) come before it lands.
    sandbox.add_fault(FaultRule::delay_commit(2).count(1));
    let error = client
        .executions()
        .with_policy(stingy())
        .transfer(&request)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AmbiguousExecution, "{error}");
    assert_eq!(error.reference_id(), Some(reference_id.as_str()));

    let first = client.reconcile(ReconcileOptions::default()).await.unwrap();
    let entry = first.entry(&reference_id).unwrap();
    assert_eq!(entry.outcome, ReconcileOutcome::NotSubmitted, "{entry:?}");
    assert_eq!(first.not_submitted, 1);
    // Not final: still listed for the next reconcile.
    assert_eq!(
        journal_state(&client, &reference_id).await,
        IntentState::NotSubmitted
    );
    assert!(journal_state(&client, &reference_id).await.is_unresolved());
    assert_eq!(
        client
            .journal()
            .list_unresolved()
            .await
            .unwrap()
            .iter()
            .map(|i| i.reference_id.clone())
            .collect::<Vec<_>>(),
        vec![reference_id.clone()]
    );

    // The delayed POST has now landed; the sandbox settles it.
    assert_eq!(sandbox.stats()["executions"]["commits_landed"], 1);
    let settled = sandbox.advance_to_final(&reference_id).unwrap();
    assert_eq!(settled, "COMPLETED");

    // The next reconcile asks again and adopts it, as the sandbox holds it.
    let second = client.reconcile(ReconcileOptions::default()).await.unwrap();
    let entry = second.entry(&reference_id).unwrap_or_else(|| {
        panic!("the next reconcile did not look at {reference_id} again: {second:?}")
    });
    assert_eq!(entry.outcome, ReconcileOutcome::Completed, "{entry:?}");
    assert_eq!(
        entry.execution.as_ref().unwrap().reference_id,
        reference_id.as_str()
    );
    assert_eq!(
        journal_state(&client, &reference_id).await,
        IntentState::Completed
    );
    assert!(client.journal().list_unresolved().await.unwrap().is_empty());
    let adopted = client.status().transfer(&reference_id).await.unwrap();
    assert_eq!(adopted.reference_id, reference_id);

    // One payment, one execution, one POST: nothing was paid twice.
    let stats = sandbox.stats();
    assert_eq!(stats["duplicate_payments"], 0, "{stats:#}");
    assert_eq!(stats["executions"]["created"], 1, "{stats:#}");
    assert_eq!(stats["executions"]["posts"], 1, "{stats:#}");
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference_id]["status"],
        "COMPLETED"
    );
    // Operation type as the journal recorded it.
    assert_eq!(
        client
            .journal()
            .get(&reference_id)
            .await
            .unwrap()
            .unwrap()
            .operation,
        OperationType::Transfer
    );
}

#[tokio::test]
async fn resubmitting_a_not_submitted_intent_uses_its_own_reference_id_and_pays_once() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(40)).await.unwrap();
    let client = client_for(&sandbox);
    let request = transfer_request(&client).await;
    let reference_id = request.reference_id.clone();
    // Held for longer than the execute call and the first reconcile look.
    sandbox.add_fault(FaultRule::delay_commit(5).count(1));
    let error = client
        .executions()
        .with_policy(stingy())
        .transfer(&request)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AmbiguousExecution, "{error}");

    // Resubmission: status first (404, still held), then the same reference id is POSTed — the
    // held original lands first and the resubmission finds it.
    let report = client
        .reconcile(ReconcileOptions {
            resubmit: true,
            policy: ExecutePolicy {
                max_attempts: 2,
                max_status_checks: 3,
                ..stingy()
            },
            ..ReconcileOptions::default()
        })
        .await
        .unwrap();
    let entry = report.entry(&reference_id).unwrap();
    assert_eq!(entry.outcome, ReconcileOutcome::Resubmitted, "{entry:?}");
    assert_eq!(
        entry.execution.as_ref().unwrap().reference_id,
        reference_id.as_str()
    );
    let stats = sandbox.stats();
    assert_eq!(stats["duplicate_payments"], 0, "{stats:#}");
    assert_eq!(stats["executions"]["created"], 1, "{stats:#}");
    assert_eq!(stats["executions"]["idempotent_replays"], 1, "{stats:#}");
    // Every execution POST carried the one reference id.
    let by_reference = stats["executions"]["by_reference_id"].as_object().unwrap();
    assert_eq!(by_reference.len(), 1, "{stats:#}");
    assert_eq!(by_reference[&reference_id]["posts"], 2, "{stats:#}");
}
