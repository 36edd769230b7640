//! `dollr payouts run` against a sandbox this test runs: killed with SIGKILL at random (seeded)
//! instants several times and run again on the same SQLite journal, it pays every row exactly
//! once; a dry run names each bad row by line and field and sends nothing; a CSV with a BOM, CRLF
//! line ends, quoted fields and trailing blank lines is read as written; Ctrl-C (SIGINT) stops new
//! rows, lets rows in flight settle, and the same command then finishes the batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dollr_core::flows::bulk::bulk_reference_id;
use dollr_core::test_numbers;
use dollr_sandbox::{Currency, FaultRule, FaultScope, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

const PASSCODE_PHONE: &str = "231779999999";

/// A scratch directory, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "dollr-payouts-{tag}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ u128::from(rand_seed())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Kills the child if the test fails first (no stray process keeps paying).
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn sandbox() -> Sandbox {
    let mut config = SandboxConfig::for_tests(5);
    config
        .wallets
        .insert(Currency::Usd, Decimal::new(100_000_000, 2));
    Sandbox::start(config).await.unwrap()
}

fn dollr(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dollr"));
    command
        .arg("payouts")
        .arg("run")
        .args(args)
        .args(["--base-url", &sandbox.url(), "--poll-ms", "5"])
        .env("DOLLR_CLIENT_ID", sandbox.client_id())
        .env("DOLLR_CLIENT_SECRET", sandbox.client_secret())
        .env("DOLLR_PASSCODE", sandbox.passcode())
        .env("DOLLR_PASSCODE_PHONE", PASSCODE_PHONE)
        .env_remove("DOLLR_BASE_URL")
        .env_remove("DOLLR_JOURNAL")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null());
    command
}

