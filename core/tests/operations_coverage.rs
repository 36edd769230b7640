//! Every operation of `operations.json` is callable through dollr-core.
//!
//! For each of the 59 documented operations a table entry calls the SDK method. A transport
//! synthesizes a 200 answer from the operation's documented response fields and records the
//! request. For EVERY operation the test asserts that the SDK sent the documented method and path
//! (path parameters filled), only documented query parameters and all required ones, only
//! documented body fields (recursively) and all required ones, the bearer token where auth is
//! required, and that the typed response decoded. The table must cover every operation id.

// Test helpers outside #[test] functions may unwrap too: a panic is a failure with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dollr_core::models::*;
use dollr_core::time::parse_timestamp;
use dollr_core::transport::{HeaderMap, HttpRequest, HttpResponse, Transport, TransportError};
use dollr_core::*;
use serde_json::{json, Map, Value};

const BASE: &str = "http://127.0.0.1:9";
const REF: &str = "550e8400-e29b-41d4-a716-446655440000";
const TOKEN_PATH: &str = "/v1/jwt/client/obtain/token";

fn operations() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/dollr-api/operations.json"
    ))
    .unwrap();
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

fn fields(value: &Value) -> &[Value] {
    value
        .get("fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn name(field: &Value) -> &str {
    field["name"].as_str().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Response synthesis

/// A type-appropriate example value for one documented response field.
fn example(field: &Value) -> Value {
    let field_name = name(field);
    let kind = field["type"].as_str().unwrap_or("string");
    if !fields(field).is_empty() {
        let object = example_object(fields(field));
        return if kind.starts_with("array") {
            json!([object])
        } else {
            object
        };
    }
    if let Some(first) = field
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    let number = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    // Ids typed `number|integer` (e.g. the checkout session's payment_account_id) are integers.
    let is_id = field_name == "id" || field_name.ends_with("_id");
    match kind {
        "number|integer" | "number|integer|null" if is_id => json!(7),
        "integer" | "integer|null" => match field_name {
            "expires_in" => json!(60),
            _ => json!(7),
        },
        "number|integer" | "number|integer|null" | "number" | "number|string" => number("10.50"),
        "boolean" => json!(true),
        "string(date-time)" => json!("2025-06-01T10:00:00Z"),
        "array<string>" => json!(["USD"]),
        _ => json!(string_example(field_name)),
    }
}

fn string_example(field_name: &str) -> &'static str {
    match field_name {
        "reference_id" => REF,
        "payer_amount" | "payee_amount" | "platform_fee" | "fx_fee" | "gateway_fee" | "fx_rate"
        | "percentage" | "fx_percentage" => "1.50",
        "phone" | "party_phone" | "counterparty_phone" => "231771234567",
        "email" | "party_email" | "counterparty_email" => "amara@example.com",
        "url" | "success_url" | "cancel_url" => "https://pay.heydollr.app/p/abc",
        "country_code" => "LR",
        name if name.contains("currency") || name.starts_with("fx_currency") => "USD",
        _ => "text",
    }
}

fn example_object(fields: &[Value]) -> Value {
    let mut object = Map::new();
    for field in fields {
        object.insert(name(field).to_string(), example(field));
    }
    Value::Object(object)
}

/// The 200 body for `operation`, following its documented response shape.
fn synthesize(operation: &Value) -> Value {
    let response = &operation["response"];
    let shape = response["shape"].as_str().unwrap_or("object");
    if response["schema_name"].as_str() == Some("(empty object)") {
        return json!({});
    }
    let mut object = example_object(fields(response));
    // Executions and execution statuses echo the kind of operation they belong to.
    let path = operation["path"].as_str().unwrap();
    for kind in ["collection", "payout", "transfer", "refund"] {
        if path.starts_with(&format!("/v1/executions/{kind}"))
            || path.starts_with(&format!("/v1/status/{kind}/"))
        {
            object["operation_type"] = json!(kind.to_ascii_uppercase());
        }
    }
    if shape.starts_with("bare array") {
        json!([object])
    } else {
        object
    }
}

fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty() && !p.contains('{') && !p.contains('}')
            } else {
                t == p
            }
        })
}

