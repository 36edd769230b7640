//! The payment resources' API calls through a recording transport: for every operation the SDK
//! sends the right method, path, query string and JSON body, and decodes the typed answer; bad input
//! is refused naming the field, with nothing sent (not even the token request).

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dollr_core::models::execution::Execution;
use dollr_core::models::payment_account::CreatePaymentAccountRequest;
use dollr_core::models::prediction::{
    AmountAndFeesQuery, CardProviderQuery, PaymentSourceAmountAndFeesQuery,
};
use dollr_core::models::realtime::RealtimeKeyRequest;
use dollr_core::models::session::*;
use dollr_core::time::parse_timestamp;
use dollr_core::transport::{
    HeaderMap, HttpRequest, HttpResponse, Method, Transport, TransportError,
};
use dollr_core::*;
use serde_json::{json, Value};

const REF: &str = "550e8400-e29b-41d4-a716-446655440000";

/// One request as the API would see it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    raw_body: Option<String>,
    authorization: Option<String>,
}

/// Answers the token endpoint itself and every other request from `answers` (by "METHOD path"),
/// recording everything.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    answers: Mutex<HashMap<String, (u16, String)>>,
}

impl Recorder {
    fn answer(&self, method: &str, path: &str, status: u16, body: &str) {
        self.answers
            .lock()
            .unwrap()
            .insert(format!("{method} {path}"), (status, body.to_string()));
    }
    fn api_requests(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path != "/v1/jwt/client/obtain/token")
            .cloned()
            .collect()
    }
    fn all_requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    fn last(&self) -> Seen {
        self.api_requests().pop().expect("a request was sent")
    }
}

fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &text[i + 1..i + 3];
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let rest = request
            .url
            .strip_prefix("http://127.0.0.1:9")
            .unwrap()
            .to_string();
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (rest, String::new()),
        };
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode_component(k), decode_component(v))
            })
            .collect();
        let body = request
            .body
            .as_ref()
            .map(|b| serde_json::from_slice::<Value>(b).unwrap());
        let authorization = request
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        self.seen.lock().unwrap().push(Seen {
            method: request.method,
            path: path.clone(),
            query,
            body,
            raw_body: request
                .body
                .as_ref()
                .map(|b| String::from_utf8(b.to_vec()).unwrap()),
            authorization,
        });
        let (status, body) = if path == "/v1/jwt/client/obtain/token" {
            (200, r#"{"access_token":"t","expires_in":60}"#.to_string())
        } else {
            let key = format!("{} {}", request.method.as_str(), path);
            self.answers
                .lock()
                .unwrap()
                .get(&key)
                .cloned()
                .unwrap_or((404, r#"{"detail":"Not Found"}"#.to_string()))
        };
        Ok(HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        })
    }
}

fn client() -> (Client, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let client = Client::builder()
        .ignore_env()
        .base_url("http://127.0.0.1:9")
        .client_id("id")
        .client_secret("secret")
        .max_retries(0)
        .transport(recorder.clone())
        .build()
        .unwrap();
    (client, recorder)
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn ts(text: &str) -> Timestamp {
    parse_timestamp(text).unwrap()
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The body exactly as sent (exact numbers, key order as sent).
fn body_text(seen: &Seen) -> String {
    seen.raw_body.clone().expect("a body")
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T>, field: &str, recorder: &Recorder) {
    let error = result.expect_err("bad input must be refused");
    assert_eq!(error.kind(), ErrorKind::Validation, "{error:?}");
    assert_eq!(error.details()[0].field(), field, "{error:?}");
    assert_eq!(
        recorder.all_requests(),
        0,
        "nothing may be sent for invalid input"
    );
}

const EXECUTION: &str = r#"{"reference_id":"550e8400-e29b-41d4-a716-446655440000","status":"COMPLETED",
    "payer_amount":253.75,"payer_currency":"USD","payee_currency":"USD","payee_amount":250.00,
    "operation_type":"COLLECTION","provider_transaction_id":"pp-1","gateway_message":null}"#;

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn sessions_checkout_posts_the_source_and_decodes_the_session() {
    let (client, rec) = client();
    rec.answer("POST", "/v1/sessions/checkout", 200, r#"{"id":55,"source_id":101,"source_type":"INVOICE","status":"ACTIVE",
        "expires_at":"2025-06-01T10:15:00Z","created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z","payment_account_id":null}"#);
    let session = client
        .sessions()
        .checkout(&CreateCheckoutSessionRequest {
            source_id: 101,
            source_type: SourceType::Invoice,
        })
        .await
        .unwrap();
    assert_eq!(session.id, 55);
    assert_eq!(session.status, SessionStatus::Active);
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/sessions/checkout")
    );
    assert!(seen.query.is_empty());
    assert_eq!(
        body_text(&seen),
        r#"{"source_id":101,"source_type":"INVOICE"}"#
    );
    assert_eq!(seen.authorization.as_deref(), Some("Bearer t"));
}

