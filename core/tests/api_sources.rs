//! The parties, counterparties, invoices, orders, checkouts and links operations against a
//! recording transport: every operation sends the documented method, path (ids and numbers
//! percent-encoded), query and body, with the bearer token, and decodes the documented answer; bad
//! input is refused before anything — not even the token request — is sent; creates keep the
//! "retry only when not processed" default while reads are retried.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dollr_core::api::Sources;
use dollr_core::models::{
    AddItemRequest, CheckoutItem, CreateCheckoutRequest, CreateCounterpartyRequest,
    CreatePartyRequest, CreateSourceRequest, InvoiceKind, ListCounterpartiesQuery,
    ListPartiesQuery, ListSourcesQuery, OrderKind, SourceDocument, SourceKind,
    UpdateCounterpartyRequest, UpdateItemRequest, UpdateSourceRequest,
};
use dollr_core::transport::{
    HeaderMap, HeaderValue, HttpRequest, HttpResponse, Method, Transport, TransportError,
};
use dollr_core::{
    Client, ErrorKind, FeeBearer, RelationshipType, RetryPolicy, SourceStatus, SourceType,
};
use rust_decimal_macros::dec;

type TestResult = Result<(), Box<dyn StdError>>;

const BASE: &str = "http://127.0.0.1:9";

/// One request as the API would have seen it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    body: Option<String>,
    authorization: Option<String>,
}

/// Answers the token request itself and every other request with one canned answer, recording it.
struct Recorder {
    answer: (u16, String),
    seen: Mutex<Vec<Seen>>,
    token_requests: AtomicUsize,
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let rest = request.url.strip_prefix(BASE).unwrap_or(&request.url);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (rest.to_string(), None),
        };
        let respond = |status: u16, body: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            HttpResponse {
                status,
                headers,
                body: body.to_string().into(),
            }
        };
        if path == "/v1/jwt/client/obtain/token" {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
            return Ok(respond(200, r#"{"access_token":"t","expires_in":60}"#));
        }
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let seen = Seen {
            method: request.method,
            path,
            query,
            body: request
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
            authorization: header("authorization"),
        };
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seen);
        Ok(respond(self.answer.0, &self.answer.1))
    }
}

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn total_requests(&self) -> usize {
        self.seen().len() + self.token_requests.load(Ordering::SeqCst)
    }
}

fn client_answering(status: u16, body: &str) -> Result<(Client, Arc<Recorder>), Box<dyn StdError>> {
    let recorder = Arc::new(Recorder {
        answer: (status, body.to_string()),
        seen: Mutex::new(Vec::new()),
        token_requests: AtomicUsize::new(0),
    });
    let client = Client::builder()
        .ignore_env()
        .base_url(BASE)
        .client_id("id")
        .client_secret("secret")
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
            ..RetryPolicy::default()
        })
        .transport(recorder.clone())
        .build()?;
    Ok((client, recorder))
}

/// Runs one operation against a client answering `answer`; returns the one request it sent and
/// the operation's result.
async fn exchange<T, F, Fut>(answer: &str, call: F) -> Result<(Seen, T), Box<dyn StdError>>
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = dollr_core::Result<T>>,
{
    let (client, recorder) = client_answering(200, answer)?;
    let result = call(client).await?;
    let seen = recorder.seen();
    assert_eq!(seen.len(), 1, "exactly one API request: {seen:?}");
    let first = seen.into_iter().next().ok_or("no request")?;
    assert_eq!(first.authorization.as_deref(), Some("Bearer t"));
    Ok((first, result))
}

/// Asserts that `call` fails with a Validation error naming `field`, and that nothing was sent.
async fn refused<T: std::fmt::Debug, F, Fut>(field: &str, call: F) -> TestResult
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = dollr_core::Result<T>>,
{
    let (client, recorder) = client_answering(200, "{}")?;
    let error = match call(client).await {
        Ok(value) => {
            return Err(format!("expected a validation error on {field}, got {value:?}").into())
        }
        Err(error) => error,
    };
    assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
    assert_eq!(
        error.details().first().map(|d| d.field()).as_deref(),
        Some(field),
        "{error}"
    );
    assert_eq!(
        recorder.total_requests(),
        0,
        "nothing may be sent for invalid input"
    );
    Ok(())
}

