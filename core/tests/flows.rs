//! The flows end to end against the in-process sandbox: every step, every id, the progress events
//! in order, the status transitions as they happen, the receipt; starting from existing objects;
//! payout-account reuse; FAILED and slow payments; the wait deadline and resuming after it; the
//! hosted-checkout path (never trusting the redirect); transfer and refund; validation before
//! anything is sent; and the two checked steps (a lost item answer, a 5xx on a create).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dollr_core::flows::FlowOptions;
use dollr_core::models::*;
use dollr_core::*;
use dollr_sandbox::{FaultRule, FaultScope, Sandbox, SandboxConfig};
use serde_json::Value;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

async fn start(settle_ms: u64) -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(settle_ms))
        .await
        .unwrap();
    let client = client_for(&sandbox);
    (sandbox, client)
}

fn client_for(sandbox: &Sandbox) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .build()
        .unwrap()
}

/// Fast polling, a generous deadline, and a recorder of every progress event.
fn recorded() -> (FlowOptions, Arc<Mutex<Vec<FlowProgress>>>) {
    recorded_with(None)
}

/// [`recorded`], and each payment moves one step in `sandbox` (started with a settle time no run
/// reaches) right after the flow reported the status it is in. So the flow observes every
/// status, PENDING, PROCESSING, then the final one, however long the test is descheduled: no
/// state lasts only a window a poll has to hit.
fn stepped(sandbox: &Sandbox) -> (FlowOptions, Arc<Mutex<Vec<FlowProgress>>>) {
    recorded_with(Some((sandbox.clone(), None)))
}

/// `step`: the sandbox to advance on each reported in-flight status, and the status to stop at.
fn recorded_with(
    step: Option<(Sandbox, Option<ExecutionStatus>)>,
) -> (FlowOptions, Arc<Mutex<Vec<FlowProgress>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = FlowOptions::default()
        .wait_timeout(Duration::from_secs(20))
        .poll_interval(Duration::from_millis(10))
        .max_poll_interval(Duration::from_millis(50))
        .on_progress(move |p| {
            sink.lock().unwrap().push(p.clone());
            if let (
                Some((sandbox, stop_at)),
                FlowEvent::StatusChanged {
                    reference_id,
                    transition,
                    ..
                },
            ) = (&step, &p.event)
            {
                if !transition.to.is_terminal() && stop_at.as_ref() != Some(&transition.to) {
                    // A panic here is caught by the flow; the flow then never settles and the
                    // test fails on its outcome.
                    sandbox.advance(reference_id).unwrap();
                }
            }
        });
    (options, events)
}

fn names(events: &Arc<Mutex<Vec<FlowProgress>>>) -> Vec<&'static str> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.event.name())
        .collect()
}

/// How many requests the sandbox saw on `route` (e.g. `POST /v1/parties/create`).
fn route_count(sandbox: &Sandbox, route: &str) -> u64 {
    sandbox.stats()["requests"]["by_route"][route]
        .as_u64()
        .unwrap_or(0)
}

fn statuses(transitions: &[StatusTransition]) -> Vec<String> {
    transitions.iter().map(|t| t.to.to_string()).collect()
}

fn assert_exactly_once(sandbox: &Sandbox) {
    let stats = sandbox.stats();
    assert_eq!(stats["duplicate_payments"], 0, "{stats:#}");
    // The sandbox keys executions by reference id, so "one execution per reference id" shows as
    // every created execution having its own reference id.
    let by_reference = stats["executions"]["by_reference_id"].as_object().unwrap();
    let created = by_reference
        .values()
        .filter(|e| e["created"] == true)
        .count() as u64;
    assert_eq!(
        Some(created),
        stats["executions"]["created"].as_u64(),
        "{stats:#}"
    );
}

