//! Wire models of the payment resources (sessions, payment accounts, executions, status,
//! predictions, fees, merchants, realtime keys): documented examples round-trip with exact
//! decimals, ids are read in either JSON form and written as each endpoint wants, unknown fields
//! and enum values are tolerated, and requests refuse bad input naming the field.

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;

use dollr_core::models::execution::*;
use dollr_core::models::fee::*;
use dollr_core::models::merchant::*;
use dollr_core::models::payment_account::*;
use dollr_core::models::prediction::*;
use dollr_core::models::realtime::*;
use dollr_core::models::session::*;
use dollr_core::models::status::*;
use dollr_core::time::parse_timestamp;
use dollr_core::validate::Validate;
use dollr_core::*;
use serde_json::{json, Value};

const REF: &str = "550e8400-e29b-41d4-a716-446655440000";

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn ts(text: &str) -> Timestamp {
    parse_timestamp(text).unwrap()
}

/// The field a validation error names (dotted), or "ok".
fn refused_field(result: Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Validation, "{e:?}");
            e.details()[0].field()
        }
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

fn passcode() -> Passcode {
    // The payload shape from the knowledge base's "payout passcode error" article.
    Passcode {
        token: PasscodeToken {
            code: Secret::new("your-passcode"),
            user_id: None,
            phone: Some("231771234567".into()),
        },
        device: PasscodeDevice {
            name: "Payout Server".into(),
            device_type: "SERVER".into(),
            platform: "NODE".into(),
            user_agent: "my-app/1.0".into(),
            client_ip: "203.0.113.10".into(),
        },
    }
}

fn payout_execution() -> PayoutExecutionRequest {
    PayoutExecutionRequest {
        session_id: 42,
        payout_account_id: 18,
        reference_id: REF.into(),
        passcode: passcode(),
    }
}

// ---------------------------------------------------------------------------------------------
// Executions

#[test]
fn collection_execution_body_matches_the_quickstart_with_string_ids() {
    let request = CollectionExecutionRequest {
        session_id: 55,
        payment_account_id: 18,
        currency: "USD".into(),
        reference_id: REF.into(),
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        format!(
            r#"{{"session_id":"55","payment_account_id":"18","currency":"USD","reference_id":"{REF}"}}"#
        )
    );
    assert_eq!(request.validate().map_err(|e| e.to_string()), Ok(()));
    // Read back from either id form.
    let back: CollectionExecutionRequest = serde_json::from_value(json!({
        "session_id": 55, "payment_account_id": "18", "currency": "USD", "reference_id": REF
    }))
    .unwrap();
    assert_eq!(back, request);
}

#[test]
fn payout_execution_body_matches_the_documented_payload_shape() {
    let expected = json!({
        "session_id": "42",
        "payout_account_id": "18",
        "reference_id": REF,
        "passcode": {
            "token": {"phone": "231771234567", "code": "your-passcode"},
            "device": {
                "name": "Payout Server",
                "type": "SERVER",
                "platform": "NODE",
                "user_agent": "my-app/1.0",
                "client_ip": "203.0.113.10"
            }
        }
    });
    assert_eq!(to_value(&payout_execution()), expected);
    let back: PayoutExecutionRequest = serde_json::from_value(expected).unwrap();
    assert_eq!(back, payout_execution());
    assert_eq!(
        payout_execution().validate().map_err(|e| e.to_string()),
        Ok(())
    );
}

#[test]
fn payout_execution_debug_never_shows_the_passcode() {
    let debug = format!("{:?} {:#?}", payout_execution(), payout_execution());
    assert!(!debug.contains("your-passcode"), "{debug}");
    assert!(debug.contains("[REDACTED]"));
    // ...while the wire carries it.
    assert!(serde_json::to_string(&payout_execution())
        .unwrap()
        .contains("your-passcode"));
}

#[test]
fn transfer_and_refund_execution_bodies_use_string_session_ids() {
    let transfer = TransferExecutionRequest {
        session_id: 7,
        reference_id: REF.into(),
    };
    assert_eq!(
        to_value(&transfer),
        json!({"session_id": "7", "reference_id": REF})
    );
    let refund = RefundExecutionRequest {
        session_id: 8,
        reference_id: REF.into(),
    };
    assert_eq!(
        to_value(&refund),
        json!({"session_id": "8", "reference_id": REF})
    );
    assert!(transfer.validate().is_ok() && refund.validate().is_ok());
}