fn assert_request(
    seen: &Seen,
    method: Method,
    path: &str,
    query: Option<&str>,
    body: Option<&str>,
) {
    assert_eq!(seen.method, method, "method of {path}");
    assert_eq!(seen.path, path);
    assert_eq!(seen.query.as_deref(), query, "query of {path}");
    assert_eq!(seen.body.as_deref(), body, "body of {path}");
}

const PARTY: &str = r#"{"id": 42, "fullname": "Amara Kamara", "phone": "231771234567", "email": "amara@example.com",
  "country_code": "LR", "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-01T10:00:00Z"}"#;

const COUNTERPARTY: &str = r#"{"id": 15, "relationship_type": "CUSTOMER", "party_id": 42,
  "created_at": "2025-06-01T10:05:00Z", "updated_at": "2025-06-01T10:05:00Z"}"#;

const COUNTERPARTY_WITH_PARTY: &str = r#"{"id": 15, "owner_party_type": "ORGANIZATION", "owner_party_id": 7,
  "relationship_type": "CUSTOMER", "created_at": "2025-06-01T10:05:00Z", "updated_at": "2025-06-01T10:05:00Z",
  "party": {"id": 42, "fullname": "Amara Kamara", "phone": "231771234567",
            "created_at": "2025-06-01T10:00:00Z", "updated_at": "2025-06-01T10:00:00Z"}}"#;

const ITEM: &str = r#"{"id": 7, "name": "Strategy Session", "currency": "USD", "qty": 2, "amount": 200.00,
  "created_at": "2025-06-01T10:11:00Z", "updated_at": "2025-06-01T10:12:00Z"}"#;

/// A source of either kind (`{number}` is `invoice_number` or `order_number`).
fn source_json(number_field: &str, number: &str, id: i64, status: &str) -> String {
    format!(
        r#"{{"id": {id}, "{number_field}": "{number}", "counterparty_id": 15, "currency": "USD",
  "total_amount": 250.00, "status": "{status}", "note": "Consulting services", "fee_bearer": "PAYER",
  "due_date": null, "as_payment_link": true, "owner_id": 7, "owner_type": "ORGANIZATION",
  "created_at": "2025-06-01T10:10:00Z", "updated_at": "2025-06-01T10:12:00Z"}}"#
    )
}

fn detail_json(number_field: &str, items_field: &str, number: &str, id: i64) -> String {
    let base = source_json(number_field, number, id, "IDLE");
    let base = base.trim_end().trim_end_matches('}');
    format!(r#"{base}, "{items_field}": [{ITEM}], "counterparty": {COUNTERPARTY_WITH_PARTY}}}"#)
}

fn receipt_json(id_field: &str, number_field: &str, number: &str, id: i64) -> String {
    format!(
        r#"{{"{id_field}": {id}, "{number_field}": "{number}", "currency": "USD", "total_amount": 250.00,
  "status": "PAID", "note": "Consulting services", "due_date": null, "as_payment_link": true,
  "fee_bearer": "PAYER", "owner_id": 7, "owner_type": "ORGANIZATION", "created_at": "2025-06-01T10:10:00Z",
  "counterparty_id": 15, "relationship_type": "CUSTOMER", "counterparty_name": "Amara Kamara",
  "counterparty_phone": "231771234567", "paid_at": "2025-06-02T09:30:00Z", "payer_amount": 257.50,
  "payer_currency": "USD", "payee_amount": 250.00, "payee_currency": "USD", "platform_fee": 3.75,
  "fx_rate": "1.0000", "payment_provider": "PAWAPAY", "payment_method": "MTN_MOMO_LBR",
  "items": [{{"id": 7, "name": "Strategy Session", "qty": 1, "amount": 250.00, "currency": "USD"}}]}}"#
    )
}

