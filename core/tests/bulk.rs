//! Bulk payouts (`client.bulk_payout`, issue #16) against the sandbox: a 1,000-row batch under
//! lost answers, 5xx, 429 and declining test numbers accounts for every row with the status the
//! sandbox holds, and running it again resumes without paying anything twice; invalid rows refuse
//! the batch before anything is sent; a row the API refused (a wrong passcode) is paid by the next
//! run under the next generation of its reference id.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dollr_core::flows::bulk::bulk_reference_id;
use dollr_core::flows::{
    BulkPayoutReport, BulkPayoutRequest, BulkPayoutRow, BulkRowStatus, FlowOptions,
};
use dollr_core::*;
use dollr_sandbox::{Currency, FaultConfig, FaultRule, FaultScope, Sandbox, SandboxConfig};
use serde_json::Value;

/// Rows of the chaos batch.
const ROWS: usize = 1000;
const PASSCODE_PHONE: &str = "231779999999";

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A journal file in memory-backed storage when there is one.
fn journal_file(tag: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!(
        "dollr-bulk-{tag}-{}-{}.sqlite",
        std::process::id(),
        uuid::Uuid::new_v4()
    ))
}

/// Deletes the journal file (and SQLite's side files) when the test ends.
struct TempJournal(PathBuf);

impl Drop for TempJournal {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn client_for(sandbox: &Sandbox, journal: &std::path::Path) -> Client {
    Client::builder()
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
        .journal_path(journal)
        .build()
        .unwrap()
}

/// Quick polls (the sandbox settles in milliseconds) and an execution policy: stingy (one POST,
/// one status lookup: under the faults many rows end with their outcome unknown, for the next run
/// to resolve) or patient.
fn row_options(events: &Arc<Mutex<Vec<FlowEvent>>>, stingy: bool) -> FlowOptions {
    let sink = events.clone();
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
            if !matches!(p.event, FlowEvent::BulkProgress { .. }) || sink.lock().unwrap().len() < 5
            {
                sink.lock().unwrap().push(p.event.clone());
            }
        })
}

/// The expected final status of row `i` of the chaos batch, and its phone.
fn chaos_row(i: usize) -> (BulkPayoutRow, ExecutionStatus) {
    let (phone, expected) = match i % 10 {
        9 => (test_numbers::DECLINES, ExecutionStatus::Failed),
        4 => (
            test_numbers::COMPLETES_ORANGE_LR,
            ExecutionStatus::Completed,
        ),
        _ => (test_numbers::COMPLETES, ExecutionStatus::Completed),
    };
    let row = BulkPayoutRow::new(phone, dec("1.25"), "USD")
        .with_name(format!("Agent {i}"))
        .with_row_id(format!("agent-{i:05}"));
    (row, expected)
}

fn faults() -> FaultConfig {
    FaultConfig::none()
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

/// Reference id → (created, status) as the sandbox holds them.
fn sandbox_executions(sandbox: &Sandbox) -> (Value, HashMap<String, (bool, Option<String>)>) {
    let stats = sandbox.stats();
    let by_reference = stats["executions"]["by_reference_id"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v["created"] == true,
                    v["status"].as_str().map(str::to_string),
                ),
            )
        })
        .collect();
    (stats, by_reference)
}

