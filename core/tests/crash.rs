//! Crash: a child process (this test binary, re-executed) runs collections against a sandbox
//! owned by this process, with a SQLite journal, and is killed with SIGKILL while payments are in
//! flight. A new client on the same journal then runs `reconcile()`, which must finish the job:
//! every journaled intent ends `COMPLETED`/`FAILED` or is reported `NotSubmitted` (and is then
//! executed again from its journaled request, under the same reference id), and the sandbox shows
//! nothing paid twice.
//!
//! The child is this same binary started with `DOLLR_CRASH_CHILD=1`. The file has its own `main`
//! (`harness = false` in core/Cargo.toml) so that the child is a mode of the binary, not a test:
//! `main` runs the child's payments when the flag is set and otherwise runs the one test through
//! a small libtest-compatible runner (filters, `--exact`, `--skip`, `--list`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use dollr_core::flows::FlowOptions;
use dollr_core::*;
use dollr_sandbox::{FaultConfig, FaultRule, FaultScope, Sandbox, SandboxConfig};
use futures::StreamExt;

const CHILD_FLAG: &str = "DOLLR_CRASH_CHILD";
const ENV_URL: &str = "DOLLR_CRASH_URL";
const ENV_CLIENT_ID: &str = "DOLLR_CRASH_CLIENT_ID";
const ENV_CLIENT_SECRET: &str = "DOLLR_CRASH_CLIENT_SECRET";
const ENV_JOURNAL: &str = "DOLLR_CRASH_JOURNAL";
/// Kill once this many intents are journaled…
const KILL_AFTER_INTENTS: usize = 30;
/// …of which at least this many are still in flight (outcome unknown or not final).
const KILL_WITH_IN_FLIGHT: usize = 4;
/// The child's payments in flight at once.
const CHILD_CONCURRENCY: usize = 8;
/// The child's journal leases: its intents can be reconciled this long after it was killed.
const CHILD_LEASE: Duration = Duration::from_millis(500);
/// The child gives up on its own after this long (if the parent died without killing it).
const CHILD_LIFETIME: Duration = Duration::from_secs(120);

fn journal_file() -> PathBuf {
    let dir = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!(
        "dollr-crash-{}-{}.sqlite",
        std::process::id(),
        uuid::Uuid::new_v4()
    ))
}

/// Reference id → state of every journaled intent (empty while the child has not created the
/// journal yet).
fn journal_states(path: &Path) -> HashMap<String, String> {
    let Ok(connection) =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return HashMap::new();
    };
    let _ = connection.busy_timeout(Duration::from_secs(5));
    let Ok(mut statement) = connection.prepare("SELECT reference_id, state FROM execution_intents")
    else {
        return HashMap::new();
    };
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    });
    match rows {
        Ok(rows) => rows.filter_map(Result::ok).collect(),
        Err(_) => HashMap::new(),
    }
}

fn in_flight(states: &HashMap<String, String>) -> usize {
    states
        .values()
        .filter(|s| *s == "PENDING" || *s == "PROCESSING")
        .count()
}

/// Kills the child if the test fails before it does (no stray process keeps paying).
struct ChildGuard(Option<Child>);