#[tokio::test]
async fn sessions_payout_sends_only_account_amount_currency() {
    let (client, rec) = client();
    rec.answer("POST", "/v1/sessions/payout", 200, r#"{"id":77,"wallet_id":9,"payout_account_id":18,"amount":250.00,
        "currency":"USD","status":"ACTIVE","expires_at":"2025-06-01T10:30:00Z","created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z"}"#);
    let session = client
        .sessions()
        .payout(&CreatePayoutSessionRequest {
            payout_account_id: 18,
            amount: dec("250.00"),
            currency: "USD".into(),
        })
        .await
        .unwrap();
    assert_eq!(session.wallet_id, 9);
    assert_eq!(session.amount.to_string(), "250.00");
    assert_eq!(session.expires_at, ts("2025-06-01T10:30:00Z"));
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/sessions/payout")
    );
    assert_eq!(
        body_text(&seen),
        r#"{"payout_account_id":18,"amount":250.00,"currency":"USD"}"#
    );
}

#[tokio::test]
async fn sessions_transfer_and_refund() {
    let (client, rec) = client();
    rec.answer("POST", "/v1/sessions/transfer", 200, r#"{"id":5,"from_wallet_id":9,"to_counterparty_id":7,"amount":100.50,
        "currency":"USD","status":"ACTIVE","expires_at":"2026-06-15T18:00:00Z","created_at":"2026-06-15T17:00:00Z","updated_at":"2026-06-15T17:00:00Z"}"#);
    rec.answer("POST", "/v1/sessions/refund", 200, r#"{"id":6,"original_payment_intent_id":314,"amount":25,"reason":"damaged",
        "status":"ACTIVE","expires_at":"2026-06-15T18:00:00Z","created_at":"2026-06-15T17:00:00Z","updated_at":"2026-06-15T17:00:00Z"}"#);
    let expires = ts("2026-06-15T18:00:00Z");
    let transfer = client
        .sessions()
        .transfer(&CreateTransferSessionRequest {
            from_wallet_id: 9,
            to_counterparty_id: 7,
            amount: dec("100.50"),
            currency: "USD".into(),
            expires_at: expires,
        })
        .await
        .unwrap();
    assert_eq!(transfer.amount.to_string(), "100.50");
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/sessions/transfer")
    );
    assert_eq!(
        body_text(&seen),
        r#"{"from_wallet_id":9,"to_counterparty_id":7,"amount":100.50,"currency":"USD","expires_at":"2026-06-15T18:00:00Z"}"#
    );

    let refund = client
        .sessions()
        .refund(&CreateRefundSessionRequest {
            original_payment_intent_id: 314,
            amount: dec("25"),
            reason: Some("damaged".into()),
            expires_at: expires,
        })
        .await
        .unwrap();
    assert_eq!(refund.reason.as_deref(), Some("damaged"));
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/sessions/refund")
    );
    assert_eq!(
        body_text(&seen),
        r#"{"original_payment_intent_id":314,"amount":25,"reason":"damaged","expires_at":"2026-06-15T18:00:00Z"}"#
    );
}