#[tokio::test]
async fn collect_runs_every_step_and_reports_each_as_it_happens() {
    // Stepped by the test (see `stepped`): every status is observed, whatever the scheduling.
    let (sandbox, client) = start(600_000).await;
    let (options, events) = stepped(&sandbox);
    let request = CollectRequest::new(test_numbers::COMPLETES, dec("250.00"), "USD")
        .with_payer_name("Amara Kamara")
        .with_payer_email("amara@example.com")
        .with_items(vec![
            LineItem::new("Strategy session", 1, dec("200.00")),
            LineItem::new("Report", 2, dec("25.00")),
        ])
        .with_options(options);
    let outcome = client.collect(&request).await.unwrap();

    assert!(outcome.is_completed(), "{outcome:#?}");
    assert!(outcome.settled);
    assert!(outcome.party_created && outcome.counterparty_created && outcome.source_created);
    assert!(!outcome.payment_account_reused);
    assert_eq!(outcome.source_type, SourceType::Invoice);
    assert!(
        outcome.source_number.starts_with("INV-"),
        "{}",
        outcome.source_number
    );
    assert_eq!(outcome.total_amount, dec("250.00"));
    assert_eq!(outcome.currency, "USD");
    assert_eq!(outcome.pay_currency, "USD");
    assert_eq!(outcome.provider.payment_method, PaymentMethod::MtnMomoLbr);
    let fees = outcome.fee_prediction.as_ref().expect("fees predicted");
    assert_eq!(fees.payee_currency, "USD");
    assert!(
        fees.payer_amount >= dec("250.00"),
        "the payer bears the fees: {fees:?}"
    );
    assert_eq!(outcome.execution.reference_id, outcome.reference_id);
    assert_eq!(
        outcome.execution.payer_amount, fees.payer_amount,
        "the prediction matches what was charged"
    );

    // The status machine as observed: PENDING -> PROCESSING -> COMPLETED, in time order.
    assert_eq!(
        statuses(&outcome.transitions),
        ["PENDING", "PROCESSING", "COMPLETED"]
    );
    assert_eq!(outcome.transitions[0].from, None);
    assert_eq!(
        outcome.transitions[2].from,
        Some(ExecutionStatus::Processing)
    );
    assert!(outcome
        .transitions
        .windows(2)
        .all(|w| w[0].elapsed <= w[1].elapsed && w[0].at <= w[1].at));

    // The document is PAID and its receipt carries the lines and the fee breakdown.
    assert_eq!(outcome.source_status, Some(SourceStatus::Paid));
    let receipt = outcome.receipt.as_ref().expect("receipt");
    assert_eq!(receipt.number(), outcome.source_number);
    assert_eq!(receipt.items().len(), 2);
    assert_eq!(receipt.payer_amount(), Some(outcome.execution.payer_amount));
    assert_eq!(receipt.counterparty_name(), "Amara Kamara");
    assert!(receipt.platform_fee().is_some());

    // Progress came in step order, each step once, with the transitions as they happened.
    assert_eq!(
        names(&events),
        [
            "validated",
            "provider_predicted",
            "party_ready",
            "counterparty_ready",
            "source_created",
            "item_added",
            "item_added",
            "source_published",
            "fees_predicted",
            "payment_account_ready",
            "session_created",
            "execution_starting",
            "execution_submitted",
            "status_changed",
            "status_changed",
            "status_changed",
            "receipt_fetched",
        ]
    );
    let events = events.lock().unwrap();
    assert!(events.windows(2).all(|w| w[0].elapsed <= w[1].elapsed));
    let party_id = events.iter().find_map(|p| match &p.event {
        FlowEvent::PartyReady {
            party_id,
            created: true,
            ..
        } => Some(*party_id),
        _ => None,
    });
    assert_eq!(party_id, Some(outcome.party_id));
    assert_exactly_once(&sandbox);
    assert_eq!(sandbox.stats()["executions"]["created"], 1);
}

