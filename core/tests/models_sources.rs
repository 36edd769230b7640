//! Wire models of parties, counterparties, invoices, orders, checkouts and links: documented
//! examples decode into the typed models (exact money, ids, timestamps, enums) and serialize back to
//! the same JSON; unknown fields and enum values do not break decoding; requests serialize to the
//! exact wire JSON; and every request refuses bad input naming the field.

use std::error::Error as StdError;

use dollr_core::models::{
    AddItemRequest, CheckoutItem, CheckoutLink, Counterparty, CounterpartyWithParty,
    CreateCheckoutRequest, CreateCounterpartyRequest, CreateInvoiceRequest, CreateOrderRequest,
    CreatePartyRequest, Invoice, InvoiceDetail, InvoiceKind, InvoiceReceipt, Link,
    ListCounterpartiesQuery, ListPartiesQuery, ListSourcesQuery, Order, OrderDetail, OrderKind,
    OrderReceipt, Party, SourceDocument, SourceKind, UpdateCounterpartyRequest, UpdateItemRequest,
    UpdateSourceRequest,
};
use dollr_core::time::parse_timestamp;
use dollr_core::validate::Validate;
use dollr_core::{
    CheckoutMode, ErrorKind, FeeBearer, OwnerType, PaymentMethod, Provider, RelationshipType,
    SourceStatus, SourceType, Timestamp,
};
use rust_decimal_macros::dec;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

type TestResult = Result<(), Box<dyn StdError>>;

fn ts(text: &str) -> Result<Timestamp, Box<dyn StdError>> {
    parse_timestamp(text).ok_or_else(|| format!("bad timestamp {text}").into())
}

/// Decodes `json` into `T`, re-encodes it, and checks the result says the same thing: every field
/// of the input comes back with the same value (numbers compared by their exact text), and every
/// field added on the way out is an absent optional (`null`) or, for lists, `[]`.
fn round_trip<T: DeserializeOwned + Serialize>(json: &str) -> Result<T, Box<dyn StdError>> {
    let input: Value = serde_json::from_str(json)?;
    let model: T = serde_json::from_str(json)?;
    let output = serde_json::to_value(&model)?;
    same_json(&input, &output, "$")?;
    Ok(model)
}

fn same_json(input: &Value, output: &Value, at: &str) -> Result<(), Box<dyn StdError>> {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let out = b
                    .get(key)
                    .ok_or_else(|| format!("{at}.{key} was dropped"))?;
                same_json(value, out, &format!("{at}.{key}"))?;
            }
            for (key, value) in b {
                if !a.contains_key(key) && !value.is_null() && value != &Value::Array(vec![]) {
                    return Err(format!("{at}.{key} appeared with {value}").into());
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_json(x, y, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        // Exact text for numbers (arbitrary_precision): 250.00 must stay 250.00.
        (Value::Number(a), Value::Number(b)) if a.to_string() == b.to_string() => Ok(()),
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{at}: {a} came back as {b}").into()),
    }
}

/// The party from the quick start (Step 2, response).
const PARTY: &str = r#"{
  "id": 42,
  "fullname": "Amara Kamara",
  "phone": "231771234567",
  "email": "amara@example.com",
  "country_code": "LR",
  "created_at": "2025-06-01T10:00:00Z",
  "updated_at": "2025-06-01T10:00:00Z"
}"#;

/// The old docs' counterparty create example (`{id, relationship_type, party_id, created_at,
/// updated_at}`), plus the owner fields the OpenAPI counterparty carries.
const COUNTERPARTY: &str = r#"{
  "id": 15,
  "relationship_type": "CUSTOMER",
  "party_id": 42,
  "owner_party_type": "ORGANIZATION",
  "owner_party_id": 7,
  "created_at": "2025-06-01T10:05:00Z",
  "updated_at": "2025-06-01T10:05:00Z"
}"#;

/// `CounterPartyWithPartyResponse` (retrieve; embedded in details), fields as in the reference.
const COUNTERPARTY_WITH_PARTY: &str = r#"{
  "id": 15,
  "owner_party_type": "ORGANIZATION",
  "owner_party_id": 7,
  "relationship_type": "CUSTOMER",
  "created_at": "2025-06-01T10:05:00Z",
  "updated_at": "2025-06-01T10:05:00Z",
  "party": {
    "id": 42,
    "fullname": "Amara Kamara",
    "phone": "231771234567",
    "email": "amara@example.com",
    "country_code": "LR",
    "created_at": "2025-06-01T10:00:00Z",
    "updated_at": "2025-06-01T10:00:00Z"
  }
}"#;

