//! Invoices and orders: one implementation, two route families.
//!
//! State machine: IDLE → ACTIVE (publish, needs ≥ 1 item) → PROCESSING (a
//! collection execution started) → PAID, or back to ACTIVE if it failed.
//! CANCELED from IDLE or ACTIVE only. Items and update only while IDLE.

use axum::extract::{Path, State};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{App, Auth, JsonBody, RawQuery};
use crate::model::{ts, Item, Source, SourceKind, SourceStatus, SOURCE_STATUSES};
use crate::money::{fx_rate_text, money, FeeBearer};
use crate::state::State as SandboxState;
use crate::validate::{path_id, Fields, QueryFields};

const FEE_BEARERS: [&str; 2] = ["PAYER", "PAYEE"];

fn not_found(kind: SourceKind) -> ApiError {
    ApiError::NotFound(format!("{} not found", kind.title()))
}

/// A 422 for a state-machine violation, located at the path id.
pub(crate) fn state_error(field: &str, msg: String) -> ApiError {
    ApiError::path(field, msg, "value_error.state")
}

fn require_idle(s: &Source, field: &str, action: &str) -> ApiResult<()> {
    if s.status == SourceStatus::Idle {
        Ok(())
    } else {
        Err(state_error(
            field,
            format!(
                "{} {} is {}: {action} is only allowed while the {} is IDLE",
                s.kind.noun(),
                s.number,
                s.status.as_str(),
                s.kind.noun()
            ),
        ))
    }
}

fn find_by_number(st: &SandboxState, kind: SourceKind, number: &str) -> Option<i64> {
    st.sources(kind)
        .iter()
        .find(|s| s.number == number)
        .map(|s| s.id)
}

/// Everything a new source needs, validated.
pub(crate) struct NewSource {
    pub counterparty_id: i64,
    pub currency: crate::money::Currency,
    pub note: String,
    pub fee_bearer: FeeBearer,
    pub as_payment_link: bool,
    pub reference_id: Option<String>,
    pub due_date: Option<chrono::DateTime<chrono::Utc>>,
}

/// Creates a source in IDLE and returns its id.
pub(crate) fn insert_source(st: &mut SandboxState, kind: SourceKind, n: NewSource) -> i64 {
    let now = st.now();
    let id = st.sources(kind).len() as i64 + 1;
    let number = st.next_number(kind);
    let owner_id = st.settings.merchant_id;
    st.sources_mut(kind).push(Source {
        kind,
        id,
        number,
        counterparty_id: n.counterparty_id,
        currency: n.currency,
        status: SourceStatus::Idle,
        note: n.note,
        fee_bearer: n.fee_bearer,
        due_date: n.due_date,
        as_payment_link: n.as_payment_link,
        reference_id: n.reference_id,
        owner_id,
        owner_type: "ORGANIZATION",
        created_at: now,
        updated_at: now,
        paid_at: None,
        items: Vec::new(),
        paid_by: None,
    });
    id
}

async fn create(app: App, kind: SourceKind, body: Option<Value>) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let counterparty_id = f.req_int("counterparty_id");
    let currency = f.req_currency("currency");
    let note = f.req_str("note");
    let fee_bearer = f
        .req_enum("fee_bearer", &FEE_BEARERS)
        .and_then(|s| FeeBearer::parse(&s));
    let as_payment_link = f.req_bool("as_payment_link");
    let reference_id = f.opt_str("reference_id");
    let due_date = f.opt_datetime("due_date");
    app.with(|st| {
        if let Some(cp) = counterparty_id {
            if st.counterparty(cp).is_none() {
                f.error(
                    "counterparty_id",
                    format!("counterparty {cp} not found"),
                    "value_error.not_found",
                );
            }
        }
        f.finish()?;
        let (
            Some(counterparty_id),
            Some(currency),
            Some(note),
            Some(fee_bearer),
            Some(as_payment_link),
        ) = (counterparty_id, currency, note, fee_bearer, as_payment_link)
        else {
            return Err(ApiError::Internal(500));
        };
        let id = insert_source(
            st,
            kind,
            NewSource {
                counterparty_id,
                currency,
                note,
                fee_bearer,
                as_payment_link,
                reference_id,
                due_date,
            },
        );
        st.source(kind, id)
            .map(|s| Json(s.json()))
            .ok_or_else(|| not_found(kind))
    })
}

