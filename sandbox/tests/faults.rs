//! Fault injection: lost responses, 5xx, 429, latency, counts, scopes, seeds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{raw, uuid, Client};
use dollr_sandbox::{FaultConfig, FaultRule, FaultScope, Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn prepared_collection(c: &Client) -> Value {
    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(100), "PAYER")
        .await;
    let account = c.account(party, "231771234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": uuid()})
}

#[tokio::test]
async fn dropped_response_is_a_transport_error_but_the_execution_was_committed() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let body = prepared_collection(&c).await;
    let reference = body["reference_id"].as_str().unwrap().to_owned();
    sb.add_fault(FaultRule::drop_response().count(1));

    let sent = c
        .http
        .post(format!("{}/v1/executions/collection", c.base))
        .bearer_auth(&c.token)
        .json(&body)
        .send()
        .await;
    // Either the request itself fails (no response head) or the body does: never an HTTP status.
    let outcome = match sent {
        Err(e) => Err(e),
        Ok(r) => r.bytes().await.map(|_| ()),
    };
    let err = outcome.expect_err("the client must see a transport error");
    assert!(!err.is_status(), "not an HTTP status error: {err}");

    // The execution exists: status shows it, and the retry with the same reference_id is a replay.
    let status = c
        .ok_get(&format!("/v1/status/collection/{reference}"))
        .await;
    assert_eq!(status["reference_id"], reference.as_str());
    let replay = c.ok_post("/v1/executions/collection", body.clone()).await;
    assert_eq!(replay["reference_id"], reference.as_str());
    let stats = sb.stats();
    assert_eq!(stats["executions"]["created"], 1);
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference]["posts"],
        2
    );
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference]["idempotent_replays"],
        1
    );
    assert_eq!(stats["faults"]["drop_response"], 1);
    assert_eq!(stats["duplicate_payments"], 0);
    let log = sb.request_log();
    let dropped: Vec<_> = log
        .iter()
        .filter(|e| e.fault.as_deref() == Some("drop_response"))
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].reference_id.as_deref(), Some(reference.as_str()));
    // The fault was counted: it is gone now.
    assert!(sb.faults().rules.is_empty());
    c.wait_terminal("collection", &reference).await;
}

#[tokio::test]
async fn dropped_response_over_keep_alive_does_not_poison_later_requests() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    sb.add_fault(FaultRule::drop_response().scope(FaultScope::V1).count(2));
    for _ in 0..2 {
        let r = c
            .http
            .get(format!("{}/v1/fees/tiers", c.base))
            .bearer_auth(&c.token)
            .send()
            .await;
        let failed = match r {
            Err(_) => true,
            Ok(r) => r.bytes().await.is_err(),
        };
        assert!(failed);
    }
    let r = c.get("/v1/fees/tiers").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn server_error_fault_commits_nothing() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let body = prepared_collection(&c).await;
    let reference = body["reference_id"].as_str().unwrap().to_owned();
    sb.add_fault(FaultRule::error(503).scope(FaultScope::Executions).count(1));
    let r = c.post("/v1/executions/collection", body.clone()).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body, json!({"detail": "Internal Server Error"}));
    assert_eq!(
        c.get(&format!("/v1/status/collection/{reference}"))
            .await
            .status,
        404
    );
    assert_eq!(sb.stats()["executions"]["created"], 0);
    // The retry (count exhausted) goes through.
    let e = c.ok_post("/v1/executions/collection", body).await;
    assert_eq!(e["status"], "PENDING");
    let r = c.get("/v1/fees/tiers").await;
    assert_eq!(
        r.status, 200,
        "scope executions does not touch other routes"
    );
}

