//! What the bridge's results and errors are called, as a caller who read the Dollr docs expects:
//! a waited result answers `status` like the docs' status payloads; a path or query parameter's
//! validation `loc` says `path`/`query`; a flow error names the argument the caller passed.

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dollr_core::bridge::{self, ClientOptions};
use dollr_core::{Client, ErrorKind, Secret};
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn start() -> (Sandbox, Client) {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(20)).await.unwrap();
    let client = bridge::client_from_options(ClientOptions {
        client_id: Some(sandbox.client_id()),
        client_secret: Some(Secret::new(sandbox.client_secret())),
        base_url: Some(sandbox.url()),
        ..ClientOptions::default()
    })
    .unwrap();
    (sandbox, client)
}

/// A client that never reaches a server: these checks must fail before anything is sent.
fn offline_client() -> Client {
    bridge::client_from_options(ClientOptions {
        client_id: Some("id".into()),
        client_secret: Some(Secret::new("secret")),
        base_url: Some("http://127.0.0.1:9".into()),
        max_retries: Some(0),
        ..ClientOptions::default()
    })
    .unwrap()
}

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