#[tokio::test]
async fn collect_starts_from_existing_party_counterparty_or_invoice() {
    let (sandbox, client) = start(20).await;
    let party = client
        .parties()
        .create(&CreatePartyRequest::new(
            "Musu Kollie",
            test_numbers::COMPLETES,
        ))
        .await
        .unwrap();
    let (options, _) = recorded();

    // From a party: only the counterparty and the invoice are created.
    let from_party = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES, dec("10.00"), "USD")
                .with_party_id(party.id)
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    assert!(from_party.is_completed());
    assert_eq!(from_party.party_id, party.id);
    assert!(
        !from_party.party_created && from_party.counterparty_created && from_party.source_created
    );
    assert_eq!(
        route_count(&sandbox, "POST /v1/parties/create"),
        1,
        "no second party"
    );

    // From the counterparty: only the invoice; the payment account is remembered for this party
    // and wallet, so it is reused.
    let from_counterparty = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES, dec("11.00"), "USD")
                .with_counterparty_id(from_party.counterparty_id)
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    assert!(from_counterparty.is_completed());
    assert_eq!(
        from_counterparty.party_id, party.id,
        "the party is found through the counterparty"
    );
    assert!(!from_counterparty.counterparty_created && from_counterparty.source_created);
    assert!(from_counterparty.payment_account_reused);
    assert_eq!(
        from_counterparty.payment_account_id,
        from_party.payment_account_id
    );
    assert_eq!(route_count(&sandbox, "POST /v1/counterparties/create"), 1);
    assert_eq!(route_count(&sandbox, "POST /v1/payment-accounts/create"), 1);

    // From an IDLE invoice built by hand: the flow publishes and pays it, creating nothing.
    let invoice = client
        .invoices()
        .create(&CreateSourceRequest::new(
            from_party.counterparty_id,
            "USD",
            "Hand-made",
            FeeBearer::Payee,
        ))
        .await
        .unwrap();
    client
        .invoices()
        .add_item(
            invoice.id,
            &AddItemRequest::new("Bag of rice", "USD", 3, dec("12.50")),
        )
        .await
        .unwrap();
    let from_invoice = client
        .collect(
            &CollectRequest::for_source(test_numbers::COMPLETES, SourceType::Invoice, invoice.id)
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    assert!(from_invoice.is_completed());
    assert!(
        !from_invoice.source_created
            && !from_invoice.party_created
            && !from_invoice.counterparty_created
    );
    assert_eq!(from_invoice.source_id, invoice.id);
    assert_eq!(from_invoice.total_amount, dec("37.50"));
    assert_eq!(from_invoice.party_id, party.id);
    assert_eq!(from_invoice.source_status, Some(SourceStatus::Paid));
    assert_eq!(route_count(&sandbox, "POST /v1/invoices/create"), 3);

    // A PAID document cannot be paid again: refused before any money moves.
    let again = client
        .collect(
            &CollectRequest::for_source(test_numbers::COMPLETES, SourceType::Invoice, invoice.id)
                .with_options(options),
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");
    assert_eq!(sandbox.stats()["executions"]["created"], 3);
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn collect_bills_an_order_and_fetches_its_receipt() {
    let (sandbox, client) = start(20).await;
    let (options, _) = recorded();
    let outcome = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES_MTN_RW, dec("5000"), "RWF")
                .with_payer_name("Aline Uwase")
                .with_source_type(SourceType::Order)
                .with_options(options),
        )
        .await
        .unwrap();
    assert!(outcome.is_completed());
    assert_eq!(outcome.source_type, SourceType::Order);
    assert!(
        outcome.source_number.starts_with("ORD-"),
        "{}",
        outcome.source_number
    );
    assert_eq!(outcome.pay_currency, "RWF");
    assert_eq!(outcome.provider.payment_method, PaymentMethod::MtnMomoRwa);
    match outcome.receipt.as_ref().unwrap() {
        SourceReceipt::Order(receipt) => assert_eq!(receipt.order_id, outcome.source_id),
        other => panic!("expected an order receipt, got {other:?}"),
    }
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn a_declined_collection_is_a_failed_outcome_not_an_error() {
    let (sandbox, client) = start(20).await;
    let (options, _) = recorded();
    let outcome = client
        .collect(
            &CollectRequest::new(test_numbers::DECLINES, dec("15.00"), "USD")
                .with_payer_name("Joe")
                .with_options(options),
        )
        .await
        .unwrap();
    assert_eq!(outcome.status(), &ExecutionStatus::Failed);
    assert!(outcome.settled && !outcome.is_completed());
    let message = outcome
        .execution
        .gateway_message
        .clone()
        .unwrap_or_default();
    assert!(message.to_lowercase().contains("declined"), "{message}");
    assert_eq!(
        statuses(&outcome.transitions).last().map(String::as_str),
        Some("FAILED")
    );
    assert!(outcome.receipt.is_none() && outcome.source_status.is_none());
    // The document is payable again, so the caller may retry with a new payment.
    let status = client
        .status()
        .source(SourceType::Invoice, outcome.source_id)
        .await
        .unwrap();
    assert_eq!(status.status, SourceStatus::Active);
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn a_payment_still_in_flight_at_the_deadline_is_returned_and_can_be_resumed() {
    // A slow payment: the sandbox moves it to PROCESSING once the flow saw it PENDING, and no
    // further until the test says so (a settle time no run reaches). So it is in flight when the
    // flow's 200 ms wait ends, however the test is scheduled.
    let (sandbox, client) = start(600_000).await;
    let (options, events) =
        recorded_with(Some((sandbox.clone(), Some(ExecutionStatus::Processing))));
    let options = options.wait_timeout(Duration::from_millis(200));
    let outcome = client
        .collect(
            &CollectRequest::new(test_numbers::SLOW, dec("20.00"), "USD")
                .with_payer_name("Slow Payer")
                .with_options(options),
        )
        .await
        .unwrap();
    assert!(!outcome.settled, "{outcome:#?}");
    // The last status the flow saw: PROCESSING unless its one poll (which has at least 1 s)
    // did not answer before the deadline; never a final one.
    assert!(
        matches!(
            outcome.status(),
            ExecutionStatus::Pending | ExecutionStatus::Processing
        ),
        "{outcome:#?}"
    );
    assert_eq!(
        sandbox.stats()["executions"]["by_reference_id"][&outcome.reference_id]["status"],
        "PROCESSING"
    );
    assert!(outcome.receipt.is_none());
    let still = events.lock().unwrap().iter().find_map(|p| match &p.event {
        FlowEvent::StillProcessing {
            reference_id,
            status,
            ..
        } => Some((reference_id.clone(), status.clone())),
        _ => None,
    });
    assert_eq!(
        still,
        Some((outcome.reference_id.clone(), outcome.status().clone()))
    );
    // The operator answers; resume with the same reference id: never a new payment.
    assert_eq!(
        sandbox.advance_to_final(&outcome.reference_id).unwrap(),
        "COMPLETED"
    );
    let wait = WaitOptions {
        timeout: Duration::from_secs(20),
        initial_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(100),
        ..WaitOptions::default()
    };
    let finished = client
        .status()
        .wait(OperationType::Collection, &outcome.reference_id, wait)
        .await
        .unwrap();
    assert_eq!(
        finished.execution().map(|e| e.status.clone()),
        Some(ExecutionStatus::Completed)
    );
    assert_eq!(sandbox.stats()["executions"]["created"], 1);
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn payouts_reuse_the_recipients_account_and_report_their_wallet() {
    // Stepped by the test (see `stepped`): every status is observed, whatever the scheduling.
    let (sandbox, client) = start(600_000).await;
    let (options, _) = stepped(&sandbox);
    let payout = |amount: &str| {
        PayoutRequest::new(
            test_numbers::COMPLETES,
            dec(amount),
            "USD",
            sandbox.passcode(),
            "231770000000",
        )
        .with_recipient_name("Musu Doe")
        .with_options(options.clone())
    };
    let first = client.payout(&payout("10.00")).await.unwrap();
    assert!(first.is_completed(), "{first:#?}");
    assert!(first.party_created && !first.payout_account_reused);
    assert!(first.counterparty_id.is_some());
    assert_eq!(first.session.amount, dec("10.00"));
    assert!(first.session.wallet_id > 0);
    assert_eq!(first.execution.operation_type, OperationType::Payout);
    assert_eq!(
        statuses(&first.transitions),
        ["PENDING", "PROCESSING", "COMPLETED"]
    );

    let second = client.payout(&payout("12.00")).await.unwrap();
    assert!(second.is_completed());
    assert!(second.payout_account_reused && !second.party_created);
    assert_eq!(second.payout_account_id, first.payout_account_id);
    // A clone shares the memory; a different reference id means a different payment.
    let third = client.clone().payout(&payout("13.00")).await.unwrap();
    assert_eq!(third.payout_account_id, first.payout_account_id);
    assert_ne!(third.reference_id, second.reference_id);
    assert_eq!(route_count(&sandbox, "POST /v1/payment-accounts/create"), 1);
    assert_eq!(route_count(&sandbox, "POST /v1/parties/create"), 1);

    // A given account skips the operator prediction and every create.
    let predictions = route_count(&sandbox, "GET /v1/predictions/mmo-provider-info");
    let given = client
        .payout(&payout("1.00").with_payout_account_id(first.payout_account_id))
        .await
        .unwrap();
    assert!(given.is_completed() && given.provider.is_none());
    assert_eq!(
        route_count(&sandbox, "GET /v1/predictions/mmo-provider-info"),
        predictions
    );

    // Forgetting makes the next payout register the wallet again.
    client.forget_payment_accounts();
    let fresh = client.payout(&payout("2.00")).await.unwrap();
    assert!(!fresh.payout_account_reused);
    assert_eq!(route_count(&sandbox, "POST /v1/payment-accounts/create"), 2);
    assert_eq!(sandbox.stats()["executions"]["created"], 5);
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn payout_refusals_and_failures() {
    let (sandbox, client) = start(20).await;
    let (options, _) = recorded();
    // A refused passcode: PermissionDenied, and nothing executed.
    let wrong = PayoutRequest::new(
        test_numbers::COMPLETES,
        dec("10.00"),
        "USD",
        "000000",
        "231770000000",
    )
    .with_recipient_name("Musu Doe")
    .with_options(options.clone());
    let error = client.payout(&wrong).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied, "{error}");
    assert!(
        error.reference_id().is_some(),
        "the error names the payment it refused"
    );
    assert!(
        !format!("{error} {error:?}").contains("000000"),
        "the passcode never appears in errors"
    );
    assert_eq!(sandbox.stats()["executions"]["created"], 0);

    // Not enough in the wallet: the payout is accepted, then FAILS with the wallet's message.
    sandbox.set_wallet_balance(dollr_sandbox::Currency::Usd, dec("5.00"));
    let broke = PayoutRequest::new(
        test_numbers::COMPLETES,
        dec("50.00"),
        "USD",
        sandbox.passcode(),
        "231770000000",
    )
    .with_recipient_name("Musu Doe")
    .with_options(options);
    let outcome = client.payout(&broke).await.unwrap();
    assert_eq!(outcome.status(), &ExecutionStatus::Failed);
    let message = outcome.execution.wallet_message.clone().unwrap_or_default();
    assert!(message.contains("Insufficient"), "{message}");
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let (sandbox, client) = start(20).await;
    let cases: Vec<(&str, Error)> = vec![
        (
            "currency",
            client
                .collect(
                    &CollectRequest::new(test_numbers::COMPLETES, dec("10"), "usd")
                        .with_payer_name("A"),
                )
                .await
                .unwrap_err(),
        ),
        (
            "items.0.amount",
            client
                .collect(
                    &CollectRequest::new(test_numbers::COMPLETES_MTN_RW, dec("10.5"), "RWF")
                        .with_payer_name("A"),
                )
                .await
                .unwrap_err(),
        ),
        (
            "payer_name",
            client
                .collect(&CollectRequest::new(
                    test_numbers::COMPLETES,
                    dec("10"),
                    "USD",
                ))
                .await
                .unwrap_err(),
        ),
        (
            "amount",
            client
                .payout(
                    &PayoutRequest::new(
                        test_numbers::COMPLETES,
                        dec("100.5"),
                        "RWF",
                        "1",
                        "231770000000",
                    )
                    .with_recipient_name("B"),
                )
                .await
                .unwrap_err(),
        ),
        (
            "passcode.token.phone",
            client
                .payout(
                    &PayoutRequest::new(test_numbers::COMPLETES, dec("1"), "USD", "1", "+231")
                        .with_recipient_name("B"),
                )
                .await
                .unwrap_err(),
        ),
        (
            "to_counterparty_id",
            client
                .transfer(&TransferRequest::new(1, 0, dec("1"), "USD"))
                .await
                .unwrap_err(),
        ),
        (
            "amount",
            client
                .refund(&RefundRequest::new(1, dec("-1")))
                .await
                .unwrap_err(),
        ),
        (
            "party_phone",
            client
                .hosted_checkout(&HostedCheckoutRequest::new("12345", dec("1"), "USD"))
                .await
                .unwrap_err(),
        ),
        (
            "source_id",
            client
                .verify_paid(SourceType::Invoice, 0)
                .await
                .unwrap_err(),
        ),
    ];
    for (field, error) in cases {
        assert_eq!(error.kind(), ErrorKind::Validation, "{field}: {error}");
        assert_eq!(
            error.details().first().map(|d| d.field()).as_deref(),
            Some(field),
            "{error}"
        );
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats["requests"]["total"], 0,
        "nothing may reach the API: {stats:#}"
    );
    assert_eq!(stats["token_requests"], 0);
}

/// Input the API would certainly refuse somewhere in a flow — a currency no market settles in, an
/// amount above the largest one, a wallet currency its market does not hold, a phone outside the
/// mobile-money markets — is refused before the flow's first request: a typed `Validation` error
/// naming the field, and the sandbox sees nothing (no party, counterparty or invoice left behind,
/// not even a token request).
#[tokio::test]
async fn input_the_api_would_refuse_later_is_refused_before_the_first_request() {
    let (sandbox, client) = start(20).await;
    let two_to_the_60 = Decimal::from(1_i64 << 60);
    // The largest amount the SDK sends (`validate::MAX_AMOUNT`).
    let max = dec("1000000000000");
    let collect = |phone: &str, amount: Decimal, currency: &str| {
        CollectRequest::new(phone, amount, currency).with_payer_name("Amara Kamara")
    };
    let payout = |phone: &str, amount: Decimal, currency: &str| {
        PayoutRequest::new(phone, amount, currency, "1234", "231770000000")
            .with_recipient_name("Musu Sirleaf")
    };
    refused_before_sending(
        &sandbox,
        "collect XXX",
        "currency",
        client
            .collect(&collect(test_numbers::COMPLETES, dec("10"), "XXX"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "collect 2^60",
        "items.0.amount",
        client
            .collect(&collect(test_numbers::COMPLETES, two_to_the_60, "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "collect a line of qty x amount above the maximum",
        "items.0.qty",
        client
            .collect(
                &collect(test_numbers::COMPLETES, dec("1"), "USD")
                    .with_items(vec![LineItem::new("Bulk", 1_000_000, max)]),
            )
            .await,
    );
    refused_before_sending(
        &sandbox,
        "collect lines adding up to more than the maximum",
        "items",
        client
            .collect(
                &collect(test_numbers::COMPLETES, dec("1"), "USD").with_items(vec![
                    LineItem::new("First half", 1, max),
                    LineItem::new("Second half", 1, dec("0.01")),
                ]),
            )
            .await,
    );
    refused_before_sending(
        &sandbox,
        "collect from a Liberian wallet in RWF",
        "pay_currency",
        client
            .collect(&collect(test_numbers::COMPLETES, dec("10"), "USD").with_pay_currency("RWF"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "collect from a phone outside the markets",
        "phone",
        client
            .collect(&collect("447700900123", dec("10"), "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "payout XXX",
        "currency",
        client
            .payout(&payout(test_numbers::COMPLETES, dec("10"), "XXX"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "payout 2^60",
        "amount",
        client
            .payout(&payout(test_numbers::COMPLETES, two_to_the_60, "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "payout USD to a Rwandan wallet",
        "currency",
        client
            .payout(&payout(test_numbers::COMPLETES_MTN_RW, dec("10"), "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "payout to a phone outside the markets",
        "phone",
        client
            .payout(&payout("447700900123", dec("10"), "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "transfer XXX",
        "currency",
        client
            .transfer(&TransferRequest::new(1, 2, dec("10"), "XXX"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "transfer 2^60",
        "amount",
        client
            .transfer(&TransferRequest::new(1, 2, two_to_the_60, "USD"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "refund 2^60",
        "amount",
        client.refund(&RefundRequest::new(1, two_to_the_60)).await,
    );
    refused_before_sending(
        &sandbox,
        "refund XXX",
        "currency",
        client
            .refund(&RefundRequest::new(1, dec("10")).with_currency("XXX"))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "hosted checkout XXX",
        "currency",
        client
            .hosted_checkout(&HostedCheckoutRequest::new(
                test_numbers::COMPLETES,
                dec("10"),
                "XXX",
            ))
            .await,
    );
    refused_before_sending(
        &sandbox,
        "hosted checkout 2^60",
        "items.0.amount",
        client
            .hosted_checkout(&HostedCheckoutRequest::new(
                test_numbers::COMPLETES,
                two_to_the_60,
                "USD",
            ))
            .await,
    );
}

/// Asserts `result` is a `Validation` error naming `field` and that the sandbox has seen no request
/// at all so far (not even for a token).
#[track_caller]
fn refused_before_sending<T: std::fmt::Debug>(
    sandbox: &Sandbox,
    case: &str,
    field: &str,
    result: Result<T>,
) {
    let error = result.expect_err(case);
    assert_eq!(error.kind(), ErrorKind::Validation, "{case}: {error}");
    assert_eq!(
        error.details().first().map(|d| d.field()).as_deref(),
        Some(field),
        "{case}: {error}"
    );
    let stats = sandbox.stats();
    assert_eq!(
        stats["requests"]["total"], 0,
        "{case}: nothing may reach the API: {:#}",
        stats["requests"]
    );
    assert_eq!(stats["token_requests"], 0, "{case}");
}

#[tokio::test]
async fn a_lost_answer_to_add_item_is_checked_not_repeated() {
    let (sandbox, client) = start(20).await;
    let (options, events) = recorded();
    // Right after the invoice is created, lose the answer of the next API call (the item add,
    // which the sandbox commits).
    let faults = sandbox.clone();
    let options = options.on_progress({
        let events = events.clone();
        move |p| {
            if matches!(p.event, FlowEvent::SourceCreated { .. }) {
                faults.add_fault(FaultRule::drop_response().scope(FaultScope::V1).count(1));
            }
            events.lock().unwrap().push(p.clone());
        }
    });
    let outcome = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES, dec("7.25"), "USD")
                .with_payer_name("Kebeh")
                .with_items(vec![
                    LineItem::new("Soap", 4, dec("1.25")),
                    LineItem::new("Oil", 1, dec("2.25")),
                ])
                .with_options(options),
        )
        .await
        .unwrap();
    assert!(outcome.is_completed());
    assert_eq!(
        sandbox.stats()["faults"]["drop_response"],
        1,
        "the fault fired"
    );
    assert_eq!(outcome.total_amount, dec("7.25"), "each line billed once");
    let detail = client.invoices().retrieve(outcome.source_id).await.unwrap();
    assert_eq!(detail.invoice_items.len(), 2);
    assert_eq!(
        route_count(&sandbox, "POST /v1/invoices/{invoice_id}/items/add"),
        2,
        "the lost add was not repeated"
    );
    assert!(
        !names(&events).contains(&"step_retried"),
        "it landed, so nothing was retried"
    );
}

#[tokio::test]
async fn a_server_error_on_a_create_is_retried_because_a_repeat_is_harmless() {
    let (sandbox, client) = start(20).await;
    let (options, events) = recorded();
    let faults = sandbox.clone();
    let options = options.on_progress({
        let events = events.clone();
        move |p| {
            if matches!(p.event, FlowEvent::ProviderPredicted { .. }) {
                faults.add_fault(FaultRule::error(503).scope(FaultScope::V1).count(1));
            }
            events.lock().unwrap().push(p.clone());
        }
    });
    let outcome = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES, dec("3.00"), "USD")
                .with_payer_name("Retry Me")
                .with_options(options),
        )
        .await
        .unwrap();
    assert!(outcome.is_completed());
    assert_eq!(route_count(&sandbox, "POST /v1/parties/create"), 2);
    let retried: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match &p.event {
            FlowEvent::StepRetried { step, attempt, .. } => Some((step.clone(), *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(retried, [("party".to_string(), 1)]);
}

#[tokio::test]
async fn hosted_checkout_is_fulfilled_only_once_the_api_says_paid() {
    let (sandbox, client) = start(20).await;
    let request = HostedCheckoutRequest::new(test_numbers::COMPLETES, dec("45.00"), "USD")
        .with_payer_name("Amara Kamara")
        .with_redirects("https://shop.example/ok", "https://shop.example/cancel");
    let checkout = client.hosted_checkout(&request).await.unwrap();
    assert!(checkout.url.starts_with(&sandbox.url()), "{}", checkout.url);
    assert_eq!(checkout.total_amount, dec("45.00"));
    assert_eq!(checkout.source_type, SourceType::Invoice);

    // The payer has not paid: a redirect to success_url would prove nothing, and the API says so.
    let before = client
        .verify_paid(SourceType::Invoice, checkout.source_id)
        .await
        .unwrap();
    assert!(!before.paid);
    assert_eq!(before.status, SourceStatus::Active);
    let unpaid = client
        .wait_source_paid(
            SourceType::Invoice,
            checkout.source_id,
            SourceWaitOptions::default()
                .timeout(Duration::from_millis(100))
                .poll_interval(Duration::from_millis(20)),
        )
        .await
        .unwrap();
    assert!(unpaid.timed_out && !unpaid.paid);

    // The payer pays on the hosted page.
    let paid = reqwest::Client::new()
        .post(format!("{}/pay", checkout.url))
        .json(&serde_json::json!({ "phone": test_numbers::COMPLETES }))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success(), "{:?}", paid.text().await);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let waited = client
        .wait_source_paid(
            SourceType::Invoice,
            checkout.source_id,
            SourceWaitOptions::default()
                .timeout(Duration::from_secs(20))
                .poll_interval(Duration::from_millis(10))
                .on_progress(move |p| sink.lock().unwrap().push(p.event.name())),
        )
        .await
        .unwrap();
    assert!(waited.paid && !waited.timed_out, "{waited:#?}");
    assert_eq!(waited.info.status, SourceStatus::Paid);
    assert_eq!(
        waited.transitions.last().map(|t| t.to.clone()),
        Some(SourceStatus::Paid)
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|n| *n == "source_status_changed"));
    assert!(
        client
            .verify_paid(SourceType::Invoice, checkout.source_id)
            .await
            .unwrap()
            .paid
    );
    assert_exactly_once(&sandbox);

    // Unverified merchants cannot create hosted checkouts.
    sandbox.update_config(dollr_sandbox::ConfigPatch {
        verified: Some(false),
        ..Default::default()
    });
    let refused = client.hosted_checkout(&request).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PermissionDenied);
}

/// The payment intent id of the execution `reference_id` (the sandbox exposes them; in production
/// they come from the merchant portal).
fn payment_intent_id(sandbox: &Sandbox, reference_id: &str) -> i64 {
    let intents = sandbox.payment_intents();
    intents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference_id"] == reference_id)
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("no payment intent for {reference_id}: {intents:#}"))
}

#[tokio::test]
async fn transfer_and_refund_run_session_execute_wait() {
    let (sandbox, client) = start(20).await;
    let (options, _) = recorded();

    let wallets: Value = sandbox.wallets();
    let usd_wallet = wallets
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["currency"] == "USD")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let party = client
        .parties()
        .create(&CreatePartyRequest::new(
            "Partner Ltd",
            test_numbers::COMPLETES_ORANGE_LR,
        ))
        .await
        .unwrap();
    let counterparty = client
        .counterparties()
        .create(&CreateCounterpartyRequest::new(
            RelationshipType::Partner,
            party.id,
        ))
        .await
        .unwrap();
    let transfer = client
        .transfer(
            &TransferRequest::new(usd_wallet, counterparty.id, dec("30.00"), "USD")
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    assert!(transfer.is_completed(), "{transfer:#?}");
    assert_eq!(transfer.session.from_wallet_id, usd_wallet);
    assert_eq!(transfer.execution.operation_type, OperationType::Transfer);
    assert_eq!(
        statuses(&transfer.transitions).last().map(String::as_str),
        Some("COMPLETED")
    );

    let paid = client
        .collect(
            &CollectRequest::new(test_numbers::COMPLETES, dec("40.00"), "USD")
                .with_payer_name("Refund Me")
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    let intent = payment_intent_id(&sandbox, &paid.reference_id);
    let refund = client
        .refund(
            &RefundRequest::new(intent, dec("15.00"))
                .with_reason("one item returned")
                .with_currency("USD")
                .with_options(options.clone()),
        )
        .await
        .unwrap();
    assert!(refund.is_completed(), "{refund:#?}");
    assert_eq!(refund.session.original_payment_intent_id, intent);
    assert_eq!(refund.session.amount, dec("15.00"));

    // More than what is left of the original is refused, naming the amount; nothing executes.
    let executions = sandbox.stats()["executions"]["created"].clone();
    let over = client
        .refund(&RefundRequest::new(intent, dec("500.00")).with_options(options))
        .await
        .unwrap_err();
    assert_eq!(over.kind(), ErrorKind::Validation, "{over}");
    assert_eq!(
        over.details().first().map(|d| d.field()).as_deref(),
        Some("amount")
    );
    assert_eq!(sandbox.stats()["executions"]["created"], executions);
    assert_exactly_once(&sandbox);
}

#[tokio::test]
async fn a_remembered_payout_account_the_api_refuses_is_registered_again() {
    let (sandbox, client) = start(20).await;
    let (options, events) = recorded();
    let payout = PayoutRequest::new(
        test_numbers::COMPLETES,
        dec("5.00"),
        "USD",
        sandbox.passcode(),
        "231779999999",
    )
    .with_recipient_name("Musu Doe")
    .with_options(options);
    let first = client.payout(&payout).await.unwrap();
    assert!(first.is_completed() && !first.payout_account_reused);
    // The server forgets everything (a sandbox reset); the client still remembers the account.
    sandbox.reset();
    let second = client.payout(&payout).await.unwrap();
    assert!(second.is_completed(), "{second:#?}");
    assert!(
        !second.payout_account_reused,
        "the refused account was replaced"
    );
    assert_eq!(
        route_count(&sandbox, "POST /v1/sessions/payout"),
        2,
        "one refused session, one good one"
    );
    assert_eq!(route_count(&sandbox, "POST /v1/payment-accounts/create"), 1);
    let accounts: Vec<bool> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match &p.event {
            FlowEvent::PaymentAccountReady { reused, .. } => Some(*reused),
            _ => None,
        })
        .collect();
    assert_eq!(
        accounts,
        [false, true, false],
        "created, remembered (refused), created again"
    );
    assert_exactly_once(&sandbox);
}