async fn list(app: App, kind: SourceKind, query: Option<String>) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(query.as_deref());
    let currency = q.opt_currency_code("currency");
    let status = q.opt_enum("status", &SOURCE_STATUSES);
    q.finish()?;
    Ok(Json(app.with(|st| {
        Value::Array(
            st.sources(kind)
                .iter()
                .filter(|s| currency.as_deref().map_or(true, |c| s.currency.code() == c))
                .filter(|s| status.as_deref().map_or(true, |x| s.status.as_str() == x))
                .map(Source::json)
                .collect(),
        )
    })))
}

async fn retrieve(app: App, kind: SourceKind, id: String) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| {
        st.source(kind, id)
            .map(|s| Json(st.source_detail(s)))
            .ok_or_else(|| not_found(kind))
    })
}

async fn retrieve_number(app: App, kind: SourceKind, number: String) -> ApiResult<Json<Value>> {
    app.with(|st| {
        let id = find_by_number(st, kind, &number).ok_or_else(|| not_found(kind))?;
        st.source(kind, id)
            .map(|s| Json(st.source_detail(s)))
            .ok_or_else(|| not_found(kind))
    })
}

async fn update(
    app: App,
    kind: SourceKind,
    id: String,
    body: Option<Value>,
) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    let mut f = Fields::optional_body(body.as_ref());
    let reference_id = f.opt_str("reference_id");
    let note = f.opt_str("note");
    let fee_bearer = f
        .opt_enum("fee_bearer", &FEE_BEARERS)
        .and_then(|s| FeeBearer::parse(&s));
    let due_date = f.opt_datetime("due_date");
    app.with(|st| {
        let s = st.source(kind, id).ok_or_else(|| not_found(kind))?;
        f.finish()?;
        require_idle(s, "id", "update")?;
        let now = st.now();
        let s = st.source_mut(kind, id).ok_or_else(|| not_found(kind))?;
        if reference_id.is_some() {
            s.reference_id = reference_id;
        }
        if let Some(n) = note {
            s.note = n;
        }
        if let Some(fb) = fee_bearer {
            s.fee_bearer = fb;
        }
        if due_date.is_some() {
            s.due_date = due_date;
        }
        s.updated_at = now;
        Ok(Json(s.json()))
    })
}

async fn item_add(
    app: App,
    kind: SourceKind,
    source_id: String,
    body: Option<Value>,
) -> ApiResult<Json<Value>> {
    let field = match kind {
        SourceKind::Invoice => "invoice_id",
        SourceKind::Order => "order_id",
    };
    let source_id = path_id(field, &source_id)?;
    let mut f = Fields::body(body.as_ref());
    let name = f.req_nonempty("name");
    let currency = f.req_currency("currency");
    let qty = f.req_qty("qty");
    let amount = f.req_amount("amount");
    if let (Some(a), Some(c)) = (amount, currency) {
        f.check_decimals("amount", a, c);
    }
    app.with(|st| {
        let s = st.source(kind, source_id).ok_or_else(|| not_found(kind))?;
        if let Some(c) = currency {
            if c != s.currency {
                f.error(
                    "currency",
                    format!(
                        "item currency {} must match the {} currency {}",
                        c,
                        kind.noun(),
                        s.currency
                    ),
                    "value_error.currency_mismatch",
                );
            }
        }
        f.finish()?;
        require_idle(s, field, "adding items")?;
        if s.items.len() >= crate::state::MAX_ITEMS {
            return Err(state_error(
                field,
                format!(
                    "a {} holds at most {} items",
                    kind.noun(),
                    crate::state::MAX_ITEMS
                ),
            ));
        }
        let (Some(name), Some(currency), Some(qty), Some(amount)) = (name, currency, qty, amount)
        else {
            return Err(ApiError::Internal(500));
        };
        let now = st.now();
        let item_id = st.next_item_id(kind);
        let item = Item {
            id: item_id,
            name,
            currency,
            qty,
            amount,
            created_at: now,
            updated_at: now,
        };
        let v = item.json();
        let s = st
            .source_mut(kind, source_id)
            .ok_or_else(|| not_found(kind))?;
        s.items.push(item);
        s.updated_at = now;
        Ok(Json(v))
    })
}

