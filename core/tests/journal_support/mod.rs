//! The contract every journal honours — memory, SQLite and PostgreSQL run these same bodies
//! (`tests/journal.rs`, `tests/journal_postgres.rs`): insert-or-get, state only moving forward
//! (also under concurrent writers on separate connections), leases and their fencing, claiming,
//! and a stalled instance losing its intent to another without sending again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dollr_core::journal::{Begin, Claim, ClaimCursor, LeaseRequest, NewIntent};
use dollr_core::models::{Execution, TransferExecutionRequest};
use dollr_core::{
    Client, ErrorKind, ExecutionStatus, Intent, IntentOutcome, IntentState, Journal, JournalConfig,
    OperationType, ReconcileOptions, ReconcileOutcome, Result,
};
use serde_json::json;
use tokio::sync::Notify;

use crate::execution_support::{execution_json, fast_policy, FakeApi, PostFault, BASE_URL};

pub fn new_intent(reference_id: &str, hash: &str) -> NewIntent {
    NewIntent {
        reference_id: reference_id.to_string(),
        operation: OperationType::Collection,
        request_hash: hash.to_string(),
        request: json!({"session_id": "55", "payment_account_id": "7", "currency": "USD", "reference_id": reference_id}),
    }
}

pub fn execution(reference_id: &str, status: &str) -> Execution {
    serde_json::from_value(execution_json(reference_id, "COLLECTION", status)).unwrap()
}

pub fn rid() -> String {
    dollr_core::new_reference_id()
}

/// A lease request by `owner` for `ms` milliseconds.
pub fn lease(owner: &str, ms: u64) -> LeaseRequest {
    LeaseRequest::new(owner, Duration::from_millis(ms))
}

fn granted(claim: Claim) -> Intent {
    match claim {
        Claim::Granted(intent) => intent,
        Claim::Refused(intent) => panic!("expected the lease to be granted: {intent:?}"),
    }
}

fn refused(claim: Claim) -> Intent {
    match claim {
        Claim::Refused(intent) => intent,
        Claim::Granted(intent) => panic!("expected the lease to be refused: {intent:?}"),
    }
}

