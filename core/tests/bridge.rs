//! The bridge (`dollr_core::bridge`): the one JSON entry point and schema the language bindings
//! are generated from.
//!
//! Proves: a collection done step by step through bridge calls against the sandbox, with exact
//! decimals in (as strings and as numbers) and out (always strings); the `collect` and `payout`
//! flows with their events in order; argument errors naming the operation or field; client
//! options (journal file, no secret in `Debug`); that every public operation of the core is
//! reachable and in the schema with every model it references; that the schema covers every
//! documented API operation with its documented field names; that `core/bridge-schema.json`
//! is up to date; and the names results and errors carry (a waited result's `status`, `path`/
//! `query` locs, flow errors naming the caller's argument, camelCase field names).

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dollr_core::bridge::{self, ClientOptions, EventSink};
use dollr_core::{Client, ErrorKind, Secret};
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(20)).await.unwrap();
    let client = bridge::client_from_options(
        ClientOptions {
            client_id: Some(sandbox.client_id()),
            client_secret: Some(Secret::new(sandbox.client_secret())),
            base_url: Some(sandbox.url()),
            ..ClientOptions::default()
        },
        "bridge-test",
    )
    .unwrap();
    (sandbox, client)
}

/// A client that never reaches a server: for checks that must fail before anything is sent.
fn offline_client() -> Client {
    bridge::client_from_options(
        ClientOptions {
            client_id: Some("id".into()),
            client_secret: Some(Secret::new("secret")),
            base_url: Some("http://127.0.0.1:9".into()),
            max_retries: Some(0),
            ..ClientOptions::default()
        },
        "bridge-test",
    )
    .unwrap()
}

/// Arguments from JSON text, so that numbers keep their exact text (`125.05`, not a float).
fn args(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

async fn call(client: &Client, operation: &str, arguments: Value) -> Value {
    match bridge::call(client, operation, arguments).await {
        Ok(value) => value,
        Err(error) => panic!("{operation} failed: {error} {:?}", error.details()),
    }
}

/// Every JSON number in a result is an integer: decimals travel as strings.
fn assert_no_fractional_numbers(value: &Value, at: &str) {
    match value {
        Value::Number(number) => assert!(
            number.is_i64() || number.is_u64(),
            "{at} is the JSON number {number}: decimals must be strings"
        ),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                assert_no_fractional_numbers(item, &format!("{at}.{index}"));
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                assert_no_fractional_numbers(item, &format!("{at}.{key}"));
            }
        }
        _ => {}
    }
}

/// A sink that records events.
fn recorder() -> (EventSink, Arc<Mutex<Vec<Value>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let sink: EventSink = Arc::new(move |event: Value| sink_events.lock().unwrap().push(event));
    (sink, events)
}

fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

fn position(names: &[String], name: &str) -> usize {
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no {name} event in {names:?}"))
}

fn schema_event_names() -> BTreeSet<String> {
    bridge::schema()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_collection_step_by_step_through_the_bridge_keeps_decimals_exact() {
    let (_sandbox, client) = start().await;
    let phone = dollr_core::test_numbers::COMPLETES;

    let party = call(
        &client,
        "parties.create",
        json!({"fullname": "Amara Kamara", "phone": phone, "country_code": "LR"}),
    )
    .await;
    let party_id = party["id"].as_i64().unwrap();
    assert!(
        party["created_at"].as_str().unwrap().ends_with('Z'),
        "{party}"
    );

    let counterparty = call(
        &client,
        "counterparties.create",
        json!({"relationship_type": "CUSTOMER", "party_id": party_id}),
    )
    .await;
    let invoice = call(
        &client,
        "invoices.create",
        json!({"counterparty_id": counterparty["id"], "currency": "USD", "note": "Bridge order",
               "fee_bearer": "PAYER", "as_payment_link": false}),
    )
    .await;
    let invoice_id = invoice["id"].as_i64().unwrap();
    assert_eq!(invoice["status"], "IDLE");

    // The amount as a decimal string, then as an exact JSON number; the id as an integer.
    let first = call(
        &client,
        "invoices.add_item",
        json!({"id": invoice_id, "name": "Strategy session", "currency": "USD", "qty": 2, "amount": "125.05"}),
    )
    .await;
    assert_eq!(first["amount"], "125.05");
    let second = call(
        &client,
        "invoices.add_item",
        args(&format!(
            r#"{{"id": {invoice_id}, "name": "Notes", "currency": "USD", "qty": 1, "amount": 0.10}}"#
        )),
    )
    .await;
    assert_eq!(second["amount"], "0.10");
    // A line added and removed again: `()` results are `null`.
    let extra = call(
        &client,
        "invoices.add_item",
        json!({"id": invoice_id, "name": "Mistake", "currency": "USD", "qty": 1, "amount": "9.99"}),
    )
    .await;
    let removed = call(
        &client,
        "invoices.remove_item",
        json!({"id": invoice_id, "item_id": extra["id"]}),
    )
    .await;
    assert_eq!(removed, Value::Null);
    let updated = call(
        &client,
        "invoices.update_item",
        json!({"id": invoice_id, "item_id": second["id"], "qty": 3}),
    )
    .await;
    assert_eq!(updated["qty"], 3);

    let published = call(&client, "invoices.publish", json!({"id": invoice_id})).await;
    assert_eq!(published["status"], "ACTIVE");
    assert_eq!(published["total_amount"], "250.40");
    let detail = call(&client, "invoices.retrieve", json!({"id": invoice_id})).await;
    assert_eq!(detail["invoice_items"].as_array().unwrap().len(), 2);
    let number = detail["invoice_number"].as_str().unwrap().to_string();
    let by_number = call(
        &client,
        "invoices.retrieve_by_number",
        json!({"number": number}),
    )
    .await;
    assert_eq!(by_number["id"], invoice_id);

    let operator = call(
        &client,
        "predictions.mmo_provider_info",
        json!({"phone": phone, "operation_type": "COLLECTION"}),
    )
    .await;
    let fees = call(
        &client,
        "predictions.payment_source_amount_and_fees",
        json!({"target_currency": "USD", "payment_method": operator["payment_method"],
               "provider": operator["gateway_provider"], "source_type": "INVOICE", "source_id": invoice_id}),
    )
    .await;
    assert!(fees["payer_amount"].is_string(), "{fees}");
    let account = call(
        &client,
        "payment_accounts.create",
        json!({"operation_type": "COLLECTION", "account_name": "Amara MTN wallet",
               "provider": operator["gateway_provider"], "method": operator["payment_method"],
               "party_id": party_id, "insensitive_account_number": phone}),
    )
    .await;
    let session = call(
        &client,
        "sessions.checkout",
        json!({"source_id": invoice_id, "source_type": "INVOICE"}),
    )
    .await;
    let reference_id = uuid::Uuid::new_v4().to_string();
    let execution = call(
        &client,
        "executions.collection",
        json!({"session_id": session["id"], "payment_account_id": account["id"],
               "currency": "USD", "reference_id": reference_id}),
    )
    .await;
    assert_eq!(execution["reference_id"], reference_id.as_str());
    assert!(execution["payer_amount"].is_string(), "{execution}");

    let (sink, events) = recorder();
    let waited = bridge::call_with_events(
        &client,
        "status.wait",
        json!({"operation": "COLLECTION", "reference_id": reference_id, "timeout_ms": 30000,
               "initial_interval_ms": 10, "max_interval_ms": 50}),
        sink,
    )
    .await
    .unwrap();
    assert_eq!(waited["state"], "finished", "{waited}");
    assert_eq!(waited["execution"]["status"], "COMPLETED");
    let events = events.lock().unwrap().clone();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["event"] == "transition"),
        "{events:?}"
    );
    assert_eq!(events.last().unwrap()["to"], "COMPLETED");

    let status = call(
        &client,
        "status.collection",
        json!({"reference_id": reference_id}),
    )
    .await;
    assert_eq!(status["status"], "COMPLETED");
    let source = call(
        &client,
        "status.source",
        json!({"source_type": "INVOICE", "source_id": invoice_id}),
    )
    .await;
    assert_eq!(source["status"], "PAID");
    let receipt = call(&client, "invoices.receipt", json!({"id": invoice_id})).await;
    assert_eq!(receipt["total_amount"], "250.40");
    let amounts: BTreeSet<&str> = receipt["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, BTreeSet::from(["125.05", "0.10"]));
    for value in [
        &party, &invoice, &published, &detail, &fees, &execution, &waited, &receipt,
    ] {
        assert_no_fractional_numbers(value, "result");
    }
}