/// The invoice of the invoices page (create example, published), as `InvoiceResponse`.
const INVOICE: &str = r#"{
  "id": 101,
  "invoice_number": "INV-2025-0042",
  "counterparty_id": 15,
  "currency": "USD",
  "total_amount": 250.00,
  "status": "ACTIVE",
  "note": "Consulting services",
  "fee_bearer": "PAYER",
  "due_date": "2025-12-31T23:59:59Z",
  "as_payment_link": true,
  "owner_id": 7,
  "owner_type": "ORGANIZATION",
  "created_at": "2025-06-01T10:10:00Z",
  "updated_at": "2025-06-01T10:12:00Z",
  "reference_id": "crm-7781",
  "paid_at": null
}"#;

const INVOICE_DETAIL: &str = r#"{
  "id": 101,
  "invoice_number": "INV-2025-0042",
  "counterparty_id": 15,
  "currency": "USD",
  "total_amount": 250.00,
  "status": "IDLE",
  "note": "Consulting services",
  "fee_bearer": "PAYER",
  "due_date": null,
  "as_payment_link": true,
  "owner_id": 7,
  "owner_type": "ORGANIZATION",
  "created_at": "2025-06-01T10:10:00Z",
  "updated_at": "2025-06-01T10:11:00Z",
  "invoice_items": [
    {"id": 7, "name": "Strategy Session", "currency": "USD", "qty": 1, "amount": 250.00,
     "created_at": "2025-06-01T10:11:00Z", "updated_at": "2025-06-01T10:11:00Z"}
  ],
  "counterparty": {
    "id": 15,
    "owner_party_type": "ORGANIZATION",
    "owner_party_id": 7,
    "relationship_type": "CUSTOMER",
    "created_at": "2025-06-01T10:05:00Z",
    "updated_at": "2025-06-01T10:05:00Z",
    "party": {"id": 42, "fullname": "Amara Kamara", "phone": "231771234567", "email": "amara@example.com",
              "country_code": "LR", "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-01T10:00:00Z"}
  }
}"#;

const INVOICE_RECEIPT: &str = r#"{
  "invoice_id": 101,
  "invoice_number": "INV-2025-0042",
  "currency": "USD",
  "total_amount": 250.00,
  "status": "PAID",
  "note": "Consulting services",
  "due_date": "2025-12-31T23:59:59Z",
  "as_payment_link": true,
  "fee_bearer": "PAYER",
  "owner_id": 7,
  "owner_type": "ORGANIZATION",
  "created_at": "2025-06-01T10:10:00Z",
  "counterparty_id": 15,
  "relationship_type": "CUSTOMER",
  "counterparty_name": "Amara Kamara",
  "counterparty_phone": "231771234567",
  "reference_id": null,
  "paid_at": "2025-06-02T09:30:00Z",
  "counterparty_email": "amara@example.com",
  "payer_amount": 257.50,
  "payer_currency": "USD",
  "payee_amount": 250.00,
  "payee_currency": "USD",
  "platform_fee": 3.75,
  "platform_currency": "USD",
  "gateway_fee": 3.75,
  "gateway_currency": "USD",
  "fx_fee": null,
  "fx_rate": "1.000000",
  "fx_currency_from": "USD",
  "fx_currency_to": "USD",
  "payment_provider": "PAWAPAY",
  "payment_method": "MTN_MOMO_LBR",
  "account_name": "Amara MTN Wallet",
  "gateway_confirmed_at": "2025-06-02T09:29:58Z",
  "provider_transaction_id": "pp-88213",
  "items": [{"id": 7, "name": "Strategy Session", "qty": 1, "amount": 250.00, "currency": "USD"}]
}"#;

/// The order of the orders page (`Order #1042`, two T-shirts at 25.00), without a due date.
const ORDER: &str = r#"{
  "id": 201,
  "order_number": "ORD-2025-0099",
  "counterparty_id": 15,
  "currency": "USD",
  "total_amount": 50.00,
  "status": "IDLE",
  "note": "Order #1042",
  "fee_bearer": "PAYER",
  "due_date": null,
  "as_payment_link": true,
  "owner_id": 7,
  "owner_type": "MICRO_ORGANIZATION",
  "created_at": "2025-06-01T11:00:00Z",
  "updated_at": "2025-06-01T11:00:00Z"
}"#;

