//! The duplicate-payment counter fires: each operation is paid twice ON PURPOSE — the same
//! logical payment executed under two reference ids — and `stats.duplicate_payments` rises to
//! exactly 1, while two distinct payments with the same payer or recipient and amount leave it
//! at 0. The API's state machines refuse a second execution on a session or a paid invoice, so
//! the double payment is made the way it happens in the field: the first POST is delayed in the
//! network (`delay_commit`), the client is told "not found" and pays again under a new reference
//! id, and then the first POST lands.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{uuid, Client};
use dollr_sandbox::{FaultRule, Sandbox};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const PHONE: &str = "231771234567";

fn duplicates(sb: &Sandbox) -> u64 {
    sb.stats()["duplicate_payments"].as_u64().unwrap()
}

fn details(sb: &Sandbox) -> Vec<Value> {
    sb.stats()["duplicate_payment_details"]
        .as_array()
        .unwrap()
        .clone()
}

fn balance(sb: &Sandbox, currency: &str) -> Decimal {
    let wallets = sb.wallets();
    let wallet = wallets
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["currency"] == currency)
        .unwrap()
        .clone();
    wallet["balance"].to_string().parse().unwrap()
}

/// A POST whose commit the `delay_commit` fault holds: the client gets no answer.
async fn post_held(c: &Client, path: &str, body: Value) {
    let sent = c
        .http
        .post(format!("{}{path}", c.base))
        .bearer_auth(&c.token)
        .json(&body)
        .send()
        .await;
    match sent {
        Err(_) => {}
        Ok(r) => panic!("the held POST was answered: {}", r.status()),
    }
}

/// Status lookups until the held execution lands: `lookups` answers 404, then it is there.
async fn land(c: &Client, kind: &str, reference: &str, lookups: u32) -> Value {
    let path = format!("/v1/status/{kind}/{reference}");
    for _ in 0..lookups {
        let r = c.get(&path).await;
        assert_eq!(r.status, 404, "a held execution is not found yet: {r:?}");
    }
    c.ok_get(&path).await
}

fn device() -> Value {
    json!({"name": "Payout Server", "type": "SERVER", "platform": "NODE", "user_agent": "dollr-payout/1.0", "client_ip": "203.0.113.10"})
}

fn payout_body(session: i64, account: i64, reference: &str) -> Value {
    json!({
        "session_id": session,
        "payout_account_id": account,
        "reference_id": reference,
        "passcode": {"token": {"phone": PHONE, "code": "123456"}, "device": device()},
    })
}

async fn payout_session(c: &Client, account: i64, amount: Value) -> i64 {
    let s = c
        .ok_post(
            "/v1/sessions/payout",
            json!({"payout_account_id": account, "amount": amount, "currency": "USD"}),
        )
        .await;
    s["id"].as_i64().unwrap()
}

fn expires() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339()
}

#[tokio::test]
async fn a_collection_paid_twice_counts_one_duplicate_payment() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;

    // Two invoices for the same payer and amount are two payments.
    c.collect(PHONE, "USD", json!(25)).await;
    c.collect(PHONE, "USD", json!(25)).await;
    assert_eq!(duplicates(&sb), 0);

    // One invoice, paid under two reference ids through two sessions.
    let (invoice, party) = c.published_invoice(PHONE, "USD", json!(25), "PAYER").await;
    let account = c.account(party, PHONE, "COLLECTION").await;
    let first_session = c.checkout_session("INVOICE", invoice).await;
    sb.add_fault(FaultRule::delay_commit(2).count(1));
    let first = uuid();
    post_held(
        &c,
        "/v1/executions/collection",
        json!({"session_id": first_session, "payment_account_id": account, "currency": "USD", "reference_id": first}),
    )
    .await;
    // Told "not found", the client starts over with a new session and a new reference id.
    assert_eq!(
        c.get(&format!("/v1/status/collection/{first}"))
            .await
            .status,
        404
    );
    let second_session = c.checkout_session("INVOICE", invoice).await;
    let second = uuid();
    c.ok_post(
        "/v1/executions/collection",
        json!({"session_id": second_session, "payment_account_id": account, "currency": "USD", "reference_id": second}),
    )
    .await;
    assert_eq!(duplicates(&sb), 0, "one payment so far");
    // The first POST lands after the second 404 (the fault's lookups count the one above).
    let landed = land(&c, "collection", &first, 1).await;
    assert_eq!(landed["reference_id"], first.as_str());

    assert_eq!(duplicates(&sb), 1, "{:?}", details(&sb));
    let detail = &details(&sb)[0];
    assert_eq!(detail["kind"], "second_collection_on_source");
    assert_eq!(detail["payment"], format!("INVOICE|{invoice}"));
    assert_eq!(detail["reference_id"], first.as_str());
    assert_eq!(detail["first_reference_id"], second.as_str());
    let stats = sb.stats();
    assert_eq!(stats["executions"]["commits_held"], 1);
    assert_eq!(stats["executions"]["commits_landed"], 1);
    assert_eq!(stats["executions"]["created"], 4);
}

