//! The payment resources end to end against the in-process sandbox: operator predictions for the
//! test numbers, fees, merchant info, the four sessions, payment accounts, every status endpoint,
//! predictions for a published invoice, and a realtime key. Executions go through
//! `client.executions()`; the sandbox is asked to settle them so nothing waits on wall-clock time.

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;

use chrono::{Duration, Utc};
use dollr_core::models::*;
use dollr_core::*;
use dollr_sandbox::{Sandbox, SandboxConfig};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn new_reference() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn start() -> (Sandbox, Client) {
    // Every payment here is settled with `advance_to_final`, which fails on a payment that is
    // already final: a settle time no run reaches keeps the sandbox clock from finishing one
    // first when the test is descheduled between the POST and the advance.
    let sandbox = Sandbox::start(SandboxConfig::for_tests(600_000))
        .await
        .unwrap();
    let client = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .build()
        .unwrap();
    (sandbox, client)
}

/// A published USD invoice of 250.00 for a customer paying from `phone`.
async fn published_invoice(client: &Client, phone: &str) -> (Id, Id) {
    let party = client
        .parties()
        .create(&CreatePartyRequest::new("Amara Kamara", phone))
        .await
        .unwrap();
    let counterparty = client
        .counterparties()
        .create(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            party.id,
        ))
        .await
        .unwrap();
    let invoice = client
        .invoices()
        .create(&CreateSourceRequest::new(
            counterparty.id,
            "USD",
            "June order",
            FeeBearer::Payer,
        ))
        .await
        .unwrap();
    client
        .invoices()
        .add_item(
            invoice.id,
            &AddItemRequest::new("Rice 25kg", "USD", 2, dec("125.00")),
        )
        .await
        .unwrap();
    client.invoices().publish(invoice.id).await.unwrap();
    (invoice.id, party.id)
}

#[tokio::test]
async fn mmo_predictions_route_the_test_numbers() {
    let (_sandbox, client) = start().await;
    for (phone, method, carrier, country, currency) in [
        (
            "231771234567",
            PaymentMethod::MtnMomoLbr,
            "MTN",
            "LR",
            "LRD",
        ),
        (
            "231881234567",
            PaymentMethod::OrangeMoneyLbr,
            "Orange",
            "LR",
            "USD",
        ),
        (
            "250781234567",
            PaymentMethod::MtnMomoRwa,
            "MTN",
            "RW",
            "RWF",
        ),
    ] {
        let info = client
            .predictions()
            .mmo_provider_info(phone, OperationType::Collection)
            .await
            .unwrap();
        assert_eq!(info.payment_method, method, "{phone}");
        assert_eq!(info.gateway_provider, Provider::Pawapay, "{phone}");
        assert_eq!(info.operation_type, OperationType::Collection);
        assert_eq!(info.phone, phone);
        assert_eq!(
            (info.carrier.as_str(), info.country.as_str()),
            (carrier, country),
            "{info:?}"
        );
        assert!(info.currencies.iter().any(|c| c == currency), "{info:?}");
    }
    let card = client
        .predictions()
        .card_provider_info(&CardProviderQuery {
            payment_method_id: "pm_card_visa".into(),
            operation_type: OperationType::Collection,
            provider: Some(Provider::Stripe),
        })
        .await
        .unwrap();
    assert_eq!(card.payment_method, Some(PaymentMethod::CreditCard));
    assert_eq!(card.gateway_provider, Some(Provider::Stripe));

    let prediction = client
        .predictions()
        .amount_and_fees(&AmountAndFeesQuery {
            base_amount: dec("250.00"),
            base_currency: "USD".into(),
            target_currency: "USD".into(),
            payment_method: PaymentMethod::MtnMomoLbr,
            operation_type: OperationType::Collection,
            provider: Provider::Pawapay,
            fee_bearer: FeeBearer::Payer,
            owner_type: None,
            owner_id: None,
        })
        .await
        .unwrap();
    assert_eq!(prediction.payer_currency, "USD");
    // The payer carries the fees on top of the base amount.
    assert!(prediction.payer_amount > dec("250.00"), "{prediction:?}");
    assert_eq!(prediction.payee_amount, dec("250.00"), "{prediction:?}");
}

