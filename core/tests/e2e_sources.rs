//! Parties, counterparties, invoices, orders, checkouts and links end to end against the in-process
//! sandbox (built from the API reference, not from core's models), so that a field name that is wrong
//! on either side shows up as a failure here.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use dollr_core::models::{
    AddItemRequest, CheckoutItem, CreateCheckoutRequest, CreateCounterpartyRequest,
    CreatePartyRequest, CreateSourceRequest, InvoiceKind, ListCounterpartiesQuery,
    ListPartiesQuery, ListSourcesQuery, OrderKind, SourceDocument, SourceKind,
    UpdateCounterpartyRequest, UpdateItemRequest, UpdateSourceRequest,
};
use dollr_core::time::parse_timestamp;
use dollr_core::{
    ApiRequest, Client, ErrorKind, FeeBearer, Id, RelationshipType, SourceStatus, SourceType,
};
use dollr_sandbox::{Sandbox, SandboxConfig};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn StdError>>;

/// The sandbox's "MTN Liberia, approves" test number.
const PAYER_PHONE: &str = "231771234567";

async fn start() -> Result<(Sandbox, Client), Box<dyn StdError>> {
    let sandbox = Sandbox::start(SandboxConfig {
        settle_ms: 20,
        ..SandboxConfig::default()
    })
    .await?;
    let client = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .build()?;
    Ok((sandbox, client))
}

/// A party and a CUSTOMER counterparty for it.
async fn customer(client: &Client, name: &str) -> Result<Id, Box<dyn StdError>> {
    let party = client
        .parties()
        .create(
            &CreatePartyRequest::new(name, PAYER_PHONE)
                .email("amara@example.com")
                .country_code("LR"),
        )
        .await?;
    let counterparty = client
        .counterparties()
        .create(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            party.id,
        ))
        .await?;
    assert_eq!(counterparty.party_id, Some(party.id));
    Ok(counterparty.id)
}

