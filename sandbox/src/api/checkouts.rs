//! Checkouts (hosted), links, and the simulated hosted payment page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::api::executions::{start_collection, Collect};
use crate::api::require_verified;
use crate::api::sessions::insert_session;
use crate::api::sources::{
    insert_source, publish_source, receipt_json, source_id_by_number, NewSource,
};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{App, Auth, BaseUrl, JsonBody, RawQuery};
use crate::model::{
    ts, Counterparty, Hosted, Item, Party, PaymentAccount, SessionKind, SourceKind, SourceStatus,
    RELATIONSHIP_TYPES,
};
use crate::money::{FeeBearer, Method, OpType};
use crate::phone::{card_brand, predict_operator};
use crate::state::State as SandboxState;
use crate::validate::{Fields, QueryFields};

fn new_hosted(st: &mut SandboxState, kind: SourceKind, source_id: i64) -> Hosted {
    st.hosted_seq += 1;
    Hosted {
        token: format!("hc_{}", st.random_hex(16)),
        kind,
        source_id,
        config_id: st.hosted_seq,
        success_url: None,
        cancel_url: None,
        expires_at: None,
    }
}

/// `POST /v1/checkouts/create` with `mode: "HOSTED"`: finds or creates the
/// party (by phone) and counterparty, creates and publishes an invoice or order,
/// and returns the hosted page URL (served by the sandbox under `/_sandbox/hosted/`).
pub(crate) async fn create_checkout(
    State(app): State<App>,
    _a: Auth,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let mode = f.req_str("mode");
    let kind = f
        .req_enum("source_kind", &["INVOICE", "ORDER"])
        .and_then(|k| SourceKind::parse(&k));
    let phone = f.req_phone("party_phone");
    let currency = f.req_currency("currency");
    let mut items = Vec::new();
    if let Some(arr) = f.req_array("items") {
        if arr.is_empty() {
            f.error(
                "items",
                "ensure this value has at least 1 items",
                "value_error.list.min_items",
            );
        }
        if arr.len() > crate::state::MAX_ITEMS {
            f.error(
                "items",
                format!(
                    "ensure this value has at most {} items",
                    crate::state::MAX_ITEMS
                ),
                "value_error.list.max_items",
            );
        }
        for (i, v) in arr.iter().enumerate().take(crate::state::MAX_ITEMS) {
            if let Some(mut it) = f.element("items", i, v) {
                let name = it.req_nonempty("name");
                let cur = it.req_currency("currency");
                let amount = it.req_amount("amount");
                if let (Some(a), Some(c)) = (amount, cur) {
                    it.check_decimals("amount", a, c);
                }
                if let (Some(c), Some(main)) = (cur, currency) {
                    if c != main {
                        it.error(
                            "currency",
                            format!("item currency {c} must match the checkout currency {main}"),
                            "value_error.currency_mismatch",
                        );
                    }
                }
                if let (Some(n), Some(c), Some(a)) = (name, cur, amount) {
                    items.push((n, c, a));
                }
                f.merge(it);
            }
        }
    }
    let party_name = f.opt_str("party_name");
    let party_email = f.opt_str("party_email");
    let relationship = f.opt_enum("party_relationship", &RELATIONSHIP_TYPES);
    let reference_id = f.opt_str("reference_id");
    let note = f.opt_str("note");
    let due_date = f.opt_datetime("due_date");
    let success_url = f.opt_str("success_url");
    let cancel_url = f.opt_str("cancel_url");
    let expires_at = f.opt_datetime("expires_at");
    let counterparty_id = f.opt_int("counterparty_id");
    if let Some(m) = &mode {
        if m != "HOSTED" {
            f.error(
                "mode",
                format!("unsupported mode '{m}': the sandbox (like the public API) supports HOSTED; contact Dollr for others"),
                "type_error.enum",
            );
        }
    }
    app.with(|st| {
        require_verified(st, "hosted checkout")?;
        if let Some(c) = counterparty_id {
            if st.counterparty(c).is_none() {
                f.error(
                    "counterparty_id",
                    format!("counterparty {c} not found"),
                    "value_error.not_found",
                );
            }
        }
        if let Some(e) = expires_at {
            if e <= st.now() {
                f.error(
                    "expires_at",
                    "expires_at must be in the future",
                    "value_error.datetime.past",
                );
            }
        }
        f.finish()?;
        let (Some(kind), Some(phone), Some(currency)) = (kind, phone, currency) else {
            return Err(ApiError::Internal(500));
        };
        let now = st.now();
        // Party: match by phone, else create.
        let party_id = match st
            .parties
            .iter()
            .find(|p| p.phone.as_deref() == Some(phone.as_str()))
        {
            Some(p) => p.id,
            None => {
                let id = st.parties.len() as i64 + 1;
                st.parties.push(Party {
                    id,
                    fullname: party_name
                        .clone()
                        .unwrap_or_else(|| format!("Customer {phone}")),
                    phone: Some(phone.clone()),
                    email: party_email.clone(),
                    country_code: predict_operator(&phone).map(|o| o.country.to_owned()),
                    created_at: now,
                    updated_at: now,
                });
                id
            }
        };
        let relationship = relationship.unwrap_or_else(|| "CUSTOMER".to_owned());
        let counterparty_id = match counterparty_id {
            Some(c) => c,
            None => match st
                .counterparties
                .iter()
                .find(|c| c.party_id == Some(party_id) && c.relationship_type == relationship)
            {
                Some(c) => c.id,
                None => {
                    let id = st.counterparties.len() as i64 + 1;
                    st.counterparties.push(Counterparty {
                        id,
                        relationship_type: relationship,
                        party_id: Some(party_id),
                        owner_party_type: "ORGANIZATION",
                        owner_party_id: st.settings.merchant_id,
                        created_at: now,
                        updated_at: now,
                    });
                    id
                }
            },
        };
        let source_id = insert_source(
            st,
            kind,
            NewSource {
                counterparty_id,
                currency,
                note: note.unwrap_or_default(),
                fee_bearer: FeeBearer::Payer,
                as_payment_link: true,
                reference_id: reference_id.clone(),
                due_date,
            },
        );
        for (name, cur, amount) in items {
            let item_id = st.next_item_id(kind);
            if let Some(s) = st.source_mut(kind, source_id) {
                s.items.push(Item {
                    id: item_id,
                    name,
                    currency: cur,
                    qty: 1,
                    amount,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
        publish_source(st, kind, source_id)?;
        let mut hosted = new_hosted(st, kind, source_id);
        hosted.success_url = success_url.clone();
        hosted.cancel_url = cancel_url.clone();
        hosted.expires_at =
            Some(expires_at.unwrap_or_else(|| {
                now + TimeDelta::seconds(st.settings.checkout_ttl_seconds as i64)
            }));
        let token = hosted.token.clone();
        let config_id = hosted.config_id;
        let hosted_expires = hosted.expires_at;
        st.hosted.insert(token.clone(), hosted);
        let s = st.source(kind, source_id).ok_or(ApiError::Internal(500))?;
        Ok(Json(json!({
            "mode": "HOSTED",
            "source_type": kind.as_str(),
            "source_id": source_id,
            "source_number": s.number,
            "source_status": s.status.as_str(),
            "counterparty_id": counterparty_id,
            "party_id": party_id,
            "currency": s.currency.code(),
            "total_amount": crate::money::money(s.total(), s.currency),
            "source_checkout_config_id": config_id,
            "url": format!("{base}/_sandbox/hosted/{token}"),
            "reference_id": reference_id,
            "due_date": s.due_date.map(ts),
            "expires_at": hosted_expires.map(ts),
            "hosted_path_or_token": token,
            "success_url": success_url,
            "cancel_url": cancel_url,
        })))
    })
}

fn link_query(raw: Option<&str>) -> ApiResult<(SourceKind, String)> {
    let mut q = QueryFields::parse(raw);
    let source_type = q.req_enum("source_type", &["INVOICE", "ORDER", "SUBSCRIPTION"]);
    let number = q.req_str("source_number");
    q.finish()?;
    let (Some(t), Some(n)) = (source_type, number) else {
        return Err(ApiError::Internal(500));
    };
    match SourceKind::parse(&t) {
        Some(k) => Ok((k, n)),
        None => Err(ApiError::NotFound("Subscription not found".to_owned())),
    }
}

/// `GET /v1/links/pay`: a hosted payment URL for a published source created
/// with `as_payment_link: true` (verified merchants).
pub(crate) async fn pay_link(
    State(app): State<App>,
    _a: Auth,
    BaseUrl(base): BaseUrl,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    app.with(|st| require_verified(st, "payment links"))?;
    let (kind, number) = link_query(q.as_deref())?;
    app.with(|st| {
        let id = source_id_by_number(st, kind, &number)
            .ok_or_else(|| ApiError::NotFound(format!("{} not found", kind.title())))?;
        let s = st.source(kind, id).ok_or(ApiError::Internal(500))?;
        let field = |msg: String| ApiError::query("source_number", msg, "value_error.state");
        if !s.as_payment_link {
            return Err(field(format!(
                "{} {} was not created with as_payment_link=true",
                kind.noun(),
                s.number
            )));
        }
        if matches!(s.status, SourceStatus::Idle | SourceStatus::Canceled) {
            return Err(field(format!(
                "{} {} is {}: payment links need a published (ACTIVE or later) source",
                kind.noun(),
                s.number,
                s.status.as_str()
            )));
        }
        let existing = st
            .hosted
            .values()
            .find(|h| h.kind == kind && h.source_id == id)
            .map(|h| h.token.clone());
        let token = match existing {
            Some(t) => t,
            None => {
                let h = new_hosted(st, kind, id);
                let t = h.token.clone();
                st.hosted.insert(t.clone(), h);
                t
            }
        };
        Ok(Json(
            json!({ "url": format!("{base}/_sandbox/hosted/{token}") }),
        ))
    })
}

/// `GET /v1/links/receipt`: a receipt URL once the source is PAID.
pub(crate) async fn receipt_link(
    State(app): State<App>,
    _a: Auth,
    BaseUrl(base): BaseUrl,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let (kind, number) = link_query(q.as_deref())?;
    app.with(|st| {
        let id = source_id_by_number(st, kind, &number)
            .ok_or_else(|| ApiError::NotFound(format!("{} not found", kind.title())))?;
        let s = st.source(kind, id).ok_or(ApiError::Internal(500))?;
        if s.status != SourceStatus::Paid {
            return Err(ApiError::query(
                "source_number",
                format!(
                    "no receipt yet: {} {} is {}; receipts exist once it is PAID",
                    kind.noun(),
                    s.number,
                    s.status.as_str()
                ),
                "value_error.state",
            ));
        }
        Ok(Json(json!({
            "url": format!("{base}/_sandbox/receipts/{}/{}", kind.noun(), s.number),
        })))
    })
}

/// `GET /_sandbox/receipts/{invoice|order}/{number}` (no auth): what a receipt link shows.
pub(crate) async fn receipt_by_number(
    State(app): State<App>,
    Path((kind, number)): Path<(String, String)>,
) -> Response {
    let kind = match kind.as_str() {
        "invoice" => SourceKind::Invoice,
        "order" => SourceKind::Order,
        _ => return ApiError::NotFound("Not Found".to_owned()).into_response(),
    };
    app.with(|st| {
        let id = source_id_by_number(st, kind, &number)
            .ok_or_else(|| ApiError::NotFound(format!("{} not found", kind.title())))?;
        receipt_json(st, kind, id, "number")
    })
    .map(Json)
    .into_response()
}

/// `GET /_sandbox/hosted/{token}`: what the hosted page would show.
pub(crate) async fn hosted_view(
    State(app): State<App>,
    BaseUrl(base): BaseUrl,
    Path(token): Path<String>,
) -> Response {
    app.with(|st| {
        let h = st
            .hosted
            .get(&token)
            .ok_or_else(|| ApiError::NotFound("Hosted checkout not found".to_owned()))?;
        let s = st
            .source(h.kind, h.source_id)
            .ok_or(ApiError::Internal(500))?;
        Ok::<_, ApiError>(json!({
            "token": h.token,
            "mode": "HOSTED",
            "source_type": h.kind.as_str(),
            "source_id": s.id,
            "source_number": s.number,
            "status": s.status.as_str(),
            "currency": s.currency.code(),
            "total_amount": crate::money::money(s.total(), s.currency),
            "items": s.items.iter().map(Item::json).collect::<Vec<_>>(),
            "success_url": h.success_url,
            "cancel_url": h.cancel_url,
            "expires_at": h.expires_at.map(ts),
            "pay": {
                "method": "POST",
                "url": format!("{base}/_sandbox/hosted/{}/pay", h.token),
                "body": {"phone": "231771234567"},
                "or": {"payment_method_id": "pm_card_visa"},
            },
        }))
    })
    .map(Json)
    .into_response()
}

/// `POST /_sandbox/hosted/{token}/pay` `{"phone": "...", "currency"?: "..."}` or
/// `{"payment_method_id": "pm_card_visa"}`: simulates the payer paying on the
/// hosted page. Creates a checkout session, a payment account and a collection
/// execution (same engine, same test numbers) and returns the execution.
pub(crate) async fn hosted_pay(
    State(app): State<App>,
    Path(token): Path<String>,
    JsonBody(body): JsonBody,
) -> Response {
    let mut f = Fields::body(body.as_ref());
    let phone = if f.has("phone") {
        f.req_phone("phone")
    } else {
        None
    };
    let pm = f.opt_str("payment_method_id");
    let currency = if f.has("currency") {
        f.req_currency("currency")
    } else {
        None
    };
    if f.is_object() && phone.is_none() && pm.is_none() && !f.failed() {
        f.error(
            "phone",
            "field required (or send payment_method_id for a card)",
            "value_error.missing",
        );
    }
    if let Some(p) = &phone {
        if predict_operator(p).is_none() {
            f.error("phone", "unsupported phone number", "value_error.phone");
        }
    }
    let result = app.with(|st| {
        let h = st
            .hosted
            .get(&token)
            .cloned()
            .ok_or_else(|| ApiError::NotFound("Hosted checkout not found".to_owned()))?;
        f.finish()?;
        let now = st.now();
        if h.expires_at.is_some_and(|e| now >= e) {
            return Err(ApiError::path(
                "token",
                "this hosted checkout has expired",
                "value_error.session_expired",
            ));
        }
        if let Err(msg) = crate::api::sessions::payable(st, h.kind, h.source_id) {
            return Err(ApiError::path("token", msg, "value_error.state"));
        }
        let s = st
            .source(h.kind, h.source_id)
            .ok_or(ApiError::Internal(500))?;
        let source_currency = s.currency;
        let party_id = st
            .counterparty(s.counterparty_id)
            .and_then(|c| c.party_id)
            .unwrap_or_else(|| st.parties.first().map(|p| p.id).unwrap_or(0));
        if st.party(party_id).is_none() {
            return Err(ApiError::path(
                "token",
                "the source has no payer party",
                "value_error.state",
            ));
        }
        let (method, number, name) = match (&phone, &pm) {
            (Some(p), _) => {
                let op = predict_operator(p).ok_or(ApiError::Internal(500))?;
                (
                    op.method,
                    Some(p.clone()),
                    format!("{} wallet {p}", op.method.carrier()),
                )
            }
            (None, Some(id)) => (Method::CreditCard, None, format!("{} card", card_brand(id))),
            (None, None) => return Err(ApiError::Internal(500)),
        };
        let pay_currency = currency.unwrap_or_else(|| {
            if method.currencies().contains(&source_currency) {
                source_currency
            } else {
                method
                    .currencies()
                    .first()
                    .copied()
                    .unwrap_or(source_currency)
            }
        });
        let expires = now + TimeDelta::seconds(st.settings.checkout_ttl_seconds as i64);
        let (session_idx, _) = insert_session(
            st,
            SessionKind::Checkout {
                source_kind: h.kind,
                source_id: h.source_id,
            },
            expires,
        );
        let account_id = st.accounts.len() as i64 + 1;
        st.accounts.push(PaymentAccount {
            id: account_id,
            account_name: name,
            provider: method.gateway_provider().to_owned(),
            method,
            party_id,
            country_code: phone
                .as_deref()
                .and_then(predict_operator)
                .map(|o| o.country.to_owned()),
            number,
            op: OpType::Collection,
            created_at: now,
            updated_at: now,
        });
        let bytes: [u8; 16] = rand::Rng::random(&mut st.id_rng);
        let reference = uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string();
        let session_id = st.sessions.get(session_idx).map(|s| s.id).unwrap_or(0);
        let c = Collect {
            reference_id: reference.clone(),
            key: reference.clone(),
            session_id,
            account_id,
            currency: pay_currency,
            via_hosted: true,
        };
        let i = start_collection(st, c).map_err(|errs| {
            ApiError::Validation(
                errs.into_iter()
                    .map(|e| {
                        // The hosted payer only sent phone/card and currency: point there.
                        let field = if e.loc.get(1) == Some(&json!("currency")) {
                            "currency"
                        } else {
                            "phone"
                        };
                        FieldError::new(vec![json!("body"), json!(field)], e.msg, e.kind)
                    })
                    .collect(),
            )
        })?;
        let e = st.executions.get(i).ok_or(ApiError::Internal(500))?;
        Ok(json!({
            "reference_id": reference,
            "session_id": session_id,
            "payment_account_id": account_id,
            "payment_intent_id": e.intent_id,
            "execution": e.json(),
            "status_url": format!("/v1/status/collection/{reference}"),
        }))
    });
    if result.is_ok() {
        app.notify.notify_one();
    }
    result.map(Json).into_response()
}