/// Runs a command to its end without blocking the runtime that serves the sandbox.
async fn finish(mut command: Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// The results file: one map per row (column → value).
fn results(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn created(sandbox: &Sandbox) -> u64 {
    sandbox.stats()["executions"]["created"].as_u64().unwrap()
}

/// A tiny deterministic generator (xorshift), so the kill instants are "random" but the same on
/// every run of the test.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_instants_and_run_again_it_pays_every_row_once() {
    const ROWS: usize = 120;
    let sandbox = sandbox().await;
    let scratch = Scratch::new("kill");
    let file = scratch.path("payroll.csv");
    let mut csv = String::from("row_id,phone,amount,currency,name\n");
    for i in 0..ROWS {
        let phone = if i % 10 == 9 {
            test_numbers::DECLINES
        } else {
            test_numbers::COMPLETES
        };
        csv.push_str(&format!("emp-{i:04},{phone},3.50,USD,Agent {i}\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let journal = scratch.path("payroll.journal.sqlite");
    let out = scratch.path("payroll.results.csv");
    let args = [
        file.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-id",
        "friday-2026-12-04",
        "--concurrency",
        "8",
    ];

    let mut random = Xorshift(0x5eed_2026_1204);
    // Every execution POST waits 500 ms at the sandbox, so a run pays at most 8 rows (its
    // concurrency) per 500 ms of the sandbox's time. The sandbox runs in this process: a run cannot
    // get through the rest of the batch while this loop, which looks every 5 ms, is not looking,
    // however the test is scheduled; it is still running when its kill instant comes.
    sandbox.add_fault(FaultRule::latency(500).scope(FaultScope::Executions));
    let mut kills = 0;
    let mut runs = 0;
    while kills < 3 && (created(&sandbox) as usize) < ROWS {
        runs += 1;
        assert!(runs <= 10, "{runs} runs, {kills} kills");
        let before = created(&sandbox);
        // Kill once this many more executions landed, plus a few milliseconds (mid-flight).
        let more = 5 + random.next(20);
        let extra = Duration::from_millis(random.next(40));
        let child = dollr(&sandbox, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut guard = ChildGuard(Some(child));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if guard.0.as_mut().unwrap().try_wait().unwrap().is_some() {
                break; // it finished before its kill instant
            }
            if created(&sandbox) >= before + more {
                tokio::time::sleep(extra).await;
                let mut child = guard.0.take().unwrap();
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                break;
            }
            assert!(Instant::now() < deadline, "the run made no progress");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(kills, 3, "the rows ran out after {kills} kills");

    // The last run finishes the batch, without the latency (exit 1: the declining numbers' rows
    // are FAILED).
    sandbox.clear_faults();
    let output = finish(dollr(&sandbox, &args)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("resumed from the journal") && !stdout.contains("(0 resumed"),
        "{stdout}"
    );

    let stats = sandbox.stats();
    assert_eq!(stats["duplicate_payments"], 0);
    assert_eq!(created(&sandbox) as usize, ROWS, "one execution per row");
    let by_reference = stats["executions"]["by_reference_id"].as_object().unwrap();
    let rows = results(&out);
    assert_eq!(rows.len(), ROWS, "one result per input row");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["line"], (i + 2).to_string(), "input order");
        let expected = if i % 10 == 9 { "FAILED" } else { "COMPLETED" };
        assert_eq!(row["status"], expected, "{row:?}");
        let reference_id = &row["reference_id"];
        let candidates: Vec<String> = (0..8)
            .map(|g| bulk_reference_id("friday-2026-12-04", &row["row_id"], g))
            .collect();
        assert!(candidates.contains(reference_id), "{row:?}");
        let executed: Vec<&String> = candidates
            .iter()
            .filter(|id| by_reference.get(*id).is_some_and(|e| e["created"] == true))
            .collect();
        assert_eq!(
            executed,
            [reference_id],
            "row {} executed once",
            row["row_id"]
        );
        assert_eq!(by_reference[reference_id]["status"], expected);
        if expected == "COMPLETED" {
            assert_eq!(
                Decimal::from_str_exact(&row["payee_amount"]).unwrap(),
                Decimal::new(350, 2)
            );
        }
    }
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_names_each_bad_row_by_line_and_field_and_sends_nothing() {
    let sandbox = sandbox().await;
    let scratch = Scratch::new("dry");
    let file = scratch.path("bad.csv");
    std::fs::write(
        &file,
        format!(
            "phone,amount,currency,name,row_id\n\
             {ok},10.00,USD,Good,a\n\
             12345,10.00,USD,Bad phone,b\n\
             {ok},\"12,50\",USD,Bad amount,c\n\
             {ok},10.00,RWF,Wrong currency,d\n\
             {ok},10.00,USD,Same id,a\n\
             {ok},10.001,USD,Too many decimals,e\n\
             \n\n",
            ok = test_numbers::COMPLETES
        ),
    )
    .unwrap();
    let output = finish(dollr(&sandbox, &[file.to_str().unwrap(), "--dry-run"])).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    for expected in [
        "line 3, phone",
        "line 4, amount",
        "line 5, currency",
        "line 6, row_id",
        "line 7, amount",
        "invalid rows (5)",
        "nothing was sent",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("line 2,"), "line 2 is valid:\n{stdout}");
    // The valid row's fees were predicted by the API (operator and fees), and nothing executed.
    assert!(stdout.contains("USD via"), "{stdout}");
    let stats = sandbox.stats();
    assert_eq!(stats["executions"]["posts"], 0);
    assert!(stats["requests"]["by_route"]
        .as_object()
        .unwrap()
        .keys()
        .all(|route| !route.contains("/executions/") && !route.contains("/sessions/")));
    // No journal was created by a dry run.
    assert!(!scratch.path("bad.journal.sqlite").exists());

    // A live run refuses the file as a whole.
    let output = finish(dollr(&sandbox, &[file.to_str().unwrap()])).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(sandbox.stats()["executions"]["posts"], 0);
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_with_bom_crlf_quotes_and_trailing_blank_lines_is_paid_as_written() {
    let sandbox = sandbox().await;
    let scratch = Scratch::new("bom");
    let file = scratch.path("excel export.csv");
    let ok = test_numbers::COMPLETES;
    let orange = test_numbers::COMPLETES_ORANGE_LR;
    let text = format!(
        "\u{feff}Phone,Amount,Currency,Name,Note\r\n\
         {ok},\"1,000.00\",USD,\"Doe, Jane\",first\r\n\
         \"{orange}\",\"25.5\",usd,\"Kamara \"\"Junior\"\"\",\"with, comma\"\r\n\
         +{ok},7,USD,Musu,\r\n\
         \r\n\r\n   \r\n"
    );
    std::fs::write(&file, text).unwrap();
    let out = scratch.path("out.csv");
    let output = finish(dollr(
        &sandbox,
        &[file.to_str().unwrap(), "--out", out.to_str().unwrap()],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // "1,000.00" is not a plain decimal: that row is invalid and the file is refused, by line.
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("line 2, amount"), "{stdout}");
    assert_eq!(sandbox.stats()["requests"]["total"], 0);

    let text = format!(
        "\u{feff}Phone,Amount,Currency,Name,Note\r\n\
         {ok},\"1000.00\",USD,\"Doe, Jane\",first\r\n\
         \"{orange}\",\"25.5\",usd,\"Kamara \"\"Junior\"\"\",\"with, comma\"\r\n\
         +{ok},7,USD,Musu,\r\n\
         \r\n\r\n   \r\n"
    );
    std::fs::write(&file, text).unwrap();
    let output = finish(dollr(
        &sandbox,
        &[file.to_str().unwrap(), "--out", out.to_str().unwrap()],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("3 completed"), "{stdout}");
    let rows = results(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().map(|r| r["line"].as_str()).collect::<Vec<_>>(),
        ["2", "3", "4"]
    );
    assert_eq!(rows[0]["Name"], "Doe, Jane");
    assert_eq!(rows[1]["Name"], "Kamara \"Junior\"");
    assert_eq!(rows[1]["Note"], "with, comma", "extra columns are echoed");
    let amount = |text: &str| Decimal::from_str_exact(text).unwrap();
    assert_eq!(amount(&rows[0]["payee_amount"]), Decimal::new(100_000, 2));
    assert_eq!(amount(&rows[1]["payee_amount"]), Decimal::new(255, 1));
    assert!(rows.iter().all(|r| r["status"] == "COMPLETED"), "{rows:?}");
    assert_eq!(created(&sandbox), 3);
    sandbox.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_new_rows_lets_rows_in_flight_settle_and_a_rerun_finishes() {
    const ROWS: usize = 60;
    let mut config = SandboxConfig::for_tests(300);
    config
        .wallets
        .insert(Currency::Usd, Decimal::new(100_000_000, 2));
    let sandbox = Sandbox::start(config).await.unwrap();
    let scratch = Scratch::new("sigint");
    let file = scratch.path("payroll.csv");
    let mut csv = String::from("phone,amount,currency,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{},1.00,USD,Agent {i}\n", test_numbers::COMPLETES));
    }
    std::fs::write(&file, csv).unwrap();
    let out = scratch.path("out.csv");
    let args = [
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--concurrency",
        "2",
    ];
    let child = dollr(&sandbox, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard(Some(child));
    let deadline = Instant::now() + Duration::from_secs(120);
    while created(&sandbox) < 3 {
        assert!(Instant::now() < deadline, "the run made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = guard.0.as_ref().unwrap().id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let child = guard.0.take().unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let rows = results(&out);
    assert_eq!(rows.len(), ROWS);
    let completed = rows.iter().filter(|r| r["status"] == "COMPLETED").count();
    let not_started = rows.iter().filter(|r| r["status"] == "NOT_STARTED").count();
    // The rows in flight settled; the others were never sent.
    assert_eq!(completed + not_started, ROWS, "{rows:?}");
    assert!(not_started > 0, "the stop came before the end");
    assert_eq!(
        created(&sandbox) as usize,
        completed,
        "no row left in flight"
    );

    // The same command again pays the rest, and only the rest.
    let output = finish(dollr(&sandbox, &args)).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(results(&out).iter().all(|r| r["status"] == "COMPLETED"));
    assert_eq!(created(&sandbox) as usize, ROWS);
    assert_eq!(sandbox.stats()["duplicate_payments"], 0);
    sandbox.shutdown();
}