#[tokio::test]
async fn parties_operations_send_the_documented_requests() -> TestResult {
    let request = CreatePartyRequest::new("Amara Kamara", "231771234567")
        .email("amara@example.com")
        .country_code("LR");
    let (seen, party) =
        exchange(PARTY, |c| async move { c.parties().create(&request).await }).await?;
    assert_request(
        &seen,
        Method::Post,
        "/v1/parties/create",
        None,
        Some(
            r#"{"fullname":"Amara Kamara","phone":"231771234567","email":"amara@example.com","country_code":"LR"}"#,
        ),
    );
    assert_eq!(party.id, 42);

    let list = format!("[{PARTY}]");
    let query = ListPartiesQuery {
        fullname: Some("Amara Kamara".into()),
    };
    let (seen, parties) =
        exchange(&list, |c| async move { c.parties().list(&query).await }).await?;
    assert_request(
        &seen,
        Method::Get,
        "/v1/parties/list",
        Some("fullname=Amara%20Kamara"),
        None,
    );
    assert_eq!(parties.len(), 1);
    let (seen, _) = exchange("[]", |c| async move {
        c.parties().list(&ListPartiesQuery::default()).await
    })
    .await?;
    assert_request(&seen, Method::Get, "/v1/parties/list", None, None);

    let (seen, party) = exchange(PARTY, |c| async move { c.parties().retrieve(42).await }).await?;
    assert_request(&seen, Method::Get, "/v1/parties/retrieve/42", None, None);
    assert_eq!(party.fullname, "Amara Kamara");
    Ok(())
}

