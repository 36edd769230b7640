//! Chaos: many collections and payouts through the full flows while the sandbox loses ≥ 20 % of
//! execution answers *after* committing them, fails 5 % of all API requests with a 503 and rate
//! limits 3 % (429), with bounded concurrency and a SQLite journal. Nothing may be paid twice:
//! the sandbox must report zero duplicate payments and one execution per reference id, every
//! execution it created must be one the SDK started, and every journaled intent must end
//! `COMPLETED`/`FAILED` or be reported (and resolved) by `reconcile()`.
//!
//! Scale: `DOLLR_CHAOS_N` payments of each kind (default [`DEFAULT_N`], sized for a debug build on
//! two cores); `DOLLR_SOAK=1` runs [`SOAK_N`] of each (`make soak`, release build).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dollr_core::flows::FlowOptions;
use dollr_core::*;
use dollr_sandbox::{Currency, FaultConfig, FaultRule, FaultScope, Sandbox, SandboxConfig};
use futures::StreamExt;

/// Payments of each kind in `cargo test` (debug build).
const DEFAULT_N: usize = 500;
/// Payments of each kind with `DOLLR_SOAK=1`.
const SOAK_N: usize = 5000;
/// Flows in flight at once.
const CONCURRENCY: usize = 32;

fn scale() -> (usize, bool) {
    let soak = std::env::var("DOLLR_SOAK").is_ok_and(|v| v == "1");
    let n = std::env::var("DOLLR_CHAOS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if soak { SOAK_N } else { DEFAULT_N });
    (n, soak)
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A journal file in memory-backed storage when there is one (fsync-heavy SQLite on a shared disk
/// would measure the disk, not the SDK).
fn journal_file(tag: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!(
        "dollr-{tag}-{}-{}.sqlite",
        std::process::id(),
        uuid::Uuid::new_v4()
    ))
}

/// Every journaled intent: reference id → state.
fn journal_states(path: &std::path::Path) -> HashMap<String, String> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection
        .prepare("SELECT reference_id, state FROM execution_intents")
        .unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn faults() -> FaultConfig {
    FaultConfig::none()
        // The 503s and 429s answer before the drop is considered, so 30 % here loses ~27 % of all
        // execution answers.
        .with(
            FaultRule::drop_response()
                .scope(FaultScope::Executions)
                .probability(0.30),
        )
        .with(
            FaultRule::error(503)
                .scope(FaultScope::V1)
                .probability(0.05),
        )
        .with(
            FaultRule::rate_limit(0)
                .scope(FaultScope::V1)
                .probability(0.03),
        )
}

enum Job {
    Collect(usize),
    Payout(usize),
}

/// One flow in five gets a stingy execution policy (one POST, one status lookup): those flows
/// end `AmbiguousExecution` (or `RateLimited`) under the faults, and `reconcile()` must finish them.
fn is_stingy(i: usize) -> bool {
    i % 5 == 2
}

/// What one flow ended with.
struct Ended {
    kind: &'static str,
    stingy: bool,
    expected: ExecutionStatus,
    result: Result<(String, ExecutionStatus, bool)>,
}

fn flow_options(started: &Arc<Mutex<Vec<String>>>, stingy: bool) -> FlowOptions {
    let sink = started.clone();
    let policy = if stingy {
        ExecutePolicy {
            max_attempts: 1,
            max_status_checks: 1,
            ..ExecutePolicy::default()
        }
    } else {
        ExecutePolicy {
            max_attempts: 5,
            max_status_checks: 8,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(80),
            max_retry_after: Duration::from_secs(1),
        }
    };
    FlowOptions::default()
        .wait_timeout(Duration::from_secs(60))
        .poll_interval(Duration::from_millis(5))
        .max_poll_interval(Duration::from_millis(25))
        .execute_policy(policy)
        .on_progress(move |p| {
            // Every reference id the flows fix, as they fix it (before the execute call).
            if let FlowEvent::ExecutionStarting { reference_id, .. } = &p.event {
                sink.lock().unwrap().push(reference_id.clone());
            }
        })
}

/// Deletes the journal file (and SQLite's side files) when the test ends, passed or failed.
struct TempJournal(PathBuf);

impl Drop for TempJournal {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_and_payouts_under_faults_pay_exactly_once() {
    let (n, soak) = scale();
    let mut config = SandboxConfig::for_tests(2);
    config.seed = Some(20_260_623);
    config.wallets.insert(Currency::Usd, dec("100000000.00"));
    config.faults = faults();
    let sandbox = Sandbox::start(config).await.unwrap();
    let journal = journal_file("chaos");
    let _cleanup = TempJournal(journal.clone());
    let client = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .retry_policy(RetryPolicy {
            max_retries: 6,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(1),
        })
        .journal_path(&journal)
        .build()
        .unwrap();

    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let (patient, stingy) = (flow_options(&started, false), flow_options(&started, true));
    let passcode = models::PasscodeToken {
        code: Secret::new(sandbox.passcode()),
        user_id: None,
        phone: Some("231779999999".into()),
    };

    let jobs = (0..n).flat_map(|i| [Job::Collect(i), Job::Payout(i)]);
    let clock = Instant::now();
    let ended: Vec<Ended> = futures::stream::iter(jobs)
        .map(|job| {
            let client = client.clone();
            let (patient, stingy) = (patient.clone(), stingy.clone());
            let passcode = passcode.clone();
            async move {
                match job {
                    Job::Collect(i) => {
                        // One in ten payers declines: both final states are exercised.
                        let (phone, expected) = if i % 10 == 9 {
                            (test_numbers::DECLINES, ExecutionStatus::Failed)
                        } else {
                            (test_numbers::COMPLETES, ExecutionStatus::Completed)
                        };
                        let request = CollectRequest::new(phone, dec("12.50"), "USD")
                            .with_payer_name(format!("Chaos payer {i}"))
                            .with_options(if is_stingy(i) { stingy } else { patient });
                        let result = client
                            .collect(&request)
                            .await
                            .map(|o| (o.reference_id.clone(), o.status().clone(), o.settled));
                        Ended {
                            kind: "collect",
                            stingy: is_stingy(i),
                            expected,
                            result,
                        }
                    }
                    Job::Payout(i) => {
                        let (phone, expected) = match i % 10 {
                            9 => (test_numbers::DECLINES, ExecutionStatus::Failed),
                            4 => (
                                test_numbers::COMPLETES_ORANGE_LR,
                                ExecutionStatus::Completed,
                            ),
                            _ => (test_numbers::COMPLETES, ExecutionStatus::Completed),
                        };
                        let mut request =
                            PayoutRequest::new(phone, dec("1.00"), "USD", "-", "231779999999")
                                .with_recipient_name("Chaos recipient")
                                .with_options(if is_stingy(i) { stingy } else { patient });
                        request.passcode = passcode;
                        let result = client
                            .payout(&request)
                            .await
                            .map(|o| (o.reference_id.clone(), o.status().clone(), o.settled));
                        Ended {
                            kind: "payout",
                            stingy: is_stingy(i),
                            expected,
                            result,
                        }
                    }
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let flows_took = clock.elapsed();
    let stats = sandbox.stats();

    // 1. Nothing was paid twice, and each execution has its own reference id that the SDK started.
    assert_eq!(
        stats["duplicate_payments"], 0,
        "duplicate payments: {:#}",
        stats["duplicate_payment_details"]
    );
    let by_reference = stats["executions"]["by_reference_id"]
        .as_object()
        .unwrap()
        .clone();
    let created: HashSet<String> = by_reference
        .iter()
        .filter(|(_, e)| e["created"] == true)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        Some(created.len() as u64),
        stats["executions"]["created"].as_u64()
    );
    let started: HashSet<String> = started.lock().unwrap().iter().cloned().collect();
    assert!(
        created.is_subset(&started),
        "the sandbox executed reference ids the SDK never started"
    );

    // 2. Every flow ended with an outcome of the expected kind, or an error naming its reference
    //    id: an ambiguity (left for reconcile), or — only with the stingy policy — a 429 that
    //    used up its single POST (nothing was processed). No other error survives the retries.
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcomes: HashMap<String, ExecutionStatus> = HashMap::new();
    let mut expected_of: HashMap<String, ExecutionStatus> = HashMap::new();
    let mut rate_limited: HashSet<String> = HashSet::new();
    for end in &ended {
        match &end.result {
            Ok((reference_id, status, settled)) => {
                assert!(
                    *settled,
                    "{} {reference_id} did not settle within the wait",
                    end.kind
                );
                assert_eq!(status, &end.expected, "{} {reference_id}", end.kind);
                assert!(
                    created.contains(reference_id),
                    "{reference_id} settled but the sandbox never executed it"
                );
                assert_eq!(
                    by_reference[reference_id]["status"],
                    status.as_str(),
                    "the SDK and the sandbox disagree"
                );
                outcomes.insert(reference_id.clone(), status.clone());
            }
            Err(error) => {
                *errors
                    .entry(format!("{} {}", end.kind, error.kind()))
                    .or_default() += 1;
                let reference_id = error.reference_id().unwrap_or_else(|| {
                    panic!("an execution error must name its reference id: {error}")
                });
                match error.kind() {
                    ErrorKind::AmbiguousExecution => {}
                    ErrorKind::RateLimited if end.stingy => {
                        rate_limited.insert(reference_id.to_string());
                    }
                    _ => panic!("{} failed: {error}", end.kind),
                }
                expected_of.insert(reference_id.to_string(), end.expected.clone());
            }
        }
    }
    assert_eq!(
        outcomes.len() + expected_of.len(),
        2 * n,
        "every flow ended once, with its own reference id"
    );

    // 3. The faults really happened, at about the configured rates.
    let fired = &stats["faults"];
    let execution_posts: u64 = stats["requests"]["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.starts_with("POST /v1/executions/"))
        .map(|(_, count)| count.as_u64().unwrap())
        .sum();
    let dropped = fired["drop_response"].as_u64().unwrap_or(0);
    // At least 20 % of execution answers lost (a little less is tolerated on tiny runs, where the
    // sample is too small for the rate to be reliable).
    let floor = if execution_posts >= 500 { 20 } else { 12 };
    assert!(
        dropped * 100 >= execution_posts * floor,
        "only {dropped} of {execution_posts} execution answers were lost"
    );
    assert!(
        fired["error"].as_u64().unwrap_or(0) > 0 && fired["rate_limit"].as_u64().unwrap_or(0) > 0,
        "{fired}"
    );

    // 4. The journal: one intent per started reference id; each settled, refused by a 429
    //    (nothing processed), or reported by reconcile — which, run with the faults off (the chaos
    //    is over; the clean-up must finish the job), resolves every one: found by status, or
    //    resubmitted under its own reference id when it never landed.
    let before = journal_states(&journal);
    assert_eq!(
        before.keys().cloned().collect::<HashSet<_>>(),
        started,
        "one journaled intent per started payment"
    );
    sandbox.clear_faults();
    let device = models::PasscodeDevice {
        name: "chaos".into(),
        device_type: "SERVER".into(),
        platform: "LINUX".into(),
        user_agent: "chaos-test".into(),
        client_ip: "127.0.0.1".into(),
    };
    let finish = ReconcileOptions {
        resubmit: true,
        payout_passcode: Some(models::Passcode {
            token: passcode.clone(),
            device,
        }),
        ..ReconcileOptions::default()
    };
    let first = client.reconcile(finish.clone()).await.unwrap();
    for (reference_id, state) in &before {
        match state.as_str() {
            "COMPLETED" | "FAILED" => {}
            "REJECTED" => {
                assert!(
                    rate_limited.contains(reference_id),
                    "{reference_id} was refused, but not by a 429"
                );
                assert!(
                    !created.contains(reference_id),
                    "{reference_id} was refused, yet executed"
                );
            }
            _ => {
                let entry = first.entry(reference_id).unwrap_or_else(|| {
                    panic!("{reference_id} is {state} and reconcile did not report it")
                });
                assert!(
                    matches!(
                        entry.outcome,
                        ReconcileOutcome::Completed
                            | ReconcileOutcome::Failed
                            | ReconcileOutcome::StillProcessing
                            | ReconcileOutcome::Resubmitted
                    ),
                    "{reference_id}: {entry:?}"
                );
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rounds = vec![first];
    while rounds
        .last()
        .is_some_and(|r| r.still_processing + r.resubmitted + r.unreachable + r.not_submitted > 0)
    {
        assert!(
            Instant::now() < deadline,
            "reconcile did not finish: {:?}",
            rounds.last()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        rounds.push(client.reconcile(finish.clone()).await.unwrap());
    }
    let after = journal_states(&journal);
    let final_stats = sandbox.stats();
    let final_by_reference = final_stats["executions"]["by_reference_id"]
        .as_object()
        .unwrap()
        .clone();
    for (reference_id, state) in &after {
        if state == "REJECTED" {
            assert!(rate_limited.contains(reference_id));
            continue;
        }
        assert!(
            matches!(state.as_str(), "COMPLETED" | "FAILED"),
            "{reference_id} ended {state}"
        );
        assert_eq!(
            final_by_reference[reference_id]["created"], true,
            "{reference_id} is {state} but was never executed"
        );
        assert_eq!(
            final_by_reference[reference_id]["status"],
            state.as_str(),
            "{reference_id}: journal vs sandbox"
        );
        let expected = outcomes
            .get(reference_id)
            .or_else(|| expected_of.get(reference_id))
            .unwrap();
        assert_eq!(state, expected.as_str(), "{reference_id}");
    }
    assert_eq!(
        final_stats["duplicate_payments"], 0,
        "{:#}",
        final_stats["duplicate_payment_details"]
    );
    let resubmitted: usize = rounds.iter().map(|r| r.resubmitted).sum();

    println!(
        "chaos{}: {n} collections + {n} payouts in {:.1} s ({:.0} flows/s, concurrency {CONCURRENCY}); {} API requests, \
         {execution_posts} execution POSTs, {} executions; faults: {dropped} lost answers, {} 503s, {} 429s; \
         errors at the time: {errors:?}; reconcile: {} rounds, first: {} completed, {} failed, {} still processing, \
         {} resubmitted; resubmitted in all {resubmitted}; executions in the end {}; duplicate payments: {}",
        if soak { " (soak)" } else { "" },
        flows_took.as_secs_f64(),
        (2 * n) as f64 / flows_took.as_secs_f64(),
        stats["requests"]["total"],
        stats["executions"]["created"],
        fired["error"],
        fired["rate_limit"],
        rounds.len(),
        rounds[0].completed,
        rounds[0].failed,
        rounds[0].still_processing,
        rounds[0].resubmitted,
        final_stats["executions"]["created"],
        final_stats["duplicate_payments"],
    );
    sandbox.shutdown();
    drop(client);
}