impl ChildGuard {
    fn kill(&mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap()
    }
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.as_mut().and_then(|c| c.try_wait().unwrap())
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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

/// The tests of this binary, by name.
const TESTS: &[(&str, fn())] = &[(
    "reconcile_finishes_what_a_killed_process_left_in_flight",
    reconcile_finishes_what_a_killed_process_left_in_flight,
)];

fn main() -> ExitCode {
    if std::env::var(CHILD_FLAG).as_deref() == Ok("1") {
        run_child();
        return ExitCode::SUCCESS;
    }
    run_tests(TESTS, std::env::args().skip(1).collect())
}

/// Runs the `tests` selected by libtest's command line (`cargo test` passes it through), printing
/// libtest's report lines; exit status 101 when one fails, as libtest.
fn run_tests(tests: &[(&str, fn())], args: Vec<String>) -> ExitCode {
    // libtest options that take a value (skipped with it); any other `-…` option is ignored.
    const WITH_VALUE: &[&str] = &[
        "--test-threads",
        "--format",
        "--color",
        "--logfile",
        "--shuffle-seed",
        "-Z",
    ];
    let flag = |name: &str| args.iter().any(|a| a == name);
    let (exact, ignored_only, list) = (flag("--exact"), flag("--ignored"), flag("--list"));
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--skip" {
            skips.extend(rest.next());
        } else if WITH_VALUE.contains(&arg.as_str()) {
            rest.next();
        } else if !arg.starts_with('-') {
            filters.push(arg);
        }
    }
    let matches = |name: &str, pattern: &&String| {
        if exact {
            name == pattern.as_str()
        } else {
            name.contains(pattern.as_str())
        }
    };
    // No test here is #[ignore]d: `--ignored` selects none.
    let selected: Vec<&(&str, fn())> = tests
        .iter()
        .filter(|_| !ignored_only)
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| matches(name, f)))
        .filter(|(name, _)| !skips.iter().any(|s| matches(name, s)))
        .collect();
    if list {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    println!(
        "\nrunning {} test{}",
        selected.len(),
        if selected.len() == 1 { "" } else { "s" }
    );
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let passed = std::panic::catch_unwind(test).is_ok();
        println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
        if !passed {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        tests.len() - selected.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

fn reconcile_finishes_what_a_killed_process_left_in_flight() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(killed_process_then_reconcile());
}

async fn killed_process_then_reconcile() {
    // Payments take 300 ms to settle; a third of the execute answers are lost and every execute
    // POST takes 40 ms before the sandbox handles it, so at any moment intents sit in every
    // state: journaled but not landed, landed but unanswered, answered and processing.
    let mut config = SandboxConfig::for_tests(300);
    config.faults = FaultConfig::none()
        .with(FaultRule::latency(40).scope(FaultScope::Executions))
        .with(
            FaultRule::drop_response()
                .scope(FaultScope::Executions)
                .probability(0.33),
        );
    let sandbox = Sandbox::start(config).await.unwrap();
    let journal = journal_file();
    let _cleanup = TempJournal(journal.clone());

    let mut child = ChildGuard(Some(
        Command::new(std::env::current_exe().unwrap())
            .env(CHILD_FLAG, "1")
            .env(ENV_URL, sandbox.url())
            .env(ENV_CLIENT_ID, sandbox.client_id())
            .env(ENV_CLIENT_SECRET, sandbox.client_secret())
            .env(ENV_JOURNAL, &journal)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    ));

    // Wait (polling, with a deadline) until enough payments are journaled and some are in flight.
    let deadline = Instant::now() + Duration::from_secs(90);
    let at_kill = loop {
        let states = journal_states(&journal);
        if states.len() >= KILL_AFTER_INTENTS && in_flight(&states) >= KILL_WITH_IN_FLIGHT {
            break states;
        }
        if let Some(status) = child.exited() {
            panic!("the child exited before it was killed ({status}); journal: {states:?}");
        }
        assert!(
            Instant::now() < deadline,
            "the child journaled only {} intents ({} in flight)",
            states.len(),
            in_flight(&states)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let status = child.kill();
    assert!(
        !status.success(),
        "the child was killed, not finished: {status}"
    );
    // What the dead process left behind (it may have written a few more rows after the snapshot).
    let left = journal_states(&journal);
    assert!(left.len() >= at_kill.len());
    let unresolved_at_kill: HashSet<String> = left
        .iter()
        .filter(|(_, s)| *s == "PENDING" || *s == "PROCESSING")
        .map(|(r, _)| r.clone())
        .collect();
    assert!(
        !unresolved_at_kill.is_empty(),
        "nothing was in flight at the kill: {left:?}"
    );

    // A new process's client, same journal file. The faults stay: recovery must cope with them.
    let client = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .journal_path(&journal)
        .build()
        .unwrap();
    // The killed child's leases expire on their own (journal time): wait for that, polling.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut leased = 0;
        for reference_id in &unresolved_at_kill {
            let intent = client.journal().get(reference_id).await.unwrap().unwrap();
            if intent
                .lease
                .is_some_and(|lease| lease.expires_at > chrono::Utc::now())
            {
                leased += 1;
            }
        }
        if leased == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{leased} leases of the killed child never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = client.reconcile(ReconcileOptions::default()).await.unwrap();
    let reported: HashSet<String> = first
        .entries
        .iter()
        .map(|e| e.reference_id.clone())
        .collect();
    assert_eq!(
        reported, unresolved_at_kill,
        "reconcile reports exactly the intents left unresolved"
    );

    // Executions still settling are reported StillProcessing; reconcile again until none is (the
    // sandbox settles in 300 ms; the deadline only guards against a hang).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rounds = vec![first];
    while rounds
        .last()
        .is_some_and(|r| r.still_processing + r.unreachable > 0)
    {
        assert!(
            Instant::now() < deadline,
            "still unresolved: {:?}",
            rounds.last()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        rounds.push(client.reconcile(ReconcileOptions::default()).await.unwrap());
    }
    let after = journal_states(&journal);
    let stats = sandbox.stats();
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
        stats["duplicate_payments"], 0,
        "{:#}",
        stats["duplicate_payment_details"]
    );
    assert!(
        created.iter().all(|r| after.contains_key(r)),
        "the sandbox executed a payment the journal does not know"
    );
    let mut not_submitted = Vec::new();
    for (reference_id, state) in &after {
        match state.as_str() {
            "COMPLETED" | "FAILED" => {
                assert!(
                    created.contains(reference_id),
                    "{reference_id} is {state} but was never executed"
                );
                assert_eq!(
                    by_reference[reference_id]["status"],
                    state.as_str(),
                    "{reference_id}"
                );
            }
            // Not found when reconcile asked. (A POST the dead process had on the wire could in
            // principle still land afterwards; that is why it is only ever resumed under the same
            // reference id, below, where status is asked before anything is sent again.)
            "NOT_SUBMITTED" => not_submitted.push(reference_id.clone()),
            other => panic!("{reference_id} ended {other}"),
        }
    }

    // Finishing the job: an intent that never landed is executed again from its journaled
    // request, under its own reference id (status is asked first, then it is POSTed), and pays
    // exactly once.
    for reference_id in &not_submitted {
        let intent = client.journal().get(reference_id).await.unwrap().unwrap();
        let request: models::CollectionExecutionRequest =
            serde_json::from_value(serde_json::Value::clone(&intent.request)).unwrap();
        assert_eq!(&request.reference_id, reference_id);
        client.executions().collection(&request).await.unwrap();
        let wait = WaitOptions {
            timeout: Duration::from_secs(30),
            initial_interval: Duration::from_millis(20),
            max_interval: Duration::from_millis(100),
            ..WaitOptions::default()
        };
        let settled = client
            .status()
            .wait(OperationType::Collection, reference_id, wait)
            .await
            .unwrap();
        assert_eq!(
            settled.execution().map(|e| e.status.clone()),
            Some(ExecutionStatus::Completed),
            "{reference_id}"
        );
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats["duplicate_payments"], 0,
        "{:#}",
        stats["duplicate_payment_details"]
    );
    let executed = stats["executions"]["by_reference_id"]
        .as_object()
        .unwrap()
        .values()
        .filter(|e| e["created"] == true)
        .count();
    assert_eq!(
        executed,
        after.len(),
        "every journaled intent paid exactly once in the end"
    );

    println!(
        "crash: killed after {} intents ({} in flight at the snapshot, {} unresolved when the process died); \
         reconcile rounds: {}; first report: {} completed, {} failed, {} still processing, {} not submitted; \
         resubmitted {}; executions {}, duplicate payments {}",
        at_kill.len(),
        in_flight(&at_kill),
        unresolved_at_kill.len(),
        rounds.len(),
        rounds[0].completed,
        rounds[0].failed,
        rounds[0].still_processing,
        rounds[0].not_submitted,
        not_submitted.len(),
        executed,
        stats["duplicate_payments"],
    );
    sandbox.shutdown();
    drop(client);
}

/// The child process of [`reconcile_finishes_what_a_killed_process_left_in_flight`] (`main` with
/// `DOLLR_CRASH_CHILD=1`): runs collections against the parent's sandbox until it is killed.
fn run_child() {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .ignore_env()
            .base_url(env(ENV_URL))
            .client_id(env(ENV_CLIENT_ID))
            .client_secret(env(ENV_CLIENT_SECRET))
            .journal_path(env(ENV_JOURNAL))
            // A killed instance's intents are adopted once its leases expire: keep that short.
            .journal_lease(CHILD_LEASE)
            .build()
            .unwrap();
        let options = FlowOptions::default()
            .wait_timeout(Duration::from_secs(30))
            .poll_interval(Duration::from_millis(20))
            .max_poll_interval(Duration::from_millis(100));
        let started = Instant::now();
        let results = futures::stream::iter(0..100_000)
            .map(|i| {
                let client = client.clone();
                let options = options.clone();
                async move {
                    let request = CollectRequest::new(
                        test_numbers::COMPLETES,
                        Decimal::from_str("5.00").unwrap(),
                        "USD",
                    )
                    .with_payer_name(format!("Crash payer {i}"))
                    .with_options(options);
                    client.collect(&request).await
                }
            })
            .buffer_unordered(CHILD_CONCURRENCY);
        // Stop on the first error (the parent and its sandbox are gone) or when far too old.
        let mut results = std::pin::pin!(results);
        while let Some(result) = results.next().await {
            if result.is_err() || started.elapsed() > CHILD_LIFETIME {
                break;
            }
        }
    });
}
