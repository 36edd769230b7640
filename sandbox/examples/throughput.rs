//! Throughput of the sandbox on a simple authenticated GET (not a test).
//!
//! `cargo run --release -p dollr-sandbox --example throughput -- [CLIENTS] [SECONDS] [PATH]`
//! (defaults: 32 clients, 5 seconds, `/v1/merchants/merchant-info?...`). Starts the
//! sandbox in process on its own runtime, then hammers it with CLIENTS keep-alive
//! reqwest clients and prints requests per second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// Creates published invoice 1, so `/v1/status/source?source_type=INVOICE&source_id=1` works too.
async fn seed_invoice(base: &str, token: &str) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let party: Value = post(
        "/v1/parties/create",
        json!({"fullname": "Bench", "phone": "231771234567"}),
    )
    .await?
    .json()
    .await?;
    let cp: Value = post(
        "/v1/counterparties/create",
        json!({"relationship_type": "CUSTOMER", "party_id": party["id"]}),
    )
    .await?
    .json()
    .await?;
    let inv: Value = post(
        "/v1/invoices/create",
        json!({"counterparty_id": cp["id"], "currency": "USD", "note": "bench", "fee_bearer": "PAYER", "as_payment_link": true}),
    )
    .await?
    .json()
    .await?;
    let id = inv["id"].as_i64().ok_or("no invoice id")?;
    post(
        &format!("/v1/invoices/{id}/items/add"),
        json!({"name": "x", "currency": "USD", "qty": 1, "amount": 10}),
    )
    .await?;
    http.put(format!("{base}/v1/invoices/publish/{id}"))
        .bearer_auth(token)
        .send()
        .await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(32);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let path = args.next().unwrap_or_else(|| {
        "/v1/merchants/merchant-info?merchant_id=1&merchant_type=ORGANIZATION".to_owned()
    });

    let sandbox = Sandbox::start_in_background(SandboxConfig {
        log_capacity: 1000,
        ..SandboxConfig::default()
    })?;
    let url = format!("{}{}", sandbox.url(), path);
    let token: Value = reqwest::Client::new()
        .post(format!("{}/v1/jwt/client/obtain/token", sandbox.url()))
        .json(&json!({"client_id": sandbox.client_id(), "client_secret": sandbox.client_secret()}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"].as_str().ok_or("no token")?.to_owned();
    seed_invoice(&sandbox.url(), &token).await?;

    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    // Warm up the connections, then measure.
    let warmup = Duration::from_millis(500);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, token, done, failed) = (url.clone(), token.clone(), done.clone(), failed.clone());
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        tasks.push(tokio::spawn(async move {
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let ok = match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if now >= measure_from {
                    if ok {
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let n = done.load(Ordering::Relaxed);
    let rate = n as f64 / seconds as f64;
    println!(
        "{n} requests in {seconds}s with {clients} keep-alive clients: {rate:.0} requests/s ({} failed) on GET {path}",
        failed.load(Ordering::Relaxed)
    );
    sandbox.shutdown();
    Ok(())
}