#[test]
fn execution_requests_refuse_bad_input_naming_the_field() {
    let good = CollectionExecutionRequest {
        session_id: 55,
        payment_account_id: 18,
        currency: "USD".into(),
        reference_id: REF.into(),
    };
    let with = |f: &dyn Fn(&mut CollectionExecutionRequest)| {
        let mut r = good.clone();
        f(&mut r);
        refused_field(r.validate())
    };
    assert_eq!(with(&|r| r.session_id = 0), "session_id");
    assert_eq!(with(&|r| r.payment_account_id = -1), "payment_account_id");
    assert_eq!(with(&|r| r.currency = "usd".into()), "currency");
    assert_eq!(
        with(&|r| r.reference_id = "order-42".into()),
        "reference_id"
    );
    // A version-1 UUID is not enough.
    assert_eq!(
        with(&|r| r.reference_id = "c232ab00-9414-11ec-b3c8-9f6bdeced846".into()),
        "reference_id"
    );

    let payout = |f: &dyn Fn(&mut PayoutExecutionRequest)| {
        let mut r = payout_execution();
        f(&mut r);
        refused_field(r.validate())
    };
    assert_eq!(payout(&|_| ()), "ok");
    assert_eq!(payout(&|r| r.payout_account_id = 0), "payout_account_id");
    assert_eq!(payout(&|r| r.reference_id = String::new()), "reference_id");
    assert_eq!(
        payout(&|r| r.passcode.token.code = Secret::new("  ")),
        "passcode.token.code"
    );
    assert_eq!(
        payout(&|r| r.passcode.token.phone = None),
        "passcode.token.phone"
    );
    assert_eq!(
        payout(&|r| {
            r.passcode.token.phone = None;
            r.passcode.token.user_id = Some("user-7".into());
        }),
        "ok"
    );
    assert_eq!(
        payout(&|r| r.passcode.token.phone = Some("+231771234567".into())),
        "passcode.token.phone"
    );
    assert_eq!(
        payout(&|r| r.passcode.device.name = String::new()),
        "passcode.device.name"
    );
    assert_eq!(
        payout(&|r| r.passcode.device.device_type = String::new()),
        "passcode.device.type"
    );
    assert_eq!(
        payout(&|r| r.passcode.device.platform = " ".into()),
        "passcode.device.platform"
    );
    assert_eq!(
        payout(&|r| r.passcode.device.user_agent = String::new()),
        "passcode.device.user_agent"
    );
    assert_eq!(
        payout(&|r| r.passcode.device.client_ip = String::new()),
        "passcode.device.client_ip"
    );

    let transfer = TransferExecutionRequest {
        session_id: 0,
        reference_id: REF.into(),
    };
    assert_eq!(refused_field(transfer.validate()), "session_id");
    let refund = RefundExecutionRequest {
        session_id: 3,
        reference_id: "nope".into(),
    };
    assert_eq!(refused_field(refund.validate()), "reference_id");
}

