//! `dollr-bench bulk`: the bulk-payout row of `make bench` (issue #16, decision 0016) —
//! `dollr payouts run` paying a CSV of N payouts (default 10,000) against a sandbox that settles
//! at once, against the sandbox's own ceiling for the same payouts (hand-written requests on one
//! keep-alive `reqwest::Client`: payout session → execute → status, with the account registered
//! once, at the same concurrency), and the CLI's peak RSS (the target: under 100 MB). The sandbox's
//! counters must show exactly N executions for the CLI's run: a run that paid twice or skipped a
//! row is an error, not a figure.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use dollr_core::{Client, Decimal, PayoutRequest};
use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde_json::{json, Value};

use crate::flow::{CLIENT_ID, CLIENT_SECRET, PHONE};

/// Flags of `dollr-bench bulk`.
#[derive(clap::Args, Debug)]
pub struct BulkArgs {
    /// The `dollr` binary: the CLI measured, and the sandbox it runs against.
    #[arg(long)]
    pub dollr_binary: PathBuf,
    /// Payouts in the batch.
    #[arg(long, default_value_t = 10_000)]
    pub payouts: usize,
    /// Rows paid at once (the CLI's `--concurrency`, and the ceiling's).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Where the Markdown table goes.
    #[arg(long, default_value = "target/bench/bulk.md")]
    pub out: PathBuf,
}

const PASSCODE: &str = "123456";
const PASSCODE_PHONE: &str = "231779999999";

/// A sandbox child that settles at once, with a wallet deep enough for every payout twice.
fn start_sandbox(binary: &PathBuf) -> Result<(String, std::process::Child)> {
    crate::journal::start_sandbox_with(binary, &["--settle-ms", "0", "--wallet", "USD=100000000"])
}