fn item_not_found(kind: SourceKind) -> ApiError {
    ApiError::NotFound(format!("{} item not found", kind.title()))
}

async fn item_update(
    app: App,
    kind: SourceKind,
    (source_id, item_id): (String, String),
    body: Option<Value>,
) -> ApiResult<Json<Value>> {
    let field = match kind {
        SourceKind::Invoice => "invoice_id",
        SourceKind::Order => "order_id",
    };
    let source_id = path_id(field, &source_id)?;
    let item_id = path_id("id", &item_id)?;
    let mut f = Fields::optional_body(body.as_ref());
    let name = f.opt_str("name");
    let qty = f.opt_qty("qty");
    let amount = f.opt_amount("amount");
    app.with(|st| {
        let s = st.source(kind, source_id).ok_or_else(|| not_found(kind))?;
        if !s.items.iter().any(|i| i.id == item_id) {
            return Err(item_not_found(kind));
        }
        if let Some(a) = amount {
            f.check_decimals("amount", a, s.currency);
        }
        if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            f.error(
                "name",
                "ensure this value has at least 1 characters",
                "value_error.any_str.min_length",
            );
        }
        f.finish()?;
        require_idle(s, field, "updating items")?;
        let now = st.now();
        let s = st
            .source_mut(kind, source_id)
            .ok_or_else(|| not_found(kind))?;
        s.updated_at = now;
        let item = s
            .items
            .iter_mut()
            .find(|i| i.id == item_id)
            .ok_or_else(|| item_not_found(kind))?;
        if let Some(n) = name {
            item.name = n;
        }
        if let Some(q) = qty {
            item.qty = q;
        }
        if let Some(a) = amount {
            item.amount = a;
        }
        item.updated_at = now;
        Ok(Json(item.json()))
    })
}

async fn item_remove(
    app: App,
    kind: SourceKind,
    (source_id, item_id): (String, String),
) -> ApiResult<Json<Value>> {
    let field = match kind {
        SourceKind::Invoice => "invoice_id",
        SourceKind::Order => "order_id",
    };
    let source_id = path_id(field, &source_id)?;
    let item_id = path_id("id", &item_id)?;
    app.with(|st| {
        let s = st.source(kind, source_id).ok_or_else(|| not_found(kind))?;
        if !s.items.iter().any(|i| i.id == item_id) {
            return Err(item_not_found(kind));
        }
        require_idle(s, field, "removing items")?;
        let now = st.now();
        let s = st
            .source_mut(kind, source_id)
            .ok_or_else(|| not_found(kind))?;
        s.items.retain(|i| i.id != item_id);
        s.updated_at = now;
        Ok(Json(json!({})))
    })
}

/// IDLE → ACTIVE. Publishing without items is a 422.
pub(crate) fn publish_source(st: &mut SandboxState, kind: SourceKind, id: i64) -> ApiResult<Value> {
    let s = st.source(kind, id).ok_or_else(|| not_found(kind))?;
    require_idle(s, "id", "publishing")?;
    if s.items.is_empty() {
        return Err(state_error(
            "id",
            format!(
                "{} {} has no items: add at least one item before publishing",
                kind.noun(),
                s.number
            ),
        ));
    }
    if s.total() <= Decimal::ZERO {
        return Err(state_error(
            "id",
            format!("{} {} has a zero total", kind.noun(), s.number),
        ));
    }
    let now = st.now();
    let s = st.source_mut(kind, id).ok_or_else(|| not_found(kind))?;
    s.status = SourceStatus::Active;
    s.updated_at = now;
    Ok(s.json())
}

async fn publish(app: App, kind: SourceKind, id: String) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| publish_source(st, kind, id).map(Json))
}