#[tokio::test]
async fn fees_and_merchant_info() {
    let (_sandbox, client) = start().await;
    let tiers = client.fees().tiers().await.unwrap();
    assert_eq!(
        tiers.iter().filter(|t| t.is_default).count(),
        1,
        "{tiers:?}"
    );
    let assigned = client
        .fees()
        .merchant_tier(OwnerType::Organization, 1)
        .await
        .unwrap();
    assert_eq!(assigned.owner_id, 1);
    let platform = client
        .fees()
        .platform(OperationType::Collection, &assigned.tier.name)
        .await
        .unwrap();
    assert_eq!(platform.operation_type, OperationType::Collection);
    assert_eq!(
        platform.tier.as_ref().map(|t| t.name.as_str()),
        Some(assigned.tier.name.as_str())
    );
    assert!(platform.percentage >= Decimal::ZERO);
    let gateway = client
        .fees()
        .gateway(PaymentMethod::MtnMomoLbr, OperationType::Collection)
        .await
        .unwrap();
    assert_eq!(gateway.len(), 1);
    assert_eq!(gateway[0].payment_method, PaymentMethod::MtnMomoLbr);
    let info = client
        .merchants()
        .info(1, MerchantType::Organization)
        .await
        .unwrap();
    assert_eq!(
        (info.id, info.merchant_type),
        (1, MerchantType::Organization)
    );
    assert!(!info.name.is_empty());
    let missing = client
        .merchants()
        .info(999, MerchantType::Organization)
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn collection_then_refund_with_every_status_endpoint() {
    let (sandbox, client) = start().await;
    let phone = "231771234567";
    let (invoice_id, party_id) = published_invoice(&client, phone).await;

    let source_quote = client
        .predictions()
        .payment_source_amount_and_fees(&PaymentSourceAmountAndFeesQuery {
            target_currency: "USD".into(),
            payment_method: PaymentMethod::MtnMomoLbr,
            provider: Provider::Pawapay,
            source_type: SourceType::Invoice,
            source_id: invoice_id,
        })
        .await
        .unwrap();
    assert_eq!(source_quote.payee_amount, dec("250.00"), "{source_quote:?}");

    let session = client
        .sessions()
        .checkout(&CreateCheckoutSessionRequest {
            source_id: invoice_id,
            source_type: SourceType::Invoice,
        })
        .await
        .unwrap();
    assert_eq!(session.source_id, invoice_id);
    assert_eq!(session.source_type, SourceType::Invoice);
    assert!(session.expires_at > session.created_at);

    let mmo = client
        .predictions()
        .mmo_provider_info(phone, OperationType::Collection)
        .await
        .unwrap();
    let account = client
        .payment_accounts()
        .create(
            OperationType::Collection,
            &CreatePaymentAccountRequest {
                account_name: "Amara MTN Wallet".into(),
                provider: mmo.gateway_provider.clone(),
                method: mmo.payment_method.clone(),
                party_id,
                country_code: Some("LR".into()),
                insensitive_account_number: Some(phone.into()),
            },
        )
        .await
        .unwrap();
    assert!(account.is_active);
    assert_eq!(account.party_id, party_id);
    assert_eq!(account.method, PaymentMethod::MtnMomoLbr);

    let reference = new_reference();
    let realtime = client
        .realtime_keys()
        .collection(&RealtimeKeyRequest {
            session_id: session.id,
            source_type: SourceType::Invoice,
            reference_id: reference.clone(),
        })
        .await
        .unwrap();
    assert!(realtime.expires_in > 0 && !realtime.access_token.is_empty());

    let executed = client
        .executions()
        .collection(&CollectionExecutionRequest {
            session_id: session.id,
            payment_account_id: account.id,
            currency: "USD".into(),
            reference_id: reference.clone(),
        })
        .await
        .unwrap();
    assert_eq!(executed.reference_id, reference);
    sandbox.advance_to_final(&reference).unwrap();
    let done = client.status().collection(&reference).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Completed, "{done:?}");
    assert_eq!(done.operation_type, OperationType::Collection);
    assert_eq!(done.payer_amount, source_quote.payer_amount);
    assert_eq!(
        client
            .status()
            .execution(OperationType::Collection, &reference)
            .await
            .unwrap(),
        done
    );

    let source = client
        .status()
        .source(SourceType::Invoice, invoice_id)
        .await
        .unwrap();
    assert_eq!(source.status, SourceStatus::Paid);
    assert_eq!(source.total_amount, dec("250.00"));
    assert!(source.paid_at.is_some());

    // Refund part of it: the payment intent id comes from the merchant portal (here, the sandbox).
    let intents = sandbox.payment_intents();
    let intent_id = intents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference_id"] == reference.as_str())
        .and_then(|i| i["id"].as_i64())
        .unwrap();
    let refund_session = client
        .sessions()
        .refund(&CreateRefundSessionRequest {
            original_payment_intent_id: intent_id,
            amount: dec("10.00"),
            reason: Some("one bag damaged".into()),
            expires_at: Utc::now() + Duration::minutes(15),
        })
        .await
        .unwrap();
    assert_eq!(refund_session.original_payment_intent_id, intent_id);
    assert_eq!(refund_session.amount, dec("10.00"));
    let refund_reference = new_reference();
    client
        .executions()
        .refund(&RefundExecutionRequest {
            session_id: refund_session.id,
            reference_id: refund_reference.clone(),
        })
        .await
        .unwrap();
    sandbox.advance_to_final(&refund_reference).unwrap();
    let refunded = client.status().refund(&refund_reference).await.unwrap();
    assert_eq!(refunded.operation_type, OperationType::Refund);
    assert_eq!(refunded.status, ExecutionStatus::Completed, "{refunded:?}");

    // More than was paid is refused by the API as a validation error naming the field.
    let too_much = client
        .sessions()
        .refund(&CreateRefundSessionRequest {
            original_payment_intent_id: intent_id,
            amount: dec("100000"),
            reason: None,
            expires_at: Utc::now() + Duration::minutes(15),
        })
        .await
        .unwrap_err();
    assert_eq!(too_much.kind(), ErrorKind::Validation, "{too_much:?}");
    assert_eq!(too_much.details()[0].field(), "amount");

    // An unknown reference is NotFound.
    let unknown = client.status().payout(&new_reference()).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn payout_then_transfer() {
    let (sandbox, client) = start().await;
    let beneficiary = client
        .parties()
        .create(&CreatePartyRequest::new("Musu Dolo", "231881234567"))
        .await
        .unwrap();
    let account = client
        .payment_accounts()
        .create(
            OperationType::Payout,
            &CreatePaymentAccountRequest {
                account_name: "Musu Orange".into(),
                provider: Provider::Pawapay,
                method: PaymentMethod::OrangeMoneyLbr,
                party_id: beneficiary.id,
                country_code: Some("LR".into()),
                insensitive_account_number: Some("231881234567".into()),
            },
        )
        .await
        .unwrap();
    let session = client
        .sessions()
        .payout(&CreatePayoutSessionRequest {
            payout_account_id: account.id,
            amount: dec("20.50"),
            currency: "USD".into(),
        })
        .await
        .unwrap();
    assert_eq!(session.payout_account_id, account.id);
    assert_eq!(session.amount, dec("20.50"));
    assert_eq!(session.currency, "USD");
    assert!(session.wallet_id > 0);
    assert!(session.expires_at > session.created_at);

    let reference = new_reference();
    client
        .executions()
        .payout(&PayoutExecutionRequest {
            session_id: session.id,
            payout_account_id: account.id,
            reference_id: reference.clone(),
            passcode: Passcode {
                token: PasscodeToken {
                    code: Secret::new(sandbox.passcode()),
                    user_id: None,
                    phone: Some("231771234567".into()),
                },
                device: PasscodeDevice {
                    name: "payout-worker-1".into(),
                    device_type: "SERVER".into(),
                    platform: "RUST".into(),
                    user_agent: "dollr-core-tests".into(),
                    client_ip: "203.0.113.10".into(),
                },
            },
        })
        .await
        .unwrap();
    sandbox.advance_to_final(&reference).unwrap();
    let paid_out = client
        .status()
        .execution(OperationType::Payout, &reference)
        .await
        .unwrap();
    assert_eq!(paid_out.operation_type, OperationType::Payout);
    assert_eq!(paid_out.status, ExecutionStatus::Completed, "{paid_out:?}");

    // Transfer from the wallet the payout debited to a counterparty.
    let counterparty = client
        .counterparties()
        .create(&CreateCounterpartyRequest::new(
            RelationshipType::Supplier,
            beneficiary.id,
        ))
        .await
        .unwrap();
    let transfer = client
        .sessions()
        .transfer(&CreateTransferSessionRequest {
            from_wallet_id: session.wallet_id,
            to_counterparty_id: counterparty.id,
            amount: dec("5.25"),
            currency: "USD".into(),
            expires_at: Utc::now() + Duration::minutes(10),
        })
        .await
        .unwrap();
    assert_eq!(
        (transfer.from_wallet_id, transfer.to_counterparty_id),
        (session.wallet_id, counterparty.id)
    );
    assert_eq!(transfer.amount, dec("5.25"));
    let transfer_reference = new_reference();
    client
        .executions()
        .transfer(&TransferExecutionRequest {
            session_id: transfer.id,
            reference_id: transfer_reference.clone(),
        })
        .await
        .unwrap();
    sandbox.advance_to_final(&transfer_reference).unwrap();
    let moved = client.status().transfer(&transfer_reference).await.unwrap();
    assert_eq!(moved.operation_type, OperationType::Transfer);
    assert_eq!(moved.status, ExecutionStatus::Completed, "{moved:?}");

    // A payout account of another operation type is refused by the API.
    let wrong = client
        .sessions()
        .payout(&CreatePayoutSessionRequest {
            payout_account_id: 999,
            amount: dec("1.00"),
            currency: "USD".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Validation, "{wrong:?}");
    assert_eq!(wrong.details()[0].field(), "payout_account_id");
}
