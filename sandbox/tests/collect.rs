//! The collect path: invoices/orders, sessions, accounts, executions, status, receipts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{uuid, Client};
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn dec(v: &Value) -> rust_decimal::Decimal {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.parse().unwrap()
}

#[tokio::test]
async fn invoice_state_machine() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let party = c.party("231771234567").await;
    let cp = c.counterparty(party).await;
    let inv = c
        .ok_post(
            "/v1/invoices/create",
            json!({"counterparty_id": cp, "currency": "USD", "note": "Consulting", "fee_bearer": "PAYER", "as_payment_link": true}),
        )
        .await;
    let id = inv["id"].as_i64().unwrap();
    assert_eq!(inv["status"], "IDLE");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(inv["invoice_number"], format!("INV-{year}-00001"));
    assert_eq!(inv["owner_type"], "ORGANIZATION");
    assert_eq!(inv["paid_at"], Value::Null);

    // Publishing with no items is refused.
    let r = c.put(&format!("/v1/invoices/publish/{id}"), None).await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("no items"));

    let a = c
        .ok_post(
            &format!("/v1/invoices/{id}/items/add"),
            json!({"name": "Session", "currency": "USD", "qty": 2, "amount": 100.5}),
        )
        .await;
    let b = c
        .ok_post(
            &format!("/v1/invoices/{id}/items/add"),
            json!({"name": "Extra", "currency": "USD", "qty": 1, "amount": 10}),
        )
        .await;
    assert_eq!(a["amount"].to_string(), "100.50");
    let r = c
        .put(
            &format!("/v1/invoices/{id}/items/{}/update", b["id"]),
            Some(json!({"qty": 3, "name": "Extras"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["qty"], 3);
    let detail = c.ok_get(&format!("/v1/invoices/retrieve/{id}")).await;
    assert_eq!(detail["total_amount"].to_string(), "231.00");
    assert_eq!(detail["invoice_items"].as_array().unwrap().len(), 2);
    assert_eq!(detail["counterparty"]["party"]["id"], party);
    assert_eq!(detail["counterparty"]["relationship_type"], "CUSTOMER");
    let r = c
        .delete(&format!("/v1/invoices/{id}/items/{}/remove", b["id"]))
        .await;
    assert_eq!((r.status, r.body.clone()), (200, json!({})));
    let r = c
        .put(
            &format!("/v1/invoices/update/{id}"),
            Some(json!({"note": "Updated", "fee_bearer": "PAYEE"})),
        )
        .await;
    assert_eq!(r.body["note"], "Updated");
    assert_eq!(r.body["total_amount"].to_string(), "201.00");

    let r = c.put(&format!("/v1/invoices/publish/{id}"), None).await;
    assert_eq!(r.body["status"], "ACTIVE");
    // Locked after publish.
    for r in [
        c.put(
            &format!("/v1/invoices/update/{id}"),
            Some(json!({"note": "x"})),
        )
        .await,
        c.post(
            &format!("/v1/invoices/{id}/items/add"),
            json!({"name": "x", "currency": "USD", "qty": 1, "amount": 1}),
        )
        .await,
        c.put(
            &format!("/v1/invoices/{id}/items/{}/update", a["id"]),
            Some(json!({"qty": 1})),
        )
        .await,
        c.delete(&format!("/v1/invoices/{id}/items/{}/remove", a["id"]))
            .await,
        c.put(&format!("/v1/invoices/publish/{id}"), None).await,
    ] {
        assert_eq!(r.status, 422, "{r:?}");
        assert_eq!(r.body["detail"][0]["type"], "value_error.state");
    }
    let number = detail["invoice_number"].as_str().unwrap();
    assert_eq!(
        c.ok_get(&format!("/v1/invoices/retrieve/number/{number}"))
            .await["id"],
        id
    );
    let listed = c
        .ok_get("/v1/invoices/list?status=ACTIVE&currency=USD")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(c.ok_get("/v1/invoices/list?status=PAID").await, json!([]));

    // Receipt before PAID is a 422.
    let r = c.get(&format!("/v1/invoices/receipt/{id}")).await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("PAID"));

    // Cancel returns the updated invoice; canceled is terminal.
    let r = c.delete(&format!("/v1/invoices/cancel/{id}")).await;
    assert_eq!(r.body["status"], "CANCELED");
    let r = c.delete(&format!("/v1/invoices/cancel/{id}")).await;
    assert_eq!(r.status, 422);
    let r = c
        .post(
            "/v1/sessions/checkout",
            json!({"source_id": id, "source_type": "INVOICE"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("CANCELED"));
}

#[tokio::test]
async fn collection_completes_and_everything_agrees() {
    // The test steps the payment itself (`advance`): with a settle time no run reaches, the
    // PENDING and PROCESSING states it reads last until it moves on, however slow the run.
    let sb = common::sandbox(600_000).await;
    let c = Client::new(&sb).await;
    let usd_before = dec(&sb.wallets()[0]["balance"]);
    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(250.00), "PAYER")
        .await;
    let predicted = c
        .ok_get(&format!(
            "/v1/predictions/payment-source/amount-and-fees?source_type=INVOICE&source_id={invoice}&target_currency=LRD&payment_method=MTN_MOMO_LBR&provider=PAWAPAY"
        ))
        .await;
    assert_eq!(
        predicted,
        json!({"payer_amount": "49162.50", "payer_currency": "LRD", "payee_amount": "250.00", "payee_currency": "USD",
               "platform_fee": "3.75", "platform_currency": "USD", "fx_fee": "2.50", "gateway_fee": "2.50", "gateway_currency": "USD"})
    );
    let standalone = c
        .ok_get("/v1/predictions/amount-and-fees?base_amount=250&base_currency=USD&target_currency=LRD&payment_method=MTN_MOMO_LBR&operation_type=COLLECTION&provider=PAWAPAY&fee_bearer=PAYER")
        .await;
    assert_eq!(standalone, predicted);

    let account = c.account(party, "231771234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "LRD", "reference_id": reference}),
        )
        .await;
    assert_eq!(e["status"], "PENDING");
    assert_eq!(e["operation_type"], "COLLECTION");
    assert_eq!(e["payer_amount"].to_string(), "49162.50");
    assert_eq!(e["payee_amount"].to_string(), "250.00");
    assert_eq!(e["payer_currency"], "LRD");
    assert_eq!(e["payee_currency"], "USD");
    assert!(e["payer_amount"].is_number());
    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(src["status"], "PROCESSING");
    // Not cancelable while PROCESSING.
    assert_eq!(
        c.delete(&format!("/v1/invoices/cancel/{invoice}"))
            .await
            .status,
        422
    );
    // The session is USED now.
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": session, "payment_account_id": account, "currency": "LRD", "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("USED"));

    let status_path = format!("/v1/status/collection/{reference}");
    assert_eq!(c.ok_get(&status_path).await["status"], "PENDING");
    assert_eq!(sb.advance(&reference).unwrap(), "PROCESSING");
    assert_eq!(c.ok_get(&status_path).await["status"], "PROCESSING");
    assert_eq!(sb.advance(&reference).unwrap(), "COMPLETED");
    let done = c.wait_terminal("collection", &reference).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["gateway_message"], "Transaction completed");
    assert!(done["provider_transaction_id"].is_string());

    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(src["status"], "PAID");
    assert!(src["paid_at"].is_string());
    assert_eq!(src["total_amount"].to_string(), "250.00");

    let receipt = c.ok_get(&format!("/v1/invoices/receipt/{invoice}")).await;
    assert_eq!(receipt["invoice_id"], invoice);
    assert_eq!(receipt["status"], "PAID");
    assert_eq!(receipt["payer_amount"].to_string(), "49162.50");
    assert_eq!(receipt["payee_amount"].to_string(), "250.00");
    assert_eq!(receipt["platform_fee"].to_string(), "3.75");
    assert_eq!(receipt["gateway_fee"].to_string(), "2.50");
    assert_eq!(receipt["fx_fee"].to_string(), "2.50");
    assert_eq!(receipt["fx_rate"], "190");
    assert_eq!(receipt["fx_currency_from"], "USD");
    assert_eq!(receipt["fx_currency_to"], "LRD");
    assert_eq!(receipt["payment_method"], "MTN_MOMO_LBR");
    assert_eq!(receipt["payment_provider"], "PAWAPAY");
    assert_eq!(receipt["counterparty_name"], "Amara Kamara");
    assert_eq!(receipt["counterparty_phone"], "231771234567");
    assert_eq!(
        receipt["provider_transaction_id"],
        done["provider_transaction_id"]
    );
    assert_eq!(receipt["items"][0]["amount"].to_string(), "250.00");
    let number = receipt["invoice_number"].as_str().unwrap();
    assert_eq!(
        c.ok_get(&format!("/v1/invoices/receipt/number/{number}"))
            .await,
        receipt
    );
    let link = c
        .ok_get(&format!(
            "/v1/links/receipt?source_type=INVOICE&source_number={number}"
        ))
        .await;
    let via_link: Value = reqwest::get(link["url"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(via_link, receipt);

    // The wallet got the payee amount (PAYER bears the fees).
    assert_eq!(
        dec(&sb.wallets()[0]["balance"]) - usd_before,
        "250.00".parse().unwrap()
    );
    let intents = sb.payment_intents();
    assert_eq!(intents[0]["reference_id"], reference.as_str());
    assert_eq!(intents[0]["status"], "COMPLETED");
    assert_eq!(sb.stats()["duplicate_payments"], 0);
    // Every transition was recorded in the event log, one step at a time.
    let events: Vec<String> = sb
        .events()
        .iter()
        .filter(|e| e["reference_id"] == reference.as_str())
        .map(|e| e["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["PENDING", "PROCESSING", "COMPLETED"]);
}

#[tokio::test]
async fn payee_bears_fees() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let before = dec(&sb.wallets()[0]["balance"]);
    let (invoice, party) = c
        .published_invoice("231881234567", "USD", json!(100), "PAYEE")
        .await;
    let account = c.account(party, "231881234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": reference}),
        )
        .await;
    // Orange: 1.5% platform + 1.2% gateway = 2.70.
    assert_eq!(e["payer_amount"].to_string(), "100.00");
    assert_eq!(e["payee_amount"].to_string(), "97.30");
    assert_eq!(
        c.wait_terminal("collection", &reference).await["status"],
        "COMPLETED"
    );
    assert_eq!(
        dec(&sb.wallets()[0]["balance"]) - before,
        "97.30".parse().unwrap()
    );
    let receipt = c.ok_get(&format!("/v1/invoices/receipt/{invoice}")).await;
    assert_eq!(receipt["fx_rate"], Value::Null);
    assert_eq!(receipt["fx_fee"], Value::Null);
}

#[tokio::test]
async fn declined_number_fails_and_the_invoice_can_be_paid_again() {
    let sb = common::sandbox(30).await;
    let c = Client::new(&sb).await;
    let (invoice, party) = c
        .published_invoice("231770000001", "USD", json!(20), "PAYER")
        .await;
    let bad = c.account(party, "231770000001", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    c.ok_post(
        "/v1/executions/collection",
        json!({"session_id": session.to_string(), "payment_account_id": bad.to_string(), "currency": "USD", "reference_id": reference}),
    )
    .await;
    let done = c.wait_terminal("collection", &reference).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["gateway_message"], "Payer declined the transaction");
    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(src["status"], "ACTIVE");
    assert_eq!(
        c.get(&format!("/v1/invoices/receipt/{invoice}"))
            .await
            .status,
        422
    );

    // A new session + a new reference_id with a good number pays it.
    let good = c.account(party, "231771234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference2 = uuid();
    c.ok_post(
        "/v1/executions/collection",
        json!({"session_id": session.to_string(), "payment_account_id": good.to_string(), "currency": "USD", "reference_id": reference2}),
    )
    .await;
    assert_eq!(
        c.wait_terminal("collection", &reference2).await["status"],
        "COMPLETED"
    );
    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(src["status"], "PAID");
    assert_eq!(sb.stats()["duplicate_payments"], 0);
}

#[tokio::test]
async fn slow_numbers_follow_the_clock() {
    let sb = common::sandbox(1000).await;
    let c = Client::new(&sb).await;
    let (_, slow, _) = c.collect("231770000002", "USD", json!(5)).await;
    let (_, slow_fail, _) = c.collect("231770000003", "USD", json!(5)).await;
    let (_, normal, _) = c.collect("231771234567", "USD", json!(5)).await;
    // After 2× the settle time a normal payment is done, the slow ones still PROCESSING.
    sb.advance_clock(Duration::from_millis(2000));
    assert_eq!(
        c.ok_get(&format!("/v1/status/collection/{normal}")).await["status"],
        "COMPLETED"
    );
    for r in [&slow, &slow_fail] {
        assert_eq!(
            c.ok_get(&format!("/v1/status/collection/{r}")).await["status"],
            "PROCESSING"
        );
    }
    sb.advance_clock(Duration::from_millis(25_000));
    for r in [&slow, &slow_fail] {
        assert_eq!(
            c.ok_get(&format!("/v1/status/collection/{r}")).await["status"],
            "PROCESSING"
        );
    }
    // Past 30× the settle time they end.
    sb.advance_clock(Duration::from_millis(3_100));
    let s = c.ok_get(&format!("/v1/status/collection/{slow}")).await;
    assert_eq!(s["status"], "COMPLETED");
    let f = c
        .ok_get(&format!("/v1/status/collection/{slow_fail}"))
        .await;
    assert_eq!(f["status"], "FAILED");
    assert_eq!(
        f["gateway_message"],
        "Transaction timed out at the operator"
    );
}

#[tokio::test]
async fn advance_moves_a_payment_on_demand() {
    let sb = Sandbox::start(SandboxConfig {
        settle_ms: 3_600_000,
        ..SandboxConfig::for_tests(0)
    })
    .await
    .unwrap();
    let c = Client::new(&sb).await;
    let (invoice, reference, e) = c.collect("250781234567", "RWF", json!(5000)).await;
    assert_eq!(e["status"], "PENDING");
    assert_eq!(sb.advance(&reference).unwrap(), "PROCESSING");
    assert_eq!(
        c.ok_get(&format!("/v1/status/collection/{reference}"))
            .await["status"],
        "PROCESSING"
    );
    // Over HTTP too.
    let r: Value = reqwest::Client::new()
        .post(format!("{}/_sandbox/advance/{reference}", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["previous_status"], "PROCESSING");
    assert_eq!(r["status"], "COMPLETED");
    assert_eq!(r["execution"]["payer_amount"].to_string(), "5125");
    assert!(sb.advance(&reference).is_err());
    let resp = reqwest::Client::new()
        .post(format!("{}/_sandbox/advance/{reference}", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    assert!(matches!(
        sb.advance(&uuid()),
        Err(dollr_sandbox::AdvanceError::NotFound)
    ));
    let src = c
        .ok_get(&format!(
            "/v1/status/source?source_type=INVOICE&source_id={invoice}"
        ))
        .await;
    assert_eq!(src["status"], "PAID");
    // Straight to final.
    let (_, r2, _) = c.collect("250731234567", "RWF", json!(1000)).await;
    assert_eq!(sb.advance_to_final(&r2).unwrap(), "COMPLETED");
}

#[tokio::test]
async fn idempotency_by_reference_id() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(10), "PAYER")
        .await;
    let account = c.account(party, "231771234567", "COLLECTION").await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let body = json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": reference});
    let first = c.ok_post("/v1/executions/collection", body.clone()).await;
    // Same request (ids as integers this time: the same logical request).
    let again = c
        .ok_post(
            "/v1/executions/collection",
            json!({"session_id": session, "payment_account_id": account, "currency": "USD", "reference_id": reference}),
        )
        .await;
    assert_eq!(again["reference_id"], first["reference_id"]);
    assert_eq!(again["payer_amount"], first["payer_amount"]);
    let stats = sb.stats();
    assert_eq!(stats["executions"]["created"], 1);
    assert_eq!(stats["executions"]["posts"], 2);
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference]["created"],
        true
    );
    assert_eq!(
        stats["executions"]["by_reference_id"][&reference]["posts"],
        2
    );

    // Same reference_id, different request.
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "LRD", "reference_id": reference}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "reference_id"]));
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("duplicate reference_id"));
    assert_eq!(sb.stats()["executions"]["created"], 1);
    // Replays after completion return the final state.
    c.wait_terminal("collection", &reference).await;
    assert_eq!(
        c.ok_post("/v1/executions/collection", body).await["status"],
        "COMPLETED"
    );
    assert_eq!(sb.stats()["duplicate_payments"], 0);
}

