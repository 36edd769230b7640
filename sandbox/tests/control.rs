//! The control plane, hosted checkout, links, and the remaining read endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{raw, uuid, Client};
use serde_json::{json, Value};

/// Each request counts under the route template that answered it, whatever the answer (here a
/// 401 and a 422 from the route's own checks); a request no route answered (an unknown path, a
/// known path with another method) counts as `(unmatched)`; a faulted one, which never reaches
/// a route, under its path. The request log names the same route.
#[tokio::test]
async fn requests_count_under_the_route_that_answered() {
    use dollr_sandbox::FaultRule;

    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let refused = raw(
        &sb.url(),
        reqwest::Method::GET,
        "/v1/parties/retrieve/7",
        &[],
        None,
    )
    .await;
    assert_eq!(refused.status, 401);
    assert_eq!(c.post("/v1/parties/create", json!({})).await.status, 422);
    assert_eq!(c.get("/v1/no/such/route").await.status, 404);
    assert_eq!(c.delete("/v1/fees/tiers").await.status, 405);
    sb.add_fault(FaultRule::error(503).count(1));
    assert_eq!(c.get("/v1/fees/tiers").await.status, 503);
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);

    let stats = sb.stats();
    let by_route = &stats["requests"]["by_route"];
    assert_eq!(by_route["GET /v1/parties/retrieve/{id}"], 1, "{by_route}");
    assert_eq!(by_route["POST /v1/parties/create"], 1, "{by_route}");
    assert_eq!(by_route["GET (unmatched)"], 1, "{by_route}");
    assert_eq!(by_route["DELETE (unmatched)"], 1, "{by_route}");
    // The faulted request under its path, the answered one under its template (the same text
    // for this route, which has no parameter): two in all.
    assert_eq!(by_route["GET /v1/fees/tiers"], 2, "{by_route}");

    let log = sb.request_log();
    let route_of = |path: &str| {
        log.iter()
            .filter(|e| e.path == path)
            .map(|e| e.route)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        route_of("/v1/parties/retrieve/7"),
        [Some("/v1/parties/retrieve/{id}")]
    );
    assert_eq!(route_of("/v1/no/such/route"), [None]);
    assert_eq!(
        route_of("/v1/fees/tiers"),
        [None, None, Some("/v1/fees/tiers")]
    );
}