const ORDER_DETAIL: &str = r#"{
  "id": 201,
  "order_number": "ORD-2025-0099",
  "counterparty_id": 15,
  "currency": "USD",
  "total_amount": 50.00,
  "status": "IDLE",
  "note": "Order #1042",
  "fee_bearer": "PAYER",
  "due_date": null,
  "as_payment_link": true,
  "owner_id": 7,
  "owner_type": "MICRO_ORGANIZATION",
  "created_at": "2025-06-01T11:00:00Z",
  "updated_at": "2025-06-01T11:01:00Z",
  "reference_id": null,
  "paid_at": null,
  "order_items": [
    {"id": 5, "name": "T-Shirt", "currency": "USD", "qty": 2, "amount": 25.00,
     "created_at": "2025-06-01T11:01:00Z", "updated_at": "2025-06-01T11:01:00Z"}
  ]
}"#;

const ORDER_RECEIPT: &str = r#"{
  "order_id": 201,
  "order_number": "ORD-2025-0099",
  "currency": "LRD",
  "total_amount": 9500.00,
  "status": "PAID",
  "note": "Order #1042",
  "due_date": null,
  "as_payment_link": true,
  "fee_bearer": "PAYEE",
  "owner_id": 7,
  "owner_type": "MICRO_ORGANIZATION",
  "created_at": "2025-06-01T11:00:00Z",
  "counterparty_id": 15,
  "relationship_type": "CUSTOMER",
  "counterparty_name": "Amara Kamara",
  "counterparty_phone": "231771234567",
  "paid_at": "2025-06-02T09:30:00Z",
  "payer_amount": 50.00,
  "payer_currency": "USD",
  "payee_amount": 9500.00,
  "payee_currency": "LRD",
  "fx_rate": "190.0000",
  "fx_currency_from": "USD",
  "fx_currency_to": "LRD",
  "items": [{"id": 5, "name": "T-Shirt", "qty": 2, "amount": 4750.00, "currency": "LRD"}]
}"#;

/// `CreateCheckoutSourceLinkResponse` for the checkouts page's hosted example.
const CHECKOUT_LINK: &str = r#"{
  "mode": "HOSTED",
  "source_type": "INVOICE",
  "source_id": 102,
  "source_number": "INV-2025-0043",
  "source_status": "ACTIVE",
  "counterparty_id": 16,
  "party_id": 43,
  "currency": "USD",
  "total_amount": 250,
  "source_checkout_config_id": 9,
  "url": "https://pay.heydollr.app/c/abc123",
  "reference_id": null,
  "due_date": null,
  "expires_at": "2025-06-02T10:00:00Z",
  "hosted_path_or_token": "abc123",
  "success_url": "https://yourstore.com/success",
  "cancel_url": "https://yourstore.com/cancel"
}"#;

#[test]
fn party_example_round_trips() -> TestResult {
    let party: Party = round_trip(PARTY)?;
    assert_eq!(party.id, 42);
    assert_eq!(party.fullname, "Amara Kamara");
    assert_eq!(party.phone.as_deref(), Some("231771234567"));
    assert_eq!(party.country_code.as_deref(), Some("LR"));
    assert_eq!(party.created_at, ts("2025-06-01T10:00:00Z")?);
    // PartyResponse.phone is nullable (conflict #12) and the optional fields may be absent.
    let bare: Party = serde_json::from_str(
        r#"{"id": "42", "fullname": "Amara", "phone": null, "created_at": "2025-06-01T10:00:00",
            "updated_at": "2025-06-01T10:00:00.123456"}"#,
    )?;
    assert_eq!(bare.id, 42);
    assert_eq!(bare.phone, None);
    assert_eq!(bare.email, None);
    assert_eq!(bare.created_at, ts("2025-06-01T10:00:00Z")?);
    Ok(())
}

#[test]
fn counterparty_examples_round_trip() -> TestResult {
    let cp: Counterparty = round_trip(COUNTERPARTY)?;
    assert_eq!(cp.id, 15);
    assert_eq!(cp.relationship_type, RelationshipType::Customer);
    assert_eq!(cp.party_id, Some(42));
    assert_eq!(cp.owner_party_type, Some(OwnerType::Organization));
    assert_eq!(cp.party, None);

    // The old docs' shape, without owner fields, also decodes.
    let old: Counterparty = round_trip(
        r#"{"id": 15, "relationship_type": "SELF", "party_id": 42,
            "created_at": "2025-06-01T10:05:00Z", "updated_at": "2025-06-01T10:05:00Z"}"#,
    )?;
    assert_eq!(old.relationship_type, RelationshipType::SelfParty);
    assert_eq!(old.owner_party_id, None);

    // The list may return the with-party shape: Counterparty reads it too.
    let listed: Counterparty = round_trip(COUNTERPARTY_WITH_PARTY)?;
    assert_eq!(listed.party.as_ref().map(|p| p.id), Some(42));
    assert_eq!(listed.party_id, None);

    let with_party: CounterpartyWithParty = round_trip(COUNTERPARTY_WITH_PARTY)?;
    assert_eq!(with_party.owner_party_type, OwnerType::Organization);
    assert_eq!(with_party.owner_party_id, 7);
    assert_eq!(
        with_party.party.map(|p| p.fullname).as_deref(),
        Some("Amara Kamara")
    );
    Ok(())
}

