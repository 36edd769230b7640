//! `dollr-bench realtime`: the realtime row — time from the sandbox committing `COMPLETED` to the
//! caller's `status().watch(..)` reporting it, over Supabase Realtime and by polling (the wait's
//! default 2 s interval), in the same run. Printed as a Markdown table and written to `--out`.
//! Never asserted (speed targets live here, not in tests).

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use dollr_core::flows::FlowOptions;
use dollr_core::{
    test_numbers, Client, CollectRequest, Decimal, ExecutionStatus, OperationType, SourceType,
    WaitOptions,
};
use futures::StreamExt;
use serde_json::Value;

use crate::journal::start_sandbox_with;

/// Flags of `dollr-bench realtime`.
#[derive(clap::Args, Debug)]
pub struct RealtimeArgs {
    /// The `dollr` binary (the sandbox, with its realtime server).
    #[arg(long)]
    pub sandbox_binary: PathBuf,
    /// Payments measured per channel.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Where the Markdown table goes.
    #[arg(long, default_value = "target/bench/realtime.md")]
    pub out: PathBuf,
}

struct Sandbox {
    url: String,
    http: reqwest::Client,
    _child: Child,
}

impl Sandbox {
    async fn get(&self, path: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await?
            .json()
            .await?)
    }
    async fn advance_to_final(&self, reference: &str) -> Result<()> {
        let url = format!("{}/_sandbox/advance/{reference}?to=final", self.url);
        self.http.post(url).send().await?.error_for_status()?;
        Ok(())
    }
    async fn joins(&self) -> Result<u64> {
        Ok(self.get("/_sandbox/stats").await?["realtime"]["joins"]
            .as_u64()
            .unwrap_or(0))
    }
    async fn lookups(&self, reference: &str) -> Result<usize> {
        let log = self.get("/_sandbox/requests").await?;
        Ok(log
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| {
                        e["method"] == "GET"
                            && e["path"].as_str().is_some_and(|p| p.ends_with(reference))
                    })
                    .count()
            })
            .unwrap_or(0))
    }
}

fn client(sandbox: &Sandbox, supabase: Option<(&str, &str)>) -> Result<Client> {
    let mut builder = Client::builder()
        .ignore_env()
        .base_url(&sandbox.url)
        .client_id("dollr_test_client")
        .client_secret("dollr_test_secret");
    if let Some((url, key)) = supabase {
        builder = builder.supabase(url, key);
    }
    Ok(builder.build()?)
}

/// Milliseconds from the commit of `COMPLETED` to the watch reporting it, for one payment.
async fn one(sandbox: &Sandbox, payer: &Client, watcher: &Client, realtime: bool) -> Result<f64> {
    let request = CollectRequest::new(test_numbers::COMPLETES, Decimal::new(500, 2), "USD")
        .with_payer_name("Bench Payer")
        .with_options(FlowOptions::default().wait_timeout(Duration::from_millis(1)));
    let outcome = payer.collect(&request).await?;
    let reference = outcome.reference_id.clone();
    let joins = sandbox.joins().await?;
    let lookups = sandbox.lookups(&reference).await?;
    let mut options = WaitOptions::with_timeout(Duration::from_secs(60));
    if realtime {
        options = options.realtime(outcome.session_id, SourceType::Invoice);
    }
    let mut watch = watcher
        .status()
        .watch(OperationType::Collection, &reference, options);
    // Listening (joined, caught up) or polling (first lookup done) before the commit.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = if realtime {
            sandbox.joins().await? > joins && sandbox.lookups(&reference).await? >= lookups + 2
        } else {
            sandbox.lookups(&reference).await? > lookups
        };
        if ready {
            break;
        }
        if Instant::now() > deadline {
            return Err(anyhow!("the watch of {reference} never got ready"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let committed = Instant::now();
    sandbox.advance_to_final(&reference).await?;
    while let Some(transition) = watch.next().await {
        if transition?.to == ExecutionStatus::Completed {
            return Ok(committed.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Err(anyhow!("the watch of {reference} ended without COMPLETED"))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn p95(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = ((values.len() as f64) * 0.95).ceil() as usize;
    values
        .get(at.saturating_sub(1).min(values.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

pub fn run(args: RealtimeArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (url, child) = start_sandbox_with(&args.sandbox_binary, &["--settle-ms", "600000"])?;
        let sandbox = Sandbox {
            url,
            http: reqwest::Client::new(),
            _child: child,
        };
        let info = sandbox.get("/_sandbox/realtime").await?;
        let supabase_url = info["supabase_url"].as_str().context("supabase_url")?;
        let anon_key = info["supabase_anon_key"]
            .as_str()
            .context("supabase_anon_key")?;
        let payer = client(&sandbox, None)?;
        let live = client(&sandbox, Some((supabase_url, anon_key)))?;
        let polling = client(&sandbox, None)?;
        let mut realtime_ms = Vec::new();
        let mut polling_ms = Vec::new();
        for _ in 0..args.samples {
            realtime_ms.push(one(&sandbox, &payer, &live, true).await?);
            polling_ms.push(one(&sandbox, &payer, &polling, false).await?);
        }
        let (rt, poll) = (median(realtime_ms.clone()), median(polling_ms.clone()));
        let rows = [
            "| Channel | Commit of COMPLETED → caller, median | p95 |".to_string(),
            "|---|---|---|".to_string(),
            format!(
                "| realtime (Supabase, loopback) | {rt:.1} ms | {:.1} ms |",
                p95(realtime_ms)
            ),
            format!(
                "| polling (default 2 s interval) | {poll:.1} ms | {:.1} ms |",
                p95(polling_ms)
            ),
            format!("| ratio polling / realtime | {:.0}× | |", poll / rt),
        ];
        let table = rows.join("\n");
        println!("{table}");
        if let Some(dir) = args.out.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&args.out, format!("{table}\n"))?;
        Ok(())
    })
}
