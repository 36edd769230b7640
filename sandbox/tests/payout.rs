//! The payout path, transfers and refunds, and the merchant wallets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{uuid, Client};
use dollr_sandbox::Currency;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn balance(sb: &dollr_sandbox::Sandbox, currency: &str) -> Decimal {
    let w = sb.wallets();
    let w = w
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["currency"] == currency)
        .unwrap()
        .clone();
    w["balance"].to_string().parse().unwrap()
}

fn device() -> Value {
    json!({"name": "Payout Server", "type": "SERVER", "platform": "NODE", "user_agent": "dollr-payout/1.0", "client_ip": "203.0.113.10"})
}

async fn payout_session(c: &Client, phone: &str, amount: Value) -> (i64, i64, Value) {
    let party = c.party(phone).await;
    let account = c.account(party, phone, "PAYOUT").await;
    let s = c
        .ok_post(
            "/v1/sessions/payout",
            json!({"payout_account_id": account, "amount": amount, "currency": "USD"}),
        )
        .await;
    (s["id"].as_i64().unwrap(), account, s)
}

fn payout_body(session: i64, account: i64, reference: &str, code: &str) -> Value {
    json!({
        "session_id": session.to_string(),
        "payout_account_id": account.to_string(),
        "reference_id": reference,
        "passcode": {"token": {"phone": "231771234567", "code": code}, "device": device()},
    })
}

#[tokio::test]
async fn payout_completes_and_debits_the_wallet() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let before = balance(&sb, "USD");
    let (session, account, s) = payout_session(&c, "231771234567", json!(100.0)).await;
    assert_eq!(s["wallet_id"], 1);
    assert_eq!(s["payout_account_id"], account);
    assert_eq!(s["amount"].to_string(), "100.00");
    assert_eq!(s["status"], "ACTIVE");
    assert!(s["expires_at"].is_string());
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &reference, "123456"),
        )
        .await;
    assert_eq!(e["status"], "PENDING");
    assert_eq!(e["operation_type"], "PAYOUT");
    // 1% platform + 1% MTN gateway on 100.
    assert_eq!(e["payer_amount"].to_string(), "102.00");
    assert_eq!(e["payee_amount"].to_string(), "100.00");
    let predicted = c
        .ok_get("/v1/predictions/amount-and-fees?base_amount=100&base_currency=USD&target_currency=USD&payment_method=MTN_MOMO_LBR&operation_type=PAYOUT&provider=PAWAPAY&fee_bearer=PAYER")
        .await;
    assert_eq!(predicted["payer_amount"], "102.00");
    assert_eq!(predicted["platform_fee"], "1.00");
    assert_eq!(before - balance(&sb, "USD"), "102.00".parse().unwrap());
    assert_eq!(
        c.wait_terminal("payout", &reference).await["status"],
        "COMPLETED"
    );
    assert_eq!(before - balance(&sb, "USD"), "102.00".parse().unwrap());
    // Status under the wrong family is a 404.
    assert_eq!(
        c.get(&format!("/v1/status/collection/{reference}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn wrong_passcode_is_403_and_executes_nothing() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let before = balance(&sb, "USD");
    let (session, account, _) = payout_session(&c, "231771234567", json!(10)).await;
    let reference = uuid();
    let r = c
        .post(
            "/v1/executions/payout",
            payout_body(session, account, &reference, "000000"),
        )
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (403, json!({"detail": "Invalid passcode"}))
    );
    assert_eq!(
        c.get(&format!("/v1/status/payout/{reference}"))
            .await
            .status,
        404
    );
    assert_eq!(sb.stats()["executions"]["created"], 0);
    assert_eq!(balance(&sb, "USD"), before);
    // The session is still usable with the right passcode.
    let e = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &reference, "123456"),
        )
        .await;
    assert_eq!(e["status"], "PENDING");
}

