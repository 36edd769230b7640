//! `client.status().wait(..)` and the status state machines: transitions observed in order, a
//! deadline that returns "still processing" (not an error) and a later wait that resumes, transient
//! errors retried, illegal transitions and unknown statuses reported.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dollr_core::models::CollectionExecutionRequest;
use dollr_core::{
    ErrorKind, ExecutionStatus, IntentState, JournalConfig, OperationType, SessionStatus,
    SourceStatus, StatusAnomaly, StatusMachine, Transition, WaitOptions, WaitOutcome, WalletStatus,
};
use execution_support::{client, fast_policy, FakeApi, StatusFault};

fn fast(timeout: Duration) -> WaitOptions {
    WaitOptions {
        timeout,
        initial_interval: Duration::from_millis(2),
        max_interval: Duration::from_millis(10),
        backoff_factor: 2.0,
        max_not_found: 3,
        ..WaitOptions::default()
    }
}

/// Collects every transition the callback sees.
fn recorder() -> (Arc<Mutex<Vec<Transition>>>, WaitOptions) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options =
        fast(Duration::from_secs(10)).on_transition(move |t| sink.lock().unwrap().push(t.clone()));
    (seen, options)
}

fn pairs(seen: &Mutex<Vec<Transition>>) -> Vec<(Option<String>, String)> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|t| (t.from.as_ref().map(|s| s.to_string()), t.to.to_string()))
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn the_status_machines_know_their_legal_transitions() {
    use ExecutionStatus as E;
    assert!(E::Pending.can_transition_to(&E::Processing));
    assert!(E::Pending.can_transition_to(&E::Completed));
    assert!(E::Pending.can_transition_to(&E::Failed));
    assert!(E::Processing.can_transition_to(&E::Completed));
    assert!(E::Processing.can_transition_to(&E::Processing));
    assert!(!E::Processing.can_transition_to(&E::Pending));
    assert!(!E::Completed.can_transition_to(&E::Processing));
    assert!(!E::Failed.can_transition_to(&E::Completed));
    assert!(E::Completed.is_terminal() && E::Failed.is_terminal() && !E::Processing.is_terminal());
    let unknown = E::Other("ON_HOLD".into());
    assert!(!unknown.is_terminal());
    assert!(E::Processing.can_transition_to(&unknown));
    assert!(
        !E::Completed.can_transition_to(&unknown),
        "a terminal status never changes"
    );
    assert_eq!(
        E::Processing.check_transition(&unknown),
        Err(StatusAnomaly::UnknownStatus {
            machine: "execution",
            status: "ON_HOLD".into()
        })
    );
    let illegal = E::Completed.check_transition(&E::Processing).unwrap_err();
    assert_eq!(
        illegal,
        StatusAnomaly::IllegalTransition {
            machine: "execution",
            from: "COMPLETED".into(),
            to: "PROCESSING".into()
        }
    );
    let error = illegal.to_error();
    assert!(error.message().contains("COMPLETED") && error.message().contains("PROCESSING"));
    assert_eq!(E::Processing.check_transition(&E::Processing), Ok(()));

    use SourceStatus as S;
    assert!(S::Idle.can_transition_to(&S::Active));
    assert!(S::Active.can_transition_to(&S::Processing));
    assert!(S::Processing.can_transition_to(&S::Paid));
    assert!(
        S::Processing.can_transition_to(&S::Active),
        "a failed payment makes it payable again"
    );
    assert!(S::Idle.can_transition_to(&S::Canceled) && S::Active.can_transition_to(&S::Canceled));
    // Observed changes (#18): what a poller can see, so any status reachable along the edges —
    // a payment can start and settle between two polls (ACTIVE → PAID), and a failed one can
    // make the document payable and then cancelled (PROCESSING → ACTIVE → CANCELED).
    assert!(S::Active.can_transition_to(&S::Paid) && S::Idle.can_transition_to(&S::Paid));
    assert!(S::Processing.can_transition_to(&S::Canceled));
    assert!(
        !S::Active.can_transition_to(&S::Idle) && !S::Processing.can_transition_to(&S::Idle),
        "a published document never becomes a draft again"
    );
    assert!(
        !S::Paid.can_transition_to(&S::Active)
            && S::Paid.is_terminal()
            && S::Canceled.is_terminal()
    );

    assert!(SessionStatus::Active.can_transition_to(&SessionStatus::Used));
    assert!(SessionStatus::Active.can_transition_to(&SessionStatus::Expired));
    assert!(!SessionStatus::Used.can_transition_to(&SessionStatus::Active));
    assert!(!SessionStatus::Expired.can_transition_to(&SessionStatus::Used));

    assert!(WalletStatus::Active.can_transition_to(&WalletStatus::Frozen));
    assert!(WalletStatus::Frozen.can_transition_to(&WalletStatus::Active));
    assert!(WalletStatus::Restricted.can_transition_to(&WalletStatus::Closed));
    assert!(
        !WalletStatus::Closed.can_transition_to(&WalletStatus::Active)
            && WalletStatus::Closed.is_terminal()
    );
}