/// Begin, attempts, outcomes, forward-only state, unresolved listing.
pub async fn journal_contract(journal: Arc<dyn Journal>) {
    let me = lease("owner-a", 60_000);
    let a = rid();
    // begin: insert when new (leased to the caller)…
    let begun = journal.begin(new_intent(&a, "hash-1"), &me).await.unwrap();
    assert!(begun.created());
    let intent = begun.intent();
    assert_eq!(intent.state, IntentState::Pending);
    assert_eq!(intent.attempts, 0);
    assert_eq!(intent.request_hash, "hash-1");
    assert_eq!(intent.lease.as_ref().unwrap().owner, "owner-a");
    assert_eq!(intent.lease_generation, 1);
    // …and return the existing entry untouched otherwise (the caller compares hashes).
    match journal
        .begin(new_intent(&a, "hash-2"), &lease("owner-b", 60_000))
        .await
        .unwrap()
    {
        Begin::Existing(existing) => {
            assert_eq!(existing.request_hash, "hash-1");
            assert_eq!(existing.operation, OperationType::Collection);
            assert_eq!(existing.request["session_id"], "55");
            assert_eq!(existing.lease.unwrap().owner, "owner-a");
        }
        Begin::Created(_) => panic!("a second begin with the same reference id must not create"),
    }

    // attempts (the holder's)
    let after = granted(
        journal
            .record_attempt(&a, &me.holding(Some(1)))
            .await
            .unwrap(),
    );
    assert_eq!(after.attempts, 1);
    assert_eq!(after.state, IntentState::Pending);
    assert_eq!(
        granted(journal.record_attempt(&a, &me).await.unwrap()).attempts,
        2
    );
    let missing = journal.record_attempt(&rid(), &me).await.unwrap_err();
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

    // observed statuses, only forward: PROCESSING, then a stale PENDING changes nothing
    journal
        .record_outcome(&a, IntentOutcome::Observed(execution(&a, "PROCESSING")))
        .await
        .unwrap();
    journal
        .record_outcome(&a, IntentOutcome::Observed(execution(&a, "PENDING")))
        .await
        .unwrap();
    let got = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(got.state, IntentState::Processing);
    assert_eq!(
        got.last_status,
        Some(ExecutionStatus::Processing),
        "a stale PENDING must not replace PROCESSING"
    );
    assert_eq!(
        got.last_execution.unwrap().status,
        ExecutionStatus::Processing
    );
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

    // a stale observation cannot undo or replace a settled outcome; nor can a rejection
    for stale in ["PROCESSING", "FAILED"] {
        journal
            .record_outcome(&a, IntentOutcome::Observed(execution(&a, stale)))
            .await
            .unwrap();
    }
    journal
        .record_outcome(
            &a,
            IntentOutcome::Rejected {
                error: "late".into(),
            },
        )
        .await
        .unwrap();
    journal.record_attempt(&a, &me).await.unwrap();
    let got = journal.get(&a).await.unwrap().unwrap();
    assert_eq!(got.state, IntentState::Completed);
    assert_eq!(got.last_status, Some(ExecutionStatus::Completed));

    // rejected and not-submitted intents are resolved (nothing moved)
    let b = rid();
    journal.begin(new_intent(&b, "h"), &me).await.unwrap();
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
    journal.record_attempt(&b, &me).await.unwrap();
    assert_eq!(
        journal.get(&b).await.unwrap().unwrap().state,
        IntentState::Pending
    );

    let c = rid();
    journal.begin(new_intent(&c, "h"), &me).await.unwrap();
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
    assert!(journal.acquire(&rid(), &me).await.unwrap().is_none());

    // unresolved = pending, processing or not submitted (not final), oldest first
    let d = rid();
    journal.begin(new_intent(&d, "h"), &me).await.unwrap();
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

/// Polls `check` until it is true (deadline `limit`).
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Leases: held, refused to others, renewed by the holder, taken over once expired, and a
/// holder whose lease was taken over is refused for good (fencing), even once it is free again.
/// `a` and `b` are two handles on one journal (two connections / pools for shared storage).
pub async fn lease_contract(a: Arc<dyn Journal>, b: Arc<dyn Journal>) {
    // A starts with a lease no stall of a busy machine outlives, so B's refusals below hold
    // whatever the scheduler does; A's renewal then shortens it to let B take it over.
    let long = lease("owner-a", 60_000);
    let short = lease("owner-a", 1);
    let other = lease("owner-b", 60_000);
    let r = rid();
    let created = a.begin(new_intent(&r, "h"), &long).await.unwrap();
    assert_eq!(created.intent().lease_generation, 1);

    // B cannot attempt nor acquire while A's lease is live; nothing changes.
    let seen = refused(b.record_attempt(&r, &other).await.unwrap());
    assert_eq!(seen.attempts, 0);
    assert_eq!(seen.lease.unwrap().owner, "owner-a");
    refused(b.acquire(&r, &other).await.unwrap().unwrap());
    // B's claim skips it.
    let claimed = b.claim_unresolved(&other, None, 100).await.unwrap();
    assert!(claimed.iter().all(|i| i.reference_id != r));

    // A renews (same generation), with a 1 ms lease this time.
    let renewed = granted(
        a.acquire(&r, &short.holding(Some(1)))
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(renewed.lease_generation, 1);

    // Once expired, B takes it over: a new generation.
    eventually("A's lease to expire", Duration::from_secs(20), || async {
        matches!(
            b.acquire(&r, &other).await.unwrap(),
            Some(Claim::Granted(_))
        )
    })
    .await;
    let taken = b.get(&r).await.unwrap().unwrap();
    assert_eq!(taken.lease.as_ref().unwrap().owner, "owner-b");
    assert_eq!(taken.lease_generation, 2);

    // A, stalled past its lease, is refused (no attempt counted)…
    let seen = refused(a.record_attempt(&r, &short.holding(Some(1))).await.unwrap());
    assert_eq!(seen.attempts, 0);
    refused(
        a.acquire(&r, &short.holding(Some(1)))
            .await
            .unwrap()
            .unwrap(),
    );
    // …even after B gives it back: generation 1 is gone for good.
    b.release(&r, "owner-b", 2).await.unwrap();
    assert!(b.get(&r).await.unwrap().unwrap().lease.is_none());
    refused(a.record_attempt(&r, &short.holding(Some(1))).await.unwrap());
    // A release by a non-holder changes nothing.
    let again = granted(b.acquire(&r, &other).await.unwrap().unwrap());
    assert_eq!(again.lease_generation, 3);
    a.release(&r, "owner-a", 1).await.unwrap();
    assert_eq!(
        a.get(&r).await.unwrap().unwrap().lease.unwrap().owner,
        "owner-b"
    );
    // The holder attempts with its lease.
    let attempted = granted(b.record_attempt(&r, &other.holding(Some(3))).await.unwrap());
    assert_eq!(attempted.attempts, 1);
}

/// Claiming: only unresolved intents with a free lease, oldest first, continuing after a cursor;
/// several claimers at once (on separate handles) get disjoint sets covering everything.
pub async fn claim_contract(handles: Vec<Arc<dyn Journal>>) {
    let first = handles[0].clone();
    // A journal of its own is not guaranteed: only look at the intents made here.
    let quick = lease("maker", 1);
    let mut mine = Vec::new();
    for _ in 0..60 {
        let r = rid();
        first.begin(new_intent(&r, "h"), &quick).await.unwrap();
        mine.push(r);
    }
    // One settled (the first), one held by a live lease (the last): neither is claimable.
    first
        .record_outcome(
            &mine[0],
            IntentOutcome::Observed(execution(&mine[0], "COMPLETED")),
        )
        .await
        .unwrap();
    // The last intent made is the last whose maker's lease expires (same TTL, same clock), so
    // once a holder can take it over every other maker's lease has expired too — however long
    // making the sixty took on a busy machine.
    let held = &mine[mine.len() - 1];
    eventually(
        "the maker's 1 ms leases to expire",
        Duration::from_secs(10),
        || async {
            matches!(
                first.acquire(held, &lease("holder", 60_000)).await.unwrap(),
                Some(Claim::Granted(_))
            )
        },
    )
    .await;
    let mine_set: HashSet<String> = mine.iter().cloned().collect();

    // Concurrent claimers, each claiming in small batches until nothing is left.
    let mut tasks = Vec::new();
    for (index, journal) in handles.iter().enumerate() {
        let journal = journal.clone();
        tasks.push(tokio::spawn(async move {
            let me = lease(&format!("claimer-{index}"), 60_000);
            let mut cursor: Option<ClaimCursor> = None;
            let mut got = Vec::new();
            loop {
                let batch = journal
                    .claim_unresolved(&me, cursor.as_ref(), 5)
                    .await
                    .unwrap();
                let Some(last) = batch.last() else { break };
                cursor = Some(ClaimCursor::after(last));
                for intent in &batch {
                    assert_eq!(intent.lease.as_ref().unwrap().owner, me.owner);
                    assert!(intent.state.is_unresolved());
                }
                got.extend(batch.into_iter().map(|i| i.reference_id));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let claimed_mine: Vec<&String> = all.iter().filter(|r| mine_set.contains(*r)).collect();
    let unique: HashSet<&String> = claimed_mine.iter().copied().collect();
    assert_eq!(
        unique.len(),
        claimed_mine.len(),
        "an intent was claimed by two claimers"
    );
    assert_eq!(
        unique.len(),
        58,
        "every unresolved intent with a free lease is claimed (not the settled one, not the held one)"
    );
    assert!(!unique.contains(&mine[0]) && !unique.contains(held));
    // Claimed ones are held now: nobody claims them again.
    let again = first
        .claim_unresolved(&lease("late", 60_000), None, 1000)
        .await
        .unwrap();
    assert!(again.iter().all(|i| !mine_set.contains(&i.reference_id)));
}

/// Many writers on separate handles record outcomes for the same intents in every order, as two
/// reconcilers and a slow poller would: every intent ends COMPLETED with its COMPLETED
/// execution, whatever order the stale observations arrived in.
pub async fn concurrent_writers_contract(handles: Vec<Arc<dyn Journal>>) {
    let me = lease("writer", 60_000);
    let mut ids = Vec::new();
    for _ in 0..20 {
        let r = rid();
        handles[0].begin(new_intent(&r, "h"), &me).await.unwrap();
        ids.push(r);
    }
    let mut tasks = Vec::new();
    for (index, journal) in handles.iter().enumerate() {
        let journal = journal.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            for (n, r) in ids.iter().enumerate() {
                // Each writer has its own order of the same observations.
                let mut steps: Vec<u8> = vec![0, 1, 2, 3, 4, 5];
                let turn = (index + n) % steps.len();
                steps.rotate_left(turn);
                if (index + n) % 2 == 1 {
                    steps.reverse();
                }
                for step in steps {
                    let outcome = match step {
                        0 => IntentOutcome::Observed(execution(r, "PENDING")),
                        1 => IntentOutcome::Observed(execution(r, "PROCESSING")),
                        2 => IntentOutcome::Observed(execution(r, "COMPLETED")),
                        3 => IntentOutcome::NotSubmitted,
                        4 => IntentOutcome::Rejected {
                            error: "late refusal".into(),
                        },
                        _ => IntentOutcome::Ambiguous {
                            error: "timeout".into(),
                        },
                    };
                    assert!(journal.record_outcome(r, outcome).await.unwrap());
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for r in &ids {
        let intent = handles[0].get(r).await.unwrap().unwrap();
        assert_eq!(intent.state, IntentState::Completed, "{r}");
        assert_eq!(intent.last_status, Some(ExecutionStatus::Completed), "{r}");
        assert_eq!(
            intent.last_execution.unwrap().status,
            ExecutionStatus::Completed
        );
    }
}

/// A journal wrapper that, once armed, stalls every call from the `arm_at`-th `record_attempt`
/// on (as a process frozen by a long pause: its lease renewals stall too) until released.
pub struct StallingJournal {
    pub inner: Arc<dyn Journal>,
    pub arm_at: usize,
    attempts: AtomicUsize,
    stalled: AtomicBool,
    pub reached: Notify,
    pub resume: Notify,
}

impl StallingJournal {
    pub fn new(inner: Arc<dyn Journal>, arm_at: usize) -> Arc<StallingJournal> {
        Arc::new(StallingJournal {
            inner,
            arm_at,
            attempts: AtomicUsize::new(0),
            stalled: AtomicBool::new(false),
            reached: Notify::new(),
            resume: Notify::new(),
        })
    }

    async fn gate(&self) {
        if self.stalled.load(Ordering::SeqCst) {
            self.resume.notified().await;
        }
    }
}

#[async_trait]
impl Journal for StallingJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        self.gate().await;
        self.inner.begin(intent, lease).await
    }
    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        if self.attempts.fetch_add(1, Ordering::SeqCst) + 1 == self.arm_at {
            self.stalled.store(true, Ordering::SeqCst);
            self.reached.notify_one();
        }
        self.gate().await;
        self.inner.record_attempt(reference_id, lease).await
    }
    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        self.gate().await;
        self.inner.acquire(reference_id, lease).await
    }
    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        self.gate().await;
        self.inner.release(reference_id, owner, generation).await
    }
    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        self.gate().await;
        self.inner.record_outcome(reference_id, outcome).await
    }
    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        self.gate().await;
        self.inner.get(reference_id).await
    }
    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        self.gate().await;
        self.inner.list_unresolved().await
    }
    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        self.gate().await;
        self.inner.claim_unresolved(lease, after, limit).await
    }
}

fn leased_client(fake: &FakeApi, journal: Arc<dyn Journal>, ttl: Duration) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(BASE_URL)
        .client_id("test-client")
        .client_secret("test-secret")
        .max_retries(0)
        .transport(Arc::new(fake.clone()))
        .journal(JournalConfig::Custom(journal))
        .journal_lease(ttl)
        .build()
        .unwrap()
}

