//! The Rust contenders (`limit`, `core`) as processes speaking the driver's line protocol, like
//! the Python, Node and Kotlin ones.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use dollr_core::models::party::CreatePartyRequest;

use crate::flow::{Core, FlowResult, Limit, PHONE};
use crate::protocol::{Collected, Command, OverheadResult, Ready, RoundResult};
use crate::stats::{cpu_ns, median};

/// Which Rust contender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Hand-written requests on one keep-alive reqwest client: the floor.
    Limit,
    /// dollr-core's resource calls.
    Core,
}

#[derive(Clone)]
enum Runner {
    Limit(Limit),
    Core(Core),
}

impl Runner {
    async fn flow(&self) -> Result<FlowResult> {
        match self {
            Runner::Limit(limit) => limit.flow().await,
            Runner::Core(core) => core.flow().await,
        }
    }
}

/// Runs a contender until its stdin closes.
pub fn serve(kind: Kind, url: &str, concurrency: usize) -> Result<()> {
    // Sequential contenders get a single-threaded runtime (no cross-thread wake-ups: the fastest
    // way to wait on one request at a time); concurrent ones get both cores, like a server.
    let runtime = if concurrency <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
    };
    let stdout = std::io::stdout();
    let connected = runtime.block_on(async {
        Ok::<_, anyhow::Error>(match kind {
            Kind::Limit => Runner::Limit(Limit::connect(url).await?),
            Kind::Core => Runner::Core(Core::connect(url)?),
        })
    });
    let runner = match connected {
        Ok(runner) => {
            let mut versions = serde_json::Map::new();
            versions.insert("dollr-core".into(), env!("CARGO_PKG_VERSION").into());
            say(
                &stdout,
                &Ready {
                    ready: true,
                    versions,
                    error: None,
                },
            )?;
            runner
        }
        Err(error) => {
            say(
                &stdout,
                &Ready {
                    ready: false,
                    versions: Default::default(),
                    error: Some(format!("{error:#}")),
                },
            )?;
            return Ok(());
        }
    };
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let command: Command = serde_json::from_str(&line).context("a driver command")?;
        match command {
            Command::Round { flows } => {
                let result = runtime
                    .block_on(round(&runner, flows, concurrency))
                    .unwrap_or_else(|error| RoundResult {
                        ok: false,
                        error: Some(format!("{error:#}")),
                        ..RoundResult::default()
                    });
                say(&stdout, &result)?;
            }
            Command::Overhead { calls, batches } => {
                let result = runtime
                    .block_on(overhead(&runner, calls, batches))
                    .unwrap_or_else(|error| OverheadResult {
                        ok: false,
                        error: Some(format!("{error:#}")),
                        ..OverheadResult::default()
                    });
                say(&stdout, &result)?;
            }
            // Rust frees as it goes: nothing is left for a collector.
            Command::CollectGarbage => say(
                &stdout,
                &Collected {
                    ok: true,
                    ..Collected::default()
                },
            )?,
            Command::TrimNativeHeap => say(&stdout, &trim_native_heap())?,
        }
    }
    Ok(())
}

/// glibc's `malloc_trim(0)`: the allocator's free pages back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim_native_heap() -> Collected {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe { libc::malloc_trim(0) };
    Collected {
        ok: true,
        ..Collected::default()
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_native_heap() -> Collected {
    Collected {
        ok: false,
        error: Some("malloc_trim is glibc's; this build's C library has none".into()),
        ..Collected::default()
    }
}

fn say<T: serde::Serialize>(stdout: &std::io::Stdout, value: &T) -> Result<()> {
    let mut out = stdout.lock();
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// `flows` flows on `concurrency` workers pulling from one counter.
async fn round(runner: &Runner, flows: usize, concurrency: usize) -> Result<RoundResult> {
    let remaining = Arc::new(AtomicUsize::new(flows));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let runner = runner.clone();
        let remaining = remaining.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut polls = 0;
            while take(&remaining) {
                let begun = Instant::now();
                let result = runner.flow().await?;
                latencies.push(begun.elapsed().as_secs_f64() * 1e6);
                polls += result.polls;
            }
            Ok::<_, anyhow::Error>((latencies, polls))
        }));
    }
    let mut lat_us = Vec::with_capacity(flows);
    let mut polls = 0;
    for worker in workers {
        let (latencies, worker_polls) = worker.await.map_err(|e| anyhow!("a worker: {e}"))??;
        lat_us.extend(latencies);
        polls += worker_polls;
    }
    Ok(RoundResult {
        ok: true,
        flows,
        seconds: started.elapsed().as_secs_f64(),
        lat_us,
        polls,
        error: None,
    })
}

/// Takes one flow from the shared counter; false when none is left.
fn take(remaining: &AtomicUsize) -> bool {
    remaining
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

/// Per-call cost of a batched call: wall time and the process's CPU time (all threads).
#[derive(Debug, Clone, Copy)]
pub struct PerCall {
    pub wall_us: f64,
    pub cpu_us: f64,
}

/// The medians of `batches` batches of `calls` calls of `call`, in µs per call.
pub async fn per_call_us<F, Fut, T>(calls: usize, batches: usize, mut call: F) -> Result<PerCall>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let calls = calls.max(1);
    let mut wall = Vec::with_capacity(batches);
    let mut cpu = Vec::with_capacity(batches);
    for _ in 0..batches.max(1) {
        let cpu_before = cpu_ns(std::process::id());
        let begun = Instant::now();
        for _ in 0..calls {
            call().await?;
        }
        wall.push(begun.elapsed().as_secs_f64() * 1e6 / calls as f64);
        let cpu_spent = cpu_ns(std::process::id()).saturating_sub(cpu_before);
        cpu.push(cpu_spent as f64 / 1e3 / calls as f64);
    }
    Ok(PerCall {
        wall_us: median(&wall),
        cpu_us: median(&cpu),
    })
}

/// A party the client's validation refuses before sending (blank `fullname`).
pub fn invalid_party() -> CreatePartyRequest {
    CreatePartyRequest::new("", PHONE)
}

async fn overhead(runner: &Runner, calls: usize, batches: usize) -> Result<OverheadResult> {
    let reference_id = runner.flow().await?.reference_id;
    let (status, validation_us) = match runner {
        Runner::Limit(limit) => {
            let status = per_call_us(calls, batches, || limit.status(&reference_id)).await?;
            (status, None)
        }
        Runner::Core(core) => {
            let status = per_call_us(calls, batches, || core.status(&reference_id)).await?;
            let invalid = invalid_party();
            let client = core.client();
            let validation = per_call_us(calls * 10, batches, || async {
                match client.parties().create(&invalid).await {
                    Err(error) if error.kind() == dollr_core::ErrorKind::Validation => Ok(()),
                    Err(error) => Err(anyhow!("expected a validation error, got {error}")),
                    Ok(_) => Err(anyhow!(
                        "expected a validation error, the party was created"
                    )),
                }
            })
            .await?;
            (status, Some(validation.wall_us))
        }
    };
    Ok(OverheadResult {
        ok: true,
        status_us: Some(status.wall_us),
        status_cpu_us: Some(status.cpu_us),
        validation_us,
        error: None,
    })
}