async fn stats(http: &reqwest::Client, url: &str) -> Result<Value> {
    Ok(http
        .get(format!("{url}/_sandbox/stats"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

fn executions_created(stats: &Value) -> u64 {
    stats["executions"]["created"].as_u64().unwrap_or(0)
}

/// The ceiling: `payouts` payouts by hand (session, execute, status until final) on one
/// keep-alive client, `concurrency` at once, to an account registered once. Payouts per second.
async fn ceiling(url: &str, payouts: usize, concurrency: usize) -> Result<f64> {
    // The account, registered once through the SDK (not timed).
    let client = Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .build()?;
    let setup = PayoutRequest::new(PHONE, Decimal::new(50, 2), "USD", PASSCODE, PASSCODE_PHONE)
        .with_recipient_name("Ceiling Agent");
    let account = client.payout(&setup).await?.payout_account_id;

    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{url}/v1/jwt/client/obtain/token"))
        .json(&json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let bearer = token["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("no access_token"))?;
    let auth = HeaderValue::from_str(&format!("Bearer {bearer}"))?;
    let pay = |http: reqwest::Client, auth: HeaderValue| async move {
        let session: Value = http
            .post(format!("{url}/v1/sessions/payout"))
            .header(AUTHORIZATION, auth.clone())
            .json(&json!({"payout_account_id": account, "amount": 0.5, "currency": "USD"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let reference_id = uuid::Uuid::new_v4().to_string();
        let execution: Value = http
            .post(format!("{url}/v1/executions/payout"))
            .header(AUTHORIZATION, auth.clone())
            .json(&json!({
                // Ids as strings, as the API's execute endpoints take them.
                "session_id": session["id"].to_string(),
                "payout_account_id": account.to_string(),
                "reference_id": reference_id,
                "passcode": {
                    "token": {"code": PASSCODE, "phone": PASSCODE_PHONE},
                    "device": {"name": "bench", "type": "SERVER", "platform": "LINUX",
                               "user_agent": "dollr-bench", "client_ip": "127.0.0.1"}
                }
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut status = execution["status"].as_str().unwrap_or_default().to_string();
        for _ in 0..crate::flow::MAX_POLLS {
            if status == "COMPLETED" || status == "FAILED" {
                return anyhow::Ok(status);
            }
            let answer: Value = http
                .get(format!("{url}/v1/status/payout/{reference_id}"))
                .header(AUTHORIZATION, auth.clone())
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            status = answer["status"].as_str().unwrap_or_default().to_string();
        }
        bail!("payout {reference_id} never settled")
    };
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut started_count = 0;
    let mut completed = 0;
    loop {
        while pending.len() < concurrency && started_count < payouts {
            pending.push(pay(http.clone(), auth.clone()));
            started_count += 1;
        }
        match pending.next().await {
            Some(status) => {
                if status? == "COMPLETED" {
                    completed += 1;
                }
            }
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if completed != payouts {
        bail!("the ceiling completed {completed} of {payouts} payouts");
    }
    Ok(payouts as f64 / seconds)
}

/// The high-water mark of `pid`'s resident set (`VmHWM`, Linux), in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the row and writes the table.
pub fn run(args: BulkArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("dollr-bench-bulk-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("payouts.csv");
        let mut csv = String::from("row_id,phone,amount,currency,name\n");
        for i in 0..args.payouts {
            csv.push_str(&format!("agent-{i:06},{PHONE},0.50,USD,Agent {i}\n"));
        }
        std::fs::write(&file, csv)?;
        let http = reqwest::Client::new();

        // The ceiling, on its own sandbox.
        let (url, mut sandbox) = start_sandbox(&args.dollr_binary)?;
        let ceiling = ceiling(&url, args.payouts, args.concurrency).await;
        drop(sandbox.stdin.take());
        let _ = sandbox.wait();
        let ceiling = ceiling?;

        // The CLI, on a fresh sandbox.
        let (url, mut sandbox) = start_sandbox(&args.dollr_binary)?;
        let started = Instant::now();
        let mut cli = Command::new(&args.dollr_binary)
            .args(["payouts", "run"])
            .arg(&file)
            .args(["--base-url", &url, "--poll-ms", "5"])
            .args(["--concurrency", &args.concurrency.to_string()])
            .arg("--journal")
            .arg(dir.join("journal.sqlite"))
            .arg("--out")
            .arg(dir.join("results.csv"))
            .env("DOLLR_CLIENT_ID", CLIENT_ID)
            .env("DOLLR_CLIENT_SECRET", CLIENT_SECRET)
            .env("DOLLR_PASSCODE", PASSCODE)
            .env("DOLLR_PASSCODE_PHONE", PASSCODE_PHONE)
            .env_remove("DOLLR_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("running dollr payouts run")?;
        // VmHWM only grows: its last reading before the exit is the peak (up to the last 10 ms).
        let mut peak = None;
        let status = loop {
            if let Some(status) = cli.try_wait()? {
                break status;
            }
            peak = peak_rss(cli.id()).or(peak);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        let seconds = started.elapsed().as_secs_f64();
        let created = executions_created(&stats(&http, &url).await?);
        drop(sandbox.stdin.take());
        let _ = sandbox.wait();
        let _ = std::fs::remove_dir_all(&dir);
        if !status.success() {
            bail!("dollr payouts run exited with {status}");
        }
        if created != args.payouts as u64 {
            bail!("the sandbox executed {created} payouts for {} rows", args.payouts);
        }
        let per_second = args.payouts as f64 / seconds;
        let peak = peak
            .map(|bytes| format!("{:.1} MB", bytes as f64 / 1e6))
            .unwrap_or_else(|| "unknown".into());
        let table = format!(
            "| Bulk payouts ({} rows, concurrency {}) | payouts/s | of the ceiling | peak RSS (target < 100 MB) |\n\
             |---|---|---|---|\n\
             | `dollr payouts run` (SQLite journal, results file) | {per_second:.0} ({seconds:.1} s) | {:.0} % | {peak} |\n\
             | ceiling: session → execute → status by hand, account registered once | {ceiling:.0} | 100 % | — |\n",
            args.payouts,
            args.concurrency,
            100.0 * per_second / ceiling,
        );
        if let Some(parent) = args.out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::File::create(&args.out)?.write_all(table.as_bytes())?;
        print!("{table}");
        Ok(())
    })
}