#[tokio::test]
async fn device_fields_are_all_required() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let (session, account, _) = payout_session(&c, "231771234567", json!(10)).await;
    let r = c
        .post(
            "/v1/executions/payout",
            json!({
                "session_id": session.to_string(),
                "payout_account_id": account.to_string(),
                "reference_id": uuid(),
                "passcode": {"token": {"code": "123456"}, "device": {"name": "x"}},
            }),
        )
        .await;
    assert_eq!(r.status, 422);
    let locs: Vec<Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![
            json!(["body", "passcode", "device", "type"]),
            json!(["body", "passcode", "device", "platform"]),
            json!(["body", "passcode", "device", "user_agent"]),
            json!(["body", "passcode", "device", "client_ip"]),
        ]
    );
    let r = c
        .post(
            "/v1/executions/payout",
            json!({"session_id": session.to_string(), "payout_account_id": account.to_string(), "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "passcode"]));
    assert_eq!(sb.stats()["executions"]["created"], 0);
}

#[tokio::test]
async fn insufficient_balance_fails_the_payout() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    sb.set_wallet_balance(Currency::Usd, "50".parse().unwrap());
    let (session, account, _) = payout_session(&c, "231771234567", json!(100)).await;
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &reference, "123456"),
        )
        .await;
    assert_eq!(e["status"], "FAILED");
    assert_eq!(e["wallet_message"], "Insufficient wallet balance");
    assert_eq!(balance(&sb, "USD"), "50".parse().unwrap());
    assert_eq!(
        c.ok_get(&format!("/v1/status/payout/{reference}")).await["status"],
        "FAILED"
    );
    // Over HTTP: fund the wallet, retry with a new session and reference.
    let r = reqwest::Client::new()
        .put(format!("{}/_sandbox/wallets/USD", sb.url()))
        .json(&json!({"balance": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (session, account, _) = payout_session(&c, "231771234567", json!(100)).await;
    let e = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &uuid(), "123456"),
        )
        .await;
    assert_eq!(e["status"], "PENDING");
}

#[tokio::test]
async fn declined_payout_returns_the_funds() {
    let sb = common::sandbox(30).await;
    let c = Client::new(&sb).await;
    let before = balance(&sb, "USD");
    let (session, account, _) = payout_session(&c, "231770000001", json!(10)).await;
    let reference = uuid();
    c.ok_post(
        "/v1/executions/payout",
        payout_body(session, account, &reference, "123456"),
    )
    .await;
    let done = c.wait_terminal("payout", &reference).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(
        done["gateway_message"],
        "Recipient declined the transaction"
    );
    assert_eq!(done["wallet_message"], "Wallet debit reversed");
    assert_eq!(balance(&sb, "USD"), before);
}