#[tokio::test]
async fn sessions_refuse_bad_input_without_sending() {
    let (client, rec) = client();
    let s = client.sessions();
    assert_refused(
        s.checkout(&CreateCheckoutSessionRequest {
            source_id: 1,
            source_type: SourceType::Subscription,
        })
        .await,
        "source_type",
        &rec,
    );
    assert_refused(
        s.payout(&CreatePayoutSessionRequest {
            payout_account_id: 18,
            amount: dec("0"),
            currency: "USD".into(),
        })
        .await,
        "amount",
        &rec,
    );
    assert_refused(
        s.transfer(&CreateTransferSessionRequest {
            from_wallet_id: 9,
            to_counterparty_id: 7,
            amount: dec("1"),
            currency: "usd".into(),
            expires_at: ts("2026-06-15T18:00:00Z"),
        })
        .await,
        "currency",
        &rec,
    );
    assert_refused(
        s.refund(&CreateRefundSessionRequest {
            original_payment_intent_id: 0,
            amount: dec("1"),
            reason: None,
            expires_at: ts("2026-06-15T18:00:00Z"),
        })
        .await,
        "original_payment_intent_id",
        &rec,
    );
}

// ---------------------------------------------------------------------------------------------
// Payment accounts

#[tokio::test]
async fn payment_accounts_create_puts_operation_type_in_the_query() {
    let (client, rec) = client();
    rec.answer("POST", "/v1/payment-accounts/create", 200, r#"{"id":18,"account_name":"Amara MTN Wallet","provider":"PAWAPAY",
        "method":"MTN_MOMO_LBR","party_id":42,"is_active":true,"created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z","country_code":"LR"}"#);
    let request = CreatePaymentAccountRequest {
        account_name: "Amara MTN Wallet".into(),
        provider: Provider::Pawapay,
        method: PaymentMethod::MtnMomoLbr,
        party_id: 42,
        country_code: Some("LR".into()),
        insensitive_account_number: Some("231771234567".into()),
    };
    let account = client
        .payment_accounts()
        .create(OperationType::Collection, &request)
        .await
        .unwrap();
    assert_eq!(account.id, 18);
    assert!(account.is_active);
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/payment-accounts/create")
    );
    assert_eq!(seen.query, q(&[("operation_type", "COLLECTION")]));
    assert_eq!(
        seen.body,
        Some(
            json!({"account_name": "Amara MTN Wallet", "provider": "PAWAPAY", "method": "MTN_MOMO_LBR",
            "party_id": 42, "country_code": "LR", "insensitive_account_number": "231771234567"})
        )
    );

    let (client, rec) = client_pair();
    assert_refused(
        client
            .payment_accounts()
            .create(OperationType::Other("SWEEP".into()), &request)
            .await,
        "operation_type",
        &rec,
    );
    let mut bad = request.clone();
    bad.party_id = 0;
    assert_refused(
        client
            .payment_accounts()
            .create(OperationType::Payout, &bad)
            .await,
        "party_id",
        &rec,
    );
}

fn client_pair() -> (Client, Arc<Recorder>) {
    client()
}

// ---------------------------------------------------------------------------------------------
// Status