#[tokio::test]
async fn sessions_must_match_and_not_expire() {
    let sb = common::sandbox(40).await;
    let c = Client::new(&sb).await;
    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(10), "PAYER")
        .await;
    let account = c.account(party, "231771234567", "COLLECTION").await;
    // A payout session cannot be used for a collection.
    let payout_account = c.account(party, "231771234567", "PAYOUT").await;
    let ps = c
        .ok_post(
            "/v1/sessions/payout",
            json!({"payout_account_id": payout_account, "amount": 5, "currency": "USD"}),
        )
        .await;
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": ps["id"].to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "session_id"]));
    assert!(
        r.body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("is a payout session"),
        "{r:?}"
    );
    // A payout account cannot collect.
    let session = c.checkout_session("INVOICE", invoice).await;
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": payout_account.to_string(), "currency": "USD", "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["body", "payment_account_id"])
    );
    // Currency the method cannot pay in.
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "RWF", "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "currency"]));
    // The session expires after 15 minutes on the sandbox clock.
    let fresh = c
        .ok_post(
            "/v1/sessions/checkout",
            json!({"source_id": invoice, "source_type": "INVOICE"}),
        )
        .await;
    let created =
        chrono::DateTime::parse_from_rfc3339(fresh["created_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(fresh["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_minutes(), 15);
    sb.advance_clock(Duration::from_secs(16 * 60));
    let r = c
        .post(
            "/v1/executions/collection",
            json!({"session_id": fresh["id"].to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": uuid()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("EXPIRED"));
    // IDLE sources cannot get a session.
    let cp = c.counterparty(party).await;
    let idle = c
        .ok_post(
            "/v1/invoices/create",
            json!({"counterparty_id": cp, "currency": "USD", "note": "n", "fee_bearer": "PAYER", "as_payment_link": false}),
        )
        .await;
    let r = c
        .post(
            "/v1/sessions/checkout",
            json!({"source_id": idle["id"], "source_type": "INVOICE"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("IDLE"));
}

#[tokio::test]
async fn orders_and_every_canonical_number() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    for (phone, method, currency) in [
        ("231771234567", "MTN_MOMO_LBR", "LRD"),
        ("231881234567", "ORANGE_MONEY_LBR", "USD"),
        ("250781234567", "MTN_MOMO_RWA", "RWF"),
        ("250731234567", "AIRTEL_RWA", "RWF"),
    ] {
        let mmo = c
            .ok_get(&format!(
                "/v1/predictions/mmo-provider-info?phone={phone}&operation_type=COLLECTION"
            ))
            .await;
        assert_eq!(mmo["payment_method"], method);
        assert_eq!(mmo["gateway_provider"], "PAWAPAY");
        let party = c.party(phone).await;
        let cp = c.counterparty(party).await;
        let order = c
            .ok_post(
                "/v1/orders/create",
                json!({"counterparty_id": cp, "currency": currency, "note": "Order", "fee_bearer": "PAYER", "as_payment_link": true}),
            )
            .await;
        let id = order["id"].as_i64().unwrap();
        assert!(order["order_number"].as_str().unwrap().starts_with("ORD-"));
        c.ok_post(
            &format!("/v1/orders/{id}/items/add"),
            json!({"name": "Item", "currency": currency, "qty": 2, "amount": 500}),
        )
        .await;
        assert_eq!(
            c.put(&format!("/v1/orders/publish/{id}"), None).await.body["status"],
            "ACTIVE"
        );
        let account = c.account(party, phone, "COLLECTION").await;
        let session = c.checkout_session("ORDER", id).await;
        let reference = uuid();
        c.ok_post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": currency, "reference_id": reference}),
        )
        .await;
        assert_eq!(
            c.wait_terminal("collection", &reference).await["status"],
            "COMPLETED",
            "{phone}"
        );
        let receipt = c.ok_get(&format!("/v1/orders/receipt/{id}")).await;
        assert_eq!(receipt["order_id"], id);
        assert_eq!(receipt["payment_method"], method);
        let detail = c.ok_get(&format!("/v1/orders/retrieve/{id}")).await;
        assert_eq!(detail["order_items"].as_array().unwrap().len(), 1);
        assert_eq!(detail["status"], "PAID");
    }
    let r = c
        .get("/v1/predictions/mmo-provider-info?phone=231661234567&operation_type=COLLECTION")
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["detail"][0]["msg"], "unsupported phone number");
    assert_eq!(sb.stats()["duplicate_payments"], 0);
}

#[tokio::test]
async fn cards_and_realtime_keys() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let card = c
        .ok_get("/v1/predictions/card-provider-info?payment_method_id=pm_card_visa&operation_type=COLLECTION&provider=STRIPE")
        .await;
    assert_eq!(card["brand"], "visa");
    assert_eq!(card["gateway_provider"], "STRIPE");
    assert_eq!(card["payment_method"], "CREDIT_CARD");
    let r = c
        .get("/v1/predictions/card-provider-info?payment_method_id=tok_x&operation_type=COLLECTION")
        .await;
    assert_eq!(r.status, 422);

    let (invoice, party) = c
        .published_invoice("231771234567", "USD", json!(50), "PAYER")
        .await;
    let mk = |number: Option<&str>| {
        let mut body = json!({"account_name": "Card", "provider": "STRIPE", "method": "CREDIT_CARD", "party_id": party});
        if let Some(n) = number {
            body["insensitive_account_number"] = json!(n);
        }
        body
    };
    let bad_combo = c
        .post(
            "/v1/payment-accounts/create?operation_type=COLLECTION",
            json!({"account_name": "Card", "provider": "PAWAPAY", "method": "CREDIT_CARD", "party_id": party}),
        )
        .await;
    assert_eq!(bad_combo.status, 422);
    assert!(bad_combo.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("invalid combination"));

    // 3-D Secure card.
    let acc = c
        .ok_post(
            "/v1/payment-accounts/create?operation_type=COLLECTION",
            mk(Some("4000002760003184")),
        )
        .await;
    let session = c.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let e = c
        .ok_post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": acc["id"].to_string(), "currency": "USD", "reference_id": reference}),
        )
        .await;
    assert_eq!(e["requires_action"], true);
    assert!(e["client_secret"].as_str().unwrap().starts_with("pi_"));
    // 2.9% + 0.30 + 1.5% of 50 = 1.45 + 0.30 + 0.75 = 2.50.
    assert_eq!(e["payer_amount"].to_string(), "52.50");
    let key = c
        .ok_post(
            "/v1/realtime-keys/collection",
            json!({"session_id": session, "source_type": "INVOICE", "reference_id": reference}),
        )
        .await;
    assert_eq!(key["expires_in"], 3600);
    assert!(key["access_token"].is_string());
    let r = c
        .post("/v1/realtime-keys/collection", json!({"session_id": session.to_string(), "source_type": "INVOICE", "reference_id": reference}))
        .await;
    assert_eq!(r.status, 422, "session_id is an integer here");
    assert_eq!(
        c.wait_terminal("collection", &reference).await["status"],
        "COMPLETED"
    );

    // Declining card.
    let (invoice2, party2) = c
        .published_invoice("231771234567", "USD", json!(50), "PAYER")
        .await;
    let acc = c
        .ok_post(
            "/v1/payment-accounts/create?operation_type=COLLECTION",
            json!({"account_name": "Card", "provider": "STRIPE", "method": "CREDIT_CARD", "party_id": party2, "insensitive_account_number": "4000000000000002"}),
        )
        .await;
    let session = c.checkout_session("INVOICE", invoice2).await;
    let reference = uuid();
    c.ok_post(
        "/v1/executions/collection",
        json!({"session_id": session.to_string(), "payment_account_id": acc["id"].to_string(), "currency": "USD", "reference_id": reference}),
    )
    .await;
    let done = c.wait_terminal("collection", &reference).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["gateway_message"], "Your card was declined.");
}