#[tokio::test]
async fn counterparties_operations_send_the_documented_requests() -> TestResult {
    let request = CreateCounterpartyRequest::new(RelationshipType::Customer, 42);
    let (seen, cp) = exchange(COUNTERPARTY, |c| async move {
        c.counterparties().create(&request).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Post,
        "/v1/counterparties/create",
        None,
        Some(r#"{"relationship_type":"CUSTOMER","party_id":42}"#),
    );
    assert_eq!((cp.id, cp.party_id), (15, Some(42)));

    let list = format!("[{COUNTERPARTY}, {COUNTERPARTY_WITH_PARTY}]");
    let query = ListCounterpartiesQuery {
        fullname: Some("Amara".into()),
        relationship_type: Some(RelationshipType::Customer),
    };
    let (seen, listed) = exchange(
        &list,
        |c| async move { c.counterparties().list(&query).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Get,
        "/v1/counterparties/list",
        Some("fullname=Amara&relationship_type=CUSTOMER"),
        None,
    );
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].party.as_ref().map(|p| p.id), Some(42));

    let (seen, cp) = exchange(COUNTERPARTY_WITH_PARTY, |c| async move {
        c.counterparties().retrieve(15).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Get,
        "/v1/counterparties/retrieve/15",
        None,
        None,
    );
    assert_eq!(
        cp.party.map(|p| p.fullname).as_deref(),
        Some("Amara Kamara")
    );

    let update = UpdateCounterpartyRequest {
        relationship_type: Some(RelationshipType::Supplier),
        party_id: None,
    };
    let answer = COUNTERPARTY.replace("CUSTOMER", "SUPPLIER");
    let (seen, cp) = exchange(&answer, |c| async move {
        c.counterparties().update(15, &update).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Put,
        "/v1/counterparties/update/15",
        None,
        Some(r#"{"relationship_type":"SUPPLIER"}"#),
    );
    assert_eq!(cp.relationship_type, RelationshipType::Supplier);
    Ok(())
}

/// The twelve invoice/order operations, for one kind; `id` and `number` are that kind's documented
/// examples (101 / INV-2025-0042, 201 / ORD-2025-0099).
async fn source_operations_send_the_documented_requests<K: SourceKind>(
    id: i64,
    number: &str,
    items_field: &str,
    receipt_id_field: &str,
) -> TestResult {
    let prefix = format!("/v1/{}", K::PATH);
    let number_field = K::NUMBER_FIELD;
    let source = source_json(number_field, number, id, "IDLE");

    let request = CreateSourceRequest::new(15, "USD", "Consulting services", FeeBearer::Payer)
        .as_payment_link(true);
    let (seen, created) = exchange(&source, |c| async move {
        c.sources::<K>().create(&request).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Post,
        &format!("{prefix}/create"),
        None,
        Some(
            r#"{"counterparty_id":15,"currency":"USD","note":"Consulting services","fee_bearer":"PAYER","as_payment_link":true}"#,
        ),
    );
    assert_eq!((created.id(), created.number()), (id, number));
    assert_eq!(created.total_amount().to_string(), "250.00");

    let list = format!("[{source}]");
    let query = ListSourcesQuery {
        currency: Some("USD".into()),
        status: Some(SourceStatus::Active),
    };
    let (seen, listed) = exchange(
        &list,
        |c| async move { c.sources::<K>().list(&query).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Get,
        &format!("{prefix}/list"),
        Some("currency=USD&status=ACTIVE"),
        None,
    );
    assert_eq!(listed.len(), 1);

    let detail = detail_json(number_field, items_field, number, id);
    let (seen, got) = exchange(
        &detail,
        |c| async move { c.sources::<K>().retrieve(id).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Get,
        &format!("{prefix}/retrieve/{id}"),
        None,
        None,
    );
    assert_eq!(got.number(), number);
    let (seen, got) = exchange(&detail, |c| async move {
        c.sources::<K>().retrieve_by_number(number).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Get,
        &format!("{prefix}/retrieve/number/{number}"),
        None,
        None,
    );
    assert_eq!(got.id(), id);
    // Numbers from callers are percent-encoded as one path segment.
    let (seen, _) = exchange(&detail, |c| async move {
        c.sources::<K>().retrieve_by_number("INV 2025/42?x").await
    })
    .await?;
    assert_eq!(
        seen.path,
        format!("{prefix}/retrieve/number/INV%202025%2F42%3Fx")
    );
    assert_eq!(seen.query, None);

    let update = UpdateSourceRequest {
        note: Some("Updated scope".into()),
        fee_bearer: Some(FeeBearer::Payee),
        ..Default::default()
    };
    let (seen, _) = exchange(&source, |c| async move {
        c.sources::<K>().update(id, &update).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Put,
        &format!("{prefix}/update/{id}"),
        None,
        Some(r#"{"note":"Updated scope","fee_bearer":"PAYEE"}"#),
    );

    let item = AddItemRequest::new("Strategy Session", "USD", 1, dec!(250.00));
    let (seen, added) = exchange(ITEM, |c| async move {
        c.sources::<K>().add_item(id, &item).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Post,
        &format!("{prefix}/{id}/items/add"),
        None,
        Some(r#"{"name":"Strategy Session","currency":"USD","qty":1,"amount":250.00}"#),
    );
    assert_eq!(added.id, 7);

    let change = UpdateItemRequest {
        qty: Some(2),
        amount: Some(dec!(200.00)),
        ..Default::default()
    };
    let (seen, updated) = exchange(ITEM, |c| async move {
        c.sources::<K>().update_item(id, 7, &change).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Put,
        &format!("{prefix}/{id}/items/7/update"),
        None,
        Some(r#"{"qty":2,"amount":200.00}"#),
    );
    assert_eq!(
        (updated.qty, updated.amount.to_string().as_str()),
        (2, "200.00")
    );

    let (seen, ()) = exchange("{}", |c| async move {
        c.sources::<K>().remove_item(id, 7).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Delete,
        &format!("{prefix}/{id}/items/7/remove"),
        None,
        None,
    );
    // An empty body is as good as {}.
    let (_, ()) = exchange(
        "",
        |c| async move { c.sources::<K>().remove_item(id, 7).await },
    )
    .await?;

    let active = source_json(number_field, number, id, "ACTIVE");
    let (seen, published) = exchange(
        &active,
        |c| async move { c.sources::<K>().publish(id).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Put,
        &format!("{prefix}/publish/{id}"),
        None,
        None,
    );
    assert_eq!(published.status(), &SourceStatus::Active);

    let canceled = source_json(number_field, number, id, "CANCELED");
    let (seen, canceled) = exchange(
        &canceled,
        |c| async move { c.sources::<K>().cancel(id).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Delete,
        &format!("{prefix}/cancel/{id}"),
        None,
        None,
    );
    assert_eq!(canceled.status(), &SourceStatus::Canceled);

    let receipt = receipt_json(receipt_id_field, number_field, number, id);
    let (seen, got) = exchange(
        &receipt,
        |c| async move { c.sources::<K>().receipt(id).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Get,
        &format!("{prefix}/receipt/{id}"),
        None,
        None,
    );
    assert_eq!((got.id(), got.status()), (id, &SourceStatus::Paid));
    let (seen, got) = exchange(&receipt, |c| async move {
        c.sources::<K>().receipt_by_number(number).await
    })
    .await?;
    assert_request(
        &seen,
        Method::Get,
        &format!("{prefix}/receipt/number/{number}"),
        None,
        None,
    );
    assert_eq!(got.number(), number);
    Ok(())
}

#[tokio::test]
async fn invoice_operations_send_the_documented_requests() -> TestResult {
    source_operations_send_the_documented_requests::<InvoiceKind>(
        101,
        "INV-2025-0042",
        "invoice_items",
        "invoice_id",
    )
    .await
}

#[tokio::test]
async fn order_operations_send_the_documented_requests() -> TestResult {
    source_operations_send_the_documented_requests::<OrderKind>(
        201,
        "ORD-2025-0099",
        "order_items",
        "order_id",
    )
    .await
}

#[tokio::test]
async fn the_named_handles_decode_the_kind_specific_types() -> TestResult {
    let detail = detail_json("invoice_number", "invoice_items", "INV-2025-0042", 101);
    let (_, invoice) =
        exchange(&detail, |c| async move { c.invoices().retrieve(101).await }).await?;
    assert_eq!(invoice.invoice_number, "INV-2025-0042");
    assert_eq!(invoice.invoice_items[0].amount.to_string(), "200.00");
    let receipt = receipt_json("order_id", "order_number", "ORD-2025-0099", 201);
    let (seen, order) =
        exchange(&receipt, |c| async move { c.orders().receipt(201).await }).await?;
    assert_eq!(seen.path, "/v1/orders/receipt/201");
    assert_eq!(
        (order.order_id, order.fx_rate.map(|r| r.to_string())),
        (201, Some("1.0000".to_string()))
    );
    // An order answer is not an invoice: the kinds are typed end to end.
    let (client, _) = client_answering(200, &receipt)?;
    let error = client
        .invoices()
        .receipt(201)
        .await
        .err()
        .ok_or("decoded an order receipt as an invoice")?;
    assert_eq!(error.kind(), ErrorKind::Decode);
    Ok(())
}

#[tokio::test]
async fn checkouts_create_sends_source_kind() -> TestResult {
    let mut request = CreateCheckoutRequest::hosted(
        SourceType::Invoice,
        "231771234567",
        "USD",
        vec![CheckoutItem::new("Consulting", "USD", dec!(250))],
    );
    request.party_name = Some("Amara Kamara".into());
    request.success_url = Some("https://yourstore.com/success".into());
    let answer = r#"{"mode": "HOSTED", "source_type": "INVOICE", "source_id": 102, "source_number": "INV-2025-0043",
      "source_status": "ACTIVE", "counterparty_id": 16, "party_id": 43, "currency": "USD", "total_amount": 250,
      "source_checkout_config_id": 9, "url": "https://pay.heydollr.app/c/abc123",
      "success_url": "https://yourstore.com/success"}"#;
    let (seen, link) = exchange(
        answer,
        |c| async move { c.checkouts().create(&request).await },
    )
    .await?;
    assert_request(
        &seen,
        Method::Post,
        "/v1/checkouts/create",
        None,
        Some(
            r#"{"mode":"HOSTED","source_kind":"INVOICE","party_phone":"231771234567","currency":"USD","items":[{"name":"Consulting","currency":"USD","amount":250}],"party_name":"Amara Kamara","success_url":"https://yourstore.com/success"}"#,
        ),
    );
    assert_eq!(
        (link.source_type, link.source_id),
        (SourceType::Invoice, 102)
    );
    assert_eq!(link.url, "https://pay.heydollr.app/c/abc123");
    Ok(())
}

#[tokio::test]
async fn links_send_source_type_and_number_as_query() -> TestResult {
    let answer = r#"{"url": "https://pay.heydollr.app/l/INV-2025-0042"}"#;
    let (seen, link) = exchange(answer, |c| async move {
        c.links().pay(SourceType::Invoice, "INV-2025-0042").await
    })
    .await?;
    assert_request(
        &seen,
        Method::Get,
        "/v1/links/pay",
        Some("source_type=INVOICE&source_number=INV-2025-0042"),
        None,
    );
    assert_eq!(link.url, "https://pay.heydollr.app/l/INV-2025-0042");
    let (seen, _) = exchange(answer, |c| async move {
        c.links().receipt(SourceType::Order, "ORD 2025&99").await
    })
    .await?;
    assert_request(
        &seen,
        Method::Get,
        "/v1/links/receipt",
        Some("source_type=ORDER&source_number=ORD%202025%2699"),
        None,
    );
    Ok(())
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_sent() -> TestResult {
    refused("phone", |c| async move {
        c.parties()
            .create(&CreatePartyRequest::new("Amara", "+231771234567"))
            .await
    })
    .await?;
    refused("country_code", |c| async move {
        c.parties()
            .create(&CreatePartyRequest::new("Amara", "231771234567").country_code("lr"))
            .await
    })
    .await?;
    refused("id", |c| async move { c.parties().retrieve(0).await }).await?;

    refused("relationship_type", |c| async move {
        c.counterparties()
            .create(&CreateCounterpartyRequest::new("BOSS".into(), 42))
            .await
    })
    .await?;
    refused("relationship_type", |c| async move {
        let query = ListCounterpartiesQuery {
            fullname: None,
            relationship_type: Some("customer".into()),
        };
        c.counterparties().list(&query).await
    })
    .await?;
    refused(
        "id",
        |c| async move { c.counterparties().retrieve(-3).await },
    )
    .await?;
    refused("party_id", |c| async move {
        c.counterparties()
            .update(
                15,
                &UpdateCounterpartyRequest {
                    relationship_type: None,
                    party_id: Some(0),
                },
            )
            .await
    })
    .await?;

    refused("currency", |c| async move {
        c.invoices()
            .create(&CreateSourceRequest::new(15, "usd", "x", FeeBearer::Payer))
            .await
    })
    .await?;
    refused("fee_bearer", |c| async move {
        c.orders()
            .create(&CreateSourceRequest::new(15, "USD", "x", "BOTH".into()))
            .await
    })
    .await?;
    refused("status", |c| async move {
        c.orders()
            .list(&ListSourcesQuery {
                currency: None,
                status: Some("DRAFT".into()),
            })
            .await
    })
    .await?;
    refused("id", |c| async move { c.invoices().retrieve(0).await }).await?;
    refused("invoice_number", |c| async move {
        c.invoices().retrieve_by_number(" ").await
    })
    .await?;
    refused("order_number", |c| async move {
        c.orders().receipt_by_number("").await
    })
    .await?;
    refused("fee_bearer", |c| async move {
        c.invoices()
            .update(
                101,
                &UpdateSourceRequest {
                    fee_bearer: Some("payee".into()),
                    ..Default::default()
                },
            )
            .await
    })
    .await?;
    refused("amount", |c| async move {
        c.invoices()
            .add_item(
                101,
                &AddItemRequest::new("Strategy Session", "USD", 1, dec!(250.001)),
            )
            .await
    })
    .await?;
    refused("qty", |c| async move {
        c.orders()
            .add_item(201, &AddItemRequest::new("T-Shirt", "USD", 0, dec!(25)))
            .await
    })
    .await?;
    refused("item_id", |c| async move {
        c.orders()
            .update_item(
                201,
                0,
                &UpdateItemRequest {
                    qty: Some(3),
                    ..Default::default()
                },
            )
            .await
    })
    .await?;
    refused("qty", |c| async move {
        c.orders()
            .update_item(
                201,
                5,
                &UpdateItemRequest {
                    qty: Some(0),
                    ..Default::default()
                },
            )
            .await
    })
    .await?;
    refused("item_id", |c| async move {
        c.invoices().remove_item(101, -7).await
    })
    .await?;
    refused("id", |c| async move { c.invoices().publish(0).await }).await?;
    refused("id", |c| async move { c.orders().cancel(0).await }).await?;
    refused("id", |c| async move { c.orders().receipt(0).await }).await?;

    refused("party_phone", |c| async move {
        let request = CreateCheckoutRequest::hosted(
            SourceType::Invoice,
            "+231771234567",
            "USD",
            vec![CheckoutItem::new("Consulting", "USD", dec!(250))],
        );
        c.checkouts().create(&request).await
    })
    .await?;
    refused("items.0.amount", |c| async move {
        let request = CreateCheckoutRequest::hosted(
            SourceType::Order,
            "231771234567",
            "USD",
            vec![CheckoutItem::new("Consulting", "USD", dec!(0.001))],
        );
        c.checkouts().create(&request).await
    })
    .await?;

    refused("source_type", |c| async move {
        c.links().pay(SourceType::Subscription, "SUB-1").await
    })
    .await?;
    refused("source_number", |c| async move {
        c.links().receipt(SourceType::Invoice, "").await
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn api_errors_surface_with_their_kind() -> TestResult {
    let (client, _) = client_answering(404, r#"{"detail": "Invoice not found"}"#)?;
    let error = client
        .invoices()
        .retrieve(999)
        .await
        .err()
        .ok_or("expected NotFound")?;
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::NotFound, Some(404))
    );
    let (client, _) = client_answering(
        422,
        r#"{"detail": [{"loc": ["body", "qty"], "msg": "ensure this value is greater than 0", "type": "value_error"}]}"#,
    )?;
    let error = client
        .orders()
        .add_item(201, &AddItemRequest::new("T-Shirt", "USD", 1, dec!(25)))
        .await
        .err()
        .ok_or("expected Validation")?;
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.details()[0].field(), "qty");
    Ok(())
}

#[tokio::test]
async fn creates_are_not_retried_after_a_server_error_but_reads_are() -> TestResult {
    let (client, recorder) = client_answering(503, r#"{"detail": "unavailable"}"#)?;
    let request = CreateSourceRequest::new(15, "USD", "x", FeeBearer::Payer);
    let error = client
        .invoices()
        .create(&request)
        .await
        .err()
        .ok_or("expected Server")?;
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(
        recorder.seen().len(),
        1,
        "a create that may have been processed is not repeated"
    );

    let (client, recorder) = client_answering(503, r#"{"detail": "unavailable"}"#)?;
    let error = client
        .invoices()
        .list(&ListSourcesQuery::default())
        .await
        .err()
        .ok_or("expected Server")?;
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(
        recorder.seen().len(),
        3,
        "a read is retried (max_retries = 2)"
    );

    let (client, recorder) = client_answering(503, r#"{"detail": "unavailable"}"#)?;
    let _ = client.orders().cancel(201).await;
    assert_eq!(
        recorder.seen().len(),
        3,
        "cancel (DELETE) keeps the idempotent default"
    );
    Ok(())
}

#[tokio::test]
async fn handles_are_cheap_clones_of_the_client() -> TestResult {
    let (client, _) = client_answering(200, "[]")?;
    let invoices: Sources<InvoiceKind> = client.invoices();
    let copy = invoices.clone();
    assert!(copy.list(&ListSourcesQuery::default()).await?.is_empty());
    assert!(format!("{invoices:?}").contains("invoices"));
    Ok(())
}