// ---------------------------------------------------------------------------------------------
// The synthesizing, recording transport

#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    query: Vec<String>,
    body: Option<Value>,
    authorized: bool,
}

struct Synthesizer {
    operations: Vec<Value>,
    recorded: Mutex<Vec<Recorded>>,
}

#[async_trait]
impl Transport for Synthesizer {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let rest = request
            .url
            .strip_prefix(BASE)
            .unwrap_or(&request.url)
            .to_string();
        let (path, query) = rest
            .split_once('?')
            .map(|(p, q)| (p.to_string(), q.to_string()))
            .unwrap_or((rest, String::new()));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split('=').next().unwrap_or(p).to_string())
            .collect();
        let body = request
            .body
            .as_ref()
            .map(|b| serde_json::from_slice::<Value>(b).unwrap());
        let method = request.method.as_str().to_string();
        let authorized = request
            .headers
            .get("authorization")
            .is_some_and(|v| v.as_bytes().starts_with(b"Bearer "));
        self.recorded.lock().unwrap().push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query,
            body,
            authorized,
        });
        let operation = self.operations.iter().find(|op| {
            op["method"].as_str() == Some(method.as_str())
                && path_matches(op["path"].as_str().unwrap(), &path)
        });
        let (status, body) = match operation {
            Some(op) => (200, serde_json::to_vec(&synthesize(op)).unwrap()),
            None => (404, br#"{"detail":"Not Found"}"#.to_vec()),
        };
        Ok(HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The table: operation id → SDK call

type Call = Box<dyn Fn(Client) -> Pin<Box<dyn Future<Output = Result<()>> + Send>>>;

macro_rules! call {
    ($id:literal, |$c:ident| $body:expr) => {
        (
            $id,
            Box::new(
                move |$c: Client| -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
                    Box::pin(async move { $body.await.map(|_| ()) })
                },
            ) as Call,
        )
    };
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn ts(text: &str) -> Timestamp {
    parse_timestamp(text).unwrap()
}

fn create_source(due_date: Option<Timestamp>) -> CreateSourceRequest {
    CreateSourceRequest {
        counterparty_id: 7,
        currency: "USD".into(),
        note: "June order".into(),
        fee_bearer: FeeBearer::Payer,
        as_payment_link: true,
        reference_id: Some("my-ref-42".into()),
        due_date,
    }
}

fn update_source() -> UpdateSourceRequest {
    UpdateSourceRequest {
        reference_id: Some("my-ref-43".into()),
        note: Some("updated".into()),
        fee_bearer: Some(FeeBearer::Payee),
        due_date: None,
    }
}

fn add_item() -> AddItemRequest {
    AddItemRequest {
        name: "Rice 25kg".into(),
        currency: "USD".into(),
        qty: 2,
        amount: dec("12.50"),
    }
}

fn update_item() -> UpdateItemRequest {
    UpdateItemRequest {
        name: Some("Rice 50kg".into()),
        qty: Some(1),
        amount: Some(dec("24.00")),
    }
}

fn list_sources() -> ListSourcesQuery {
    ListSourcesQuery {
        currency: Some("USD".into()),
        status: Some(SourceStatus::Active),
    }
}

fn passcode() -> Passcode {
    Passcode {
        token: PasscodeToken {
            code: Secret::new("1234"),
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

fn table() -> Vec<(&'static str, Call)> {
    vec![
        call!("client_obtain_token__version__jwt_client_obtain_token_post", |c| c.obtain_token()),
        // Parties and counterparties
        call!("create_party__version__parties_create_post", |c| c.parties().create(&CreatePartyRequest {
            fullname: "Amara Kamara".into(),
            phone: "231771234567".into(),
            email: Some("amara@example.com".into()),
            country_code: Some("LR".into()),
        })),
        call!("list_parties__version__parties_list_get", |c| c
            .parties()
            .list(&ListPartiesQuery { fullname: Some("Amara".into()) })),
        call!("retrieve_parties__version__parties_retrieve__id__get", |c| c.parties().retrieve(42)),
        call!("create_counterparty__version__counterparties_create_post", |c| c
            .counterparties()
            .create(&CreateCounterpartyRequest { relationship_type: RelationshipType::Customer, party_id: Some(42) })),
        call!("list_counterparties__version__counterparties_list_get", |c| c.counterparties().list(
            &ListCounterpartiesQuery { fullname: Some("Amara".into()), relationship_type: Some(RelationshipType::Customer) }
        )),
        call!("retrieve_counterparties__version__counterparties_retrieve__id__get", |c| c.counterparties().retrieve(7)),
        call!("update_counterparty__version__counterparties_update__id__put", |c| c.counterparties().update(
            7,
            &UpdateCounterpartyRequest { relationship_type: Some(RelationshipType::Supplier), party_id: Some(42) }
        )),
        // Invoices
        call!("create_invoice__version__invoices_create_post", |c| c
            .invoices()
            .create(&create_source(Some(ts("2025-07-01T00:00:00Z"))))),
        call!("list_invoice__version__invoices_list_get", |c| c.invoices().list(&list_sources())),
        call!("retrieve_invoice_by_id__version__invoices_retrieve__id__get", |c| c.invoices().retrieve(101)),
        call!("retrieve_invoice_by_number__version__invoices_retrieve_number__invoice_number__get", |c| c
            .invoices()
            .retrieve_by_number("INV-2025-0042")),
        call!("update_invoice__version__invoices_update__id__put", |c| c.invoices().update(101, &update_source())),
        call!("add_invoice_item__version__invoices__invoice_id__items_add_post", |c| c.invoices().add_item(101, &add_item())),
        call!("update_invoice_item__version__invoices__invoice_id__items__id__update_put", |c| c
            .invoices()
            .update_item(101, 3, &update_item())),
        call!("remove_invoice_item__version__invoices__invoice_id__items__id__remove_delete", |c| c
            .invoices()
            .remove_item(101, 3)),
        call!("publish_invoice__version__invoices_publish__id__put", |c| c.invoices().publish(101)),
        call!("cancel_invoice__version__invoices_cancel__id__delete", |c| c.invoices().cancel(101)),
        call!("retrieve_invoice_receipt_by_id__version__invoices_receipt__id__get", |c| c.invoices().receipt(101)),
        call!("retrieve_invoice_receipt_by_number__version__invoices_receipt_number__invoice_number__get", |c| c
            .invoices()
            .receipt_by_number("INV-2025-0042")),
        // Orders
        call!("create_order__version__orders_create_post", |c| c.orders().create(&create_source(None))),
        call!("list_order__version__orders_list_get", |c| c.orders().list(&list_sources())),
        call!("retrieve_order_by_id__version__orders_retrieve__id__get", |c| c.orders().retrieve(201)),
        call!("retrieve_order_by_number__version__orders_retrieve_number__order_number__get", |c| c
            .orders()
            .retrieve_by_number("ORD-2025-0007")),
        call!("update_order__version__orders_update__id__put", |c| c.orders().update(201, &update_source())),
        call!("add_order_item__version__orders__order_id__items_add_post", |c| c.orders().add_item(201, &add_item())),
        call!("update_order_item__version__orders__order_id__items__id__update_put", |c| c
            .orders()
            .update_item(201, 3, &update_item())),
        call!("remove_order_item__version__orders__order_id__items__id__remove_delete", |c| c.orders().remove_item(201, 3)),
        call!("publish_order__version__orders_publish__id__put", |c| c.orders().publish(201)),
        call!("cancel_order__version__orders_cancel__id__delete", |c| c.orders().cancel(201)),
        call!("retrieve_order_receipt_by_id__version__orders_receipt__id__get", |c| c.orders().receipt(201)),
        call!("retrieve_order_receipt_by_number__version__orders_receipt_number__order_number__get", |c| c
            .orders()
            .receipt_by_number("ORD-2025-0007")),
        // Checkouts
        call!("create_checkout_source__version__checkouts_create_post", |c| c.checkouts().create(&CreateCheckoutRequest {
            party_name: Some("Amara Kamara".into()),
            party_email: Some("amara@example.com".into()),
            party_relationship: Some(RelationshipType::Customer),
            reference_id: Some("cart-42".into()),
            note: Some("Thanks".into()),
            due_date: Some(ts("2025-07-01T00:00:00Z")),
            success_url: Some("https://shop.example/success".into()),
            cancel_url: Some("https://shop.example/cancel".into()),
            expires_at: Some(ts("2025-07-01T00:00:00Z")),
            counterparty_id: Some(7),
            ..CreateCheckoutRequest::hosted(
                SourceType::Invoice,
                "231771234567",
                "USD",
                vec![CheckoutItem::new("Rice 25kg", "USD", dec("12.50"))],
            )
        })),
        // Sessions
        call!("create_checkout_session__version__sessions_checkout_post", |c| c
            .sessions()
            .checkout(&CreateCheckoutSessionRequest { source_id: 101, source_type: SourceType::Invoice })),
        call!("create_payout_session__version__sessions_payout_post", |c| c.sessions().payout(
            &CreatePayoutSessionRequest { payout_account_id: 18, amount: dec("250.00"), currency: "USD".into() }
        )),
        call!("create_transfer_session__version__sessions_transfer_post", |c| c.sessions().transfer(
            &CreateTransferSessionRequest {
                from_wallet_id: 9,
                to_counterparty_id: 7,
                amount: dec("100.50"),
                currency: "USD".into(),
                expires_at: ts("2026-06-15T18:00:00Z"),
            }
        )),
        call!("create_refund_session__version__sessions_refund_post", |c| c.sessions().refund(
            &CreateRefundSessionRequest {
                original_payment_intent_id: 314,
                amount: dec("25"),
                reason: Some("damaged".into()),
                expires_at: ts("2026-06-15T18:00:00Z"),
            }
        )),
        // Executions
        call!("collect__version__executions_collection_post", |c| c.executions().collection(
            &CollectionExecutionRequest { session_id: 55, payment_account_id: 18, currency: "USD".into(), reference_id: REF.into() }
        )),
        call!("payout__version__executions_payout_post", |c| c.executions().payout(&PayoutExecutionRequest {
            session_id: 77,
            payout_account_id: 18,
            reference_id: REF.into(),
            passcode: passcode(),
        })),
        call!("transfer__version__executions_transfer_post", |c| c
            .executions()
            .transfer(&TransferExecutionRequest { session_id: 5, reference_id: REF.into() })),
        call!("refund__version__executions_refund_post", |c| c
            .executions()
            .refund(&RefundExecutionRequest { session_id: 6, reference_id: REF.into() })),
        // Status
        call!("get_collection_status__version__status_collection__reference_id__get", |c| c.status().collection(REF)),
        call!("get_payout_status__version__status_payout__reference_id__get", |c| c.status().payout(REF)),
        call!("get_transfer_status__version__status_transfer__reference_id__get", |c| c.status().transfer(REF)),
        call!("get_refund_status__version__status_refund__reference_id__get", |c| c.status().refund(REF)),
        call!("get_payment_source_status__version__status_source_get", |c| c.status().source(SourceType::Invoice, 101)),
        // Payment accounts
        call!("create_payment_account__version__payment_accounts_create_post", |c| c.payment_accounts().create(
            OperationType::Collection,
            &CreatePaymentAccountRequest {
                account_name: "Amara MTN Wallet".into(),
                provider: Provider::Pawapay,
                method: PaymentMethod::MtnMomoLbr,
                party_id: 42,
                country_code: Some("LR".into()),
                insensitive_account_number: Some("231771234567".into()),
            }
        )),
        // Links
        call!("get_payment_link__version__links_pay_get", |c| c.links().pay(SourceType::Invoice, "INV-2025-0042")),
        call!("get_receipt_link__version__links_receipt_get", |c| c.links().receipt(SourceType::Invoice, "INV-2025-0042")),
        // Predictions
        call!("predict_amount_and_fee__version__predictions_amount_and_fees_get", |c| c.predictions().amount_and_fees(
            &AmountAndFeesQuery {
                base_amount: dec("250"),
                base_currency: "USD".into(),
                target_currency: "LRD".into(),
                payment_method: PaymentMethod::MtnMomoLbr,
                operation_type: OperationType::Collection,
                provider: Provider::Pawapay,
                fee_bearer: FeeBearer::Payer,
                owner_type: Some(OwnerType::Organization),
                owner_id: Some(42),
            }
        )),
        call!("predict_mmo_provider_info__version__predictions_mmo_provider_info_get", |c| c
            .predictions()
            .mmo_provider_info("231771234567", OperationType::Collection)),
        call!("predict_card_provider_info__version__predictions_card_provider_info_get", |c| c
            .predictions()
            .card_provider_info(&CardProviderQuery {
                payment_method_id: "pm_xxx".into(),
                operation_type: OperationType::Collection,
                provider: Some(Provider::Stripe),
            })),
        call!("predict_payment_source_amount_and_fee__version__predictions_payment_source_amount_and_fees_get", |c| c
            .predictions()
            .payment_source_amount_and_fees(&PaymentSourceAmountAndFeesQuery {
                target_currency: "USD".into(),
                payment_method: PaymentMethod::CreditCard,
                provider: Provider::Stripe,
                source_type: SourceType::Invoice,
                source_id: 101,
            })),
        // Fees
        call!("get_gateway_fees__version__fees_gateway_get", |c| c
            .fees()
            .gateway(PaymentMethod::MtnMomoLbr, OperationType::Collection)),
        call!("get_platform_fees__version__fees_platform_get", |c| c.fees().platform(OperationType::Collection, "default")),
        call!("get_merchant_fee_tier__version__fees_merchant_tier_get", |c| c
            .fees()
            .merchant_tier(OwnerType::Organization, 42)),
        call!("list_fee_tier__version__fees_tiers_get", |c| c.fees().tiers()),
        // Merchants
        call!("get_merchant_info__version__merchants_merchant_info_get", |c| c
            .merchants()
            .info(42, MerchantType::Organization)),
        // Realtime keys
        call!("get_collection_realtime_key__version__realtime_keys_collection_post", |c| c.realtime_keys().collection(
            &RealtimeKeyRequest { session_id: 55, source_type: SourceType::Invoice, reference_id: REF.into() }
        )),
    ]
}

// ---------------------------------------------------------------------------------------------
// Checks

fn check_body(
    operation_id: &str,
    at: &str,
    documented: &[Value],
    sent: &Value,
    problems: &mut Vec<String>,
) {
    let Some(sent) = sent.as_object() else {
        problems.push(format!("{operation_id}: body{at} is not an object: {sent}"));
        return;
    };
    let names: BTreeSet<&str> = documented.iter().map(name).collect();
    for key in sent.keys() {
        if !names.contains(key.as_str()) {
            problems.push(format!("{operation_id}: undocumented body field {at}{key}"));
        }
    }
    for field in documented {
        let field_name = name(field);
        match sent.get(field_name) {
            None if field["required"].as_bool() == Some(true) => problems.push(format!(
                "{operation_id}: required body field {at}{field_name} missing"
            )),
            Some(value) if !fields(field).is_empty() => {
                let nested = format!("{at}{field_name}.");
                match value {
                    Value::Array(items) => {
                        for item in items {
                            check_body(operation_id, &nested, fields(field), item, problems);
                        }
                    }
                    other => check_body(operation_id, &nested, fields(field), other, problems),
                }
            }
            _ => {}
        }
    }
}

fn check(operation: &Value, recorded: &Recorded, problems: &mut Vec<String>) {
    let id = operation["operation_id"].as_str().unwrap();
    let method = operation["method"].as_str().unwrap();
    let template = operation["path"].as_str().unwrap();
    if recorded.method != method || !path_matches(template, &recorded.path) {
        problems.push(format!(
            "{id}: sent {} {} instead of {method} {template}",
            recorded.method, recorded.path
        ));
    }
    let documented: Vec<&Value> = operation["query_params"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let documented_names: BTreeSet<&str> = documented.iter().map(|q| name(q)).collect();
    for sent in &recorded.query {
        if !documented_names.contains(sent.as_str()) {
            problems.push(format!("{id}: undocumented query parameter {sent}"));
        }
    }
    for param in documented
        .iter()
        .filter(|q| q["required"].as_bool() == Some(true))
    {
        if !recorded.query.iter().any(|sent| sent == name(param)) {
            problems.push(format!(
                "{id}: required query parameter {} missing",
                name(param)
            ));
        }
    }
    let request_fields = operation
        .get("request_body")
        .filter(|b| !b.is_null())
        .map(fields);
    match (request_fields, &recorded.body) {
        (Some(documented), Some(sent)) => check_body(id, "", documented, sent, problems),
        (Some(documented), None)
            if documented
                .iter()
                .any(|f| f["required"].as_bool() == Some(true)) =>
        {
            problems.push(format!("{id}: no body sent"))
        }
        (None, Some(sent)) => problems.push(format!(
            "{id}: body sent to an operation without one: {sent}"
        )),
        _ => {}
    }
    if operation["auth"].as_bool() == Some(true) && !recorded.authorized {
        problems.push(format!("{id}: no bearer token sent"));
    }
    if operation["auth"].as_bool() == Some(false) && recorded.authorized {
        problems.push(format!(
            "{id}: bearer token sent to an unauthenticated operation"
        ));
    }
}

#[tokio::test]
async fn every_operation_is_callable_through_dollr_core() {
    let operations = operations();
    assert_eq!(
        operations.len(),
        59,
        "operations.json documents 59 operations"
    );
    let table = table();

    let documented: BTreeSet<&str> = operations
        .iter()
        .map(|op| op["operation_id"].as_str().unwrap())
        .collect();
    let covered: Vec<&str> = table.iter().map(|(id, _)| *id).collect();
    let covered_set: BTreeSet<&str> = covered.iter().copied().collect();
    assert_eq!(
        covered.len(),
        covered_set.len(),
        "an operation appears twice in the table"
    );
    let missing: Vec<&&str> = documented.difference(&covered_set).collect();
    assert!(
        missing.is_empty(),
        "operations without an SDK call in the table: {missing:?}"
    );
    let unknown: Vec<&&str> = covered_set.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "table entries that are not documented operations: {unknown:?}"
    );

    let by_id: HashMap<&str, &Value> = operations
        .iter()
        .map(|op| (op["operation_id"].as_str().unwrap(), op))
        .collect();
    let mut problems = Vec::new();
    for (id, call) in &table {
        let operation = by_id[id];
        let transport = Arc::new(Synthesizer {
            operations: operations.clone(),
            recorded: Mutex::new(Vec::new()),
        });
        let client = Client::builder()
            .ignore_env()
            .base_url(BASE)
            .client_id("id")
            .client_secret("secret")
            .max_retries(0)
            .transport(transport.clone())
            .build()
            .unwrap();
        if let Err(error) = call(client).await {
            problems.push(format!("{id}: the call failed: {error:?}"));
            continue;
        }
        let recorded = transport.recorded.lock().unwrap().clone();
        let target = operation["path"].as_str().unwrap();
        // The last request is the operation itself (the token request, if any, comes first).
        let Some(last) = recorded
            .iter()
            .rev()
            .find(|r| target == TOKEN_PATH || r.path != TOKEN_PATH)
        else {
            problems.push(format!("{id}: nothing was sent"));
            continue;
        };
        check(operation, last, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn synthesized_responses_follow_the_documented_shapes() {
    let operations = operations();
    let find = |id: &str| {
        operations
            .iter()
            .find(|op| op["operation_id"] == id)
            .unwrap()
            .clone()
    };
    let tiers = synthesize(&find("list_fee_tier__version__fees_tiers_get"));
    assert!(tiers.is_array());
    let removed = synthesize(&find(
        "remove_invoice_item__version__invoices__invoice_id__items__id__remove_delete",
    ));
    assert_eq!(removed, json!({}));
    let payout = synthesize(&find("payout__version__executions_payout_post"));
    assert_eq!(payout["operation_type"], json!("PAYOUT"));
    assert_eq!(payout["reference_id"], json!(REF));
    let prediction = synthesize(&find(
        "predict_amount_and_fee__version__predictions_amount_and_fees_get",
    ));
    assert_eq!(prediction["platform_fee"], json!("1.50"));
    assert!(path_matches(
        "/v1/invoices/{invoice_id}/items/{id}/update",
        "/v1/invoices/101/items/3/update"
    ));
    assert!(!path_matches(
        "/v1/invoices/{invoice_id}/items/{id}/update",
        "/v1/invoices/101/items/update"
    ));
}