#[tokio::test]
async fn the_collect_and_payout_flows_report_their_steps_in_order() {
    let (sandbox, client) = start().await;
    let known = schema_event_names();

    let (sink, events) = recorder();
    let outcome = bridge::call_with_events(
        &client,
        "collect",
        json!({"phone": dollr_core::test_numbers::COMPLETES, "payer_name": "Flow Payer", "currency": "USD",
               "items": [{"name": "Tea", "qty": 3, "amount": "1.15"}],
               "wait_timeout_ms": 30000, "poll_interval_ms": 10, "max_poll_interval_ms": 50}),
        sink,
    )
    .await
    .unwrap();
    assert_eq!(outcome["execution"]["status"], "COMPLETED", "{outcome}");
    assert_eq!(outcome["settled"], true);
    assert_eq!(outcome["total_amount"], "3.45");
    assert_eq!(outcome["receipt"]["source_type"], "INVOICE");
    assert_eq!(outcome["receipt"]["invoice"]["total_amount"], "3.45");
    assert!(outcome["receipt"]["order"].is_null());
    assert_no_fractional_numbers(&outcome, "collect");
    let transitions: Vec<&str> = outcome["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(transitions.last(), Some(&"COMPLETED"));

    let events = events.lock().unwrap().clone();
    let seen = names(&events);
    assert_eq!(seen.first().map(String::as_str), Some("validated"));
    for name in &seen {
        assert!(known.contains(name), "event {name} is not in the schema");
    }
    let order = [
        "provider_predicted",
        "party_ready",
        "counterparty_ready",
        "source_created",
        "item_added",
        "source_published",
        "payment_account_ready",
        "session_created",
        "execution_starting",
        "execution_submitted",
        "status_changed",
    ];
    let positions: Vec<usize> = order.iter().map(|name| position(&seen, name)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let elapsed: Vec<u64> = events
        .iter()
        .map(|e| e["elapsed_ms"].as_u64().unwrap())
        .collect();
    assert!(elapsed.windows(2).all(|w| w[0] <= w[1]), "{elapsed:?}");
    let item = &events[position(&seen, "item_added")];
    assert_eq!(item["item"]["amount"], "1.15");
    assert_eq!(item["running_total"], "3.45");
    assert!(item["at"].as_str().unwrap().ends_with('Z') && item["message"].is_string());
    let last_status = events
        .iter()
        .rev()
        .find(|e| e["event"] == "status_changed")
        .unwrap();
    assert_eq!(last_status["transition"]["to"], "COMPLETED");

    let (sink, events) = recorder();
    let payout = bridge::call_with_events(
        &client,
        "payout",
        json!({"phone": dollr_core::test_numbers::COMPLETES, "amount": "2.50", "currency": "USD",
               "recipient_name": "Payee Person",
               "passcode": {"code": sandbox.passcode(), "phone": "231779999999"},
               "wait_timeout_ms": 30000, "poll_interval_ms": 10, "max_poll_interval_ms": 50}),
        sink,
    )
    .await
    .unwrap();
    assert_eq!(payout["execution"]["status"], "COMPLETED", "{payout}");
    assert_eq!(payout["session"]["amount"], "2.50");
    assert_no_fractional_numbers(&payout, "payout");
    let seen = names(&events.lock().unwrap());
    for name in &seen {
        assert!(known.contains(name), "event {name} is not in the schema");
    }
    let order = [
        "validated",
        "provider_predicted",
        "payment_account_ready",
        "session_created",
        "execution_starting",
        "status_changed",
    ];
    let positions: Vec<usize> = order.iter().map(|name| position(&seen, name)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // The passcode never appears in events.
    let text = serde_json::to_string(&*events.lock().unwrap()).unwrap();
    assert!(!text.contains(&format!("\"{}\"", sandbox.passcode())));

    // Calls without events still work, and report nothing.
    let verification = call(
        &client,
        "verify_paid",
        json!({"source_type": "INVOICE", "source_id": outcome["source_id"]}),
    )
    .await;
    assert_eq!(verification["paid"], true);
    let report = call(&client, "reconcile", json!({})).await;
    assert_eq!(report["entries"], json!([]));
}

#[tokio::test]
async fn hosted_checkout_and_its_waits_through_the_bridge() {
    let (_sandbox, client) = start().await;
    let checkout = call(
        &client,
        "hosted_checkout",
        json!({"phone": dollr_core::test_numbers::COMPLETES, "currency": "USD", "amount": "19.99",
               "payer_name": "Hosted Payer", "success_url": "https://shop.example/ok",
               "cancel_url": "https://shop.example/cancel"}),
    )
    .await;
    assert!(
        checkout["url"].as_str().unwrap().starts_with("http"),
        "{checkout}"
    );
    assert_eq!(checkout["total_amount"], "19.99");
    assert_eq!(checkout["checkout"]["total_amount"], "19.99");
    let verification = call(
        &client,
        "verify_paid",
        json!({"source_type": checkout["source_type"], "source_id": checkout["source_id"]}),
    )
    .await;
    assert_eq!(verification["paid"], false);
    // Nobody pays: the wait reaches its deadline, which is an outcome, not an error.
    let (sink, events) = recorder();
    let waited = bridge::call_with_events(
        &client,
        "wait_source_paid",
        json!({"source_type": checkout["source_type"], "source_id": checkout["source_id"],
               "timeout_ms": 60, "poll_interval_ms": 10}),
        sink,
    )
    .await
    .unwrap();
    assert_eq!(
        (waited["paid"].as_bool(), waited["timed_out"].as_bool()),
        (Some(false), Some(true)),
        "{waited}"
    );
    assert_eq!(waited["info"]["total_amount"], "19.99");
    let seen = names(&events.lock().unwrap());
    assert!(
        seen.iter().all(|name| name == "source_status_changed"),
        "{seen:?}"
    );
    assert!(!seen.is_empty());
    assert_eq!(
        call(&client, "forget_payment_accounts", Value::Null).await,
        Value::Null
    );
}

fn validation(result: dollr_core::Result<Value>) -> dollr_core::Error {
    let error = result.expect_err("expected a Validation error");
    assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
    error
}

fn field(error: &dollr_core::Error) -> String {
    error
        .details()
        .first()
        .map(|d| d.field())
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_arguments_are_validation_errors_naming_the_operation_or_field() {
    let client = offline_client();

    let error = validation(bridge::call(&client, "invoices.add_itme", json!({})).await);
    assert!(error.message().contains("invoices.add_itme"), "{error}");
    assert!(
        error.message().contains("invoices.add_item"),
        "suggests the closest: {error}"
    );

    let error = validation(
        bridge::call(
            &client,
            "invoices.add_item",
            json!({"id": 1, "name": "Tea", "currency": "USD", "qty": 1, "amout": "1.00"}),
        )
        .await,
    );
    assert_eq!(field(&error), "amout");
    assert!(error.message().contains("did you mean `amount`"), "{error}");

    let error = validation(
        bridge::call(
            &client,
            "collect",
            json!({"phone": "231771234567", "payer_name": "A", "currency": "USD",
                   "items": [{"name": "Tea", "qty": 1, "amout": "1.00"}]}),
        )
        .await,
    );
    assert_eq!(field(&error), "items.0.amout");

    let error =
        validation(bridge::call(&client, "parties.create", json!({"fullname": "Amara"})).await);
    assert_eq!(field(&error), "phone");
    assert_eq!(error.details()[0].kind, "value_error.missing");

    let error = validation(
        bridge::call(
            &client,
            "invoices.add_item",
            json!({"name": "Tea", "currency": "USD", "qty": 1, "amount": "1"}),
        )
        .await,
    );
    assert_eq!(field(&error), "id");

    let error = validation(
        bridge::call(
            &client,
            "invoices.add_item",
            json!({"id": 1, "name": "Tea", "currency": "USD", "qty": "two", "amount": "1.00"}),
        )
        .await,
    );
    assert_eq!(field(&error), "qty");

    let error = validation(
        bridge::call(
            &client,
            "invoices.add_item",
            json!({"id": 1, "name": "Tea", "currency": "USD", "qty": 1, "amount": "ten"}),
        )
        .await,
    );
    assert_eq!(field(&error), "amount");

    // The core's own validation decides the rest (RWF has no minor unit), before anything is sent.
    let error = validation(
        bridge::call(
            &client,
            "invoices.add_item",
            json!({"id": 1, "name": "Tea", "currency": "RWF", "qty": 1, "amount": "10.50"}),
        )
        .await,
    );
    assert_eq!(field(&error), "amount");

    let error =
        validation(bridge::call(&client, "parties.create", json!(["not", "an", "object"])).await);
    assert!(error.message().contains("parties.create"), "{error}");

    // `null` means "not given"; ids may also come as decimal strings.
    let error = validation(bridge::call(&client, "parties.retrieve", json!({"id": null})).await);
    assert_eq!(field(&error), "id");
    let error = validation(bridge::call(&client, "parties.retrieve", json!({"id": "x"})).await);
    assert_eq!(field(&error), "id");
    let error = validation(
        bridge::call(
            &client,
            "collect",
            json!({"phone": "231771234567", "amount": "1.00", "currency": "USD",
                                                 "payer_name": "A", "items": []}),
        )
        .await,
    );
    assert_eq!(field(&error), "amount");
}

#[tokio::test]
async fn ids_may_be_strings_and_amounts_numbers() {
    let (_sandbox, client) = start().await;
    let party = call(
        &client,
        "parties.create",
        json!({"fullname": "String Ids", "phone": dollr_core::test_numbers::COMPLETES}),
    )
    .await;
    let id = party["id"].as_i64().unwrap();
    let again = call(&client, "parties.retrieve", json!({"id": id.to_string()})).await;
    assert_eq!(again["id"], id);
    let prediction = call(
        &client,
        "predictions.amount_and_fees",
        args(
            r#"{"base_amount": 100.10, "base_currency": "USD", "target_currency": "USD",
                "payment_method": "MTN_MOMO_LBR", "operation_type": "COLLECTION",
                "provider": "PAWAPAY", "fee_bearer": "PAYER"}"#,
        ),
    )
    .await;
    assert!(prediction["payer_amount"].is_string(), "{prediction}");
    assert_no_fractional_numbers(&prediction, "prediction");
    let tiers = call(&client, "fees.tiers", Value::Null).await;
    assert!(tiers.is_array());
}

#[test]
fn client_options_build_a_client_with_a_sqlite_journal_and_never_print_the_secret() {
    let path = std::env::temp_dir().join(format!("dollr-bridge-{}.sqlite", uuid::Uuid::new_v4()));
    let options = ClientOptions::from_json(json!({
        "client_id": "id-123",
        "client_secret": "s3cr3t-value",
        "base_url": "http://127.0.0.1:9",
        "timeout_ms": 1500,
        "max_retries": 1,
        "journal": path.to_str().unwrap(),
        "connect_timeout_ms": 700,
        "initial_backoff_ms": 5,
        "max_backoff_ms": 50,
        "max_retry_after_ms": 2000,
        "ignore_env": true,
    }))
    .unwrap();
    assert!(!format!("{options:?}").contains("s3cr3t-value"));
    let client = bridge::client_from_options(options, "python").unwrap();
    assert!(path.exists(), "the SQLite journal was not created");
    assert!(!format!("{client:?}").contains("s3cr3t-value"));
    assert_eq!(
        client.config().timeout,
        std::time::Duration::from_millis(1500)
    );
    assert_eq!(client.config().connect_timeout, Duration::from_millis(700));
    assert_eq!(
        client.config().retry,
        dollr_core::RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(2),
        }
    );
    assert!(client.config().user_agent.starts_with("dollr-python/"));
    // The binding names itself; a caller cannot set it.
    let error = ClientOptions::from_json(json!({"sdk_language": "x"})).unwrap_err();
    assert!(error.message().contains("sdk_language"), "{error}");
    let _ = std::fs::remove_file(&path);

    let error = ClientOptions::from_json(json!({"client_sercet": "x"})).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(error.message().contains("client_sercet"), "{error}");
    assert!(!error.message().contains("s3cr3t"));
    // A value of the wrong type names its option, and the secret beside it stays out.
    let error =
        ClientOptions::from_json(json!({"client_secret": "s3cr3t", "timeout_ms": -5})).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(error.message().contains("`timeout_ms`"), "{error}");
    assert_eq!(error.details()[0].field(), "timeout_ms");
    assert!(!error.message().contains("s3cr3t"));
    let error = bridge::client_from_options(
        ClientOptions {
            client_id: Some("id".into()),
            client_secret: Some(Secret::new("secret")),
            base_url: Some("http://api.heydollr.app".into()),
            ..ClientOptions::default()
        },
        "bridge-test",
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
}

// ---------------------------------------------------------------------------------------------
// Schema

/// Every `model:X` / `enum:X` named by a grammar type.
fn referenced(ty: &str, into: &mut BTreeSet<String>) {
    if let Some(inner) = ty.strip_prefix("list:") {
        referenced(inner, into);
    } else if ty.starts_with("model:") || ty.starts_with("enum:") {
        into.insert(ty.to_string());
    } else {
        let primitives = [
            "string",
            "integer",
            "number",
            "boolean",
            "decimal",
            "timestamp",
            "secret",
            "json",
            "null",
        ];
        assert!(primitives.contains(&ty), "{ty} is not in the type grammar");
    }
}

#[test]
fn the_schema_lists_every_operation_and_every_model_it_references() {
    let schema = bridge::schema();
    let operations = schema["operations"].as_array().unwrap();
    let listed: Vec<&str> = operations
        .iter()
        .map(|op| op["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, bridge::operation_names());

    let models: BTreeMap<&str, &Value> = schema["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m))
        .collect();
    let enums: BTreeSet<&str> = schema["enums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut pending = BTreeSet::new();
    for op in operations {
        referenced(op["returns"].as_str().unwrap(), &mut pending);
        for param in op["params"].as_array().unwrap() {
            referenced(param["type"].as_str().unwrap(), &mut pending);
            assert!(
                ["path", "query", "body", "arg"].contains(&param["kind"].as_str().unwrap()),
                "{param}"
            );
        }
    }
    for event in schema["events"].as_array().unwrap() {
        for field in event["fields"].as_array().unwrap() {
            referenced(field["type"].as_str().unwrap(), &mut pending);
        }
    }
    // Follow model fields transitively.
    let mut seen = BTreeSet::new();
    while let Some(ty) = pending.pop_first() {
        if !seen.insert(ty.clone()) {
            continue;
        }
        if let Some(name) = ty.strip_prefix("enum:") {
            assert!(
                enums.contains(name),
                "enum {name} is referenced but not in the schema"
            );
        } else if let Some(name) = ty.strip_prefix("model:") {
            let model = models
                .get(name)
                .unwrap_or_else(|| panic!("model {name} is referenced but not in the schema"));
            for field in model["fields"].as_array().unwrap() {
                referenced(field["type"].as_str().unwrap(), &mut pending);
            }
        }
    }
    // Spot checks of the derivation: types, optionality, docs from the Rust doc comments.
    let add_item = operations
        .iter()
        .find(|op| op["name"] == "invoices.add_item")
        .unwrap();
    assert_eq!(add_item["returns"], "model:SourceItem");
    assert_eq!(
        add_item["params"][0],
        json!({"name": "id", "type": "integer", "required": true, "kind": "path", "doc": "The document's id."})
    );
    let amount = add_item["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "amount")
        .unwrap();
    assert_eq!(
        (
            amount["type"].as_str(),
            amount["required"].as_bool(),
            amount["kind"].as_str()
        ),
        (Some("decimal"), Some(true), Some("body"))
    );
    let execution = models["Execution"]["fields"].as_array().unwrap();
    let secret = execution
        .iter()
        .find(|f| f["name"] == "client_secret")
        .unwrap();
    assert_eq!(
        (secret["type"].as_str(), secret["optional"].as_bool()),
        (Some("secret"), Some(true))
    );
    let party = models["Party"]["fields"].as_array().unwrap();
    let created = party.iter().find(|f| f["name"] == "created_at").unwrap();
    assert_eq!(created["type"], "timestamp");
    assert_eq!(created["doc"], "When the party was created.");
    let method = schema["enums"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "PaymentMethod")
        .unwrap();
    assert_eq!(method["values"][0], "MTN_MOMO_LBR");
    assert_eq!(method["open"], true);
    assert_eq!(
        schema["errors"].as_array().unwrap().len(),
        ErrorKind::ALL.len()
    );
    assert_eq!(
        schema["test_numbers"]["COMPLETES"],
        dollr_core::test_numbers::COMPLETES
    );
    let wait = operations
        .iter()
        .find(|op| op["name"] == "status.wait")
        .unwrap();
    assert_eq!(wait["events"], true);
    assert_eq!(wait["returns"], "model:WaitOutcome");
}

/// The `pub async fn` names of `file` (relative to `core/src`).
fn async_methods(file: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(format!("{}/src/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix("pub async fn "))
        .map(|rest| rest.split(['(', '<']).next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn every_public_async_method_and_flow_of_the_core_is_reachable() {
    let mut expected = BTreeSet::new();
    let resources = [
        ("parties", "api/parties.rs"),
        ("counterparties", "api/counterparties.rs"),
        ("invoices", "api/sources.rs"),
        ("orders", "api/sources.rs"),
        ("checkouts", "api/checkouts.rs"),
        ("links", "api/links.rs"),
        ("sessions", "api/sessions.rs"),
        ("payment_accounts", "api/payment_accounts.rs"),
        ("executions", "api/executions.rs"),
        ("status", "api/status.rs"),
        ("status", "wait.rs"),
        ("predictions", "api/predictions.rs"),
        ("fees", "api/fees.rs"),
        ("merchants", "api/merchants.rs"),
        ("realtime_keys", "api/realtime_keys.rs"),
    ];
    for (resource, file) in resources {
        for method in async_methods(file) {
            expected.insert(format!("{resource}.{method}"));
        }
    }
    let api_files: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api"))
            .unwrap()
            .map(|entry| format!("api/{}", entry.unwrap().file_name().to_string_lossy()))
            .filter(|name| name != "api/mod.rs")
            .collect();
    let covered: BTreeSet<String> = resources
        .iter()
        .map(|(_, f)| f.to_string())
        .filter(|f| f.starts_with("api/"))
        .collect();
    assert_eq!(
        api_files, covered,
        "a new resource file: add it to this test and to the bridge registry"
    );
    // Flows and the client's own calls (the generic `send`/`send_value` are not operations).
    for file in [
        "flows/mod.rs",
        "flows/collect.rs",
        "flows/payout.rs",
        "flows/bulk.rs",
        "flows/transfer.rs",
        "flows/refund.rs",
        "flows/checkout.rs",
        "reconcile.rs",
    ] {
        for method in async_methods(file) {
            expected.insert(method);
        }
    }
    for method in async_methods("client.rs") {
        if !["send", "send_value"].contains(&method.as_str()) {
            expected.insert(format!("auth.{method}"));
        }
    }
    expected.insert("forget_payment_accounts".to_string());
    // Rust only, by design: it takes a `stop` future (the CLI's Ctrl-C); a binding stops a batch
    // by cancelling its `bulk_payout` call.
    expected.remove("bulk_payout_until");
    let registry: BTreeSet<String> = bridge::operation_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = expected.difference(&registry).collect();
    let extra: Vec<&String> = registry.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "not reachable through the bridge: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "bridge operations with no core method: {extra:?}"
    );
}

/// operations.json id → bridge operation.
const API_OPERATIONS: &[(&str, &str)] = &[
    ("client_obtain_token__version__jwt_client_obtain_token_post", "auth.obtain_token"),
    ("create_party__version__parties_create_post", "parties.create"),
    ("list_parties__version__parties_list_get", "parties.list"),
    ("retrieve_parties__version__parties_retrieve__id__get", "parties.retrieve"),
    ("create_counterparty__version__counterparties_create_post", "counterparties.create"),
    ("list_counterparties__version__counterparties_list_get", "counterparties.list"),
    ("retrieve_counterparties__version__counterparties_retrieve__id__get", "counterparties.retrieve"),
    ("update_counterparty__version__counterparties_update__id__put", "counterparties.update"),
    ("create_invoice__version__invoices_create_post", "invoices.create"),
    ("list_invoice__version__invoices_list_get", "invoices.list"),
    ("retrieve_invoice_by_id__version__invoices_retrieve__id__get", "invoices.retrieve"),
    ("retrieve_invoice_by_number__version__invoices_retrieve_number__invoice_number__get", "invoices.retrieve_by_number"),
    ("update_invoice__version__invoices_update__id__put", "invoices.update"),
    ("add_invoice_item__version__invoices__invoice_id__items_add_post", "invoices.add_item"),
    ("update_invoice_item__version__invoices__invoice_id__items__id__update_put", "invoices.update_item"),
    ("remove_invoice_item__version__invoices__invoice_id__items__id__remove_delete", "invoices.remove_item"),
    ("publish_invoice__version__invoices_publish__id__put", "invoices.publish"),
    ("cancel_invoice__version__invoices_cancel__id__delete", "invoices.cancel"),
    ("retrieve_invoice_receipt_by_id__version__invoices_receipt__id__get", "invoices.receipt"),
    ("retrieve_invoice_receipt_by_number__version__invoices_receipt_number__invoice_number__get", "invoices.receipt_by_number"),
    ("create_order__version__orders_create_post", "orders.create"),
    ("list_order__version__orders_list_get", "orders.list"),
    ("retrieve_order_by_id__version__orders_retrieve__id__get", "orders.retrieve"),
    ("retrieve_order_by_number__version__orders_retrieve_number__order_number__get", "orders.retrieve_by_number"),
    ("update_order__version__orders_update__id__put", "orders.update"),
    ("add_order_item__version__orders__order_id__items_add_post", "orders.add_item"),
    ("update_order_item__version__orders__order_id__items__id__update_put", "orders.update_item"),
    ("remove_order_item__version__orders__order_id__items__id__remove_delete", "orders.remove_item"),
    ("publish_order__version__orders_publish__id__put", "orders.publish"),
    ("cancel_order__version__orders_cancel__id__delete", "orders.cancel"),
    ("retrieve_order_receipt_by_id__version__orders_receipt__id__get", "orders.receipt"),
    ("retrieve_order_receipt_by_number__version__orders_receipt_number__order_number__get", "orders.receipt_by_number"),
    ("create_checkout_source__version__checkouts_create_post", "checkouts.create"),
    ("create_checkout_session__version__sessions_checkout_post", "sessions.checkout"),
    ("create_payout_session__version__sessions_payout_post", "sessions.payout"),
    ("create_transfer_session__version__sessions_transfer_post", "sessions.transfer"),
    ("create_refund_session__version__sessions_refund_post", "sessions.refund"),
    ("collect__version__executions_collection_post", "executions.collection"),
    ("payout__version__executions_payout_post", "executions.payout"),
    ("transfer__version__executions_transfer_post", "executions.transfer"),
    ("refund__version__executions_refund_post", "executions.refund"),
    ("get_collection_status__version__status_collection__reference_id__get", "status.collection"),
    ("get_payout_status__version__status_payout__reference_id__get", "status.payout"),
    ("get_transfer_status__version__status_transfer__reference_id__get", "status.transfer"),
    ("get_refund_status__version__status_refund__reference_id__get", "status.refund"),
    ("get_payment_source_status__version__status_source_get", "status.source"),
    ("create_payment_account__version__payment_accounts_create_post", "payment_accounts.create"),
    ("get_payment_link__version__links_pay_get", "links.pay"),
    ("get_receipt_link__version__links_receipt_get", "links.receipt"),
    ("predict_amount_and_fee__version__predictions_amount_and_fees_get", "predictions.amount_and_fees"),
    ("predict_mmo_provider_info__version__predictions_mmo_provider_info_get", "predictions.mmo_provider_info"),
    ("predict_card_provider_info__version__predictions_card_provider_info_get", "predictions.card_provider_info"),
    ("predict_payment_source_amount_and_fee__version__predictions_payment_source_amount_and_fees_get", "predictions.payment_source_amount_and_fees"),
    ("get_gateway_fees__version__fees_gateway_get", "fees.gateway"),
    ("get_platform_fees__version__fees_platform_get", "fees.platform"),
    ("get_merchant_fee_tier__version__fees_merchant_tier_get", "fees.merchant_tier"),
    ("list_fee_tier__version__fees_tiers_get", "fees.tiers"),
    ("get_merchant_info__version__merchants_merchant_info_get", "merchants.info"),
    ("get_collection_realtime_key__version__realtime_keys_collection_post", "realtime_keys.collection"),
];

/// Body fields the core sends that `operations.json` (the older reference) does not list.
const BODY_BEYOND_OPERATIONS_JSON: &[(&str, &str)] = &[
    // The June 2026 docs make `due_date` optional on orders too (see `CreateSourceRequest`).
    ("orders.create", "due_date"),
];

#[test]
fn every_documented_api_operation_is_a_bridge_operation_with_its_documented_names() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/dollr-api/operations.json"
    ))
    .unwrap();
    let documented: Vec<Value> = serde_json::from_str(&text).unwrap();
    let table: BTreeMap<&str, &str> = API_OPERATIONS.iter().copied().collect();
    assert_eq!(
        table.len(),
        API_OPERATIONS.len(),
        "an operation id is mapped twice"
    );
    let schema = bridge::schema();
    let bridge_ops: BTreeMap<&str, &Value> = schema["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| (op["name"].as_str().unwrap(), op))
        .collect();
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for operation in &documented {
        let id = operation["operation_id"].as_str().unwrap();
        ids.insert(id);
        let Some(name) = table.get(id) else {
            problems.push(format!("{id} is not mapped to a bridge operation"));
            continue;
        };
        let Some(op) = bridge_ops.get(name) else {
            problems.push(format!("{id}: the bridge has no operation {name}"));
            continue;
        };
        let params = op["params"].as_array().unwrap();
        let with_kind = |kind: &str| -> BTreeSet<String> {
            params
                .iter()
                .filter(|p| p["kind"] == kind)
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        };
        let path_count = operation["path_params"].as_array().map_or(0, Vec::len);
        if with_kind("path").len() != path_count {
            problems.push(format!(
                "{name}: {path_count} documented path parameters, bridge has {:?}",
                with_kind("path")
            ));
        }
        let query: BTreeSet<String> = operation["query_params"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect();
        if with_kind("query") != query {
            problems.push(format!(
                "{name}: documented query {query:?}, bridge {:?}",
                with_kind("query")
            ));
        }
        // The token call takes the client's own credentials, not arguments.
        if *name != "auth.obtain_token" {
            let body: BTreeSet<String> = operation["request_body"]["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect();
            let bridge_body = with_kind("body");
            let extra: Vec<&String> = bridge_body
                .difference(&body)
                .filter(|field| !BODY_BEYOND_OPERATIONS_JSON.contains(&(*name, field.as_str())))
                .collect();
            if !body.is_subset(&bridge_body) || !extra.is_empty() {
                problems.push(format!(
                    "{name}: documented body {body:?}, bridge {bridge_body:?}"
                ));
            }
        }
    }
    let mapped: BTreeSet<&str> = table.keys().copied().collect();
    for stale in mapped.difference(&ids) {
        problems.push(format!("{stale} is mapped but not documented"));
    }
    assert_eq!(ids.len(), 59);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_serde_model_derives_json_schema() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/models");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if !line.trim_start().starts_with("pub struct ") {
                continue;
            }
            // The derive is the closest `#[derive(` above, among the struct's attributes.
            let derive = lines[..index]
                .iter()
                .rev()
                .take(4)
                .find(|l| l.contains("#[derive("));
            let serde =
                derive.is_some_and(|d| d.contains("Serialize") || d.contains("Deserialize"));
            if serde && !derive.is_some_and(|d| d.contains("JsonSchema")) {
                missing.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "models without JsonSchema: {missing:#?}"
    );
}

#[test]
fn bridge_schema_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bridge-schema.json");
    let current = bridge::schema_json();
    if std::env::var("DOLLR_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    // Compared as JSON values: key order may follow serde_json's features, content may not.
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    let current: Value = serde_json::from_str(&current).unwrap();
    assert!(
        committed == current,
        "core/bridge-schema.json is out of date: run `make generate` \
         (cargo run -p dollr-core --features bridge --example write_generated) and commit the result"
    );
}

/// The Swift/Kotlin resource objects are generated from the same `#[dollr_macros::operations]`
/// declarations as the bridge registry (decision 0012): the committed file must be what the
/// generator writes now.
#[test]
fn uniffi_resources_are_up_to_date() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bindings-swift/src/resources.rs"
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == bridge::uniffi_resources_rs(),
        "bindings-swift/src/resources.rs is out of date: run `make generate` (cargo run -p \
         dollr-core --features bridge --example write_generated) and commit the result"
    );
}

/// The lines of the block that starts at the line `header` and ends at the first line that is
/// exactly `end` (a generated file's top-level class, interface or protocol), or at the next
/// top-level line for Python (`end` empty).
fn block<'a>(text: &'a str, header: &str, end: &str) -> Option<Vec<&'a str>> {
    let mut lines = text.lines().skip_while(|line| !line.starts_with(header));
    lines.next()?;
    Some(
        lines
            .take_while(|line| {
                if end.is_empty() {
                    line.is_empty() || line.starts_with(' ')
                } else {
                    *line != end
                }
            })
            .collect(),
    )
}

fn generated(path: &str) -> String {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `payment_accounts` → `PaymentAccounts` (the bindings' class names).
fn upper_camel(snake: &str) -> String {
    let camel = bridge::camel_case(snake);
    let mut chars = camel.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Where each binding lacks a documented operation, by reading the generated surfaces (each is
/// drift-checked against its generator): Python `resources.py` (sync and async classes), Node
/// `index.d.ts`, Kotlin `dollr.kt` and Swift `Dollr.swift` (uniffi's output for the library), plus
/// the bridge itself.
fn missing_from_bindings(operations: &[&str], surfaces: &Surfaces) -> Vec<String> {
    let Surfaces {
        bridge_ops,
        python,
        node,
        kotlin,
        swift,
    } = surfaces;
    let mut missing = Vec::new();
    for name in operations {
        let (resource, method) = name.split_once('.').unwrap();
        let object = upper_camel(resource);
        let camel = bridge::camel_case(method);
        if !bridge_ops.contains(*name) {
            missing.push(format!("bridge: {name}"));
        }
        for (class, def) in [
            (format!("class {object}"), format!("    def {method}(")),
            (
                format!("class Async{object}"),
                format!("    async def {method}("),
            ),
        ] {
            // `class Status:` or, with a hand-written base (the status watch), `class Status(…):`.
            let found = [":", "("]
                .iter()
                .filter_map(|after| block(python, &format!("{class}{after}"), ""))
                .any(|lines| lines.iter().any(|l| l.starts_with(&def)));
            if !found {
                missing.push(format!("python: {class} {def}"));
            }
        }
        let class = format!("export declare class {object}Resource {{");
        let found = block(node, &class, "}")
            .is_some_and(|lines| lines.iter().any(|l| l.starts_with(&format!("  {camel}("))));
        if !found {
            missing.push(format!("node: {object}Resource.{camel}"));
        }
        // Swift/Kotlin: the token call is the client's own; every other resource is an object
        // reached from the client.
        let (object, accessor) = if resource == "auth" {
            ("DollrClient".to_string(), None)
        } else {
            (object, Some(bridge::camel_case(resource)))
        };
        let kotlin_fn = format!("    suspend fun `{camel}`(");
        let found = block(
            kotlin,
            &format!("public interface {object}Interface {{"),
            "}",
        )
        .is_some_and(|lines| lines.iter().any(|l| l.starts_with(&kotlin_fn)));
        if !found {
            missing.push(format!("kotlin: {object}.{camel}"));
        }
        let swift_fn = format!("    func {camel}(");
        let found = block(swift, &format!("public protocol {object}Protocol: "), "}")
            .is_some_and(|lines| lines.iter().any(|l| l.starts_with(&swift_fn)));
        if !found {
            missing.push(format!("swift: {object}.{camel}"));
        }
        if let Some(accessor) = accessor {
            let kotlin_accessor = format!("    fun `{accessor}`(): {object}");
            let found = block(kotlin, "public interface DollrClientInterface {", "}")
                .is_some_and(|lines| lines.iter().any(|l| l.starts_with(&kotlin_accessor)));
            if !found {
                missing.push(format!("kotlin: DollrClient.{accessor}"));
            }
            // uniffi writes `func parties()  -> Parties` (its spacing), so the parts are matched.
            let swift_accessor = format!("    func {accessor}()");
            let found =
                block(swift, "public protocol DollrClientProtocol: ", "}").is_some_and(|lines| {
                    lines.iter().any(|l| {
                        l.starts_with(&swift_accessor)
                            && l.trim_end().ends_with(&format!("-> {object}"))
                    })
                });
            if !found {
                missing.push(format!("swift: DollrClient.{accessor}"));
            }
        }
    }
    // One line per gap (an accessor is checked once per operation of its resource).
    missing.sort();
    missing.dedup();
    missing
}

/// What each binding exposes: the bridge's operation names and the generated source of Python,
/// Node, Kotlin and Swift, where the coverage tests look for every operation and flow.
#[derive(Clone)]
struct Surfaces {
    bridge_ops: BTreeSet<String>,
    python: String,
    node: String,
    kotlin: String,
    swift: String,
}

impl Surfaces {
    fn read() -> Surfaces {
        Surfaces {
            bridge_ops: bridge::operation_names()
                .into_iter()
                .map(str::to_string)
                .collect(),
            python: generated("bindings-python/python/dollr/resources.py"),
            node: generated("index.d.ts"),
            kotlin: generated("bindings-swift/kotlin/src/main/kotlin/app/heydollr/dollr/dollr.kt"),
            swift: generated("bindings-swift/swift/Sources/Dollr/Dollr.swift"),
        }
    }

    /// The same surfaces with `line` taken out of one language's source (`python`, `node`,
    /// `kotlin` or `swift`): what a missing wrapper looks like, to prove a scan notices it.
    fn without(&self, language: &str, line: &str) -> Surfaces {
        let mut changed = self.clone();
        let text = match language {
            "python" => &mut changed.python,
            "node" => &mut changed.node,
            "kotlin" => &mut changed.kotlin,
            "swift" => &mut changed.swift,
            other => panic!("no surface called {other}"),
        };
        assert!(text.contains(line), "fixture line not found: {line}");
        // Every occurrence: Kotlin and Swift spell each wrapper twice (the suspending and the
        // blocking client, generated from one declaration list), and the scan wants it in either.
        *text = text.replace(line, "");
        changed
    }
}

/// Every operation of `operations.json` is callable from every binding: the bridge, Python (sync
/// and async), Node, Kotlin and Swift.
#[test]
fn every_documented_operation_is_in_every_binding() {
    let operations: Vec<&str> = API_OPERATIONS.iter().map(|(_, name)| *name).collect();
    assert_eq!(operations.len(), 59);
    let surfaces = Surfaces::read();
    let missing = missing_from_bindings(&operations, &surfaces);
    assert!(
        missing.is_empty(),
        "operations missing from a binding: {missing:#?}"
    );

    // The scan sees a removal in each language (the check is not vacuous).
    let cases = [
        ("python", "    def retrieve_by_number("),
        ("node", "  retrieveByNumber("),
        ("kotlin", "    suspend fun `retrieveByNumber`("),
        ("swift", "    func retrieveByNumber("),
    ];
    for (language, line) in cases {
        let missing = missing_from_bindings(&operations, &surfaces.without(language, line));
        assert!(
            missing.iter().any(|m| m.starts_with(language)),
            "removing a {language} wrapper went unnoticed"
        );
    }
    let mut fewer = surfaces.clone();
    fewer.bridge_ops.remove("links.pay");
    let missing = missing_from_bindings(&operations, &fewer);
    assert_eq!(missing, ["bridge: links.pay"]);
}

/// `reference_id=None` in a binding: the core mints the UUID v4, journals it before the call and
/// returns it — on the execution, and on the error when the call fails.
#[tokio::test]
async fn an_execution_without_reference_id_gets_one_generated_and_journaled_by_the_core() {
    let (_sandbox, client) = start().await;
    let party = call(
        &client,
        "parties.create",
        json!({"fullname": "Ama", "phone": "231771234567", "country_code": "LR"}),
    )
    .await;
    let counterparty = call(
        &client,
        "counterparties.create",
        json!({"relationship_type": "CUSTOMER", "party_id": party["id"]}),
    )
    .await;
    let invoice = call(
        &client,
        "invoices.create",
        json!({"counterparty_id": counterparty["id"], "currency": "USD", "note": "n", "fee_bearer": "PAYER", "as_payment_link": false}),
    )
    .await;
    call(
        &client,
        "invoices.add_item",
        json!({"id": invoice["id"], "name": "Tea", "currency": "USD", "qty": 1, "amount": "5.00"}),
    )
    .await;
    call(&client, "invoices.publish", json!({"id": invoice["id"]})).await;
    let session = call(
        &client,
        "sessions.checkout",
        json!({"source_id": invoice["id"], "source_type": "INVOICE"}),
    )
    .await;
    let account = call(
        &client,
        "payment_accounts.create",
        json!({"operation_type": "COLLECTION", "account_name": "Ama", "provider": "PAWAPAY", "method": "MTN_MOMO_LBR",
               "party_id": party["id"], "country_code": "LR", "insensitive_account_number": "231771234567"}),
    )
    .await;

    let execution = call(
        &client,
        "executions.collection",
        json!({"session_id": session["id"], "payment_account_id": account["id"], "currency": "USD"}),
    )
    .await;
    let reference_id = execution["reference_id"].as_str().unwrap().to_string();
    let parsed = uuid::Uuid::parse_str(&reference_id).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    let intent = client.journal().get(&reference_id).await.unwrap();
    assert!(intent.is_some(), "the generated id was journaled");

    // A failing call still tells the caller which id it minted.
    let error = bridge::call(
        &client,
        "executions.collection",
        json!({"session_id": 999_999, "payment_account_id": account["id"], "currency": "USD"}),
    )
    .await
    .unwrap_err();
    let minted = error
        .reference_id()
        .expect("the error carries the generated reference id")
        .to_string();
    assert_ne!(minted, reference_id);
    assert!(client.journal().get(&minted).await.unwrap().is_some());

    // An explicit empty id is refused, never silently replaced.
    let error = bridge::call(
        &client,
        "executions.collection",
        json!({"session_id": session["id"], "payment_account_id": account["id"], "currency": "USD", "reference_id": ""}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
}

// What results and errors are called, as a caller who read the Dollr docs expects: a waited result
// answers `status` like the docs' status payloads; a path or query parameter's validation `loc`
// says `path`/`query`; a flow error names the argument the caller passed.

/// The `loc` of the first detail of the Validation error `operation(arguments)` gives.
async fn loc_of(client: &Client, operation: &str, arguments: Value) -> Vec<String> {
    let error = bridge::call(client, operation, arguments)
        .await
        .expect_err("expected a Validation error");
    assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
    error.details().first().expect("a detail").loc.clone()
}

#[tokio::test]
async fn a_waited_result_answers_status_like_the_docs_status_payloads() {
    let (_sandbox, client) = start().await;
    let outcome = bridge::call(
        &client,
        "collect",
        json!({"phone": dollr_core::test_numbers::COMPLETES, "payer_name": "Wait Payer",
               "currency": "USD", "amount": "2.50",
               "wait_timeout_ms": 30000, "poll_interval_ms": 10, "max_poll_interval_ms": 50}),
    )
    .await
    .unwrap();
    let reference_id = outcome["execution"]["reference_id"].as_str().unwrap();

    let waited = bridge::call(
        &client,
        "status.wait",
        json!({"operation": "COLLECTION", "reference_id": reference_id, "timeout_ms": 30000,
               "initial_interval_ms": 10, "max_interval_ms": 50}),
    )
    .await
    .unwrap();
    assert_eq!(waited["state"], "finished", "{waited}");
    assert_eq!(waited["status"], "COMPLETED", "{waited}");
    assert_eq!(waited["status"], waited["execution"]["status"]);

    let schema = bridge::schema();
    let model = schema["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "WaitOutcome")
        .unwrap();
    let status = model["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "status")
        .unwrap_or_else(|| panic!("WaitOutcome has no `status` field: {model}"));
    assert_eq!(status["type"], "enum:ExecutionStatus", "{status}");
}

#[tokio::test]
async fn path_and_query_parameters_are_located_in_path_and_query() {
    let client = offline_client();
    // Refused by the bridge's own argument check (missing, mistyped) and by the core's validators
    // (an id of 0, a reference id that is no UUID v4): each says where the API takes the field.
    assert_eq!(
        loc_of(&client, "parties.retrieve", json!({})).await,
        ["path", "id"]
    );
    assert_eq!(
        loc_of(&client, "parties.retrieve", json!({"id": "x"})).await,
        ["path", "id"]
    );
    assert_eq!(
        loc_of(&client, "parties.retrieve", json!({"id": 0})).await,
        ["path", "id"]
    );
    assert_eq!(
        loc_of(
            &client,
            "status.collection",
            json!({"reference_id": "not-a-uuid"})
        )
        .await,
        ["path", "reference_id"]
    );
    assert_eq!(
        loc_of(
            &client,
            "invoices.add_item",
            json!({"name": "Tea", "currency": "USD", "qty": 1, "amount": "1"})
        )
        .await,
        ["path", "id"]
    );
    assert_eq!(
        loc_of(&client, "parties.list", json!({"fullname": 5})).await,
        ["query", "fullname"]
    );
    // Body fields stay in the body.
    assert_eq!(
        loc_of(
            &client,
            "invoices.add_item",
            json!({"id": 1, "name": "Tea", "currency": "USD", "qty": 1, "amount": "ten"})
        )
        .await,
        ["body", "amount"]
    );
}

#[tokio::test]
async fn a_flow_error_names_the_amount_the_caller_passed() {
    let client = offline_client();
    for operation in ["collect", "hosted_checkout"] {
        let error = bridge::call(
            &client,
            operation,
            json!({"phone": "231771234567", "payer_name": "A", "currency": "USD",
                   "amount": "-1.00"}),
        )
        .await
        .expect_err("a negative amount is refused");
        assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
        let detail = error.details().first().expect("a detail");
        assert_eq!(
            detail.field(),
            "amount",
            "{operation}: {:?}",
            error.details()
        );
        assert!(
            !error.message().contains("items.0"),
            "{operation}: {}",
            error.message()
        );
    }
    // Given as `items`, the line is named as the caller wrote it.
    let error = bridge::call(
        &client,
        "collect",
        json!({"phone": "231771234567", "payer_name": "A", "currency": "USD",
               "items": [{"name": "Tea", "qty": 1, "amount": "-1.00"}]}),
    )
    .await
    .expect_err("a negative amount is refused");
    assert_eq!(error.details()[0].field(), "items.0.amount");
}

#[test]
fn field_names_are_spelled_the_camel_case_way_in_names_and_texts() {
    assert_eq!(
        bridge::camel_case("items.0.unit_price"),
        "items.0.unitPrice"
    );
    assert_eq!(bridge::camel_case("base_amount"), "baseAmount");
    assert_eq!(bridge::camel_case("MTN_MOMO_LBR"), "MTN_MOMO_LBR");
    assert_eq!(
        bridge::camel_case_field_names("`payer_name` is required by `collect`"),
        "`payerName` is required by `collect`"
    );
    assert_eq!(
        bridge::camel_case_field_names(
            "invalid `items.0.unit_price`: expected one of `MTN_MOMO_LBR`, got `not_a-uuid`"
        ),
        "invalid `items.0.unitPrice`: expected one of `MTN_MOMO_LBR`, got `not_a-uuid`"
    );
    // An unpaired backtick quotes nothing.
    assert_eq!(
        bridge::camel_case_field_names("a `b_c` and `d_e"),
        "a `bC` and `d_e"
    );
}

#[tokio::test]
async fn the_core_locates_its_own_path_parameter_checks_in_the_path() {
    let client = offline_client();
    let error = client
        .parties()
        .retrieve(0)
        .await
        .expect_err("id 0 is refused");
    assert_eq!(error.details()[0].loc, ["path", "id"]);
    let error = client
        .status()
        .collection("not-a-uuid")
        .await
        .expect_err("not a UUID v4");
    assert_eq!(error.details()[0].loc, ["path", "reference_id"]);
}

/// The flows: every `pub fn` / `pub async fn` of an `impl Client` block in `core/src/flows/*.rs`
/// and `core/src/reconcile.rs` (where `#[dollr_macros::flows]` declares them).
fn flow_methods() -> BTreeSet<String> {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(format!("{src}/flows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.push(format!("{src}/reconcile.rs").into());
    let mut methods = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut in_client = false;
        for line in text.lines() {
            if line == "impl Client {" {
                in_client = true;
            } else if line == "}" {
                in_client = false;
            } else if in_client {
                let rest = line
                    .strip_prefix("    pub async fn ")
                    .or_else(|| line.strip_prefix("    pub fn "));
                if let Some(rest) = rest {
                    methods.insert(rest.split(['(', '<']).next().unwrap().to_string());
                }
            }
        }
    }
    methods
}

/// The flows of `flows` missing from the bridge or from a binding's client (Python sync and
/// async, Node, Kotlin, Swift).
fn missing_flows(flows: &BTreeSet<String>, surfaces: &Surfaces) -> Vec<String> {
    let Surfaces {
        bridge_ops,
        python,
        node,
        kotlin,
        swift,
    } = surfaces;
    let has = |text: &str, header: &str, end: &str, starts: &[String]| {
        block(text, header, end).is_some_and(|lines| {
            lines
                .iter()
                .any(|l| starts.iter().any(|s| l.starts_with(s)))
        })
    };
    let mut missing = Vec::new();
    for name in flows {
        let camel = bridge::camel_case(name);
        if !bridge_ops.contains(name) {
            missing.push(format!("bridge: {name}"));
        }
        let checks = [
            (
                "python",
                python,
                "class Client(ClientBase):",
                "",
                vec![format!("    def {name}(")],
            ),
            (
                "python async",
                python,
                "class AsyncClient(AsyncClientBase):",
                "",
                vec![format!("    async def {name}(")],
            ),
            (
                "node",
                node,
                "export declare class Client {",
                "}",
                vec![format!("  {camel}(")],
            ),
            (
                "kotlin",
                kotlin,
                "public interface DollrClientInterface {",
                "}",
                vec![
                    format!("    suspend fun `{camel}`("),
                    format!("    fun `{camel}`("),
                ],
            ),
            (
                "swift",
                swift,
                "public protocol DollrClientProtocol: ",
                "}",
                vec![format!("    func {camel}(")],
            ),
        ];
        for (language, text, header, end, starts) in checks {
            if !has(text, header, end, &starts) {
                missing.push(format!("{language}: {name}"));
            }
        }
    }
    missing
}

/// Every flow method of the core (`impl Client` in `core/src/flows`, `reconcile`) is a bridge
/// operation and a method of every binding's client: its `#[dollr_macros::flows]` declaration
/// writes the bridge entry and the generated uniffi method (or it is marked `#[uniffi_by_hand]`
/// and written in bindings-swift), and the Python/Node layers are generated from the schema.
#[test]
fn every_flow_is_in_the_bridge_and_every_binding() {
    let flows = flow_methods();
    let known = [
        "collect",
        "payout",
        "transfer",
        "refund",
        "hosted_checkout",
        "verify_paid",
        "wait_source_paid",
        "reconcile",
        "forget_payment_accounts",
    ];
    for flow in known {
        assert!(flows.contains(flow), "the scan missed the flow {flow}");
    }
    let surfaces = Surfaces::read();
    let missing = missing_flows(&flows, &surfaces);
    assert!(
        missing.is_empty(),
        "flows missing from a binding: {missing:#?}"
    );

    // The scan sees a removal in each place (the check is not vacuous).
    let mut unknown = flows.clone();
    unknown.insert("pay_twice".to_string());
    assert!(missing_flows(&unknown, &surfaces).contains(&"bridge: pay_twice".to_string()));
    let cases = [
        (
            "python: forget_payment_accounts",
            "python",
            "    def forget_payment_accounts(",
        ),
        ("node: collect", "node", "  collect("),
        (
            "kotlin: forget_payment_accounts",
            "kotlin",
            "    fun `forgetPaymentAccounts`(",
        ),
        (
            "kotlin: wait_source_paid",
            "kotlin",
            "    suspend fun `waitSourcePaid`(",
        ),
        ("swift: reconcile", "swift", "    func reconcile("),
    ];
    for (expected, language, line) in cases {
        let missing = missing_flows(&flows, &surfaces.without(language, line));
        assert_eq!(missing, vec![expected.to_string()], "removing {line:?}");
    }
}

#[test]
fn an_argument_a_binding_cannot_send_is_a_validation_error_naming_it_where_the_api_takes_it() {
    // A path parameter of an operation, a body field of another, a flow's argument, an unknown
    // operation (no location known: the field stays in `body`, as the core's own checks say).
    for (operation, path, loc) in [
        (
            "status.collection",
            vec!["reference_id"],
            vec!["path", "reference_id"],
        ),
        (
            "parties.create",
            vec!["metadata", "tags", "2"],
            vec!["body", "metadata", "tags", "2"],
        ),
        ("collect", vec!["phone"], vec!["body", "phone"]),
        ("no.such_operation", vec!["x"], vec!["body", "x"]),
    ] {
        let path: Vec<String> = path.into_iter().map(String::from).collect();
        let error = bridge::unsendable_argument(operation, &path, "a bytes");
        assert_eq!(error.kind(), ErrorKind::Validation);
        assert!(error.status().is_none());
        let field = path.join(".");
        assert!(
            error.message().starts_with(&format!(
                "invalid `{field}` for `{operation}`: a bytes cannot be sent"
            )),
            "{}",
            error.message()
        );
        let detail = error.details().first().expect("a detail");
        assert_eq!(detail.loc, loc, "{operation}");
        assert_eq!(detail.kind, "type_error");
        assert_eq!(detail.field(), field);
    }
}

#[test]
fn each_operation_returns_what_the_schema_says_it_returns() {
    let schema = bridge::schema();
    let operations = schema["operations"].as_array().unwrap();
    assert!(operations.len() > 50, "{}", operations.len());
    for operation in operations {
        let name = operation["name"].as_str().unwrap();
        assert_eq!(
            bridge::operation_returns(name).as_deref(),
            operation["returns"].as_str(),
            "{name}"
        );
    }
    assert_eq!(bridge::operation_returns("no.such_operation"), None);
}

/// What a blocking client's caller thread needs: a blocking call (`dollr.Client`,
/// `DollrBlockingClient`) runs on the thread that makes it (`OwnRuntime::block_on`), and a JVM
/// thread has 1 MB of stack unless told otherwise (`-Xss`), an Android thread about as much. A
/// call too deep for its thread does not fail, it crashes the process. The deepest call there is,
/// a whole collect flow with its token request, must fit in half of that even unoptimized, as
/// every test suite builds the library (a release build needs under 100 KB). Before the flows'
/// larger futures were boxed it needed 567 KB, and the blocking Kotlin client's test of a listener
/// calling its own client crashed its JVM with `-Xss768k`. If this overflows (the test process
/// aborts: "thread 'collect-in-512-KB' has overflowed its stack"), box what grew.
#[test]
fn a_whole_flow_driven_on_its_callers_thread_fits_in_half_a_jvm_threads_stack() {
    const STACK: usize = 512 * 1024;
    let server = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, client) = server.block_on(start());
    let caller = std::thread::Builder::new()
        .name("collect-in-512-KB".into())
        .stack_size(STACK)
        .spawn(move || {
            let runtime = bridge::OwnRuntime::new().unwrap();
            runtime.block_on(bridge::call(
                &client,
                "collect",
                json!({"phone": dollr_core::test_numbers::COMPLETES, "payer_name": "Deep Caller",
                       "currency": "USD", "items": [{"name": "Tea", "qty": 1, "amount": "2.00"}],
                       "wait_timeout_ms": 30000, "poll_interval_ms": 10, "max_poll_interval_ms": 50}),
            ))
        })
        .unwrap();
    let outcome = caller.join().unwrap().unwrap().unwrap();
    assert_eq!(outcome["execution"]["status"], "COMPLETED", "{outcome}");
    assert_eq!(outcome["settled"], true);
    drop(sandbox);
}
