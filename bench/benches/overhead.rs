//! Rust micro-benchmarks of the per-call cost of dollr-core, beside the matrix's plain loops:
//! the same validation failure through the typed API and through the bridge every binding uses,
//! and one status lookup on loopback (typed, bridge, and raw reqwest for the floor).
//!
//! `cargo bench -p dollr-bench --bench overhead`; `make bench` runs it with short times and puts
//! criterion's medians in BENCHMARKS.md.

// Benchmark setup: a failure to start the sandbox or build a client is a broken benchmark, not
// something to recover from.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use dollr_core::models::party::CreatePartyRequest;
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

fn overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = Sandbox::start_in_background(SandboxConfig {
        settle_ms: 0,
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let client = dollr_core::Client::builder()
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .base_url(sandbox.url())
        .build()
        .expect("client");
    let invalid = CreatePartyRequest::new("", "231771234567");
    let invalid_json = json!({"fullname": "", "phone": "231771234567"});

    // A completed collection to look up.
    let reference_id = runtime.block_on(async {
        let party = client
            .parties()
            .create(&CreatePartyRequest::new("Amara Kamara", "231771234567"))
            .await
            .expect("party");
        let out = dollr_core::bridge::call(
            &client,
            "collect",
            json!({"phone": "231771234567", "amount": "250.00", "currency": "USD", "party_id": party.id}),
        )
        .await
        .expect("collect");
        out["reference_id"].as_str().expect("reference_id").to_string()
    });
    let status_json = json!({ "reference_id": reference_id });
    let raw = reqwest::Client::new();
    let token = runtime.block_on(async {
        let answer: serde_json::Value = raw
            .post(format!("{}/v1/jwt/client/obtain/token", sandbox.url()))
            .json(&json!({"client_id": sandbox.client_id(), "client_secret": sandbox.client_secret()}))
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        format!("Bearer {}", answer["access_token"].as_str().expect("access_token"))
    });
    let status_url = format!("{}/v1/status/collection/{reference_id}", sandbox.url());

    let mut group = c.benchmark_group("overhead");
    group.bench_function("validation_failure/core_typed", |b| {
        b.to_async(&runtime).iter(|| async {
            let error = client.parties().create(&invalid).await.unwrap_err();
            assert_eq!(error.kind(), dollr_core::ErrorKind::Validation);
        })
    });
    group.bench_function("validation_failure/bridge_json", |b| {
        b.to_async(&runtime).iter(|| async {
            let error = dollr_core::bridge::call(&client, "parties.create", invalid_json.clone())
                .await
                .unwrap_err();
            assert_eq!(error.kind(), dollr_core::ErrorKind::Validation);
        })
    });
    group.bench_function("status_lookup/raw_reqwest", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer: serde_json::Value = raw
                .get(&status_url)
                .header("Authorization", &token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(answer["status"], "COMPLETED");
        })
    });
    group.bench_function("status_lookup/core_typed", |b| {
        b.to_async(&runtime)
            .iter(|| async { client.status().collection(&reference_id).await.unwrap() })
    });
    group.bench_function("status_lookup/bridge_json", |b| {
        b.to_async(&runtime).iter(|| async {
            dollr_core::bridge::call(&client, "status.collection", status_json.clone())
                .await
                .unwrap()
        })
    });
    group.finish();
    sandbox.shutdown();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