#[tokio::test]
async fn a_payout_paid_twice_counts_one_duplicate_payment() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let party = c.party(PHONE).await;
    let account = c.account(party, PHONE, "PAYOUT").await;

    // Two sessions for the same recipient and amount are two payouts.
    for _ in 0..2 {
        let session = payout_session(&c, account, json!(10)).await;
        c.ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &uuid()),
        )
        .await;
    }
    assert_eq!(duplicates(&sb), 0);

    // One session, executed under two reference ids.
    let before = balance(&sb, "USD");
    let session = payout_session(&c, account, json!(10)).await;
    sb.add_fault(FaultRule::delay_commit(2).count(1));
    let first = uuid();
    post_held(
        &c,
        "/v1/executions/payout",
        payout_body(session, account, &first),
    )
    .await;
    // The session is still ACTIVE: the first POST has not landed, so a new id is accepted.
    let second = uuid();
    let e = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &second),
        )
        .await;
    let payer_amount: Decimal = e["payer_amount"].to_string().parse().unwrap();
    assert_eq!(before - balance(&sb, "USD"), payer_amount);
    assert_eq!(duplicates(&sb), 0);
    land(&c, "payout", &first, 2).await;

    assert_eq!(duplicates(&sb), 1, "{:?}", details(&sb));
    let detail = &details(&sb)[0];
    assert_eq!(detail["kind"], "second_execution_on_session");
    assert_eq!(detail["operation_type"], "PAYOUT");
    assert_eq!(detail["session_id"], session);
    assert_eq!(detail["reference_id"], first.as_str());
    assert_eq!(detail["first_reference_id"], second.as_str());
    // The money really left twice.
    assert_eq!(
        before - balance(&sb, "USD"),
        payer_amount * Decimal::from(2)
    );
}

#[tokio::test]
async fn a_transfer_paid_twice_counts_one_duplicate_payment() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let party = c.party("250781234567").await;
    let counterparty = c.counterparty(party).await;
    let transfer_session = || async {
        let s = c
            .ok_post(
                "/v1/sessions/transfer",
                json!({"from_wallet_id": 3, "to_counterparty_id": counterparty, "amount": 10000, "currency": "RWF", "expires_at": expires()}),
            )
            .await;
        s["id"].as_i64().unwrap()
    };

    for _ in 0..2 {
        let session = transfer_session().await;
        c.ok_post(
            "/v1/executions/transfer",
            json!({"session_id": session, "reference_id": uuid()}),
        )
        .await;
    }
    assert_eq!(duplicates(&sb), 0);

    let session = transfer_session().await;
    sb.add_fault(FaultRule::delay_commit(1).count(1));
    let first = uuid();
    post_held(
        &c,
        "/v1/executions/transfer",
        json!({"session_id": session, "reference_id": first}),
    )
    .await;
    c.ok_post(
        "/v1/executions/transfer",
        json!({"session_id": session, "reference_id": uuid()}),
    )
    .await;
    land(&c, "transfer", &first, 1).await;
    assert_eq!(duplicates(&sb), 1, "{:?}", details(&sb));
    assert_eq!(details(&sb)[0]["operation_type"], "TRANSFER");
}

#[tokio::test]
async fn a_refund_paid_twice_counts_one_duplicate_payment() {
    let sb = common::sandbox(30).await;
    let c = Client::new(&sb).await;
    let (_, reference, _) = c.collect(PHONE, "USD", json!(100)).await;
    c.wait_terminal("collection", &reference).await;
    let intents = sb.payment_intents();
    let intent_id = intents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference_id"] == reference.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let refund_session = || async {
        let s = c
            .ok_post(
                "/v1/sessions/refund",
                json!({"original_payment_intent_id": intent_id, "amount": 10, "expires_at": expires()}),
            )
            .await;
        s["id"].as_i64().unwrap()
    };

    // Two partial refunds of the same amount are two refunds.
    for _ in 0..2 {
        let session = refund_session().await;
        c.ok_post(
            "/v1/executions/refund",
            json!({"session_id": session, "reference_id": uuid()}),
        )
        .await;
    }
    assert_eq!(duplicates(&sb), 0);

    let session = refund_session().await;
    sb.add_fault(FaultRule::delay_commit(1).count(1));
    let first = uuid();
    post_held(
        &c,
        "/v1/executions/refund",
        json!({"session_id": session, "reference_id": first}),
    )
    .await;
    c.ok_post(
        "/v1/executions/refund",
        json!({"session_id": session, "reference_id": uuid()}),
    )
    .await;
    land(&c, "refund", &first, 1).await;
    assert_eq!(duplicates(&sb), 1, "{:?}", details(&sb));
    assert_eq!(details(&sb)[0]["operation_type"], "REFUND");
}

#[tokio::test]
async fn a_held_commit_resubmitted_under_its_own_reference_id_pays_once() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let party = c.party(PHONE).await;
    let account = c.account(party, PHONE, "PAYOUT").await;
    let session = payout_session(&c, account, json!(10)).await;
    sb.add_fault(FaultRule::delay_commit(3).count(1));
    let reference = uuid();
    post_held(
        &c,
        "/v1/executions/payout",
        payout_body(session, account, &reference),
    )
    .await;
    let status = format!("/v1/status/payout/{reference}");
    assert_eq!(c.get(&status).await.status, 404);
    // The same request again: the original lands first and this POST finds it.
    let again = c
        .ok_post(
            "/v1/executions/payout",
            payout_body(session, account, &reference),
        )
        .await;
    assert_eq!(again["reference_id"], reference.as_str());
    assert_eq!(c.ok_get(&status).await["reference_id"], reference.as_str());
    let stats = sb.stats();
    assert_eq!(stats["executions"]["created"], 1, "{stats:#}");
    assert_eq!(stats["executions"]["idempotent_replays"], 1);
    assert_eq!(stats["executions"]["commits_landed"], 1);
    assert_eq!(stats["duplicate_payments"], 0);
    assert_eq!(
        sb.request_log()
            .iter()
            .filter(|e| e.fault.as_deref() == Some("delay_commit"))
            .count(),
        1
    );
}