/// Every row's result agrees with the sandbox; no row has more than one execution; returns the
/// number of rows the sandbox executed.
fn check_against_sandbox(
    report: &BulkPayoutReport,
    rows: &[BulkPayoutRow],
    sandbox: &Sandbox,
) -> usize {
    let (stats, executions) = sandbox_executions(sandbox);
    assert_eq!(
        stats["duplicate_payments"], 0,
        "{:#}",
        stats["duplicate_payment_details"]
    );
    assert_eq!(report.rows.len(), rows.len(), "one result per row");
    let mut executed_rows = 0;
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (index, (result, row)) in report.rows.iter().zip(rows).enumerate() {
        assert_eq!(result.index as usize, index, "input order");
        assert_eq!(result.row_id, row.row_id.clone().unwrap());
        // Every reference id the batch could have used for this row, and which of them the
        // sandbox executed: at most one.
        let candidates: Vec<String> = (0..4)
            .map(|g| bulk_reference_id(&report.batch_id, &result.row_id, g))
            .collect();
        let created: Vec<&String> = candidates
            .iter()
            .filter(|id| executions.get(*id).is_some_and(|(created, _)| *created))
            .collect();
        assert!(
            created.len() <= 1,
            "row {} was executed {} times: {created:?}",
            result.row_id,
            created.len()
        );
        for id in &created {
            owner.insert((*id).clone(), index);
        }
        match result.status {
            BulkRowStatus::Completed | BulkRowStatus::Failed
                if result.reference_id.is_some() && !created.is_empty() =>
            {
                let reference_id = result.reference_id.as_ref().unwrap();
                assert_eq!(
                    Some(&reference_id),
                    created.first(),
                    "row {}",
                    result.row_id
                );
                assert_eq!(
                    executions[reference_id].1.as_deref(),
                    Some(result.status.as_str()),
                    "row {}: the batch and the sandbox disagree",
                    result.row_id
                );
                executed_rows += 1;
            }
            BulkRowStatus::Failed => {
                // Not executed: nothing moved.
                assert!(
                    created.is_empty(),
                    "row {} reported FAILED without its execution, but the sandbox executed {created:?}",
                    result.row_id
                );
            }
            BulkRowStatus::Processing | BulkRowStatus::Unknown => {
                if !created.is_empty() {
                    executed_rows += 1;
                }
            }
            status => panic!("row {}: unexpected {status}", result.row_id),
        }
    }
    // Every execution the sandbox created belongs to a row of the batch.
    let created_total = executions.values().filter(|(created, _)| *created).count();
    assert_eq!(owner.len(), created_total, "executions outside the batch");
    executed_rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_row_batch_under_faults_accounts_for_every_row_and_resumes_exactly_once() {
    let mut config = SandboxConfig::for_tests(2);
    config.seed = Some(20_261_202);
    config.wallets.insert(Currency::Usd, dec("100000000.00"));
    config.faults = faults();
    let sandbox = Sandbox::start(config).await.unwrap();
    let journal = journal_file("chaos");
    let _cleanup = TempJournal(journal.clone());
    let client = client_for(&sandbox, &journal);

    let (rows, expected): (Vec<BulkPayoutRow>, Vec<ExecutionStatus>) =
        (0..ROWS).map(chaos_row).unzip();
    let events: Arc<Mutex<Vec<FlowEvent>>> = Arc::default();
    let request = BulkPayoutRequest::new(rows.clone(), sandbox.passcode(), PASSCODE_PHONE)
        .with_batch_id("payroll-2026-12-04")
        .with_concurrency(32)
        .with_options(row_options(&events, false));
    let mut stingy = request.clone();
    stingy.options = row_options(&events, true);

    // Run 1, under the faults, giving up early on every ambiguity.
    let first = client.bulk_payout(&stingy).await.unwrap();
    let executed = check_against_sandbox(&first, &rows, &sandbox);
    let fired = sandbox.stats()["faults"].clone();
    assert!(
        fired["drop_response"].as_u64().unwrap_or(0) > 0
            && fired["error"].as_u64().unwrap_or(0) > 0
            && fired["rate_limit"].as_u64().unwrap_or(0) > 0,
        "the faults fired: {fired}"
    );
    assert!(first.rate_limited > 0, "the gate saw the 429s");
    assert!(
        first.unknown > 0,
        "some rows were left with their outcome unknown for run 2 to resolve"
    );
    assert_eq!(first.resumed, 0);
    {
        let events = events.lock().unwrap();
        let finished = events
            .iter()
            .filter(|e| matches!(e, FlowEvent::BulkRowFinished { .. }))
            .count();
        assert_eq!(finished, ROWS, "one bulk_row_finished per row");
        assert!(matches!(events[0], FlowEvent::BulkStarted { rows, .. } if rows == ROWS as u64));
    }
    let declined_ok = first
        .rows
        .iter()
        .zip(&expected)
        .filter(|(r, e)| {
            matches!(
                (r.status, e),
                (BulkRowStatus::Completed, ExecutionStatus::Completed)
                    | (BulkRowStatus::Failed, ExecutionStatus::Failed)
            )
        })
        .count();
    assert!(
        declined_ok > ROWS / 3,
        "many rows end as their test number says ({declined_ok})"
    );

    // Run 2, the faults over, patient: the same batch resumes. Nothing is paid twice, every row ends as
    // its test number says, and every finished row of run 1 is reported without a new execution.
    sandbox.clear_faults();
    let posts_before = sandbox.stats()["executions"]["posts"].as_u64().unwrap();
    events.lock().unwrap().clear();
    let second = client.bulk_payout(&request).await.unwrap();
    let executed_after = check_against_sandbox(&second, &rows, &sandbox);
    assert_eq!(executed_after, ROWS, "every row executed, once");
    assert!(executed_after >= executed);
    for ((result, before), expected) in second.rows.iter().zip(&first.rows).zip(&expected) {
        assert_eq!(
            result.status.as_str(),
            expected.as_str(),
            "row {}",
            result.row_id
        );
        // A row that ended with its execution known (not one refused before executing) is
        // reported from the journal, under the same reference id.
        if matches!(
            before.status,
            BulkRowStatus::Completed | BulkRowStatus::Failed
        ) && before.payer_amount.is_some()
        {
            assert!(result.resumed, "row {} was resumed", result.row_id);
            assert_eq!(result.reference_id, before.reference_id);
        }
        if result.status == BulkRowStatus::Completed {
            assert_eq!(
                result.payee_amount,
                Some(dec("1.25")),
                "row {}",
                result.row_id
            );
        }
    }
    let new_posts = sandbox.stats()["executions"]["posts"].as_u64().unwrap() - posts_before;
    let unfinished = first
        .rows
        .iter()
        .filter(|r| !matches!(r.status, BulkRowStatus::Completed | BulkRowStatus::Failed))
        .count() as u64;
    assert!(
        new_posts <= unfinished * 5,
        "run 2 POSTed only for the rows run 1 left unfinished ({new_posts} POSTs, {unfinished} rows)"
    );
    assert_eq!(second.completed + second.failed, ROWS as u64);
    let usd = second.totals.iter().find(|t| t.currency == "USD").unwrap();
    assert_eq!(usd.rows, ROWS as u64);
    assert_eq!(usd.requested, dec("1.25") * Decimal::from(ROWS as u64));
    assert_eq!(usd.paid, dec("1.25") * Decimal::from(second.completed));

    // Run 3: everything is settled in the journal; not one request reaches the executions.
    let posts_before = sandbox.stats()["executions"]["posts"].as_u64().unwrap();
    let third = client.bulk_payout(&request).await.unwrap();
    assert_eq!(third.resumed, ROWS as u64);
    assert_eq!(
        sandbox.stats()["executions"]["posts"].as_u64().unwrap(),
        posts_before
    );
    assert_eq!(
        third.rows.iter().map(|r| r.status).collect::<Vec<_>>(),
        second.rows.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    println!(
        "bulk chaos: run 1 {} completed / {} failed / {} processing / {} unknown in {:.1}s ({} 429 pauses); run 2 {:.1}s; run 3 {:.1}s",
        first.completed,
        first.failed,
        first.processing,
        first.unknown,
        first.elapsed.as_secs_f64(),
        first.rate_limited,
        second.elapsed.as_secs_f64(),
        third.elapsed.as_secs_f64(),
    );
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_refuse_the_batch_before_anything_is_sent() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(2)).await.unwrap();
    let journal = journal_file("invalid");
    let _cleanup = TempJournal(journal.clone());
    let client = client_for(&sandbox, &journal);
    let rows = vec![
        BulkPayoutRow::new(test_numbers::COMPLETES, dec("5.00"), "USD").with_row_id("a"),
        BulkPayoutRow::new("12345", dec("5.00"), "USD").with_row_id("b"),
        BulkPayoutRow::new(test_numbers::COMPLETES, dec("5.001"), "USD").with_row_id("c"),
        BulkPayoutRow::new(test_numbers::COMPLETES, dec("5.00"), "USD").with_row_id("a"),
    ];
    let request = BulkPayoutRequest::new(rows, sandbox.passcode(), PASSCODE_PHONE)
        .with_options(FlowOptions::default().poll_interval(Duration::from_millis(5)));
    let error = client.bulk_payout(&request).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    let fields: Vec<String> = error.details().iter().map(|d| d.field()).collect();
    assert_eq!(fields, ["rows.1.phone", "rows.2.amount", "rows.3.row_id"]);
    assert_eq!(sandbox.stats()["requests"]["total"], 0, "nothing was sent");
    let empty = BulkPayoutRequest::new(Vec::new(), sandbox.passcode(), PASSCODE_PHONE);
    let error = client.bulk_payout(&empty).await.unwrap_err();
    assert_eq!(error.details()[0].field(), "rows");

    // With skip_invalid the valid row is paid and the others are reported INVALID.
    let mut skipping = request.clone();
    skipping.skip_invalid = true;
    let report = client.bulk_payout(&skipping).await.unwrap();
    let statuses: Vec<BulkRowStatus> = report.rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            BulkRowStatus::Completed,
            BulkRowStatus::Invalid,
            BulkRowStatus::Invalid,
            BulkRowStatus::Invalid
        ]
    );
    assert_eq!(report.rows[1].error_kind.as_deref(), Some("Validation"));
    assert_eq!(sandbox.stats()["executions"]["created"], 1);

    // The dry run names every bad row and sends no execution.
    let before = sandbox.stats()["executions"]["posts"].clone();
    let plan = client.bulk_payout_plan(&request).await.unwrap();
    assert_eq!(plan.invalid.len(), 3);
    assert_eq!(plan.totals.len(), 1);
    assert_eq!(plan.totals[0].rows, 1);
    assert_eq!(plan.totals[0].amount, dec("5.00"));
    assert_eq!(plan.totals[0].unpredicted, 0, "{:?}", plan.warnings);
    assert_eq!(sandbox.stats()["executions"]["posts"], before);

    // The dry run asks once per phone (operator) and once per amount and routing (fees).
    let routes =
        |stats: &Value, route: &str| stats["requests"]["by_route"][route].as_u64().unwrap_or(0);
    let before = sandbox.stats();
    let same: Vec<BulkPayoutRow> = (0..20)
        .map(|i| {
            BulkPayoutRow::new(test_numbers::COMPLETES_ORANGE_LR, dec("7.50"), "USD")
                .with_row_id(format!("r{i}"))
        })
        .collect();
    let plan = client
        .bulk_payout_plan(&BulkPayoutRequest::new(
            same,
            sandbox.passcode(),
            PASSCODE_PHONE,
        ))
        .await
        .unwrap();
    assert_eq!(
        (plan.totals[0].rows, plan.totals[0].amount),
        (20, dec("150.00"))
    );
    let after = sandbox.stats();
    for route in [
        "GET /v1/predictions/mmo-provider-info",
        "GET /v1/predictions/amount-and-fees",
    ] {
        assert_eq!(
            routes(&after, route) - routes(&before, route),
            1,
            "{route}: {:#}",
            after["requests"]["by_route"]
        );
    }
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_refused_by_the_api_are_paid_by_the_next_run_under_a_new_generation() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(2)).await.unwrap();
    let journal = journal_file("refused");
    let _cleanup = TempJournal(journal.clone());
    let client = client_for(&sandbox, &journal);
    let rows: Vec<BulkPayoutRow> = (0..6)
        .map(|i| {
            BulkPayoutRow::new(test_numbers::COMPLETES, dec("2.00"), "USD")
                .with_name(format!("Agent {i}"))
        })
        .collect();
    let options = FlowOptions::default()
        .poll_interval(Duration::from_millis(5))
        .max_poll_interval(Duration::from_millis(25));
    let wrong = BulkPayoutRequest::new(rows.clone(), "000000-wrong", PASSCODE_PHONE)
        .with_options(options.clone());
    let refused = client.bulk_payout(&wrong).await.unwrap();
    assert_eq!(refused.failed, 6, "{:?}", refused.rows[0]);
    assert!(refused
        .rows
        .iter()
        .all(|r| r.error_kind.as_deref() == Some("PermissionDenied")));
    assert_eq!(sandbox.stats()["executions"]["created"], 0);
    // Same rows, so the same (derived) batch id: the refused generation 0 is skipped.
    let right =
        BulkPayoutRequest::new(rows, sandbox.passcode(), PASSCODE_PHONE).with_options(options);
    let paid = client.bulk_payout(&right).await.unwrap();
    assert_eq!(paid.batch_id, refused.batch_id);
    assert!(paid.all_completed(), "{:?}", paid.rows);
    for result in &paid.rows {
        assert_eq!(
            result.reference_id.as_deref(),
            Some(bulk_reference_id(&paid.batch_id, &result.row_id, 1).as_str())
        );
    }
    assert_eq!(sandbox.stats()["executions"]["created"], 6);
    // And again: nothing more.
    let again = client.bulk_payout(&right).await.unwrap();
    assert_eq!(again.resumed, 6);
    assert_eq!(sandbox.stats()["executions"]["created"], 6);
    let seen: HashSet<_> = again.rows.iter().map(|r| r.reference_id.clone()).collect();
    assert_eq!(seen.len(), 6);
    sandbox.shutdown();
}