#[tokio::test]
async fn status_endpoints_get_by_reference_id() {
    let (client, rec) = client();
    for kind in ["collection", "payout", "transfer", "refund"] {
        rec.answer("GET", &format!("/v1/status/{kind}/{REF}"), 200, EXECUTION);
    }
    let status = client.status();
    let execution: Execution = status.collection(REF).await.unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_eq!(execution.payee_amount.to_string(), "250.00");
    assert_eq!(execution.provider_transaction_id.as_deref(), Some("pp-1"));
    assert_eq!(rec.last().path, format!("/v1/status/collection/{REF}"));
    status.payout(REF).await.unwrap();
    assert_eq!(rec.last().path, format!("/v1/status/payout/{REF}"));
    status.transfer(REF).await.unwrap();
    assert_eq!(rec.last().path, format!("/v1/status/transfer/{REF}"));
    status.refund(REF).await.unwrap();
    assert_eq!(rec.last().path, format!("/v1/status/refund/{REF}"));
    for (op, kind) in [
        (OperationType::Collection, "collection"),
        (OperationType::Payout, "payout"),
        (OperationType::Transfer, "transfer"),
        (OperationType::Refund, "refund"),
    ] {
        status.execution(op, REF).await.unwrap();
        let seen = rec.last();
        assert_eq!(
            (seen.method, seen.path),
            (Method::Get, format!("/v1/status/{kind}/{REF}"))
        );
        assert!(seen.query.is_empty() && seen.body.is_none());
    }
    // Unknown reference: the API's 404 becomes NotFound.
    let other = "6fa459ea-ee8a-4ca4-894e-db77e160355e";
    let missing = status.collection(other).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn status_refuses_non_uuid_v4_references_without_sending() {
    let (client, rec) = client();
    let status = client.status();
    assert_refused(
        status.collection("../invoices/1").await,
        "reference_id",
        &rec,
    );
    assert_refused(
        status.payout("c232ab00-9414-11ec-b3c8-9f6bdeced846").await,
        "reference_id",
        &rec,
    );
    assert_refused(status.transfer("").await, "reference_id", &rec);
    assert_refused(status.refund("x").await, "reference_id", &rec);
    assert_refused(
        status
            .execution(OperationType::Other("X".into()), REF)
            .await,
        "operation_type",
        &rec,
    );
    assert_refused(
        status.source(SourceType::Other("CART".into()), 1).await,
        "source_type",
        &rec,
    );
    assert_refused(
        status.source(SourceType::Invoice, 0).await,
        "source_id",
        &rec,
    );
}

#[tokio::test]
async fn status_source_queries_type_and_id() {
    let (client, rec) = client();
    rec.answer(
        "GET",
        "/v1/status/source",
        200,
        r#"{"source_id":101,"source_type":"INVOICE","source_number":"INV-2025-0042",
        "status":"PAID","currency":"USD","total_amount":250.00,"paid_at":"2025-06-01T10:20:00Z"}"#,
    );
    let info = client
        .status()
        .source(SourceType::Invoice, 101)
        .await
        .unwrap();
    assert_eq!(info.status, SourceStatus::Paid);
    assert_eq!(info.total_amount.to_string(), "250.00");
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Get, "/v1/status/source")
    );
    assert_eq!(
        seen.query,
        q(&[("source_type", "INVOICE"), ("source_id", "101")])
    );
    assert!(seen.body.is_none());
}

// ---------------------------------------------------------------------------------------------
// Predictions

const PREDICTION: &str = r#"{"payer_amount":"253.75","payer_currency":"USD","payee_amount":"250.00","payee_currency":"USD",
    "platform_fee":"3.75","platform_currency":"USD","fx_fee":null,"gateway_fee":"1.25","gateway_currency":"USD"}"#;