#[test]
fn execution_response_keeps_exact_amounts_and_secret_client_secret() {
    // As text: `json!` would turn 250.00 into an f64 first.
    let text = format!(
        r#"{{"reference_id": "{REF}", "status": "PROCESSING", "payer_amount": 250.00,
            "payer_currency": "USD", "payee_currency": "LRD", "payee_amount": 48125,
            "operation_type": "COLLECTION", "provider_transaction_id": null,
            "gateway_message": "Awaiting customer approval", "requires_action": true,
            "client_secret": "pi_xxx_secret_xxx", "brand_new_field": {{"x": 1}}}}"#
    );
    let execution: Execution = serde_json::from_str(&text).unwrap();
    assert_eq!(execution.status, ExecutionStatus::Processing);
    assert_eq!(execution.payer_amount.to_string(), "250.00");
    assert_eq!(execution.payee_amount, dec("48125"));
    assert_eq!(execution.operation_type, OperationType::Collection);
    assert_eq!(execution.requires_action, Some(true));
    assert_eq!(
        execution.client_secret.as_ref().map(Secret::expose),
        Some("pi_xxx_secret_xxx")
    );
    assert_eq!(execution.wallet_message, None);
    assert!(!format!("{execution:?}").contains("pi_xxx_secret_xxx"));
    // Round trip: the number's text is kept, the secret goes back on the wire.
    let again = serde_json::to_string(&execution).unwrap();
    assert!(again.contains(r#""payer_amount":250.00"#), "{again}");
    assert_eq!(
        serde_json::from_str::<Execution>(&again).unwrap(),
        execution
    );

    // Minimal body (required fields only); unknown status kept verbatim.
    let minimal: Execution = serde_json::from_str(&format!(
        r#"{{"reference_id":"{REF}","status":"REVERSED","payer_amount":"10.10","payer_currency":"USD","payee_currency":"USD","payee_amount":10.1,"operation_type":"CHARGEBACK"}}"#
    ))
    .unwrap();
    assert_eq!(minimal.status, ExecutionStatus::Other("REVERSED".into()));
    assert_eq!(
        minimal.operation_type,
        OperationType::Other("CHARGEBACK".into())
    );
    assert_eq!(minimal.payer_amount.to_string(), "10.10");
    assert_eq!(minimal.payee_amount.to_string(), "10.1");
    assert_eq!(minimal.client_secret, None);
    assert_eq!(minimal.requires_action, None);
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[test]
fn checkout_session_request_and_response() {
    let request = CreateCheckoutSessionRequest {
        source_id: 101,
        source_type: SourceType::Invoice,
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"source_id":101,"source_type":"INVOICE"}"#
    );
    assert!(request.validate().is_ok());
    let subscription = CreateCheckoutSessionRequest {
        source_id: 101,
        source_type: SourceType::Subscription,
    };
    assert_eq!(refused_field(subscription.validate()), "source_type");
    let unknown = CreateCheckoutSessionRequest {
        source_id: 101,
        source_type: SourceType::Other("CART".into()),
    };
    assert_eq!(refused_field(unknown.validate()), "source_type");
    let zero = CreateCheckoutSessionRequest {
        source_id: 0,
        source_type: SourceType::Order,
    };
    assert_eq!(refused_field(zero.validate()), "source_id");

    let session: CheckoutSession = serde_json::from_value(json!({
        "id": "55",
        "source_id": 101,
        "source_type": "INVOICE",
        "status": "ACTIVE",
        "expires_at": "2025-06-01T10:15:00Z",
        "created_at": "2025-06-01T10:00:00",
        "updated_at": "2025-06-01T10:00:00.123456",
        "payment_account_id": 18,
        "surprise": true
    }))
    .unwrap();
    assert_eq!(session.id, 55);
    assert_eq!(session.source_type, SourceType::Invoice);
    assert_eq!(session.status, SessionStatus::Active);
    assert_eq!(session.expires_at, ts("2025-06-01T10:15:00Z"));
    assert_eq!(session.created_at, ts("2025-06-01T10:00:00Z"));
    assert_eq!(session.payment_account_id, Some(18));
    let back: CheckoutSession = serde_json::from_value(to_value(&session)).unwrap();
    assert_eq!(back, session);
    assert_eq!(to_value(&session)["id"], json!(55));

    let without: CheckoutSession = serde_json::from_value(json!({
        "id": 56, "source_id": "102", "source_type": "ORDER", "status": "PENDING_PAYMENT",
        "expires_at": "2025-06-01T10:15:00+01:00", "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z", "payment_account_id": null
    }))
    .unwrap();
    assert_eq!(without.payment_account_id, None);
    assert_eq!(without.source_id, 102);
    assert_eq!(
        without.status,
        SessionStatus::Other("PENDING_PAYMENT".into())
    );
    assert_eq!(without.expires_at, ts("2025-06-01T09:15:00Z"));
}

#[test]
fn payout_session_sends_integer_account_and_never_wallet_or_expiry() {
    let request = CreatePayoutSessionRequest {
        payout_account_id: 18,
        amount: dec("250.00"),
        currency: "USD".into(),
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"payout_account_id":18,"amount":250.00,"currency":"USD"}"#
    );
    assert!(request.validate().is_ok());
    let bad = |f: &dyn Fn(&mut CreatePayoutSessionRequest)| {
        let mut r = request.clone();
        f(&mut r);
        refused_field(r.validate())
    };
    assert_eq!(bad(&|r| r.payout_account_id = 0), "payout_account_id");
    assert_eq!(bad(&|r| r.amount = dec("0")), "amount");
    assert_eq!(bad(&|r| r.amount = dec("10.005")), "amount");
    assert_eq!(bad(&|r| r.currency = "US".into()), "currency");
    assert_eq!(
        bad(&|r| {
            r.currency = "RWF".into();
            r.amount = dec("1500.5");
        }),
        "amount"
    );

    let session: PayoutSession = serde_json::from_str(
        r#"{"id": 77, "wallet_id": "9", "payout_account_id": 18, "amount": 250.00, "currency": "USD",
        "status": "ACTIVE", "expires_at": "2025-06-01T10:30:00Z",
        "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-01T10:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(
        (session.id, session.wallet_id, session.payout_account_id),
        (77, 9, 18)
    );
    assert_eq!(session.amount.to_string(), "250.00");
    assert_eq!(session.expires_at, ts("2025-06-01T10:30:00Z"));
    assert_eq!(
        serde_json::from_value::<PayoutSession>(to_value(&session)).unwrap(),
        session
    );
}