/// Instance A stalls (its journal calls and lease renewals frozen) after its first POST was
/// answered 503 and status said 404, just before sending again. Its lease expires; instance B's
/// reconcile claims the intent and resolves status first (404: not submitted). A then wakes up,
/// finds its lease taken over, and does NOT send again (`AmbiguousExecution`). B then resubmits
/// the intent with the same reference id: one payment, and a further reconcile finds nothing.
///
/// `a` and `b` are two handles on one journal (for shared storage, two connections / pools).
pub async fn stalled_owner_loses_its_intent(a: Arc<dyn Journal>, b: Arc<dyn Journal>) {
    let fake = FakeApi::new();
    fake.set_new_script(&["COMPLETED"]);
    let ttl = Duration::from_millis(400);
    let stalling = StallingJournal::new(a, 2);
    let instance_a = leased_client(&fake, stalling.clone(), ttl);
    let instance_b = leased_client(&fake, b.clone(), ttl);
    assert_ne!(instance_a.lease_owner(), instance_b.lease_owner());

    let request = TransferExecutionRequest::new(77);
    let reference_id = request.reference_id.clone();
    fake.push_post_fault(PostFault::ServerErrorBeforeProcessing(503));
    let call = {
        let client = instance_a.clone();
        let request = request.clone();
        tokio::spawn(async move {
            client
                .executions()
                .with_policy(fast_policy())
                .transfer(&request)
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(30), stalling.reached.notified())
        .await
        .expect("instance A reaches its second attempt");
    assert_eq!(fake.execution_posts().len(), 1, "A's first POST (503)");

    // B reconciles (looking only) until A's lease expired and B could claim the intent.
    let look = ReconcileOptions::default();
    let mut taken_over = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while taken_over.is_none() {
        assert!(Instant::now() < deadline, "B never took the intent over");
        let report = instance_b.reconcile(look.clone()).await.unwrap();
        taken_over = report.entry(&reference_id).cloned();
        if taken_over.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(
        taken_over.unwrap().outcome,
        ReconcileOutcome::NotSubmitted,
        "B asked status first: nothing landed"
    );
    let after_takeover = b.get(&reference_id).await.unwrap().unwrap();
    assert!(after_takeover.lease_generation >= 2, "{after_takeover:?}");

    // A wakes up: its lease is gone, so it sends nothing.
    stalling.resume.notify_waiters();
    let stalled_outcome = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            // Later journal calls of A (renewals, the release) pass through too.
            stalling.resume.notify_waiters();
            if call.is_finished() {
                return call.await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("A's call ends");
    let error = stalled_outcome.expect_err("A must not complete by sending again");
    assert_eq!(error.kind(), ErrorKind::AmbiguousExecution, "{error}");
    assert!(
        error.message().contains("took this execution over"),
        "{error}"
    );
    assert_eq!(error.reference_id(), Some(reference_id.as_str()));
    assert_eq!(
        fake.execution_posts().len(),
        1,
        "the stalled instance must not POST after losing its lease"
    );

    // B resubmits with the same reference id: completed, one payment.
    let resubmit = ReconcileOptions {
        resubmit: true,
        policy: fast_policy(),
        ..ReconcileOptions::default()
    };
    let report = instance_b.reconcile(resubmit.clone()).await.unwrap();
    let entry = report
        .entry(&reference_id)
        .expect("B reconciles it")
        .clone();
    assert_eq!(entry.outcome, ReconcileOutcome::Resubmitted);
    assert_eq!(entry.execution.unwrap().reference_id, reference_id);
    assert_eq!(fake.execution_posts().len(), 2);
    assert!(fake.committed(&reference_id));
    let settled = b.get(&reference_id).await.unwrap().unwrap();
    assert_eq!(settled.state, IntentState::Completed);
    assert!(
        settled.lease.is_none(),
        "B gave the lease back: {settled:?}"
    );
    let again = instance_b.reconcile(resubmit).await.unwrap();
    assert!(again.entry(&reference_id).is_none(), "{again:?}");
    assert_eq!(fake.execution_posts().len(), 2);
}