#[tokio::test]
async fn predictions_amount_and_fees_sends_every_parameter_exactly() {
    let (client, rec) = client();
    rec.answer("GET", "/v1/predictions/amount-and-fees", 200, PREDICTION);
    let mut query = AmountAndFeesQuery {
        base_amount: dec("250.10"),
        base_currency: "USD".into(),
        target_currency: "LRD".into(),
        payment_method: PaymentMethod::MtnMomoLbr,
        operation_type: OperationType::Collection,
        provider: Provider::Pawapay,
        fee_bearer: FeeBearer::Payer,
        owner_type: None,
        owner_id: None,
    };
    let prediction = client.predictions().amount_and_fees(&query).await.unwrap();
    assert_eq!(prediction.platform_fee.to_string(), "3.75");
    assert_eq!(prediction.payee_amount.to_string(), "250.00");
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Get, "/v1/predictions/amount-and-fees")
    );
    assert_eq!(
        seen.query,
        q(&[
            ("base_amount", "250.10"),
            ("base_currency", "USD"),
            ("target_currency", "LRD"),
            ("payment_method", "MTN_MOMO_LBR"),
            ("operation_type", "COLLECTION"),
            ("provider", "PAWAPAY"),
            ("fee_bearer", "PAYER"),
        ])
    );
    query.owner_type = Some(OwnerType::Organization);
    query.owner_id = Some(42);
    client.predictions().amount_and_fees(&query).await.unwrap();
    let seen = rec.last();
    assert_eq!(
        &seen.query[7..],
        &q(&[("owner_type", "ORGANIZATION"), ("owner_id", "42")])[..]
    );

    let (client, rec) = client_pair();
    query.base_amount = dec("0.001");
    assert_refused(
        client.predictions().amount_and_fees(&query).await,
        "base_amount",
        &rec,
    );
}

#[tokio::test]
async fn predictions_mmo_card_and_payment_source() {
    let (client, rec) = client();
    rec.answer("GET", "/v1/predictions/mmo-provider-info", 200, r#"{"carrier":"MTN","country":"LR","currencies":["USD","LRD"],
        "phone":"231771234567","payment_method":"MTN_MOMO_LBR","gateway_provider":"PAWAPAY","operation_type":"COLLECTION"}"#);
    rec.answer(
        "GET",
        "/v1/predictions/card-provider-info",
        200,
        r#"{"brand":"visa","country":"US","currencies":["USD"],
        "payment_method":"CREDIT_CARD","gateway_provider":"STRIPE"}"#,
    );
    rec.answer(
        "GET",
        "/v1/predictions/payment-source/amount-and-fees",
        200,
        PREDICTION,
    );

    let mmo = client
        .predictions()
        .mmo_provider_info("231771234567", OperationType::Collection)
        .await
        .unwrap();
    assert_eq!(
        (mmo.payment_method, mmo.gateway_provider),
        (PaymentMethod::MtnMomoLbr, Provider::Pawapay)
    );
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Get, "/v1/predictions/mmo-provider-info")
    );
    assert_eq!(
        seen.query,
        q(&[("phone", "231771234567"), ("operation_type", "COLLECTION")])
    );

    let card = client
        .predictions()
        .card_provider_info(&CardProviderQuery {
            payment_method_id: "pm_xxx".into(),
            operation_type: OperationType::Collection,
            provider: Some(Provider::Stripe),
        })
        .await
        .unwrap();
    assert_eq!(card.brand.as_deref(), Some("visa"));
    let seen = rec.last();
    assert_eq!(seen.path, "/v1/predictions/card-provider-info");
    assert_eq!(
        seen.query,
        q(&[
            ("payment_method_id", "pm_xxx"),
            ("operation_type", "COLLECTION"),
            ("provider", "STRIPE")
        ])
    );
    client
        .predictions()
        .card_provider_info(&CardProviderQuery {
            payment_method_id: "pm_yyy".into(),
            operation_type: OperationType::Collection,
            provider: None,
        })
        .await
        .unwrap();
    assert_eq!(
        rec.last().query,
        q(&[
            ("payment_method_id", "pm_yyy"),
            ("operation_type", "COLLECTION")
        ])
    );

    let source = client
        .predictions()
        .payment_source_amount_and_fees(&PaymentSourceAmountAndFeesQuery {
            target_currency: "USD".into(),
            payment_method: PaymentMethod::CreditCard,
            provider: Provider::Stripe,
            source_type: SourceType::Invoice,
            source_id: 101,
        })
        .await
        .unwrap();
    assert_eq!(source.payer_amount.to_string(), "253.75");
    let seen = rec.last();
    assert_eq!(seen.path, "/v1/predictions/payment-source/amount-and-fees");
    assert_eq!(
        seen.query,
        q(&[
            ("target_currency", "USD"),
            ("payment_method", "CREDIT_CARD"),
            ("provider", "STRIPE"),
            ("source_type", "INVOICE"),
            ("source_id", "101"),
        ])
    );

    let (client, rec) = client_pair();
    assert_refused(
        client
            .predictions()
            .mmo_provider_info("+231771234567", OperationType::Collection)
            .await,
        "phone",
        &rec,
    );
    assert_refused(
        client
            .predictions()
            .card_provider_info(&CardProviderQuery {
                payment_method_id: " ".into(),
                operation_type: OperationType::Collection,
                provider: None,
            })
            .await,
        "payment_method_id",
        &rec,
    );
    assert_refused(
        client
            .predictions()
            .payment_source_amount_and_fees(&PaymentSourceAmountAndFeesQuery {
                target_currency: "usd".into(),
                payment_method: PaymentMethod::CreditCard,
                provider: Provider::Stripe,
                source_type: SourceType::Invoice,
                source_id: 101,
            })
            .await,
        "target_currency",
        &rec,
    );
}