#[test]
fn invoice_examples_round_trip_with_exact_money() -> TestResult {
    let invoice: Invoice = round_trip(INVOICE)?;
    assert_eq!(invoice.id, 101);
    assert_eq!(invoice.invoice_number, "INV-2025-0042");
    assert_eq!(invoice.counterparty_id, 15);
    assert_eq!(invoice.total_amount.to_string(), "250.00");
    assert_eq!(invoice.status, SourceStatus::Active);
    assert_eq!(invoice.fee_bearer, FeeBearer::Payer);
    assert_eq!(invoice.owner_type, OwnerType::Organization);
    assert_eq!(invoice.due_date, Some(ts("2025-12-31T23:59:59Z")?));
    assert_eq!(invoice.reference_id.as_deref(), Some("crm-7781"));
    assert_eq!(invoice.paid_at, None);
    assert!(serde_json::to_string(&invoice)?.contains(r#""total_amount":250.00"#));

    let detail: InvoiceDetail = round_trip(INVOICE_DETAIL)?;
    assert_eq!(detail.invoice_items.len(), 1);
    let item = &detail.invoice_items[0];
    assert_eq!(
        (item.id, item.name.as_str(), item.qty),
        (7, "Strategy Session", 1)
    );
    assert_eq!(item.amount.to_string(), "250.00");
    let counterparty = detail.counterparty.as_ref().ok_or("counterparty missing")?;
    assert_eq!(counterparty.party.as_ref().map(|p| p.id), Some(42));
    assert_eq!(detail.due_date, None);

    let receipt: InvoiceReceipt = round_trip(INVOICE_RECEIPT)?;
    assert_eq!(receipt.invoice_id, 101);
    assert_eq!(receipt.invoice_number, "INV-2025-0042");
    assert_eq!(receipt.status, SourceStatus::Paid);
    assert_eq!(
        receipt.payer_amount.map(|d| d.to_string()).as_deref(),
        Some("257.50")
    );
    assert_eq!(receipt.platform_fee, Some(dec!(3.75)));
    assert_eq!(receipt.fx_fee, None);
    assert_eq!(
        receipt.fx_rate.map(|d| d.to_string()).as_deref(),
        Some("1.000000")
    );
    assert_eq!(receipt.payment_provider, Some(Provider::Pawapay));
    assert_eq!(receipt.payment_method, Some(PaymentMethod::MtnMomoLbr));
    assert_eq!(
        receipt.gateway_confirmed_at,
        Some(ts("2025-06-02T09:29:58Z")?)
    );
    assert_eq!(receipt.items[0].amount.to_string(), "250.00");
    // fx_rate goes back out as a string, as the API sends it.
    assert_eq!(
        serde_json::to_value(&receipt)?["fx_rate"],
        Value::String("1.000000".into())
    );
    Ok(())
}

#[test]
fn order_examples_round_trip_with_order_names() -> TestResult {
    let order: Order = round_trip(ORDER)?;
    assert_eq!(order.order_number, "ORD-2025-0099");
    assert_eq!(order.total_amount.to_string(), "50.00");
    assert_eq!(order.owner_type, OwnerType::MicroOrganization);
    assert_eq!(order.due_date, None);
    // Invoice names are not accepted for orders (and vice versa): the kinds are typed.
    assert!(serde_json::from_str::<Order>(INVOICE).is_err());
    assert!(serde_json::from_str::<Invoice>(ORDER).is_err());

    let detail: OrderDetail = round_trip(ORDER_DETAIL)?;
    assert_eq!(detail.order_items[0].qty, 2);
    assert_eq!(detail.order_items[0].amount.to_string(), "25.00");
    assert_eq!(detail.counterparty, None);

    let receipt: OrderReceipt = round_trip(ORDER_RECEIPT)?;
    assert_eq!(receipt.order_id, 201);
    assert_eq!(receipt.fee_bearer, FeeBearer::Payee);
    assert_eq!(
        receipt.payee_amount.map(|d| d.to_string()).as_deref(),
        Some("9500.00")
    );
    assert_eq!(receipt.fx_rate, Some(dec!(190.0000)));
    assert_eq!(receipt.paid_at, Some(ts("2025-06-02T09:30:00Z")?));
    // A naive timestamp (FastAPI without tz) is read as UTC.
    let naive: OrderReceipt = serde_json::from_str(
        &ORDER_RECEIPT.replace("2025-06-02T09:30:00Z", "2025-06-02T09:30:00.250"),
    )?;
    assert_eq!(naive.paid_at, Some(ts("2025-06-02T09:30:00.250Z")?));
    assert_eq!(receipt.payment_provider, None);
    Ok(())
}

#[test]
fn source_documents_and_kinds_expose_the_shared_names() -> TestResult {
    let invoice: InvoiceDetail = serde_json::from_str(INVOICE_DETAIL)?;
    let order: OrderReceipt = serde_json::from_str(ORDER_RECEIPT)?;
    assert_eq!((invoice.id(), invoice.number()), (101, "INV-2025-0042"));
    assert_eq!(
        (order.id(), order.number(), order.currency()),
        (201, "ORD-2025-0099", "LRD")
    );
    assert_eq!(order.status(), &SourceStatus::Paid);
    assert_eq!(order.total_amount().to_string(), "9500.00");
    assert_eq!(InvoiceKind::SOURCE_TYPE, SourceType::Invoice);
    assert_eq!(
        (InvoiceKind::PATH, InvoiceKind::NUMBER_FIELD),
        ("invoices", "invoice_number")
    );
    assert_eq!(OrderKind::SOURCE_TYPE, SourceType::Order);
    assert_eq!(
        (OrderKind::PATH, OrderKind::NUMBER_FIELD),
        ("orders", "order_number")
    );
    Ok(())
}

#[test]
fn checkout_link_and_link_round_trip() -> TestResult {
    let link: CheckoutLink = round_trip(CHECKOUT_LINK)?;
    assert_eq!(link.mode, CheckoutMode::Hosted);
    assert_eq!(link.source_type, SourceType::Invoice);
    assert_eq!(
        (link.source_id, link.source_number.as_str()),
        (102, "INV-2025-0043")
    );
    assert_eq!(link.source_status, SourceStatus::Active);
    assert_eq!(link.total_amount, dec!(250));
    assert_eq!(link.url, "https://pay.heydollr.app/c/abc123");
    assert_eq!(link.expires_at, Some(ts("2025-06-02T10:00:00Z")?));
    let url: Link = round_trip(r#"{"url": "https://pay.heydollr.app/l/INV-2025-0042"}"#)?;
    assert_eq!(url.url, "https://pay.heydollr.app/l/INV-2025-0042");
    Ok(())
}

#[test]
fn unknown_fields_and_enum_values_do_not_break_decoding() -> TestResult {
    let mut invoice: Value = serde_json::from_str(INVOICE)?;
    invoice["status"] = "ON_HOLD".into();
    invoice["fee_bearer"] = "SPLIT".into();
    invoice["owner_type"] = "GOVERNMENT".into();
    invoice["brand_new_field"] = serde_json::json!({"nested": [1, 2]});
    invoice["due_date"] = "2025-12-31".into();
    let invoice: Invoice = serde_json::from_value(invoice)?;
    assert_eq!(invoice.status, SourceStatus::Other("ON_HOLD".into()));
    assert_eq!(invoice.fee_bearer, FeeBearer::Other("SPLIT".into()));
    assert_eq!(invoice.owner_type, OwnerType::Other("GOVERNMENT".into()));
    // due_date may be a bare date.
    assert_eq!(invoice.due_date, Some(ts("2025-12-31T00:00:00Z")?));

    let mut receipt: Value = serde_json::from_str(INVOICE_RECEIPT)?;
    receipt["payment_method"] = "M_PESA_KEN".into();
    receipt["relationship_type"] = "BOSS".into();
    receipt["items"] = Value::Null;
    receipt["extra"] = true.into();
    let receipt: InvoiceReceipt = serde_json::from_value(receipt)?;
    assert_eq!(
        receipt.payment_method,
        Some(PaymentMethod::Other("M_PESA_KEN".into()))
    );
    assert_eq!(
        receipt.relationship_type,
        RelationshipType::Other("BOSS".into())
    );
    assert!(receipt.items.is_empty());

    let mut detail: Value = serde_json::from_str(INVOICE_DETAIL)?;
    detail["invoice_items"] = Value::Null;
    detail["counterparty"]["party"]["nickname"] = "Ama".into();
    let detail: InvoiceDetail = serde_json::from_value(detail)?;
    assert!(detail.invoice_items.is_empty());

    let mut checkout: Value = serde_json::from_str(CHECKOUT_LINK)?;
    checkout["mode"] = "EMBEDDED".into();
    checkout["source_type"] = "SUBSCRIPTION".into();
    checkout["source_id"] = "102".into();
    let checkout: CheckoutLink = serde_json::from_value(checkout)?;
    assert_eq!(checkout.mode, CheckoutMode::Other("EMBEDDED".into()));
    assert_eq!(checkout.source_type, SourceType::Subscription);
    assert_eq!(checkout.source_id, 102);
    Ok(())
}

fn wire<T: Serialize>(request: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(request)
}

#[test]
fn party_and_counterparty_requests_serialize_to_the_documented_bodies() -> TestResult {
    let party = CreatePartyRequest::new("Amara Kamara", "231771234567")
        .email("amara@example.com")
        .country_code("LR");
    assert_eq!(
        wire(&party)?,
        r#"{"fullname":"Amara Kamara","phone":"231771234567","email":"amara@example.com","country_code":"LR"}"#
    );
    assert_eq!(
        wire(&CreatePartyRequest::new("Amara Kamara", "231771234567"))?,
        r#"{"fullname":"Amara Kamara","phone":"231771234567"}"#
    );
    assert_eq!(
        wire(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            42
        ))?,
        r#"{"relationship_type":"CUSTOMER","party_id":42}"#
    );
    assert_eq!(
        wire(&CreateCounterpartyRequest {
            relationship_type: RelationshipType::SelfParty,
            party_id: None
        })?,
        r#"{"relationship_type":"SELF"}"#
    );
    let update = UpdateCounterpartyRequest {
        relationship_type: Some(RelationshipType::Supplier),
        party_id: None,
    };
    assert_eq!(wire(&update)?, r#"{"relationship_type":"SUPPLIER"}"#);
    assert_eq!(wire(&UpdateCounterpartyRequest::default())?, "{}");
    Ok(())
}

#[test]
fn source_requests_serialize_to_the_documented_bodies() -> TestResult {
    let invoice: CreateInvoiceRequest =
        CreateInvoiceRequest::new(15, "USD", "Consulting services", FeeBearer::Payer)
            .as_payment_link(true)
            .due_date(ts("2025-12-31T23:59:59Z")?);
    assert_eq!(
        wire(&invoice)?,
        r#"{"counterparty_id":15,"currency":"USD","note":"Consulting services","fee_bearer":"PAYER","as_payment_link":true,"due_date":"2025-12-31T23:59:59Z"}"#
    );
    let order: CreateOrderRequest =
        CreateOrderRequest::new(15, "USD", "Order #1042", FeeBearer::Payer)
            .as_payment_link(true)
            .reference_id("shop-1042");
    assert_eq!(
        wire(&order)?,
        r#"{"counterparty_id":15,"currency":"USD","note":"Order #1042","fee_bearer":"PAYER","as_payment_link":true,"reference_id":"shop-1042"}"#
    );
    let update = UpdateSourceRequest {
        note: Some("Updated scope".into()),
        fee_bearer: Some(FeeBearer::Payee),
        ..Default::default()
    };
    assert_eq!(
        wire(&update)?,
        r#"{"note":"Updated scope","fee_bearer":"PAYEE"}"#
    );
    assert_eq!(wire(&UpdateSourceRequest::default())?, "{}");

    let item = AddItemRequest::new("Strategy Session", "USD", 1, dec!(250.00));
    assert_eq!(
        wire(&item)?,
        r#"{"name":"Strategy Session","currency":"USD","qty":1,"amount":250.00}"#
    );
    let update = UpdateItemRequest {
        qty: Some(2),
        amount: Some(dec!(200.00)),
        ..Default::default()
    };
    assert_eq!(wire(&update)?, r#"{"qty":2,"amount":200.00}"#);
    assert_eq!(
        wire(&UpdateItemRequest {
            qty: Some(3),
            ..Default::default()
        })?,
        r#"{"qty":3}"#
    );
    Ok(())
}

#[test]
fn checkout_request_uses_source_kind_and_exact_amounts() -> TestResult {
    let mut request = CreateCheckoutRequest::hosted(
        SourceType::Invoice,
        "231771234567",
        "USD",
        vec![CheckoutItem::new("Consulting", "USD", dec!(250))],
    );
    request.party_name = Some("Amara Kamara".into());
    request.party_email = Some("amara@example.com".into());
    request.success_url = Some("https://yourstore.com/success".into());
    request.cancel_url = Some("https://yourstore.com/cancel".into());
    let sent: Value = serde_json::from_str(&wire(&request)?)?;
    // The body of the checkouts page's hosted example, field for field.
    let documented: Value = serde_json::from_str(
        r#"{
        "mode": "HOSTED",
        "source_kind": "INVOICE",
        "party_name": "Amara Kamara",
        "party_phone": "231771234567",
        "party_email": "amara@example.com",
        "currency": "USD",
        "items": [{ "name": "Consulting", "currency": "USD", "amount": 250 }],
        "success_url": "https://yourstore.com/success",
        "cancel_url": "https://yourstore.com/cancel"
      }"#,
    )?;
    same_json(&documented, &sent, "$")?;
    same_json(&sent, &documented, "$")?;
    assert!(sent.get("source_type").is_none());

    request.items = vec![CheckoutItem::new("Consulting", "USD", dec!(250.10))];
    request.counterparty_id = Some(16);
    request.party_relationship = Some(RelationshipType::Customer);
    request.expires_at = Some(ts("2025-06-02T10:00:00Z")?);
    let text = wire(&request)?;
    assert!(
        text.contains(r#""items":[{"name":"Consulting","currency":"USD","amount":250.10}]"#),
        "{text}"
    );
    assert!(text.contains(r#""counterparty_id":16"#), "{text}");
    assert!(
        text.contains(r#""party_relationship":"CUSTOMER""#),
        "{text}"
    );
    assert!(
        text.contains(r#""expires_at":"2025-06-02T10:00:00Z""#),
        "{text}"
    );
    Ok(())
}

/// The field a validation error names (after `body.`), or "ok".
fn refused<T: Validate>(request: &T) -> String {
    match request.validate() {
        Ok(()) => "ok".into(),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
            e.details().first().map(|d| d.field()).unwrap_or_default()
        }
    }
}

#[test]
fn party_and_counterparty_requests_refuse_bad_input() {
    let good = CreatePartyRequest::new("Amara Kamara", "231771234567").country_code("LR");
    assert_eq!(refused(&good), "ok");
    assert_eq!(
        refused(&CreatePartyRequest::new("  ", "231771234567")),
        "fullname"
    );
    assert_eq!(
        refused(&CreatePartyRequest::new("Amara", "+231771234567")),
        "phone"
    );
    assert_eq!(
        refused(&CreatePartyRequest::new("Amara", "0771234567")),
        "phone"
    );
    assert_eq!(refused(&good.clone().country_code("lr")), "country_code");
    assert_eq!(refused(&good.clone().country_code("LBR")), "country_code");
    assert_eq!(refused(&ListPartiesQuery::default()), "ok");

    assert_eq!(
        refused(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            42
        )),
        "ok"
    );
    assert_eq!(
        refused(&CreateCounterpartyRequest::new(
            RelationshipType::parse("BOSS"),
            42
        )),
        "relationship_type"
    );
    assert_eq!(
        refused(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            0
        )),
        "party_id"
    );
    let update = UpdateCounterpartyRequest {
        relationship_type: Some("customer".into()),
        party_id: None,
    };
    assert_eq!(refused(&update), "relationship_type");
    assert_eq!(
        refused(&UpdateCounterpartyRequest {
            relationship_type: None,
            party_id: Some(-1)
        }),
        "party_id"
    );
    let list = ListCounterpartiesQuery {
        fullname: None,
        relationship_type: Some("FRIENDS".into()),
    };
    assert_eq!(refused(&list), "relationship_type");
}

#[test]
fn source_requests_refuse_bad_input() {
    let good = CreateInvoiceRequest::new(15, "USD", "Consulting", FeeBearer::Payer);
    assert_eq!(refused(&good), "ok");
    assert_eq!(
        refused(&CreateInvoiceRequest {
            currency: "usd".into(),
            ..good.clone()
        }),
        "currency"
    );
    assert_eq!(
        refused(&CreateInvoiceRequest {
            currency: "US".into(),
            ..good.clone()
        }),
        "currency"
    );
    assert_eq!(
        refused(&CreateInvoiceRequest {
            counterparty_id: 0,
            ..good.clone()
        }),
        "counterparty_id"
    );
    assert_eq!(
        refused(&CreateInvoiceRequest {
            fee_bearer: "BOTH".into(),
            ..good.clone()
        }),
        "fee_bearer"
    );
    let update = UpdateSourceRequest {
        fee_bearer: Some("payer".into()),
        ..Default::default()
    };
    assert_eq!(refused(&update), "fee_bearer");

    assert_eq!(
        refused(&AddItemRequest::new(
            "Strategy Session",
            "USD",
            1,
            dec!(250.00)
        )),
        "ok"
    );
    assert_eq!(
        refused(&AddItemRequest::new(
            "Strategy Session",
            "USD",
            1,
            dec!(250.001)
        )),
        "amount"
    );
    assert_eq!(
        refused(&AddItemRequest::new("Strategy Session", "USD", 1, dec!(0))),
        "amount"
    );
    assert_eq!(
        refused(&AddItemRequest::new(
            "Strategy Session",
            "RWF",
            1,
            dec!(1000.5)
        )),
        "amount"
    );
    assert_eq!(
        refused(&AddItemRequest::new(
            "Strategy Session",
            "USD",
            0,
            dec!(250)
        )),
        "qty"
    );
    assert_eq!(
        refused(&AddItemRequest::new("", "USD", 1, dec!(250))),
        "name"
    );
    assert_eq!(
        refused(&AddItemRequest::new("x", "usd", 1, dec!(250))),
        "currency"
    );

    assert_eq!(refused(&UpdateItemRequest::default()), "ok");
    assert_eq!(
        refused(&UpdateItemRequest {
            qty: Some(0),
            ..Default::default()
        }),
        "qty"
    );
    assert_eq!(
        refused(&UpdateItemRequest {
            amount: Some(dec!(-1)),
            ..Default::default()
        }),
        "amount"
    );
    assert_eq!(
        refused(&UpdateItemRequest {
            name: Some(" ".into()),
            ..Default::default()
        }),
        "name"
    );

    assert_eq!(refused(&ListSourcesQuery::default()), "ok");
    assert_eq!(
        refused(&ListSourcesQuery {
            currency: Some("usd".into()),
            status: None
        }),
        "currency"
    );
    assert_eq!(
        refused(&ListSourcesQuery {
            currency: None,
            status: Some("DRAFT".into())
        }),
        "status"
    );
}

#[test]
fn checkout_requests_refuse_bad_input() {
    let good = CreateCheckoutRequest::hosted(
        SourceType::Order,
        "231771234567",
        "USD",
        vec![CheckoutItem::new("T-Shirt", "USD", dec!(25.00))],
    );
    assert_eq!(refused(&good), "ok");
    let with = |f: &dyn Fn(&mut CreateCheckoutRequest)| {
        let mut request = good.clone();
        f(&mut request);
        refused(&request)
    };
    assert_eq!(with(&|r| r.mode = "IFRAME".into()), "mode");
    assert_eq!(
        with(&|r| r.source_kind = SourceType::Subscription),
        "source_kind"
    );
    assert_eq!(with(&|r| r.source_kind = "INVOICES".into()), "source_kind");
    assert_eq!(
        with(&|r| r.party_phone = "+231771234567".into()),
        "party_phone"
    );
    assert_eq!(with(&|r| r.currency = "Usd".into()), "currency");
    assert_eq!(with(&|r| r.items.clear()), "items");
    assert_eq!(
        with(&|r| r.items[0].amount = dec!(25.005)),
        "items.0.amount"
    );
    assert_eq!(
        with(&|r| r.items.push(CheckoutItem::new("", "USD", dec!(1)))),
        "items.1.name"
    );
    assert_eq!(
        with(&|r| r.items[0].currency = "usd".into()),
        "items.0.currency"
    );
    assert_eq!(
        with(&|r| r.party_relationship = Some("VIP".into())),
        "party_relationship"
    );
    assert_eq!(
        with(&|r| r.success_url = Some("/success".into())),
        "success_url"
    );
    assert_eq!(
        with(&|r| r.cancel_url = Some("ftp://x.example/cancel".into())),
        "cancel_url"
    );
    assert_eq!(with(&|r| r.counterparty_id = Some(0)), "counterparty_id");
    assert_eq!(
        with(&|r| r.success_url = Some("https://yourstore.com/success?o=1".into())),
        "ok"
    );
}