#[test]
fn transfer_and_refund_sessions() {
    let expires = ts("2026-06-15T18:00:00Z");
    let transfer = CreateTransferSessionRequest {
        from_wallet_id: 9,
        to_counterparty_id: 7,
        amount: dec("100.50"),
        currency: "USD".into(),
        expires_at: expires,
    };
    assert_eq!(
        serde_json::to_string(&transfer).unwrap(),
        r#"{"from_wallet_id":9,"to_counterparty_id":7,"amount":100.50,"currency":"USD","expires_at":"2026-06-15T18:00:00Z"}"#
    );
    assert!(transfer.validate().is_ok());
    let mut bad = transfer.clone();
    bad.to_counterparty_id = 0;
    assert_eq!(refused_field(bad.validate()), "to_counterparty_id");
    let mut bad = transfer.clone();
    bad.from_wallet_id = -3;
    assert_eq!(refused_field(bad.validate()), "from_wallet_id");

    let refund = CreateRefundSessionRequest {
        original_payment_intent_id: 314,
        amount: dec("25"),
        reason: None,
        expires_at: expires,
    };
    assert_eq!(
        serde_json::to_string(&refund).unwrap(),
        r#"{"original_payment_intent_id":314,"amount":25,"expires_at":"2026-06-15T18:00:00Z"}"#
    );
    let with_reason = CreateRefundSessionRequest {
        reason: Some("damaged".into()),
        ..refund.clone()
    };
    assert_eq!(to_value(&with_reason)["reason"], json!("damaged"));
    let mut bad = refund.clone();
    bad.amount = dec("0.001");
    assert_eq!(refused_field(bad.validate()), "amount");
    let mut bad = refund.clone();
    bad.original_payment_intent_id = 0;
    assert_eq!(refused_field(bad.validate()), "original_payment_intent_id");

    let ts_session: TransferSession = serde_json::from_value(json!({
        "id": 5, "from_wallet_id": 9, "to_counterparty_id": "7", "amount": "100.50", "currency": "USD",
        "status": "ACTIVE", "expires_at": "2026-06-15T18:00:00Z", "created_at": "2026-06-15T17:00:00Z",
        "updated_at": "2026-06-15T17:00:00Z"
    }))
    .unwrap();
    assert_eq!(ts_session.to_counterparty_id, 7);
    assert_eq!(ts_session.amount.to_string(), "100.50");

    let rf: RefundSession = serde_json::from_str(
        r#"{"id": 6, "original_payment_intent_id": 314, "amount": 25.00, "status": "ACTIVE",
        "expires_at": "2026-06-15T18:00:00Z", "created_at": "2026-06-15T17:00:00Z",
        "updated_at": "2026-06-15T17:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(rf.reason, None);
    assert_eq!(rf.amount.to_string(), "25.00");
    assert_eq!(
        serde_json::from_value::<RefundSession>(to_value(&rf)).unwrap(),
        rf
    );
}

// ---------------------------------------------------------------------------------------------
// Payment accounts

#[test]
fn payment_account_bodies_match_the_docs_examples() {
    let momo = CreatePaymentAccountRequest {
        account_name: "Amara MTN Wallet".into(),
        provider: Provider::MtnMomoLbr,
        method: PaymentMethod::MtnMomoLbr,
        party_id: 42,
        country_code: Some("LR".into()),
        insensitive_account_number: Some("231771234567".into()),
    };
    assert_eq!(
        to_value(&momo),
        json!({
            "account_name": "Amara MTN Wallet",
            "provider": "MTN_MOMO_LBR",
            "method": "MTN_MOMO_LBR",
            "party_id": 42,
            "country_code": "LR",
            "insensitive_account_number": "231771234567"
        })
    );
    assert!(momo.validate().is_ok());
    let card = CreatePaymentAccountRequest {
        account_name: "Customer Card".into(),
        provider: Provider::Stripe,
        method: PaymentMethod::CreditCard,
        party_id: 42,
        country_code: None,
        insensitive_account_number: None,
    };
    assert_eq!(
        serde_json::to_string(&card).unwrap(),
        r#"{"account_name":"Customer Card","provider":"STRIPE","method":"CREDIT_CARD","party_id":42}"#
    );
    assert!(card.validate().is_ok());

    let bad = |f: &dyn Fn(&mut CreatePaymentAccountRequest)| {
        let mut r = momo.clone();
        f(&mut r);
        refused_field(r.validate())
    };
    assert_eq!(bad(&|r| r.account_name = " ".into()), "account_name");
    assert_eq!(
        bad(&|r| r.provider = Provider::Other("MPESA".into())),
        "provider"
    );
    assert_eq!(
        bad(&|r| r.method = PaymentMethod::Other("M_PESA_KEN".into())),
        "method"
    );
    assert_eq!(bad(&|r| r.party_id = 0), "party_id");
    assert_eq!(
        bad(&|r| r.country_code = Some("LBR".into())),
        "country_code"
    );
    assert_eq!(
        bad(&|r| r.insensitive_account_number = Some("+231771234567".into())),
        "insensitive_account_number"
    );

    let account: PaymentAccount = serde_json::from_value(json!({
        "id": 18, "account_name": "Amara MTN Wallet", "provider": "PAWAPAY", "method": "MTN_MOMO_LBR",
        "party_id": "42", "is_active": true, "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z", "country_code": "LR", "account_ref": "xyz"
    }))
    .unwrap();
    assert_eq!(account.id, 18);
    assert_eq!(account.party_id, 42);
    assert_eq!(account.provider, Provider::Pawapay);
    assert_eq!(account.method, PaymentMethod::MtnMomoLbr);
    assert!(account.is_active);
    assert_eq!(account.country_code.as_deref(), Some("LR"));
    assert_eq!(
        serde_json::from_value::<PaymentAccount>(to_value(&account)).unwrap(),
        account
    );
    let no_country: PaymentAccount = serde_json::from_value(json!({
        "id": 19, "account_name": "Card", "provider": "STRIPE", "method": "CREDIT_CARD",
        "party_id": 42, "is_active": false, "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z"
    }))
    .unwrap();
    assert_eq!(no_country.country_code, None);
}

// ---------------------------------------------------------------------------------------------
// Status

#[test]
fn source_status_round_trips() {
    let paid: SourceStatusInfo = serde_json::from_str(
        r#"{"source_id": 101, "source_type": "INVOICE", "source_number": "INV-2025-0042",
        "status": "PAID", "currency": "USD", "total_amount": 250.00, "paid_at": "2025-06-01T10:20:00Z"}"#,
    )
    .unwrap();
    assert_eq!(paid.status, SourceStatus::Paid);
    assert_eq!(paid.total_amount.to_string(), "250.00");
    assert_eq!(paid.paid_at, Some(ts("2025-06-01T10:20:00Z")));
    assert!(serde_json::to_string(&paid)
        .unwrap()
        .contains(r#""total_amount":250.00"#));
    assert_eq!(
        serde_json::from_value::<SourceStatusInfo>(to_value(&paid)).unwrap(),
        paid
    );

    let active: SourceStatusInfo = serde_json::from_value(json!({
        "source_id": "102", "source_type": "ORDER", "source_number": "ORD-1",
        "status": "REFUNDED", "currency": "LRD", "total_amount": 1000
    }))
    .unwrap();
    assert_eq!(active.paid_at, None);
    assert_eq!(active.status, SourceStatus::Other("REFUNDED".into()));

    let query = SourceStatusQuery {
        source_type: SourceType::Subscription,
        source_id: 1,
    };
    assert!(
        query.validate().is_ok(),
        "the query enum accepts SUBSCRIPTION"
    );
    assert_eq!(
        refused_field(
            SourceStatusQuery {
                source_type: SourceType::Invoice,
                source_id: 0
            }
            .validate()
        ),
        "source_id"
    );
}

// ---------------------------------------------------------------------------------------------
// Predictions

#[test]
fn amount_and_fee_predictions_are_decimal_strings() {
    let body = r#"{"payer_amount":"253.75","payer_currency":"USD","payee_amount":"250.00","payee_currency":"USD",
        "platform_fee":"3.75","platform_currency":"USD","fx_fee":null,"gateway_fee":"0.0100","gateway_currency":"USD"}"#;
    let prediction: AmountAndFeePrediction = serde_json::from_str(body).unwrap();
    assert_eq!(prediction.payer_amount.to_string(), "253.75");
    assert_eq!(prediction.payee_amount.to_string(), "250.00");
    assert_eq!(prediction.platform_fee, dec("3.75"));
    assert_eq!(prediction.fx_fee, None);
    assert_eq!(
        prediction.gateway_fee.map(|d| d.to_string()).as_deref(),
        Some("0.0100")
    );
    let json = serde_json::to_string(&prediction).unwrap();
    assert!(
        json.contains(r#""platform_fee":"3.75""#) && json.contains(r#""payee_amount":"250.00""#),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<AmountAndFeePrediction>(&json).unwrap(),
        prediction
    );

    // Numbers instead of strings are tolerated; optional fields may be missing.
    let lenient: AmountAndFeePrediction = serde_json::from_str(
        r#"{"payer_amount":253.75,"payer_currency":"USD","payee_amount":250,"payee_currency":"USD","platform_fee":"3.75","platform_currency":"USD"}"#,
    )
    .unwrap();
    assert_eq!(lenient.payer_amount.to_string(), "253.75");
    assert_eq!(lenient.gateway_currency, None);
}

#[test]
fn prediction_queries_validate_their_fields() {
    let query = AmountAndFeesQuery {
        base_amount: dec("250"),
        base_currency: "USD".into(),
        target_currency: "LRD".into(),
        payment_method: PaymentMethod::MtnMomoLbr,
        operation_type: OperationType::Collection,
        provider: Provider::Pawapay,
        fee_bearer: FeeBearer::Payer,
        owner_type: None,
        owner_id: None,
    };
    assert!(query.validate().is_ok());
    let bad = |f: &dyn Fn(&mut AmountAndFeesQuery)| {
        let mut q = query.clone();
        f(&mut q);
        refused_field(q.validate())
    };
    assert_eq!(bad(&|q| q.base_amount = dec("-1")), "base_amount");
    assert_eq!(bad(&|q| q.base_currency = "usd".into()), "base_currency");
    assert_eq!(bad(&|q| q.target_currency = "LR".into()), "target_currency");
    assert_eq!(
        bad(&|q| q.payment_method = PaymentMethod::Other("X".into())),
        "payment_method"
    );
    assert_eq!(
        bad(&|q| q.operation_type = OperationType::Other("X".into())),
        "operation_type"
    );
    assert_eq!(
        bad(&|q| q.provider = Provider::Other("X".into())),
        "provider"
    );
    assert_eq!(
        bad(&|q| q.fee_bearer = FeeBearer::Other("BOTH".into())),
        "fee_bearer"
    );
    assert_eq!(
        bad(&|q| q.owner_type = Some(OwnerType::Other("X".into()))),
        "owner_type"
    );
    assert_eq!(bad(&|q| q.owner_id = Some(0)), "owner_id");

    let mmo = MmoProviderQuery {
        phone: "+231771234567".into(),
        operation_type: OperationType::Collection,
    };
    assert_eq!(refused_field(mmo.validate()), "phone");
    let card = CardProviderQuery {
        payment_method_id: "".into(),
        operation_type: OperationType::Collection,
        provider: None,
    };
    assert_eq!(refused_field(card.validate()), "payment_method_id");
    let card = CardProviderQuery {
        payment_method_id: "pm_1".into(),
        operation_type: OperationType::Collection,
        provider: Some(Provider::Other("ADYEN".into())),
    };
    assert_eq!(refused_field(card.validate()), "provider");
    let source = PaymentSourceAmountAndFeesQuery {
        target_currency: "USD".into(),
        payment_method: PaymentMethod::CreditCard,
        provider: Provider::Stripe,
        source_type: SourceType::Invoice,
        source_id: 0,
    };
    assert_eq!(refused_field(source.validate()), "source_id");
}

#[test]
fn mmo_provider_info_reads_currencies_as_a_list_or_a_string() {
    let info: MmoProviderInfo = serde_json::from_value(json!({
        "carrier": "MTN", "country": "LR", "currencies": ["USD", "LRD"], "phone": "231771234567",
        "payment_method": "MTN_MOMO_LBR", "gateway_provider": "PAWAPAY", "operation_type": "COLLECTION"
    }))
    .unwrap();
    assert_eq!(info.currencies, vec!["USD", "LRD"]);
    assert_eq!(info.payment_method, PaymentMethod::MtnMomoLbr);
    assert_eq!(info.gateway_provider, Provider::Pawapay);
    assert_eq!(
        serde_json::from_value::<MmoProviderInfo>(to_value(&info)).unwrap(),
        info
    );

    let single: MmoProviderInfo = serde_json::from_value(json!({
        "carrier": "MTN", "country": "RW", "currencies": "RWF", "phone": "250781234567",
        "payment_method": "MTN_MOMO_RWA", "gateway_provider": "PAWAPAY", "operation_type": "PAYOUT"
    }))
    .unwrap();
    assert_eq!(single.currencies, vec!["RWF"]);
    let joined: MmoProviderInfo = serde_json::from_value(json!({
        "carrier": "Orange", "country": "LR", "currencies": "USD, LRD", "phone": "231881234567",
        "payment_method": "ORANGE_MONEY_LBR", "gateway_provider": "NEW_AGGREGATOR", "operation_type": "COLLECTION"
    }))
    .unwrap();
    assert_eq!(joined.currencies, vec!["USD", "LRD"]);
    assert_eq!(
        joined.gateway_provider,
        Provider::Other("NEW_AGGREGATOR".into())
    );
}

#[test]
fn card_provider_info_has_only_optional_fields() {
    let empty: CardProviderInfo = serde_json::from_str("{}").unwrap();
    assert_eq!(empty.brand, None);
    assert_eq!(empty.currencies, None);
    let full: CardProviderInfo = serde_json::from_value(json!({
        "brand": "visa", "country": "US", "currencies": ["USD"], "payment_method": "CREDIT_CARD",
        "gateway_provider": "STRIPE", "funding": "credit"
    }))
    .unwrap();
    assert_eq!(full.currencies, Some(vec!["USD".to_string()]));
    assert_eq!(full.payment_method, Some(PaymentMethod::CreditCard));
    assert_eq!(full.gateway_provider, Some(Provider::Stripe));
}

// ---------------------------------------------------------------------------------------------
// Fees, merchants, realtime

fn gateway_fee_json(percentage: Value) -> Value {
    json!({
        "id": 1, "provider_id": 3, "operation_type": "COLLECTION", "payment_method": "MTN_MOMO_LBR",
        "percentage": percentage, "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-01T10:00:00Z",
        "fixed_fee": null, "fixed_fee_currency": null, "effective_from": "2025-06-01", "effective_to": null
    })
}

#[test]
fn gateway_fees_read_an_array_or_a_single_object_exactly() {
    // As text, so `1.50` reaches the decoder with its trailing zero.
    let array = r#"[{"id":1,"provider_id":3,"operation_type":"COLLECTION","payment_method":"MTN_MOMO_LBR","percentage":1.50,
        "created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z","fixed_fee":0.25,"fixed_fee_currency":"USD"}]"#;
    let fees: GatewayFees = serde_json::from_str(array).unwrap();
    assert_eq!(fees.0.len(), 1);
    assert_eq!(fees.0[0].percentage.to_string(), "1.50");
    assert_eq!(
        fees.0[0].fixed_fee.map(|d| d.to_string()).as_deref(),
        Some("0.25")
    );
    assert_eq!(fees.0[0].effective_from, None);

    let single: GatewayFees = serde_json::from_value(gateway_fee_json(json!("2.5"))).unwrap();
    assert_eq!(single.0.len(), 1);
    assert_eq!(single.0[0].percentage, dec("2.5"));
    assert_eq!(single.0[0].effective_from, Some(ts("2025-06-01T00:00:00Z")));
    assert_eq!(to_value(&single)[0]["id"], json!(1));
    let empty: GatewayFees = serde_json::from_str("[]").unwrap();
    assert!(empty.0.is_empty());
}