#[tokio::test]
async fn rate_limit_fault_has_retry_after() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    sb.set_faults(FaultConfig::none().with(FaultRule::rate_limit(3).count(2)));
    for _ in 0..2 {
        let r = c.get("/v1/fees/tiers").await;
        assert_eq!(r.status, 429);
        assert_eq!(r.body["detail"], "Too Many Requests");
        assert_eq!(r.headers.get("retry-after").unwrap(), "3");
    }
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);

    // Retry-After 0 is allowed, set over HTTP.
    let r = raw(
        &sb.url(),
        reqwest::Method::PUT,
        "/_sandbox/faults",
        &[("content-type", "application/json")],
        Some(br#"{"rules": [{"kind": "rate_limit", "count": 1, "retry_after": 0}]}"#.to_vec()),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = c.get("/v1/fees/tiers").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers.get("retry-after").unwrap(), "0");
}

#[tokio::test]
async fn token_scope_only_hits_the_token_endpoint() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    sb.add_fault(FaultRule::error(500).scope(FaultScope::Token).count(1));
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);
    let body = json!({"client_id": sb.client_id(), "client_secret": sb.client_secret()});
    let r = raw(
        &sb.url(),
        reqwest::Method::POST,
        "/v1/jwt/client/obtain/token",
        &[("content-type", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(r.status, 500);
    let stats = sb.stats();
    assert_eq!(stats["token_requests"], 2);
    assert_eq!(stats["tokens_issued"], 1);
}

#[tokio::test]
async fn status_scope_only_hits_status_lookups() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(100), "PAYER")
        .await;
    let account = c.account(party, "231771234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let body = json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": reference});
    // No count: every status lookup fails while the rule is there.
    sb.add_fault(FaultRule::error(503).scope(FaultScope::Status));

    // The execution POST is not in the scope: it goes through and commits.
    let e = c.ok_post("/v1/executions/collection", body).await;
    assert_eq!(e["reference_id"], reference.as_str());
    // Both kinds of status lookup are hit, again and again.
    for _ in 0..2 {
        let r = c.get(&format!("/v1/status/collection/{reference}")).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.body, json!({"detail": "Internal Server Error"}));
    }
    let r = c
        .get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(r.status, 503);
    // Nothing else is: other GETs, and the token endpoint.
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);
    let token = json!({"client_id": sb.client_id(), "client_secret": sb.client_secret()});
    let r = raw(
        &sb.url(),
        reqwest::Method::POST,
        "/v1/jwt/client/obtain/token",
        &[("content-type", "application/json")],
        Some(token.to_string().into_bytes()),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");

    let stats = sb.stats();
    assert_eq!(stats["faults"]["error"], 3);
    assert_eq!(stats["executions"]["created"], 1);
    let faulted: Vec<String> = sb
        .request_log()
        .iter()
        .filter(|e| e.fault.as_deref() == Some("error"))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        faulted,
        [
            format!("GET /v1/status/collection/{reference}"),
            format!("GET /v1/status/collection/{reference}"),
            "GET /v1/status/source".to_owned(),
        ]
    );
    // The rule has no count, so it stays until cleared; then status answers again.
    assert_eq!(sb.faults().rules.len(), 1);
    sb.clear_faults();
    c.wait_terminal("collection", &reference).await;
}

#[tokio::test]
async fn probabilistic_faults_are_reproducible_with_a_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let cfg = SandboxConfig {
            seed: Some(seed),
            faults: FaultConfig::none()
                .with(FaultRule::error(500).probability(0.3))
                .with(FaultRule::rate_limit(1).probability(0.2)),
            ..SandboxConfig::default()
        };
        let sb = Sandbox::start(cfg).await.unwrap();
        let http = reqwest::Client::new();
        let mut token = None;
        while token.is_none() {
            let r = http
                .post(format!("{}/v1/jwt/client/obtain/token", sb.url()))
                .json(&json!({"client_id": sb.client_id(), "client_secret": sb.client_secret()}))
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                token = r.json::<Value>().await.unwrap()["access_token"]
                    .as_str()
                    .map(str::to_owned);
            }
        }
        let token = token.unwrap();
        let mut out = Vec::new();
        for _ in 0..40 {
            let r = http
                .get(format!("{}/v1/fees/tiers", sb.url()))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            out.push(r.status().as_u16());
        }
        out
    }
    let a = pattern(42).await;
    let b = pattern(42).await;
    let c = pattern(43).await;
    assert_eq!(a, b, "same seed, same faults");
    assert_ne!(a, c, "another seed, other faults");
    assert!(
        a.contains(&500) && a.contains(&429) && a.contains(&200),
        "{a:?}"
    );
}

#[tokio::test]
async fn latency_fault_delays_the_request() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    sb.add_fault(FaultRule::latency(150).count(1));
    let start = Instant::now();
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(
        sb.request_log().last().unwrap().fault.as_deref(),
        Some("latency")
    );
    // A client timeout shorter than the latency sees a timeout.
    sb.set_faults(FaultConfig {
        latency_ms: 300,
        ..FaultConfig::none()
    });
    let r = c
        .http
        .get(format!("{}/v1/fees/tiers", c.base))
        .bearer_auth(&c.token)
        .timeout(Duration::from_millis(50))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());
    sb.clear_faults();
}

#[tokio::test]
async fn faults_over_http_are_validated() {
    let sb = common::sandbox(40).await;
    let r = raw(
        &sb.url(),
        reqwest::Method::PUT,
        "/_sandbox/faults",
        &[("content-type", "application/json")],
        Some(br#"{"rules": [{"kind": "error", "probability": 1.50}]}"#.to_vec()),
    )
    .await;
    assert_eq!(r.status, 422, "{r:?}");
    let r = raw(
        &sb.url(),
        reqwest::Method::POST,
        "/_sandbox/faults/rules",
        &[("content-type", "application/json")],
        Some(br#"{"kind": "drop_response", "count": 2, "scope": "executions"}"#.to_vec()),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["rules"][0]["count"], 2);
    let f = sb.faults();
    assert_eq!(f.rules.len(), 1);
    assert_eq!(f.rules[0].effective_scope(), FaultScope::Executions);
    let r = raw(
        &sb.url(),
        reqwest::Method::DELETE,
        "/_sandbox/faults",
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(sb.faults().rules.is_empty());
}
