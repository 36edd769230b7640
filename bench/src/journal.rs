//! `dollr-bench journal`: the execution journals' rows of the benchmark — intents journaled per
//! second (memory, SQLite, PostgreSQL) and `reconcile()` throughput over 10,000 pending intents
//! against a local sandbox. Printed as a Markdown table and written to `--out`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use dollr_core::journal::{self, IntentOutcome, Journal, JournalConfig, LeaseRequest, NewIntent};
use dollr_core::models::Execution;
use dollr_core::{Client, OperationType, ReconcileOptions};
use serde_json::json;

/// Flags of `dollr-bench journal`.
#[derive(clap::Args, Debug)]
pub struct JournalArgs {
    /// A PostgreSQL server URL (`postgresql://…`); without it the PostgreSQL rows say so.
    #[arg(long)]
    pub postgres_url: Option<String>,
    /// The `dollr` binary, for the sandbox the reconcile row runs against.
    #[arg(long)]
    pub sandbox_binary: PathBuf,
    /// Intents journaled per row.
    #[arg(long, default_value_t = 5000)]
    pub intents: usize,
    /// Pending intents reconciled.
    #[arg(long, default_value_t = 10_000)]
    pub pending: usize,
    /// Where the Markdown table goes.
    #[arg(long, default_value = "target/bench/journal.md")]
    pub out: PathBuf,
}

const WRITERS: usize = 16;

/// A journal to measure, `None` when it cannot be (no PostgreSQL URL).
type MaybeJournal = Option<Result<JournalConfig>>;

fn execution(reference_id: &str) -> Result<Execution> {
    Ok(serde_json::from_value(json!({
        "reference_id": reference_id, "status": "COMPLETED", "operation_type": "COLLECTION",
        "payer_amount": 5.00, "payer_currency": "USD", "payee_amount": 5.00, "payee_currency": "USD",
        "provider_transaction_id": null, "gateway_message": null, "wallet_message": null,
        "requires_action": false
    }))?)
}

fn new_intent(reference_id: &str) -> NewIntent {
    NewIntent {
        reference_id: reference_id.to_string(),
        operation: OperationType::Collection,
        request_hash: "bench".to_string(),
        request: json!({"session_id": "1", "payment_account_id": "1", "currency": "USD", "reference_id": reference_id}),
    }
}

/// What one execution journals: begin, the attempt, the outcome. Intents per second.
async fn journaled_per_second(journal: Arc<dyn Journal>, intents: usize) -> Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let journal = journal.clone();
        let count = intents / WRITERS;
        tasks.push(tokio::spawn(async move {
            let lease = LeaseRequest::new(format!("bench-{writer}"), Duration::from_secs(30));
            for _ in 0..count {
                let reference_id = uuid::Uuid::new_v4().to_string();
                journal.begin(new_intent(&reference_id), &lease).await?;
                journal.record_attempt(&reference_id, &lease).await?;
                journal
                    .record_outcome(
                        &reference_id,
                        IntentOutcome::Observed(execution(&reference_id)?),
                    )
                    .await?;
            }
            anyhow::Ok(count)
        }));
    }
    let mut done = 0;
    for task in tasks {
        done += task.await??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// A sandbox child: its URL and the child (stopped when stdin closes).
fn start_sandbox(binary: &PathBuf) -> Result<(String, std::process::Child)> {
    start_sandbox_with(binary, &[])
}

/// [`start_sandbox`] with more flags.
pub(crate) fn start_sandbox_with(
    binary: &PathBuf,
    extra: &[&str],
) -> Result<(String, std::process::Child)> {
    let mut child = Command::new(binary)
        .args([
            "sandbox",
            "--port",
            "0",
            "--exit-when-stdin-closes",
            "--seed",
            "7",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow!("unexpected first line from the sandbox: {line:?}"))?
        .to_string();
    Ok((url, child))
}

/// Seconds for one `reconcile()` over `pending` intents the sandbox never saw (each: a claim, a
/// status lookup answering 404, a journal write).
async fn reconcile_seconds(config: JournalConfig, url: &str, pending: usize) -> Result<f64> {
    let client = Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id("dollr_test_client")
        .client_secret("dollr_test_secret")
        .journal(config)
        .build()?;
    let journal = client.journal().clone();
    let quick = LeaseRequest::new("bench-seeder", Duration::from_millis(1));
    for _ in 0..pending {
        journal
            .begin(new_intent(&uuid::Uuid::new_v4().to_string()), &quick)
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let started = Instant::now();
    let report = client.reconcile(ReconcileOptions::default()).await?;
    let seconds = started.elapsed().as_secs_f64();
    if report.entries.len() < pending {
        return Err(anyhow!(
            "reconcile saw {} of {pending} intents",
            report.entries.len()
        ));
    }
    Ok(seconds)
}

/// Runs the rows and writes the table.
pub fn run(args: JournalArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("dollr-bench-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let postgres = |tag: &str| -> Option<Result<JournalConfig>> {
            args.postgres_url.as_ref().map(|url| {
                let joiner = if url.contains('?') { '&' } else { '?' };
                let schema = format!("bench_{tag}_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
                Ok(JournalConfig::parse(&format!("{url}{joiner}schema={schema}&pool_size=16"))?)
            })
        };
        let mut rows = vec![
            format!("| Journal | Intents journaled per second ({WRITERS} writers) | reconcile() of {} pending intents |", args.pending),
            "|---|---|---|".to_string(),
        ];
        let (sandbox_url, mut sandbox) = start_sandbox(&args.sandbox_binary)?;
        let kinds: Vec<(&str, MaybeJournal, MaybeJournal)> = vec![
            ("memory", Some(Ok(JournalConfig::Memory)), Some(Ok(JournalConfig::Memory))),
            (
                "SQLite",
                Some(Ok(JournalConfig::Sqlite(dir.join("write.sqlite")))),
                Some(Ok(JournalConfig::Sqlite(dir.join("reconcile.sqlite")))),
            ),
            ("PostgreSQL", postgres("write"), postgres("reconcile")),
        ];
        for (name, write, reconcile) in kinds {
            let (Some(write), Some(reconcile)) = (write, reconcile) else {
                rows.push(format!("| {name} | not run (no --postgres-url) | not run |"));
                continue;
            };
            let per_second = journaled_per_second(journal::open(&write?)?, args.intents).await?;
            let seconds = reconcile_seconds(reconcile?, &sandbox_url, args.pending).await?;
            let row = format!(
                "| {name} | {per_second:.0} | {seconds:.2} s ({:.0} intents/s) |",
                args.pending as f64 / seconds
            );
            println!("{row}");
            rows.push(row);
        }
        drop(sandbox.stdin.take());
        let _ = sandbox.wait();
        let _ = std::fs::remove_dir_all(&dir);
        let table = rows.join("\n") + "\n";
        if let Some(parent) = args.out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::File::create(&args.out)?.write_all(table.as_bytes())?;
        print!("{table}");
        Ok(())
    })
}
