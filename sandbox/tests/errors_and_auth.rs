//! Auth, the documented error shapes, bad input and concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{raw, Client};
use dollr_sandbox::{ConfigPatch, Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn token_endpoint() {
    let sb = common::sandbox(40).await;
    let ok = raw(
        &sb.url(),
        Method::POST,
        "/v1/jwt/client/obtain/token",
        &[JSON],
        Some(
            json!({"client_id": "dollr_test_client", "client_secret": "dollr_test_secret"})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["expires_in"], 60);
    assert!(ok.body["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(ok.body.as_object().unwrap().len(), 2);

    let bad = raw(
        &sb.url(),
        Method::POST,
        "/v1/jwt/client/obtain/token",
        &[JSON],
        Some(
            json!({"client_id": "dollr_test_client", "client_secret": "wrong"})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.body,
        json!({"detail": "Could not validate credentials"})
    );

    let missing = raw(
        &sb.url(),
        Method::POST,
        "/v1/jwt/client/obtain/token",
        &[JSON],
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body,
        json!({"detail": [
            {"loc": ["body", "client_id"], "msg": "field required", "type": "value_error.missing"},
            {"loc": ["body", "client_secret"], "msg": "field required", "type": "value_error.missing"},
        ]})
    );
}

#[tokio::test]
async fn bearer_auth_errors() {
    let sb = common::sandbox(40).await;
    let none = raw(&sb.url(), Method::GET, "/v1/parties/list", &[], None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body, json!({"detail": "Not authenticated"}));
    let bogus = raw(
        &sb.url(),
        Method::GET,
        "/v1/parties/list",
        &[("authorization", "Bearer nope")],
        None,
    )
    .await;
    assert_eq!(bogus.status, 401);
    assert_eq!(
        bogus.body,
        json!({"detail": "Could not validate credentials"})
    );
    let basic = raw(
        &sb.url(),
        Method::GET,
        "/v1/parties/list",
        &[("authorization", "Basic abc")],
        None,
    )
    .await;
    assert_eq!(basic.status, 401);
    assert_eq!(basic.body["detail"], "Could not validate credentials");

    let c = Client::new(&sb).await;
    assert_eq!(c.get("/v1/parties/list").await.status, 200);
    // The scheme is case-insensitive and the whitespace around the token free; a valid token with
    // anything more in the header, or a scheme alone, is refused.
    for (header, status) in [
        (format!("bearer {}", c.token), 200),
        (format!("BEARER \t  {}  ", c.token), 200),
        (format!("Bearer {} extra", c.token), 401),
        (format!("Bearer {}\tx", c.token), 401),
        (format!("Token {}", c.token), 401),
        (format!("Bearer{}", c.token), 401),
        ("Bearer".to_owned(), 401),
        ("Bearer ".to_owned(), 401),
    ] {
        let r = raw(
            &sb.url(),
            Method::GET,
            "/v1/parties/list",
            &[("authorization", header.as_str())],
            None,
        )
        .await;
        assert_eq!(r.status, status, "{header:?}");
    }
    assert_eq!(sb.revoke_tokens(), 1);
    let r = c.get("/v1/parties/list").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["detail"], "Could not validate credentials");
    // Auth comes before validation.
    let r = c.post("/v1/parties/create", json!({})).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn tokens_expire_after_ttl_seconds() {
    // A token is valid when issued: checked under the normal lifetime, where a stalled test
    // cannot outlive it. Then the lifetime becomes 1 s and a new token is minted: it must be
    // refused once that second has passed, and not before (the expiry is fixed at issue).
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let r = c.get("/v1/fees/tiers").await;
    assert_eq!(r.status, 200);
    sb.update_config(ConfigPatch {
        token_ttl_seconds: Some(1),
        ..ConfigPatch::default()
    });
    let minted_at = std::time::Instant::now();
    let t = raw(
        &sb.url(),
        Method::POST,
        "/v1/jwt/client/obtain/token",
        &[JSON],
        Some(
            json!({"client_id": sb.client_id(), "client_secret": sb.client_secret()})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(t.status, 200, "{t:?}");
    // expires_in is reported in whole minutes, rounded up.
    assert_eq!(t.body["expires_in"], 1);
    let short = Client {
        token: t.body["access_token"].as_str().unwrap().to_owned(),
        ..c.clone()
    };
    assert_ne!(short.token, c.token);
    loop {
        let r = short.get("/v1/fees/tiers").await;
        if r.status == 401 {
            assert_eq!(r.body["detail"], "Could not validate credentials");
            break;
        }
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            minted_at.elapsed() < Duration::from_secs(30),
            "token never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lived = minted_at.elapsed();
    assert!(
        lived >= Duration::from_secs(1),
        "refused after {lived:?}, before its 1 s were up"
    );
    // The first token keeps the lifetime it was issued with.
    assert_eq!(c.get("/v1/fees/tiers").await.status, 200);
    // Runtime change of the lifetime in minutes.
    sb.update_config(ConfigPatch {
        token_ttl_minutes: Some(5),
        ..ConfigPatch::default()
    });
    let c2 = Client::new(&sb).await;
    assert_eq!(c2.get("/v1/fees/tiers").await.status, 200);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_bodies() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let auth = format!("Bearer {}", c.token);
    let auth = ("authorization", auth.as_str());

    let r = raw(&sb.url(), Method::GET, "/v1/nope", &[auth], None).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, json!({"detail": "Not Found"}))
    );
    let r = raw(&sb.url(), Method::GET, "/elsewhere", &[], None).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, json!({"detail": "Not Found"}))
    );
    let r = raw(
        &sb.url(),
        Method::DELETE,
        "/v1/parties/create",
        &[auth],
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (405, json!({"detail": "Method Not Allowed"}))
    );

    // Malformed JSON.
    let r = raw(
        &sb.url(),
        Method::POST,
        "/v1/parties/create",
        &[auth, JSON],
        Some(b"{\"fullname\": ".to_vec()),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["type"], "value_error.jsondecode");
    assert_eq!(r.body["detail"][0]["loc"][0], "body");
    // Not an object.
    let r = raw(
        &sb.url(),
        Method::POST,
        "/v1/parties/create",
        &[auth, JSON],
        Some(b"[1, 2]".to_vec()),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["msg"], "value is not a valid dict");
    // Empty body where one is required.
    let r = raw(
        &sb.url(),
        Method::POST,
        "/v1/parties/create",
        &[auth, JSON],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"][0],
        json!({"loc": ["body"], "msg": "field required", "type": "value_error.missing"})
    );
    // Wrong content type.
    let r = raw(
        &sb.url(),
        Method::POST,
        "/v1/parties/create",
        &[auth, ("content-type", "text/plain")],
        Some(b"fullname=x".to_vec()),
    )
    .await;
    assert_eq!(r.status, 415);
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("application/json"));
    // Huge body.
    let huge = format!("{{\"fullname\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = raw(
        &sb.url(),
        Method::POST,
        "/v1/parties/create",
        &[auth, JSON],
        Some(huge.into_bytes()),
    )
    .await;
    assert_eq!(r.status, 413);
    assert!(r.body["detail"].as_str().unwrap().contains("too large"));
    // Non-integer path id.
    let r = c.get("/v1/invoices/retrieve/abc").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body,
        json!({"detail": [{"loc": ["path", "id"], "msg": "value is not a valid integer", "type": "type_error.integer"}]})
    );
    // Unknown id.
    let r = c.get("/v1/invoices/retrieve/999").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, json!({"detail": "Invoice not found"}))
    );
    let r = c.get("/v1/parties/retrieve/999").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, json!({"detail": "Party not found"}))
    );
    // Query validation.
    let r = c.get("/v1/invoices/list?currency=usd&status=NOPE").await;
    assert_eq!(r.status, 422);
    let locs: Vec<Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["query", "currency"]), json!(["query", "status"])]
    );
    assert_eq!(
        r.body["detail"][0]["msg"],
        "string does not match regex \"^[A-Z]{3}$\""
    );
    let r = c.get("/v1/status/source?source_type=INVOICE").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"][0],
        json!({"loc": ["query", "source_id"], "msg": "field required", "type": "value_error.missing"})
    );
    // Nothing above was a 500.
    let stats = sb.stats();
    let statuses = stats["requests"]["by_status"].as_object().unwrap();
    assert!(statuses.keys().all(|k| !k.starts_with('5')), "{statuses:?}");
}