async fn cancel(app: App, kind: SourceKind, id: String) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| {
        let s = st.source(kind, id).ok_or_else(|| not_found(kind))?;
        if !matches!(s.status, SourceStatus::Idle | SourceStatus::Active) {
            return Err(state_error(
                "id",
                format!(
                    "{} {} is {}: only IDLE or ACTIVE {}s can be canceled",
                    kind.noun(),
                    s.number,
                    s.status.as_str(),
                    kind.noun()
                ),
            ));
        }
        let now = st.now();
        let s = st.source_mut(kind, id).ok_or_else(|| not_found(kind))?;
        s.status = SourceStatus::Canceled;
        s.updated_at = now;
        Ok(Json(s.json()))
    })
}

/// The receipt of a PAID source (422 before).
pub(crate) fn receipt_json(
    st: &SandboxState,
    kind: SourceKind,
    id: i64,
    field: &str,
) -> ApiResult<Value> {
    let s = st.source(kind, id).ok_or_else(|| not_found(kind))?;
    if s.status != SourceStatus::Paid {
        return Err(state_error(
            field,
            format!(
                "no receipt yet: {} {} is {}; receipts exist once it is PAID",
                kind.noun(),
                s.number,
                s.status.as_str()
            ),
        ));
    }
    let cp = st.counterparty(s.counterparty_id);
    let party = cp.and_then(|c| c.party_id).and_then(|p| st.party(p));
    let exec = s.paid_by.and_then(|i| st.executions.get(i));
    let account = exec.and_then(|e| e.account_id).and_then(|a| st.account(a));
    let (id_key, number_key) = match kind {
        SourceKind::Invoice => ("invoice_id", "invoice_number"),
        SourceKind::Order => ("order_id", "order_number"),
    };
    let mut v = json!({
        "currency": s.currency.code(),
        "total_amount": money(s.total(), s.currency),
        "status": s.status.as_str(),
        "note": s.note,
        "due_date": s.due_date.map(ts),
        "as_payment_link": s.as_payment_link,
        "fee_bearer": s.fee_bearer.as_str(),
        "owner_id": s.owner_id,
        "owner_type": s.owner_type,
        "created_at": ts(s.created_at),
        "counterparty_id": s.counterparty_id,
        "relationship_type": cp.map(|c| c.relationship_type.as_str()).unwrap_or("CUSTOMER"),
        "counterparty_name": party.map(|p| p.fullname.as_str()).unwrap_or(""),
        "counterparty_phone": party.and_then(|p| p.phone.as_deref()).unwrap_or(""),
        "counterparty_email": party.and_then(|p| p.email.as_deref()),
        "reference_id": s.reference_id,
        "paid_at": s.paid_at.map(ts),
        "items": s.items.iter().map(|i| json!({
            "id": i.id,
            "name": i.name,
            "qty": i.qty,
            "amount": money(i.amount, i.currency),
            "currency": i.currency.code(),
        })).collect::<Vec<_>>(),
    });
    if let Some(m) = v.as_object_mut() {
        m.insert(id_key.to_owned(), json!(s.id));
        m.insert(number_key.to_owned(), json!(s.number));
        let pay = match exec {
            Some(e) => {
                let q = &e.quote;
                let base = q.base_currency;
                json!({
                    "payer_amount": money(q.payer_amount, q.payer_currency),
                    "payer_currency": q.payer_currency.code(),
                    "payee_amount": money(q.payee_amount, base),
                    "payee_currency": base.code(),
                    "platform_fee": money(q.platform_fee, base),
                    "platform_currency": base.code(),
                    "gateway_fee": money(q.gateway_fee, base),
                    "gateway_currency": base.code(),
                    "fx_fee": q.fx_fee.map(|f| money(f, base)),
                    "fx_rate": q.has_fx().then(|| fx_rate_text(base, q.payer_currency)),
                    "fx_currency_from": q.has_fx().then(|| base.code()),
                    "fx_currency_to": q.has_fx().then(|| q.payer_currency.code()),
                    "payment_provider": e.provider,
                    "payment_method": e.method.as_str(),
                    "account_name": account.map(|a| a.account_name.clone()).or_else(|| e.account_name.clone()),
                    "gateway_confirmed_at": e.completed_at.map(ts),
                    "provider_transaction_id": e.provider_transaction_id,
                })
            }
            None => Value::Null,
        };
        if let Value::Object(p) = pay {
            m.extend(p);
        }
    }
    Ok(v)
}