#[test]
fn platform_fee_percentages_are_strings_and_tiers_nest() {
    let fee: PlatformFee = serde_json::from_value(json!({
        "id": 4, "operation_type": "COLLECTION", "percentage": "1.50", "fx_percentage": "0.75",
        "effective_from": "2025-01-01T00:00:00Z", "created_at": "2025-01-01T00:00:00Z",
        "payment_method": null, "fixed_fee": null, "effective_to": null,
        "tier": {"id": 1, "name": "default", "is_default": true, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
    }))
    .unwrap();
    assert_eq!(fee.percentage.to_string(), "1.50");
    assert_eq!(fee.fx_percentage.to_string(), "0.75");
    assert_eq!(fee.tier.as_ref().map(|t| t.name.as_str()), Some("default"));
    let json = to_value(&fee);
    assert_eq!(json["percentage"], json!("1.50"));
    assert_eq!(serde_json::from_value::<PlatformFee>(json).unwrap(), fee);

    let tier: MerchantFeeTier = serde_json::from_value(json!({
        "id": 2, "owner_type": "ORGANIZATION", "owner_id": "42", "assigned_at": "2025-02-01T00:00:00Z",
        "assigned_by": null,
        "tier": {"id": 1, "name": "default", "is_default": true, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
    }))
    .unwrap();
    assert_eq!(tier.owner_type, OwnerType::Organization);
    assert_eq!(tier.owner_id, 42);
    assert_eq!(tier.assigned_by, None);
    assert!(tier.tier.is_default);

    let tiers: Vec<FeeTier> = serde_json::from_value(json!([
        {"id": 1, "name": "default", "is_default": true, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"},
        {"id": 2, "name": "growth", "is_default": false, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
    ]))
    .unwrap();
    assert_eq!(tiers[1].name, "growth");

    assert_eq!(
        refused_field(
            PlatformFeeQuery {
                operation_type: OperationType::Payout,
                fee_tier_name: "".into()
            }
            .validate()
        ),
        "fee_tier_name"
    );
    assert_eq!(
        refused_field(
            MerchantTierQuery {
                owner_type: OwnerType::User,
                owner_id: 0
            }
            .validate()
        ),
        "owner_id"
    );
    assert_eq!(
        refused_field(
            GatewayFeeQuery {
                payment_method: PaymentMethod::Wallet,
                operation_type: OperationType::Other("X".into())
            }
            .validate()
        ),
        "operation_type"
    );
}

#[test]
fn merchant_info_uses_the_wire_name_type() {
    let info: MerchantInfo = serde_json::from_value(json!({
        "id": 42, "name": "Acme Liberia", "type": "ORGANIZATION", "email": null, "phone": "231771234567"
    }))
    .unwrap();
    assert_eq!(info.merchant_type, MerchantType::Organization);
    assert_eq!(info.email, None);
    assert_eq!(to_value(&info)["type"], json!("ORGANIZATION"));
    let minimal: MerchantInfo =
        serde_json::from_value(json!({"id": "7", "name": "Solo", "type": "COOPERATIVE"})).unwrap();
    assert_eq!(
        minimal.merchant_type,
        MerchantType::Other("COOPERATIVE".into())
    );
    assert_eq!(minimal.phone, None);
    assert_eq!(
        refused_field(
            MerchantInfoQuery {
                merchant_id: 42,
                merchant_type: MerchantType::Other("X".into())
            }
            .validate()
        ),
        "merchant_type"
    );
}

#[test]
fn realtime_key_request_sends_an_integer_session_id() {
    let request = RealtimeKeyRequest {
        session_id: 55,
        source_type: SourceType::Invoice,
        reference_id: REF.into(),
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        format!(r#"{{"session_id":55,"source_type":"INVOICE","reference_id":"{REF}"}}"#)
    );
    assert_eq!(request.channel(), format!("payment-intent:55:{REF}"));
    assert!(request.validate().is_ok());
    let bad = |f: &dyn Fn(&mut RealtimeKeyRequest)| {
        let mut r = request.clone();
        f(&mut r);
        refused_field(r.validate())
    };
    assert_eq!(bad(&|r| r.session_id = 0), "session_id");
    assert_eq!(
        bad(&|r| r.source_type = SourceType::Subscription),
        "source_type"
    );
    assert_eq!(bad(&|r| r.reference_id = "x".into()), "reference_id");

    let key: RealtimeKey =
        serde_json::from_str(r#"{"access_token":"eyJhbGciOi.realtime","expires_in":300,"x":1}"#)
            .unwrap();
    assert_eq!(key.expires_in, 300);
    assert_eq!(key.access_token.expose(), "eyJhbGciOi.realtime");
    assert!(!format!("{key:?}").contains("eyJhbGciOi"));
}