/// Pays a published source on its hosted page (the sandbox's simulation of the payer) and waits
/// until the source is PAID.
async fn pay_on_hosted_page(
    client: &Client,
    hosted_url: &str,
    source_type: &str,
    source_id: Id,
) -> TestResult {
    let response = reqwest::Client::new()
        .post(format!("{hosted_url}/pay"))
        .json(&json!({ "phone": PAYER_PHONE }))
        .send()
        .await?;
    assert!(
        response.status().is_success(),
        "hosted pay: {}",
        response.text().await?
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status: Value = client
            .send_value(
                ApiRequest::get("/v1/status/source")
                    .query("source_type", source_type)
                    .query("source_id", source_id),
            )
            .await?;
        if status["status"] == "PAID" {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(
                format!("source {source_type} {source_id} never became PAID: {status}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The document-first lifecycle of one kind: create → items (add, update, remove) → update →
/// publish → retrieve by id and number → list → pay link → paid → receipts and receipt link; and a
/// second source that is canceled.
async fn document_first_lifecycle<K: SourceKind>(
    client: &Client,
    counterparty_id: Id,
) -> TestResult {
    let sources = client.sources::<K>();
    let source_type = K::SOURCE_TYPE;
    let due = parse_timestamp("2030-12-31T23:59:59Z").ok_or("timestamp")?;
    let created = sources
        .create(
            &CreateSourceRequest::new(
                counterparty_id,
                "USD",
                "Consulting services",
                FeeBearer::Payer,
            )
            .as_payment_link(true)
            .reference_id("crm-7781")
            .due_date(due),
        )
        .await?;
    assert_eq!(created.status(), &SourceStatus::Idle);
    assert_eq!(created.currency(), "USD");
    let id = created.id();
    let number = created.number().to_string();

    let kept = sources
        .add_item(
            id,
            &AddItemRequest::new("Strategy Session", "USD", 1, dec!(250.00)),
        )
        .await?;
    assert_eq!((kept.qty, kept.amount), (1, dec!(250.00)));
    let dropped = sources
        .add_item(id, &AddItemRequest::new("Travel", "USD", 1, dec!(99.99)))
        .await?;
    let changed = sources
        .update_item(
            id,
            kept.id,
            &UpdateItemRequest {
                qty: Some(2),
                amount: Some(dec!(200.00)),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(
        (changed.id, changed.qty, changed.amount),
        (kept.id, 2, dec!(200.00))
    );
    sources.remove_item(id, dropped.id).await?;

    let updated = sources
        .update(
            id,
            &UpdateSourceRequest {
                note: Some("Updated scope".into()),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(updated.total_amount(), dec!(400.00));

    let published = sources.publish(id).await?;
    assert_eq!(published.status(), &SourceStatus::Active);
    // Published sources are locked.
    let locked = sources
        .add_item(id, &AddItemRequest::new("Extra", "USD", 1, dec!(1)))
        .await;
    assert_eq!(locked.err().map(|e| e.kind()), Some(ErrorKind::Validation));

    let by_id = sources.retrieve(id).await?;
    let by_number = sources.retrieve_by_number(&number).await?;
    assert_eq!(
        (by_id.id(), by_id.number()),
        (by_number.id(), by_number.number())
    );
    assert_eq!(by_id.total_amount(), dec!(400.00));
    let listed = sources
        .list(&ListSourcesQuery {
            currency: Some("USD".into()),
            status: Some(SourceStatus::Active),
        })
        .await?;
    assert!(
        listed.iter().any(|s| s.id() == id),
        "list shows the published source"
    );

    // A receipt exists only once paid.
    assert!(sources.receipt(id).await.is_err());

    let pay = client.links().pay(source_type.clone(), &number).await?;
    assert!(pay.url.starts_with("http"), "{}", pay.url);
    pay_on_hosted_page(client, &pay.url, source_type.as_str(), id).await?;

    let receipt = sources.receipt(id).await?;
    assert_eq!(
        (receipt.id(), receipt.number(), receipt.status()),
        (id, number.as_str(), &SourceStatus::Paid)
    );
    assert_eq!(receipt.total_amount(), dec!(400.00));
    let receipt = sources.receipt_by_number(&number).await?;
    assert_eq!(receipt.id(), id);
    let receipt_link = client.links().receipt(source_type.clone(), &number).await?;
    assert!(receipt_link.url.starts_with("http"), "{}", receipt_link.url);

    // A second source, canceled while IDLE.
    let other = sources
        .create(&CreateSourceRequest::new(
            counterparty_id,
            "LRD",
            "To be canceled",
            FeeBearer::Payee,
        ))
        .await?;
    let canceled = sources.cancel(other.id()).await?;
    assert_eq!(canceled.status(), &SourceStatus::Canceled);
    assert!(
        sources.publish(other.id()).await.is_err(),
        "a canceled source cannot be published"
    );
    Ok(())
}

#[tokio::test]
async fn parties_and_counterparties_end_to_end() -> TestResult {
    let (_sandbox, client) = start().await?;
    let party = client
        .parties()
        .create(
            &CreatePartyRequest::new("Amara Kamara", PAYER_PHONE)
                .email("amara@example.com")
                .country_code("LR"),
        )
        .await?;
    assert_eq!(party.phone.as_deref(), Some(PAYER_PHONE));
    assert_eq!(party.country_code.as_deref(), Some("LR"));
    let found = client
        .parties()
        .list(&ListPartiesQuery {
            fullname: Some("Amara".into()),
        })
        .await?;
    assert!(found.iter().any(|p| p.id == party.id));
    assert_eq!(client.parties().retrieve(party.id).await?, party);

    let cp = client
        .counterparties()
        .create(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            party.id,
        ))
        .await?;
    assert_eq!(cp.relationship_type, RelationshipType::Customer);
    let listed = client
        .counterparties()
        .list(&ListCounterpartiesQuery {
            fullname: Some("Amara".into()),
            relationship_type: Some(RelationshipType::Customer),
        })
        .await?;
    assert!(listed.iter().any(|c| c.id == cp.id));
    let with_party = client.counterparties().retrieve(cp.id).await?;
    assert_eq!(with_party.party.map(|p| p.id), Some(party.id));
    let updated = client
        .counterparties()
        .update(
            cp.id,
            &UpdateCounterpartyRequest {
                relationship_type: Some(RelationshipType::SelfParty),
                party_id: None,
            },
        )
        .await?;
    assert_eq!(updated.relationship_type, RelationshipType::SelfParty);

    let missing = client
        .parties()
        .retrieve(999_999)
        .await
        .err()
        .ok_or("expected NotFound")?;
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    Ok(())
}

#[tokio::test]
async fn invoices_end_to_end() -> TestResult {
    let (_sandbox, client) = start().await?;
    let counterparty_id = customer(&client, "Amara Kamara").await?;
    document_first_lifecycle::<InvoiceKind>(&client, counterparty_id).await?;
    // The typed detail names its items `invoice_items`.
    let invoices = client.invoices().list(&ListSourcesQuery::default()).await?;
    let first = invoices.first().ok_or("no invoice")?;
    let detail = client.invoices().retrieve(first.id).await?;
    assert_eq!(detail.invoice_items.len(), 1);
    assert_eq!(detail.counterparty.map(|c| c.id), Some(counterparty_id));
    Ok(())
}

#[tokio::test]
async fn orders_end_to_end() -> TestResult {
    let (_sandbox, client) = start().await?;
    let counterparty_id = customer(&client, "Amara Kamara").await?;
    document_first_lifecycle::<OrderKind>(&client, counterparty_id).await?;
    let orders = client.orders().list(&ListSourcesQuery::default()).await?;
    let first = orders.first().ok_or("no order")?;
    let detail = client.orders().retrieve(first.id).await?;
    assert_eq!(detail.order_items.len(), 1);
    Ok(())
}

#[tokio::test]
async fn hosted_checkout_end_to_end() -> TestResult {
    let (_sandbox, client) = start().await?;
    let mut request = CreateCheckoutRequest::hosted(
        SourceType::Order,
        PAYER_PHONE,
        "USD",
        vec![
            CheckoutItem::new("T-Shirt", "USD", dec!(25.00)),
            CheckoutItem::new("Cap", "USD", dec!(10.50)),
        ],
    );
    request.party_name = Some("Amara Kamara".into());
    request.party_relationship = Some(RelationshipType::Customer);
    request.success_url = Some("https://yourstore.com/success".into());
    request.cancel_url = Some("https://yourstore.com/cancel".into());
    let link = client.checkouts().create(&request).await?;
    assert_eq!(link.source_type, SourceType::Order);
    assert_eq!(link.total_amount, dec!(35.50));
    assert_eq!(
        link.success_url.as_deref(),
        Some("https://yourstore.com/success")
    );
    let order = client.orders().retrieve(link.source_id).await?;
    assert_eq!(order.order_number, link.source_number);
    assert_eq!(order.order_items.len(), 2);
    assert_eq!(
        order.counterparty.as_ref().map(|c| c.id),
        Some(link.counterparty_id)
    );

    pay_on_hosted_page(&client, &link.url, "ORDER", link.source_id).await?;
    let receipt = client.orders().receipt(link.source_id).await?;
    assert_eq!(receipt.order_number, link.source_number);
    assert_eq!(receipt.items.len(), 2);
    Ok(())
}

/// The keys of every object in `value`, with their paths (array elements share one path).
fn key_paths(value: &Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = format!("{at}.{key}");
                out.insert(path.clone());
                key_paths(inner, &path, out);
            }
        }
        Value::Array(items) => {
            for inner in items {
                key_paths(inner, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// Fetches `request` raw and typed: the sandbox must send exactly the fields the typed model has
/// (no field the model would silently drop, none the model expects and never gets).
async fn same_fields<T: serde::de::DeserializeOwned + serde::Serialize>(
    client: &Client,
    request: ApiRequest,
) -> Result<T, Box<dyn StdError>> {
    same_fields_but(client, request, &[]).await
}

/// [`same_fields`], tolerating model-only fields at `optional` (fields a shape may leave out).
async fn same_fields_but<T: serde::de::DeserializeOwned + serde::Serialize>(
    client: &Client,
    request: ApiRequest,
    optional: &[&str],
) -> Result<T, Box<dyn StdError>> {
    let path = request.path.clone();
    let raw = client.send_value(request).await?;
    let typed: T = serde_json::from_value(raw.clone())?;
    let (mut sent, mut modelled) = (Default::default(), Default::default());
    key_paths(&raw, "$", &mut sent);
    key_paths(&serde_json::to_value(&typed)?, "$", &mut modelled);
    let unknown: Vec<_> = sent.difference(&modelled).collect();
    let missing: Vec<_> = modelled
        .difference(&sent)
        .filter(|p| !optional.contains(&p.as_str()))
        .collect();
    assert!(
        unknown.is_empty() && missing.is_empty(),
        "{path}: sandbox-only fields {unknown:?}, model-only fields {missing:?}"
    );
    Ok(typed)
}

#[tokio::test]
async fn sandbox_and_models_agree_on_every_field_name() -> TestResult {
    use dollr_core::models::{
        CheckoutLink, Counterparty, CounterpartyWithParty, Invoice, InvoiceDetail, InvoiceReceipt,
        Order, OrderDetail, OrderReceipt, Party, SourceItem,
    };
    let (_sandbox, client) = start().await?;
    let party = client
        .parties()
        .create(&CreatePartyRequest::new("Amara Kamara", PAYER_PHONE))
        .await?;
    // The create answer has no embedded party (only list and retrieve embed it).
    let created: Counterparty = same_fields_but(
        &client,
        ApiRequest::post("/v1/counterparties/create").json(&CreateCounterpartyRequest::new(
            RelationshipType::Customer,
            party.id,
        ))?,
        &["$.party"],
    )
    .await?;
    let counterparty_id = created.id;
    let _: Vec<Counterparty> =
        same_fields(&client, ApiRequest::get("/v1/counterparties/list")).await?;
    let parties: Vec<Party> = same_fields(&client, ApiRequest::get("/v1/parties/list")).await?;
    let party_id = parties.first().map(|p| p.id).ok_or("no party")?;
    let _: Party = same_fields(
        &client,
        ApiRequest::get(format!("/v1/parties/retrieve/{party_id}")),
    )
    .await?;
    let _: CounterpartyWithParty = same_fields(
        &client,
        ApiRequest::get(format!("/v1/counterparties/retrieve/{counterparty_id}")),
    )
    .await?;
    for kind in ["invoices", "orders"] {
        let create = CreateSourceRequest::new(counterparty_id, "USD", "n", FeeBearer::Payer)
            .as_payment_link(true);
        let created: Value = client
            .send_value(ApiRequest::post(format!("/v1/{kind}/create")).json(&create)?)
            .await?;
        let id = created["id"].as_i64().ok_or("no id")?;
        let item = AddItemRequest::new("Strategy Session", "USD", 1, dec!(250.00));
        let _: SourceItem = same_fields(
            &client,
            ApiRequest::post(format!("/v1/{kind}/{id}/items/add")).json(&item)?,
        )
        .await?;
        let list = ApiRequest::get(format!("/v1/{kind}/list"));
        if kind == "invoices" {
            let _: Vec<Invoice> = same_fields(&client, list).await?;
        } else {
            let _: Vec<Order> = same_fields(&client, list).await?;
        }
        let detail = ApiRequest::get(format!("/v1/{kind}/retrieve/{id}"));
        let receipt = ApiRequest::get(format!("/v1/{kind}/receipt/{id}"));
        if kind == "invoices" {
            let detail: InvoiceDetail = same_fields(&client, detail).await?;
            client.invoices().publish(id).await?;
            let link = client
                .links()
                .pay(SourceType::Invoice, &detail.invoice_number)
                .await?;
            pay_on_hosted_page(&client, &link.url, "INVOICE", id).await?;
            let _: InvoiceReceipt = same_fields(&client, receipt).await?;
        } else {
            let detail: OrderDetail = same_fields(&client, detail).await?;
            client.orders().publish(id).await?;
            let link = client
                .links()
                .pay(SourceType::Order, &detail.order_number)
                .await?;
            pay_on_hosted_page(&client, &link.url, "ORDER", id).await?;
            let _: OrderReceipt = same_fields(&client, receipt).await?;
        }
    }
    let mut checkout = CreateCheckoutRequest::hosted(
        SourceType::Invoice,
        PAYER_PHONE,
        "USD",
        vec![CheckoutItem::new("Consulting", "USD", dec!(250))],
    );
    checkout.due_date = parse_timestamp("2030-01-01T00:00:00Z");
    checkout.reference_id = Some("crm-1".into());
    let _: CheckoutLink = same_fields(
        &client,
        ApiRequest::post("/v1/checkouts/create").json(&checkout)?,
    )
    .await?;
    Ok(())
}