#[tokio::test]
async fn payment_account_rules() {
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let party = c.party("231771234567").await;
    let post = |body: Value, op: &str| {
        let c = c.clone();
        let path = format!("/v1/payment-accounts/create?operation_type={op}");
        async move { c.post(&path, body).await }
    };
    // The docs' curl example sends provider MTN_MOMO_LBR: accepted.
    let r = post(
        json!({"account_name": "A", "provider": "MTN_MOMO_LBR", "method": "MTN_MOMO_LBR", "party_id": party, "country_code": "LR", "insensitive_account_number": "231771234567"}),
        "COLLECTION",
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["is_active"], true);
    assert!(r.body.get("insensitive_account_number").is_none());
    // Operator mismatch.
    let r = post(
        json!({"account_name": "A", "provider": "PAWAPAY", "method": "MTN_MOMO_LBR", "party_id": party, "insensitive_account_number": "231881234567"}),
        "COLLECTION",
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("ORANGE_MONEY_LBR"));
    // Missing number for mobile money, missing query parameter, unknown party.
    let r = post(json!({"account_name": "A", "provider": "PAWAPAY", "method": "MTN_MOMO_LBR", "party_id": 99}), "").await;
    assert_eq!(r.status, 422);
    let locs: Vec<Value> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].clone())
        .collect();
    assert!(
        locs.contains(&json!(["query", "operation_type"])),
        "{locs:?}"
    );
    assert!(locs.contains(&json!(["body", "insensitive_account_number"])));
    assert!(locs.contains(&json!(["body", "party_id"])));
}