#[tokio::test]
async fn wait_reports_each_transition_in_order_and_finishes() {
    let fake = FakeApi::new();
    let client = client(&fake, JournalConfig::Memory);
    let reference_id = dollr_core::new_reference_id();
    fake.insert_execution(
        &reference_id,
        "PAYOUT",
        &[
            "PENDING",
            "PENDING",
            "PROCESSING",
            "PROCESSING",
            "PROCESSING",
            "COMPLETED",
        ],
    );
    let (seen, options) = recorder();
    let outcome = client
        .status()
        .wait(OperationType::Payout, &reference_id, options)
        .await
        .unwrap();
    assert!(outcome.is_finished());
    assert_eq!(outcome.reference_id(), reference_id);
    assert_eq!(
        outcome.execution().unwrap().status,
        ExecutionStatus::Completed
    );
    assert!(outcome.anomalies().is_empty());
    assert_eq!(
        pairs(&seen),
        vec![
            (None, "PENDING".into()),
            (some("PENDING"), "PROCESSING".into()),
            (some("PROCESSING"), "COMPLETED".into())
        ]
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|t| t.reference_id == reference_id && t.anomaly.is_none()));
    assert_eq!(fake.status_gets(), 6, "one poll per scripted status");
}

#[tokio::test]
async fn the_deadline_returns_still_processing_and_a_later_wait_resumes() {
    let fake = FakeApi::new();
    fake.set_new_script(&["PENDING", "PROCESSING"]);
    let client = client(&fake, JournalConfig::Memory);
    let request = CollectionExecutionRequest::new(55, 7, "USD");
    let reference_id = request.reference_id.clone();
    client
        .executions()
        .with_policy(fast_policy())
        .collection(&request)
        .await
        .unwrap();

    let (seen, mut options) = recorder();
    options.timeout = Duration::from_millis(80);
    let started = std::time::Instant::now();
    let outcome = client
        .status()
        .wait(OperationType::Collection, &reference_id, options.clone())
        .await
        .unwrap();
    let waited = started.elapsed();
    match &outcome {
        WaitOutcome::StillProcessing {
            reference_id: id,
            last,
            anomalies,
        } => {
            assert_eq!(id, &reference_id);
            assert_eq!(last.as_ref().unwrap().status, ExecutionStatus::Processing);
            assert!(anomalies.is_empty());
        }
        other => panic!("expected StillProcessing, got {other:?}"),
    }
    // The journaled PENDING (from the POST answer) is where the wait started.
    assert_eq!(pairs(&seen), vec![(some("PENDING"), "PROCESSING".into())]);
    let journaled = client.journal().get(&reference_id).await.unwrap().unwrap();
    assert_eq!(
        (journaled.state, journaled.last_status),
        (IntentState::Processing, Some(ExecutionStatus::Processing))
    );
    // An in-flight answer does not end the wait: it polled, and went on until the deadline.
    // (How many polls fit in 80 ms depends on scheduling, so only one is required; that the
    // wait did not return before its deadline does not.)
    assert!(fake.status_gets() >= 1, "it polled");
    assert!(
        waited >= options.timeout,
        "it kept waiting until the deadline, not just {waited:?}"
    );

    // Later (another wait, possibly another process): it completes.
    fake.hold(&reference_id, "COMPLETED");
    options.timeout = Duration::from_secs(10);
    let outcome = client
        .status()
        .wait(OperationType::Collection, &reference_id, options)
        .await
        .unwrap();
    assert!(
        matches!(&outcome, WaitOutcome::Finished { execution, .. } if execution.status == ExecutionStatus::Completed)
    );
    assert_eq!(
        pairs(&seen),
        vec![
            (some("PENDING"), "PROCESSING".into()),
            (some("PROCESSING"), "COMPLETED".into())
        ]
    );
    assert_eq!(
        client
            .journal()
            .get(&reference_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        IntentState::Completed
    );
}

#[tokio::test]
async fn transient_errors_and_early_404s_are_retried_until_the_answer() {
    let fake = FakeApi::new();
    let client = client(&fake, JournalConfig::Memory);
    let reference_id = dollr_core::new_reference_id();
    fake.insert_execution(&reference_id, "REFUND", &["COMPLETED"]);
    for fault in [
        StatusFault::ServerError,
        StatusFault::RateLimited("0.05"),
        StatusFault::Broken,
        StatusFault::NotFound,
        StatusFault::NotFound,
        StatusFault::ServerError,
    ] {
        fake.push_status_fault(fault);
    }
    let outcome = client
        .status()
        .wait(
            OperationType::Refund,
            &reference_id,
            fast(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert!(outcome.is_finished());
    assert_eq!(
        fake.status_gets(),
        7,
        "six failures, each retried once by the wait itself"
    );
}

#[tokio::test]
async fn errors_that_will_not_pass_end_the_wait_with_the_reference_id() {
    let fake = FakeApi::new();
    let client = client(&fake, JournalConfig::Memory);
    // Never created: a few 404s are tolerated, then NotFound.
    let missing = dollr_core::new_reference_id();
    let err = client
        .status()
        .wait(
            OperationType::Transfer,
            &missing,
            fast(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.reference_id(), Some(missing.as_str()));
    assert_eq!(
        fake.status_gets(),
        4,
        "max_not_found = 3 tolerated, the 4th is final"
    );

    // A 403 is not transient.
    let reference_id = dollr_core::new_reference_id();
    fake.insert_execution(&reference_id, "TRANSFER", &["PROCESSING"]);
    fake.push_status_fault(StatusFault::Refuse(403));
    let err = client
        .status()
        .wait(
            OperationType::Transfer,
            &reference_id,
            fast(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.reference_id(), Some(reference_id.as_str()));

    // A malformed reference id is refused before anything is sent.
    let before = fake.all_requests();
    let err = client
        .status()
        .wait(
            OperationType::Transfer,
            "not-a-uuid",
            fast(Duration::from_secs(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(fake.all_requests(), before);
}

#[tokio::test]
async fn a_status_that_goes_backwards_is_reported_not_accepted_silently() {
    let fake = FakeApi::new();
    let client = client(&fake, JournalConfig::Memory);
    let reference_id = dollr_core::new_reference_id();
    fake.insert_execution(
        &reference_id,
        "COLLECTION",
        &["PROCESSING", "PENDING", "ON_HOLD", "COMPLETED"],
    );
    let (seen, options) = recorder();
    let outcome = client
        .status()
        .wait(OperationType::Collection, &reference_id, options)
        .await
        .unwrap();
    assert!(
        outcome.is_finished(),
        "an unknown status is not terminal: the wait went on"
    );
    let illegal = StatusAnomaly::IllegalTransition {
        machine: "execution",
        from: "PROCESSING".into(),
        to: "PENDING".into(),
    };
    let unknown = StatusAnomaly::UnknownStatus {
        machine: "execution",
        status: "ON_HOLD".into(),
    };
    assert_eq!(outcome.anomalies(), &[illegal.clone(), unknown.clone()]);
    let anomalies: Vec<Option<StatusAnomaly>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.anomaly.clone())
        .collect();
    assert_eq!(anomalies, vec![None, Some(illegal), Some(unknown), None]);

    // Across waits too: the journal says COMPLETED, the API now says PROCESSING.
    let request = CollectionExecutionRequest::new(55, 7, "USD");
    fake.set_new_script(&["COMPLETED"]);
    client.executions().collection(&request).await.unwrap();
    fake.hold(&request.reference_id, "PROCESSING");
    let options = fast(Duration::from_millis(30));
    let outcome = client
        .status()
        .wait(OperationType::Collection, &request.reference_id, options)
        .await
        .unwrap();
    assert!(!outcome.is_finished());
    assert_eq!(
        outcome.anomalies(),
        &[StatusAnomaly::IllegalTransition {
            machine: "execution",
            from: "COMPLETED".into(),
            to: "PROCESSING".into()
        }]
    );
    // The journal keeps the settled outcome (a later non-final status cannot undo it).
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