#[tokio::test]
async fn field_validation_messages() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let r = c
        .post(
            "/v1/parties/create",
            json!({"fullname": "A", "phone": "+231771234567"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "phone"]));
    assert_eq!(r.body["detail"][0]["type"], "value_error.str.regex");

    let party = c.party("231771234567").await;
    let cp = c.counterparty(party).await;
    let r = c
        .post(
            "/v1/invoices/create",
            json!({"counterparty_id": cp, "currency": "usd", "note": "n", "fee_bearer": "SOMEONE", "as_payment_link": "yes"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let d = r.body["detail"].as_array().unwrap();
    let by_field = |f: &str| d.iter().find(|e| e["loc"][1] == f).unwrap().clone();
    assert_eq!(
        by_field("currency")["msg"],
        "string does not match regex \"^[A-Z]{3}$\""
    );
    assert_eq!(by_field("fee_bearer")["type"], "type_error.enum");
    assert_eq!(by_field("as_payment_link")["type"], "type_error.bool");
    let r = c
        .post(
            "/v1/invoices/create",
            json!({"counterparty_id": cp, "currency": "EUR", "note": "n", "fee_bearer": "PAYER", "as_payment_link": true}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["type"], "value_error.currency");
    let r = c
        .post(
            "/v1/invoices/create",
            json!({"counterparty_id": 999, "currency": "USD", "fee_bearer": "PAYER", "as_payment_link": true}),
        )
        .await;
    assert_eq!(r.status, 422);
    let d = r.body["detail"].as_array().unwrap();
    assert!(d
        .iter()
        .any(|e| e["loc"] == json!(["body", "note"]) && e["msg"] == "field required"));
    assert!(d
        .iter()
        .any(|e| e["loc"] == json!(["body", "counterparty_id"])));

    // Amount rules: >= 0.01 as a number, >= 1 as an integer, currency decimals.
    let inv = c
        .ok_post(
            "/v1/invoices/create",
            json!({"counterparty_id": cp, "currency": "RWF", "note": "n", "fee_bearer": "PAYER", "as_payment_link": false}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let add = |amount: Value| {
        let c = c.clone();
        async move {
            c.post(
                &format!("/v1/invoices/{inv}/items/add"),
                json!({"name": "x", "currency": "RWF", "qty": 1, "amount": amount}),
            )
            .await
        }
    };
    let r = add(json!(0)).await;
    assert_eq!(
        r.body["detail"][0]["msg"],
        "ensure this value is greater than or equal to 1"
    );
    let r = add(json!(0.001)).await;
    assert_eq!(
        r.body["detail"][0]["msg"],
        "ensure this value is greater than or equal to 0.01"
    );
    let r = add(json!(10.5)).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"][0]["type"],
        "value_error.decimal.max_places"
    );
    let r = add(json!("100")).await;
    assert_eq!(r.body["detail"][0]["type"], "type_error.number");
    let r = add(serde_json::from_str("100.0").unwrap()).await;
    assert_eq!(r.status, 200, "100.0 has no real decimals: {r:?}");
    assert_eq!(r.body["amount"].to_string(), "100");

    // Execution ids: strings holding integers (or integers), UUID v4.
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": "abc", "payment_account_id": 7, "currency": "USD", "reference_id": "550e8400-e29b-11d4-a716-446655440000"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let d = r.body["detail"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(
        d[0],
        json!({"loc": ["body", "session_id"], "msg": "value is not a valid integer", "type": "type_error.integer"})
    );
    assert_eq!(
        d[1],
        json!({"loc": ["body", "reference_id"], "msg": "invalid uuid", "type": "value_error.uuid"})
    );
}

#[tokio::test]
async fn unverified_merchant_gets_403_on_gated_features() {
    let sb = Sandbox::start(SandboxConfig {
        verified: false,
        ..SandboxConfig::for_tests(40)
    })
    .await
    .unwrap();
    let c = Client::new(&sb).await;
    for (path, body) in [
        ("/v1/sessions/payout", json!({})),
        ("/v1/executions/payout", json!({})),
        ("/v1/sessions/transfer", json!({})),
        ("/v1/executions/transfer", json!({})),
        ("/v1/sessions/refund", json!({})),
        ("/v1/executions/refund", json!({})),
        ("/v1/checkouts/create", json!({})),
    ] {
        let r = c.post(path, body).await;
        assert_eq!(r.status, 403, "{path}: {r:?}");
        assert!(
            r.body["detail"].as_str().unwrap().contains("not verified"),
            "{path}"
        );
    }
    let r = c
        .get("/v1/links/pay?source_type=INVOICE&source_number=INV-2026-00001")
        .await;
    assert_eq!(r.status, 403);
    // Collections still work.
    let (_, reference, e) = c.collect("231771234567", "USD", json!(10)).await;
    assert_eq!(e["status"], "PENDING");
    c.wait_terminal("collection", &reference).await;
}

#[tokio::test]
async fn two_hundred_concurrent_requests() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let party = c.party("231771234567").await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            match i % 4 {
                0 => c.get("/v1/fees/tiers").await.status,
                1 => c.get(&format!("/v1/parties/retrieve/{party}")).await.status,
                2 => c.post("/v1/parties/create", json!({"fullname": format!("P{i}"), "phone": "250781234567"})).await.status,
                _ => c.get("/v1/predictions/mmo-provider-info?phone=250731234567&operation_type=COLLECTION").await.status,
            }
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let parties = c.ok_get("/v1/parties/list").await;
    assert_eq!(parties.as_array().unwrap().len(), 51);
    let ids: std::collections::BTreeSet<i64> = parties
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 51, "ids are unique");
    assert_eq!(sb.stats()["requests"]["total"], 1 + 1 + 200 + 1);
}