async fn receipt(app: App, kind: SourceKind, id: String) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| receipt_json(st, kind, id, "id").map(Json))
}

async fn receipt_number(
    app: App,
    kind: SourceKind,
    number: String,
    field: &str,
) -> ApiResult<Json<Value>> {
    app.with(|st| {
        let id = find_by_number(st, kind, &number).ok_or_else(|| not_found(kind))?;
        receipt_json(st, kind, id, field).map(Json)
    })
}

/// Looks up a source by its number.
pub(crate) fn source_id_by_number(
    st: &SandboxState,
    kind: SourceKind,
    number: &str,
) -> Option<i64> {
    find_by_number(st, kind, number)
}

macro_rules! family {
    ($kind:expr, $number_field:literal,
     $create:ident, $list:ident, $retrieve:ident, $retrieve_number:ident, $update:ident,
     $item_add:ident, $item_update:ident, $item_remove:ident, $publish:ident, $cancel:ident,
     $receipt:ident, $receipt_number:ident) => {
        pub(crate) async fn $create(
            State(app): State<App>,
            _a: Auth,
            JsonBody(b): JsonBody,
        ) -> ApiResult<Json<Value>> {
            create(app, $kind, b).await
        }
        pub(crate) async fn $list(
            State(app): State<App>,
            _a: Auth,
            RawQuery(q): RawQuery,
        ) -> ApiResult<Json<Value>> {
            list(app, $kind, q).await
        }
        pub(crate) async fn $retrieve(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
        ) -> ApiResult<Json<Value>> {
            retrieve(app, $kind, id).await
        }
        pub(crate) async fn $retrieve_number(
            State(app): State<App>,
            _a: Auth,
            Path(n): Path<String>,
        ) -> ApiResult<Json<Value>> {
            retrieve_number(app, $kind, n).await
        }
        pub(crate) async fn $update(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
            JsonBody(b): JsonBody,
        ) -> ApiResult<Json<Value>> {
            update(app, $kind, id, b).await
        }
        pub(crate) async fn $item_add(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
            JsonBody(b): JsonBody,
        ) -> ApiResult<Json<Value>> {
            item_add(app, $kind, id, b).await
        }
        pub(crate) async fn $item_update(
            State(app): State<App>,
            _a: Auth,
            Path(ids): Path<(String, String)>,
            JsonBody(b): JsonBody,
        ) -> ApiResult<Json<Value>> {
            item_update(app, $kind, ids, b).await
        }
        pub(crate) async fn $item_remove(
            State(app): State<App>,
            _a: Auth,
            Path(ids): Path<(String, String)>,
        ) -> ApiResult<Json<Value>> {
            item_remove(app, $kind, ids).await
        }
        pub(crate) async fn $publish(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
        ) -> ApiResult<Json<Value>> {
            publish(app, $kind, id).await
        }
        pub(crate) async fn $cancel(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
        ) -> ApiResult<Json<Value>> {
            cancel(app, $kind, id).await
        }
        pub(crate) async fn $receipt(
            State(app): State<App>,
            _a: Auth,
            Path(id): Path<String>,
        ) -> ApiResult<Json<Value>> {
            receipt(app, $kind, id).await
        }
        pub(crate) async fn $receipt_number(
            State(app): State<App>,
            _a: Auth,
            Path(n): Path<String>,
        ) -> ApiResult<Json<Value>> {
            receipt_number(app, $kind, n, $number_field).await
        }
    };
}

family!(
    SourceKind::Invoice,
    "invoice_number",
    invoice_create,
    invoice_list,
    invoice_retrieve,
    invoice_retrieve_number,
    invoice_update,
    invoice_item_add,
    invoice_item_update,
    invoice_item_remove,
    invoice_publish,
    invoice_cancel,
    invoice_receipt,
    invoice_receipt_number
);

family!(
    SourceKind::Order,
    "order_number",
    order_create,
    order_list,
    order_retrieve,
    order_retrieve_number,
    order_update,
    order_item_add,
    order_item_update,
    order_item_remove,
    order_publish,
    order_cancel,
    order_receipt,
    order_receipt_number
);