// ---------------------------------------------------------------------------------------------
// Fees, merchants, realtime keys

const TIER: &str = r#"{"id":1,"name":"default","is_default":true,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}"#;

#[tokio::test]
async fn fees_endpoints() {
    let (client, rec) = client();
    rec.answer("GET", "/v1/fees/gateway", 200, r#"[{"id":1,"provider_id":3,"operation_type":"COLLECTION","payment_method":"MTN_MOMO_LBR",
        "percentage":1.50,"created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z","fixed_fee":null}]"#);
    rec.answer("GET", "/v1/fees/platform", 200, &format!(r#"{{"id":4,"operation_type":"COLLECTION","percentage":"1.50","fx_percentage":"0.75",
        "effective_from":"2025-01-01T00:00:00Z","created_at":"2025-01-01T00:00:00Z","tier":{TIER}}}"#));
    rec.answer(
        "GET",
        "/v1/fees/merchant-tier",
        200,
        &format!(
            r#"{{"id":2,"owner_type":"ORGANIZATION","owner_id":42,
        "assigned_at":"2025-02-01T00:00:00Z","assigned_by":"ops@dollr","tier":{TIER}}}"#
        ),
    );
    rec.answer("GET", "/v1/fees/tiers", 200, &format!("[{TIER}]"));

    let gateway = client
        .fees()
        .gateway(PaymentMethod::MtnMomoLbr, OperationType::Collection)
        .await
        .unwrap();
    assert_eq!(gateway.len(), 1);
    assert_eq!(gateway[0].percentage.to_string(), "1.50");
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Get, "/v1/fees/gateway")
    );
    assert_eq!(
        seen.query,
        q(&[
            ("payment_method", "MTN_MOMO_LBR"),
            ("operation_type", "COLLECTION")
        ])
    );

    let platform = client
        .fees()
        .platform(OperationType::Collection, "default")
        .await
        .unwrap();
    assert_eq!(platform.percentage.to_string(), "1.50");
    let seen = rec.last();
    assert_eq!(seen.path, "/v1/fees/platform");
    assert_eq!(
        seen.query,
        q(&[
            ("operation_type", "COLLECTION"),
            ("fee_tier_name", "default")
        ])
    );

    let tier = client
        .fees()
        .merchant_tier(OwnerType::Organization, 42)
        .await
        .unwrap();
    assert_eq!(tier.tier.name, "default");
    assert_eq!(tier.assigned_by.as_deref(), Some("ops@dollr"));
    let seen = rec.last();
    assert_eq!(seen.path, "/v1/fees/merchant-tier");
    assert_eq!(
        seen.query,
        q(&[("owner_type", "ORGANIZATION"), ("owner_id", "42")])
    );

    let tiers = client.fees().tiers().await.unwrap();
    assert_eq!(tiers.len(), 1);
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str(), seen.query.len()),
        (Method::Get, "/v1/fees/tiers", 0)
    );

    // A single object (as the rendered reference example shows) is read as a one-element list.
    rec.answer(
        "GET",
        "/v1/fees/gateway",
        200,
        r#"{"id":1,"provider_id":3,"operation_type":"PAYOUT","payment_method":"WALLET",
        "percentage":"0","created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z"}"#,
    );
    let single = client
        .fees()
        .gateway(PaymentMethod::Wallet, OperationType::Payout)
        .await
        .unwrap();
    assert_eq!(single.len(), 1);

    let (client, rec) = client_pair();
    assert_refused(
        client
            .fees()
            .gateway(PaymentMethod::Other("X".into()), OperationType::Collection)
            .await,
        "payment_method",
        &rec,
    );
    assert_refused(
        client.fees().platform(OperationType::Collection, "").await,
        "fee_tier_name",
        &rec,
    );
    assert_refused(
        client.fees().merchant_tier(OwnerType::User, -1).await,
        "owner_id",
        &rec,
    );
}