#[tokio::test]
async fn payout_session_and_execution_must_agree() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let (session, account, _) = payout_session(&c, "231771234567", json!(10)).await;
    let r = c
        .post(
            "/v1/executions/payout",
            payout_body(session, account + 100, &uuid(), "123456"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["body", "payout_account_id"])
    );
    // A checkout session cannot pay out.
    let (invoice, _) = c
        .published_invoice("231771234567", "USD", json!(10), "PAYER")
        .await;
    let checkout = c.checkout_session("INVOICE", invoice).await;
    let r = c
        .post(
            "/v1/executions/payout",
            payout_body(checkout, account, &uuid(), "123456"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("is a checkout session"));
    // Payout sessions: a collection account is refused, RWF is not an MTN Liberia currency.
    let party = c.party("231771234567").await;
    let collect_account = c.account(party, "231771234567", "COLLECTION").await;
    let r = c
        .post(
            "/v1/sessions/payout",
            json!({"payout_account_id": collect_account, "amount": 5, "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = c
        .post(
            "/v1/sessions/payout",
            json!({"payout_account_id": account, "amount": 5, "currency": "RWF"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "currency"]));
}

#[tokio::test]
async fn transfers() {
    let sb = common::sandbox(30).await;
    let c = Client::new(&sb).await;
    let party = c.party("250781234567").await;
    let cp = c.counterparty(party).await;
    let before = balance(&sb, "RWF");
    let expires = (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    let s = c
        .ok_post(
            "/v1/sessions/transfer",
            json!({"from_wallet_id": 3, "to_counterparty_id": cp, "amount": 10000, "currency": "RWF", "expires_at": expires}),
        )
        .await;
    assert_eq!(s["from_wallet_id"], 3);
    assert_eq!(s["status"], "ACTIVE");
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/transfer",
            json!({"session_id": s["id"].to_string(), "reference_id": reference}),
        )
        .await;
    assert_eq!(e["operation_type"], "TRANSFER");
    assert_eq!(e["payer_amount"].to_string(), "10050");
    assert_eq!(
        c.wait_terminal("transfer", &reference).await["status"],
        "COMPLETED"
    );
    assert_eq!(before - balance(&sb, "RWF"), Decimal::from(10050));
    // Validation: wrong currency for the wallet, past expiry, unknown counterparty.
    let past = (chrono::Utc::now() - chrono::TimeDelta::minutes(1)).to_rfc3339();
    let r = c
        .post(
            "/v1/sessions/transfer",
            json!({"from_wallet_id": 3, "to_counterparty_id": 999, "amount": 10, "currency": "USD", "expires_at": past}),
        )
        .await;
    assert_eq!(r.status, 422);
    let locs: Vec<Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"][1].clone())
        .collect();
    assert_eq!(
        locs,
        vec![
            json!("currency"),
            json!("to_counterparty_id"),
            json!("expires_at")
        ]
    );
}

#[tokio::test]
async fn refunds_cannot_exceed_the_original() {
    let sb = common::sandbox(30).await;
    let c = Client::new(&sb).await;
    let (_, reference, e) = c.collect("231771234567", "USD", json!(100)).await;
    c.wait_terminal("collection", &reference).await;
    let intents = sb.payment_intents();
    let intent = intents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference_id"] == reference.as_str())
        .unwrap();
    let intent_id = intent["id"].as_i64().unwrap();
    assert_eq!(intent["payer_amount"], e["payer_amount"]);
    let over_http: Value = reqwest::get(format!("{}/_sandbox/payment-intents", sb.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(&over_http, &intents);

    let expires = (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    let usd_before = balance(&sb, "USD");
    // payer paid 102.50 (1.5% + 1%): refunding 103 is too much.
    let r = c
        .post(
            "/v1/sessions/refund",
            json!({"original_payment_intent_id": intent_id, "amount": 103, "expires_at": expires}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("exceeds"));
    let s1 = c
        .ok_post(
            "/v1/sessions/refund",
            json!({"original_payment_intent_id": intent_id, "amount": 60, "reason": "damaged", "expires_at": expires}),
        )
        .await;
    assert_eq!(s1["original_payment_intent_id"], intent_id);
    assert_eq!(s1["reason"], "damaged");
    let s2 = c
        .ok_post(
            "/v1/sessions/refund",
            json!({"original_payment_intent_id": intent_id, "amount": 60, "expires_at": expires}),
        )
        .await;
    let r1 = uuid();
    let e1 = c
        .ok_post(
            "/v1/executions/refund",
            json!({"session_id": s1["id"].to_string(), "reference_id": r1}),
        )
        .await;
    assert_eq!(e1["operation_type"], "REFUND");
    assert_eq!(e1["payee_amount"].to_string(), "60.00");
    // The second session would refund 120 in total: refused at execution.
    let r = c
        .post(
            "/v1/executions/refund",
            json!({"session_id": s2["id"].to_string(), "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("exceeds"));
    assert_eq!(c.wait_terminal("refund", &r1).await["status"], "COMPLETED");
    assert_eq!(usd_before - balance(&sb, "USD"), Decimal::from(60));
    let intents = sb.payment_intents();
    let intent = intents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == intent_id)
        .unwrap();
    assert_eq!(intent["refunded_amount"].to_string(), "60.00");
    // Only completed collections can be refunded.
    let r = c
        .post(
            "/v1/sessions/refund",
            json!({"original_payment_intent_id": 999, "amount": 1, "expires_at": expires}),
        )
        .await;
    assert_eq!(r.status, 422);
}