#[tokio::test]
async fn stats_and_request_log() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    c.get("/v1/parties/list").await;
    c.get("/v1/parties/retrieve/1").await;
    c.get("/v1/parties/retrieve/2").await;
    let (_, reference, _) = c.collect("231771234567", "USD", json!(10)).await;
    c.get(&format!("/v1/status/collection/{reference}")).await;

    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sb.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(
        stats["requests"]["by_route"]["GET /v1/parties/retrieve/{id}"],
        2
    );
    assert_eq!(
        stats["requests"]["by_route"]["POST /v1/jwt/client/obtain/token"],
        1
    );
    assert_eq!(stats["requests"]["by_status"]["404"], 2);
    assert_eq!(stats["executions"]["created"], 1);
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference]["operation_type"],
        "COLLECTION"
    );
    assert_eq!(stats["duplicate_payments"], 0);

    let log: Value = reqwest::get(format!("{}/_sandbox/requests", sb.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(
        log.len() as u64,
        stats["requests"]["total"].as_u64().unwrap()
    );
    let first = &log[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/jwt/client/obtain/token");
    assert_eq!(first["status"], 200);
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    let exec = log
        .iter()
        .find(|e| e["path"] == "/v1/executions/collection")
        .unwrap();
    assert_eq!(exec["reference_id"], reference.as_str());
    assert_eq!(exec["route"], "/v1/executions/collection");
    // Never secrets.
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(&c.token));
    assert!(!text.contains("dollr_test_secret"));
    let last2: Value = reqwest::get(format!("{}/_sandbox/requests?limit=2", sb.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last2.as_array().unwrap().len(), 2);
    // Control calls are not logged.
    assert_eq!(sb.stats()["requests"]["total"], stats["requests"]["total"]);
}

#[tokio::test]
async fn reset_restores_the_opening_state_but_keeps_tokens() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let opening = sb.wallets();
    let (_, reference, _) = c.collect("231771234567", "USD", json!(10)).await;
    c.wait_terminal("collection", &reference).await;
    assert_ne!(sb.wallets(), opening);
    sb.add_fault(
        dollr_sandbox::FaultRule::error(500)
            .count(5)
            .scope(dollr_sandbox::FaultScope::Token),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/_sandbox/reset", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sb.wallets(), opening);
    assert!(sb.faults().rules.is_empty());
    assert_eq!(sb.stats()["requests"]["total"], 0);
    assert_eq!(c.ok_get("/v1/parties/list").await, json!([]));
    assert_eq!(
        c.get(&format!("/v1/status/collection/{reference}"))
            .await
            .status,
        404
    );
    // Numbering starts over.
    let (invoice, _) = c
        .published_invoice("231771234567", "USD", json!(1), "PAYER")
        .await;
    assert_eq!(invoice, 1);
}

#[tokio::test]
async fn config_clock_events_and_wallets_over_http() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let http = reqwest::Client::new();
    let cfg: Value = http
        .get(format!("{}/_sandbox/config", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg["settle_ms"], 20);
    assert_eq!(cfg["seed"], 7);
    assert_eq!(cfg["verified"], true);
    assert_eq!(cfg["base_url"], sb.url());
    let cfg: Value = http
        .patch(format!("{}/_sandbox/config", sb.url()))
        .json(&json!({"verified": false, "settle_ms": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg["verified"], false);
    assert_eq!(c.post("/v1/sessions/payout", json!({})).await.status, 403);
    http.patch(format!("{}/_sandbox/config", sb.url()))
        .json(&json!({"verified": true}))
        .send()
        .await
        .unwrap();
    let bad = http
        .patch(format!("{}/_sandbox/config", sb.url()))
        .json(&json!({"verified": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let clock: Value = http
        .post(format!("{}/_sandbox/clock/advance", sb.url()))
        .json(&json!({"ms": 60000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset_ms"], 60000);
    let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap()).unwrap();
    assert!(now.timestamp() - chrono::Utc::now().timestamp() >= 59);

    let (_, reference, _) = c.collect("231771234567", "USD", json!(10)).await;
    c.wait_terminal("collection", &reference).await;
    let events: Value = http
        .get(format!("{}/_sandbox/events", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let to: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(to, ["PENDING", "PROCESSING", "COMPLETED"]);

    let wallets: Value = http
        .get(format!("{}/_sandbox/wallets", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = wallets
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["currency"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["USD", "LRD", "RWF"]);
    assert_eq!(wallets[0]["balance"].to_string(), "10010.00");
    let r = http
        .put(format!("{}/_sandbox/wallets/EUR", sb.url()))
        .json(&json!({"balance": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .put(format!("{}/_sandbox/wallets/USD", sb.url()))
        .json(&json!({"balance": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .post(format!("{}/_sandbox/tokens/revoke", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(c.get("/v1/fees/tiers").await.status, 401);
}

#[tokio::test]
async fn hosted_checkout_end_to_end() {
    // The test steps the payment itself (`advance`): with a settle time no run reaches, the
    // source stays PROCESSING until it does, however slow the run.
    let sb = common::sandbox(600_000).await;
    let c = Client::new(&sb).await;
    let created = c
        .ok_post(
            "/v1/checkouts/create",
            json!({
                "mode": "HOSTED",
                "source_kind": "INVOICE",
                "party_name": "Amara Kamara",
                "party_phone": "231771234567",
                "party_email": "amara@example.com",
                "currency": "USD",
                "items": [{"name": "Consulting", "currency": "USD", "amount": 250}],
                "success_url": "https://yourstore.com/success",
                "cancel_url": "https://yourstore.com/cancel"
            }),
        )
        .await;
    assert_eq!(created["mode"], "HOSTED");
    assert_eq!(created["source_type"], "INVOICE");
    assert_eq!(created["source_status"], "ACTIVE");
    assert_eq!(created["total_amount"].to_string(), "250.00");
    assert!(created.get("id").is_none());
    let url = created["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/_sandbox/hosted/", sb.url())),
        "{url}"
    );
    let source_id = created["source_id"].as_i64().unwrap();
    // The party and counterparty were created.
    let party = c
        .ok_get(&format!("/v1/parties/retrieve/{}", created["party_id"]))
        .await;
    assert_eq!(party["fullname"], "Amara Kamara");
    let cp = c
        .ok_get(&format!(
            "/v1/counterparties/retrieve/{}",
            created["counterparty_id"]
        ))
        .await;
    assert_eq!(cp["party"]["phone"], "231771234567");

    let page: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(page["status"], "ACTIVE");
    let paid: Value = reqwest::Client::new()
        .post(format!("{url}/pay"))
        .json(&json!({"phone": "231771234567"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = paid["reference_id"].as_str().unwrap().to_owned();
    assert_eq!(paid["execution"]["status"], "PENDING");
    assert_eq!(
        c.ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={source_id}"
        ))
        .await["status"],
        "PROCESSING"
    );
    assert_eq!(sb.advance(&reference).unwrap(), "PROCESSING");
    assert_eq!(sb.advance(&reference).unwrap(), "COMPLETED");
    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={source_id}"
        ))
        .await;
    assert_eq!(src["status"], "PAID");
    assert_eq!(src["source_number"], created["source_number"]);
    assert_eq!(
        c.ok_get(&format!("/v1/status/collection/{reference}"))
            .await["status"],
        "COMPLETED"
    );
    // Paying again is refused: the invoice is PAID.
    let again = reqwest::Client::new()
        .post(format!("{url}/pay"))
        .json(&json!({"phone": "231771234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    assert_eq!(sb.stats()["duplicate_payments"], 0);

    // Second checkout matches the existing party by phone; an order this time.
    let second = c
        .ok_post(
            "/v1/checkouts/create",
            json!({"mode": "HOSTED", "source_kind": "ORDER", "party_phone": "231771234567", "currency": "USD",
                   "items": [{"name": "A", "currency": "USD", "amount": 5}]}),
        )
        .await;
    assert_eq!(second["party_id"], created["party_id"]);
    assert!(second["source_number"]
        .as_str()
        .unwrap()
        .starts_with("ORD-"));
    // Bad checkouts.
    let r = c
        .post(
            "/v1/checkouts/create",
            json!({"mode": "DIRECT", "source_type": "INVOICE", "party_phone": "231771234567", "currency": "USD", "items": []}),
        )
        .await;
    assert_eq!(r.status, 422);
    let locs: Vec<Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"][1].clone())
        .collect();
    assert!(
        locs.contains(&json!("source_kind")),
        "source_kind, not source_type: {locs:?}"
    );
    assert!(locs.contains(&json!("items")));
    assert!(locs.contains(&json!("mode")));
}

#[tokio::test]
async fn payment_links() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let (invoice, _) = c
        .published_invoice("250781234567", "RWF", json!(1000), "PAYER")
        .await;
    let number = c.ok_get(&format!("/v1/invoices/retrieve/{invoice}")).await["invoice_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = c
        .ok_get(&format!(
            "/v1/links/pay?source_type=INVOICE&source_number={number}"
        ))
        .await;
    let url = link["url"].as_str().unwrap();
    assert!(url.contains("/_sandbox/hosted/"));
    // Same link twice.
    assert_eq!(
        c.ok_get(&format!(
            "/v1/links/pay?source_type=INVOICE&source_number={number}"
        ))
        .await,
        link
    );
    let r = c
        .get(&format!(
            "/v1/links/receipt?source_type=INVOICE&source_number={number}"
        ))
        .await;
    assert_eq!(r.status, 422);
    let paid: Value = reqwest::Client::new()
        .post(format!("{url}/pay"))
        .json(&json!({"phone": "250731234567"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(paid["execution"]["payer_currency"], "RWF");
    let reference = paid["reference_id"].as_str().unwrap();
    c.wait_terminal("collection", reference).await;
    let receipt_link = c
        .ok_get(&format!(
            "/v1/links/receipt?source_type=INVOICE&source_number={number}"
        ))
        .await;
    let receipt: Value = reqwest::get(receipt_link["url"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["payment_method"], "AIRTEL_RWA");
    assert_eq!(receipt["counterparty_phone"], "250781234567");

    // Not a payment link / not published / unknown.
    let party = c.party("231771234567").await;
    let cp = c.counterparty(party).await;
    let plain = c
        .ok_post(
            "/v1/orders/create",
            json!({"counterparty_id": cp, "currency": "USD", "note": "n", "fee_bearer": "PAYER", "as_payment_link": false}),
        )
        .await;
    let r = c
        .get(&format!(
            "/v1/links/pay?source_type=ORDER&source_number={}",
            plain["order_number"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 422);
    let r = c
        .get("/v1/links/pay?source_type=ORDER&source_number=ORD-1999-99999")
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .get("/v1/links/pay?source_type=BOGUS&source_number=x")
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn fees_merchants_parties_and_counterparties() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let g = c
        .ok_get("/v1/fees/gateway?payment_method=CREDIT_CARD&operation_type=COLLECTION")
        .await;
    assert_eq!(g["percentage"], "2.9");
    assert_eq!(g["fixed_fee"].to_string(), "0.30");
    assert_eq!(g["fixed_fee_currency"], "USD");
    assert_eq!(g["provider_id"], 2);
    let p = c
        .ok_get("/v1/fees/platform?operation_type=COLLECTION&fee_tier_name=default")
        .await;
    assert_eq!(p["percentage"], "1.5");
    assert_eq!(p["fx_percentage"], "1.0");
    assert_eq!(p["tier"]["is_default"], true);
    assert_eq!(
        c.ok_get("/v1/fees/platform?operation_type=PAYOUT&fee_tier_name=default")
            .await["percentage"],
        "1.0"
    );
    assert_eq!(
        c.get("/v1/fees/platform?operation_type=PAYOUT&fee_tier_name=gold")
            .await
            .status,
        404
    );
    let tiers = c.ok_get("/v1/fees/tiers").await;
    assert_eq!(tiers.as_array().unwrap().len(), 2);
    let mt = c
        .ok_get("/v1/fees/merchant-tier?owner_type=ORGANIZATION&owner_id=1")
        .await;
    assert_eq!(mt["tier"]["name"], "default");
    let m = c
        .ok_get("/v1/merchants/merchant-info?merchant_id=1&merchant_type=ORGANIZATION")
        .await;
    assert_eq!(m["id"], 1);
    assert_eq!(m["type"], "ORGANIZATION");
    assert_eq!(
        c.get("/v1/merchants/merchant-info?merchant_id=2&merchant_type=ORGANIZATION")
            .await
            .status,
        404
    );
    assert_eq!(
        c.get("/v1/merchants/merchant-info?merchant_id=x&merchant_type=ORGANIZATION")
            .await
            .status,
        422
    );

    let a = c.party("231771234567").await;
    c.ok_post(
        "/v1/parties/create",
        json!({"fullname": "Jean Uwase", "phone": "250781234567", "email": "j@example.com"}),
    )
    .await;
    let found = c.ok_get("/v1/parties/list?fullname=uwase").await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let cp = c
        .ok_post(
            "/v1/counterparties/create",
            json!({"relationship_type": "SUPPLIER", "party_id": a}),
        )
        .await;
    assert_eq!(cp["party_id"], a);
    assert_eq!(cp["owner_party_id"], 1);
    let r = c
        .post(
            "/v1/counterparties/create",
            json!({"relationship_type": "STRANGER"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let up = c
        .put(
            &format!("/v1/counterparties/update/{}", cp["id"]),
            Some(json!({"relationship_type": "SELF"})),
        )
        .await;
    assert_eq!(up.body["relationship_type"], "SELF");
    let list = c
        .ok_get("/v1/counterparties/list?relationship_type=SELF&fullname=amara")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["party"]["fullname"], "Amara Kamara");
    let got = c
        .ok_get(&format!("/v1/counterparties/retrieve/{}", cp["id"]))
        .await;
    assert_eq!(got["party"]["id"], a);
    assert_eq!(c.get("/v1/counterparties/retrieve/77").await.status, 404);
    let _ = uuid();
}

#[tokio::test]
async fn control_plane_needs_no_auth_and_answers_json() {
    let sb = common::sandbox(20).await;
    for path in [
        "/_sandbox/health",
        "/_sandbox/stats",
        "/_sandbox/config",
        "/_sandbox/faults",
        "/_sandbox/clock",
    ] {
        let r = raw(&sb.url(), reqwest::Method::GET, path, &[], None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.is_object(), "{path}");
    }
    let r = raw(&sb.url(), reqwest::Method::GET, "/_sandbox/nope", &[], None).await;
    assert_eq!((r.status, r.body), (404, json!({"detail": "Not Found"})));
    let r = raw(
        &sb.url(),
        reqwest::Method::POST,
        "/_sandbox/clock/advance",
        &[],
        Some(b"{\"ms\": -5}".to_vec()),
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn extreme_settings_do_not_break_the_server() {
    let sb = common::sandbox(20).await;
    let http = reqwest::Client::new();
    let r = http
        .patch(format!("{}/_sandbox/config", sb.url()))
        .json(&json!({"settle_ms": u64::MAX, "token_ttl_minutes": u64::MAX, "checkout_session_ttl_seconds": u64::MAX}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c = Client::new(&sb).await;
    let (_, reference, e) = c
        .collect("231771234567", "USD", json!(1_000_000_000_000u64))
        .await;
    assert_eq!(e["status"], "PENDING");
    for _ in 0..3 {
        let r = http
            .post(format!("{}/_sandbox/clock/advance", sb.url()))
            .json(&json!({"ms": u64::MAX}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        c.ok_get(&format!("/v1/status/collection/{reference}"))
            .await["status"],
        "COMPLETED"
    );
    let r = http
        .put(format!("{}/_sandbox/wallets/USD", sb.url()))
        .json(&json!({"balance": 1e30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let stats = sb.stats();
    let statuses = stats["requests"]["by_status"].as_object().unwrap();
    assert!(statuses.keys().all(|k| !k.starts_with('5')), "{statuses:?}");
}