#[tokio::test]
async fn merchants_info() {
    let (client, rec) = client();
    rec.answer(
        "GET",
        "/v1/merchants/merchant-info",
        200,
        r#"{"id":42,"name":"Acme","type":"ORGANIZATION","email":"a@acme.lr","phone":null}"#,
    );
    let info = client
        .merchants()
        .info(42, MerchantType::Organization)
        .await
        .unwrap();
    assert_eq!(info.name, "Acme");
    assert_eq!(info.merchant_type, MerchantType::Organization);
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Get, "/v1/merchants/merchant-info")
    );
    assert_eq!(
        seen.query,
        q(&[("merchant_id", "42"), ("merchant_type", "ORGANIZATION")])
    );

    let (client, rec) = client_pair();
    assert_refused(
        client.merchants().info(0, MerchantType::Organization).await,
        "merchant_id",
        &rec,
    );
}

#[tokio::test]
async fn realtime_keys_collection_sends_an_integer_session_id() {
    let (client, rec) = client();
    rec.answer(
        "POST",
        "/v1/realtime-keys/collection",
        200,
        r#"{"access_token":"eyJ.rt","expires_in":300}"#,
    );
    let request = RealtimeKeyRequest {
        session_id: 55,
        source_type: SourceType::Invoice,
        reference_id: REF.into(),
    };
    let key = client.realtime_keys().collection(&request).await.unwrap();
    assert_eq!(key.access_token.expose(), "eyJ.rt");
    assert_eq!(key.expires_in, 300);
    let seen = rec.last();
    assert_eq!(
        (seen.method, seen.path.as_str()),
        (Method::Post, "/v1/realtime-keys/collection")
    );
    assert_eq!(
        body_text(&seen),
        format!(r#"{{"session_id":55,"source_type":"INVOICE","reference_id":"{REF}"}}"#)
    );

    let (client, rec) = client_pair();
    let bad = RealtimeKeyRequest {
        reference_id: "not-a-uuid".into(),
        ..request
    };
    assert_refused(
        client.realtime_keys().collection(&bad).await,
        "reference_id",
        &rec,
    );
}

#[tokio::test]
async fn api_validation_errors_come_back_typed() {
    let (client, rec) = client();
    rec.answer(
        "POST",
        "/v1/sessions/checkout",
        422,
        r#"{"detail":[{"loc":["body","source_id"],"msg":"source is not ACTIVE","type":"value_error"}]}"#,
    );
    let error = client
        .sessions()
        .checkout(&CreateCheckoutSessionRequest {
            source_id: 101,
            source_type: SourceType::Order,
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.details()[0].field(), "source_id");
}
