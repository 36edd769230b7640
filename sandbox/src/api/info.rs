//! Predictions, fees, merchant info and realtime keys.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{json_bytes, App, Auth, JsonBody, RawQuery};
use crate::model::{SessionKind, SourceKind, SourceStatus};
use crate::money::{
    fx_percentage, gateway_fee, money, platform_percentage, quote, FeeBearer, Method, OpType, Tier,
    METHODS, OP_TYPES, PROVIDERS, TIERS,
};
use crate::phone::{card_brand, predict_operator};
use crate::state::idx;
use crate::validate::{is_phone, Fields, QueryFields, PHONE_REGEX};

/// When the fee schedule "took effect" (fixed, so responses are stable).
const SCHEDULE_DATE: &str = "2026-01-01T00:00:00Z";
const OWNER_TYPES: [&str; 3] = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"];

fn check_provider(q: &mut QueryFields, method: Option<Method>, provider: Option<&str>) {
    if let (Some(m), Some(p)) = (method, provider) {
        if !m.accepts_provider(p) {
            q.fail(
                "provider",
                format!(
                    "invalid combination: provider {p} cannot route method {} (use {})",
                    m.as_str(),
                    m.gateway_provider()
                ),
                "value_error.combination",
            );
        }
    }
}

/// `GET /v1/predictions/amount-and-fees`.
pub(crate) async fn predict_amount(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let amount = q.req_amount("base_amount");
    let base = q.req_currency("base_currency");
    let target = q.req_currency("target_currency");
    let method = q
        .req_enum("payment_method", &METHODS)
        .and_then(|m| Method::parse(&m));
    let op = q
        .req_enum("operation_type", &OP_TYPES)
        .and_then(|o| OpType::parse(&o));
    let provider = q.req_enum("provider", &PROVIDERS);
    let bearer = q
        .req_enum("fee_bearer", &["PAYER", "PAYEE"])
        .and_then(|b| FeeBearer::parse(&b));
    q.opt_enum("owner_type", &OWNER_TYPES);
    q.opt_int("owner_id");
    check_provider(&mut q, method, provider.as_deref());
    if let (Some(a), Some(c)) = (amount, base) {
        q.check_decimals("base_amount", a, c);
    }
    if let (Some(m), Some(t), Some(OpType::Collection)) = (method, target, op) {
        if !m.currencies().contains(&t) {
            q.fail(
                "target_currency",
                format!("{} cannot pay in {t}", m.as_str()),
                "value_error.currency",
            );
        }
    }
    let (Some(amount), Some(base), Some(target), Some(method), Some(op), Some(bearer)) =
        (amount, base, target, method, op, bearer)
    else {
        q.finish()?;
        return Err(ApiError::Internal(500));
    };
    let result = quote(op, method, amount, base, target, bearer);
    if let Err(m) = &result {
        q.fail("base_amount", m.clone(), "value_error.amount");
    }
    q.finish()?;
    result
        .map(|r| Json(r.prediction_json()))
        .map_err(|_| ApiError::Internal(500))
}

/// `GET /v1/predictions/payment-source/amount-and-fees`: the source total as
/// base, the source's fee bearer, operation COLLECTION.
pub(crate) async fn predict_source_amount(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let target = q.req_currency("target_currency");
    let method = q
        .req_enum("payment_method", &METHODS)
        .and_then(|m| Method::parse(&m));
    let provider = q.req_enum("provider", &PROVIDERS);
    let source_type = q.req_enum("source_type", &["INVOICE", "ORDER", "SUBSCRIPTION"]);
    let source_id = q.req_int("source_id");
    check_provider(&mut q, method, provider.as_deref());
    if let (Some(m), Some(t)) = (method, target) {
        if !m.currencies().contains(&t) {
            q.fail(
                "target_currency",
                format!("{} cannot pay in {t}", m.as_str()),
                "value_error.currency",
            );
        }
    }
    app.with(|st| {
        let kind = source_type.as_deref().map(SourceKind::parse);
        let (Some(target), Some(method), Some(kind), Some(id)) = (target, method, kind, source_id)
        else {
            q.finish()?;
            return Err(ApiError::Internal(500));
        };
        let Some(kind) = kind else {
            q.finish()?;
            return Err(ApiError::NotFound("Subscription not found".to_owned()));
        };
        let s = st
            .source(kind, id)
            .ok_or_else(|| ApiError::NotFound(format!("{} not found", kind.title())))?;
        if s.status == SourceStatus::Idle {
            q.fail(
                "source_id",
                format!("{} {} is IDLE: publish it first", kind.noun(), s.number),
                "value_error.state",
            );
        }
        let result = quote(
            OpType::Collection,
            method,
            s.total(),
            s.currency,
            target,
            s.fee_bearer,
        );
        if let Err(m) = &result {
            q.fail("source_id", m.clone(), "value_error.amount");
        }
        q.finish()?;
        result
            .map(|r| Json(r.prediction_json()))
            .map_err(|_| ApiError::Internal(500))
    })
}

/// `GET /v1/predictions/mmo-provider-info?phone=&operation_type=`.
pub(crate) async fn predict_mmo(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let phone = q.req_str("phone");
    let op = q.req_enum("operation_type", &OP_TYPES);
    let mut operator = None;
    if let Some(p) = &phone {
        if !is_phone(p) {
            q.fail(
                "phone",
                format!("string does not match regex \"{PHONE_REGEX}\""),
                "value_error.str.regex",
            );
        } else {
            operator = predict_operator(p);
            if operator.is_none() {
                q.fail("phone", "unsupported phone number", "value_error.phone");
            }
        }
    }
    q.finish()?;
    let (Some(phone), Some(op), Some(o)) = (phone, op, operator) else {
        return Err(ApiError::Internal(500));
    };
    Ok(Json(json!({
        "carrier": o.method.carrier(),
        "country": o.country,
        "currencies": o.currencies.iter().map(|c| c.code()).collect::<Vec<_>>(),
        "phone": phone,
        "payment_method": o.method.as_str(),
        "gateway_provider": o.method.gateway_provider(),
        "operation_type": op,
    })))
}

/// `GET /v1/predictions/card-provider-info?payment_method_id=&operation_type=&provider=`.
pub(crate) async fn predict_card(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let pm = q.req_str("payment_method_id");
    q.req_enum("operation_type", &OP_TYPES);
    let provider = q.opt_enum("provider", &PROVIDERS);
    if let Some(p) = &pm {
        if !p.starts_with("pm_") || p.len() < 4 {
            q.fail(
                "payment_method_id",
                "invalid payment_method_id: expected a Stripe id like pm_card_visa",
                "value_error.payment_method_id",
            );
        }
    }
    check_provider(&mut q, Some(Method::CreditCard), provider.as_deref());
    q.finish()?;
    let pm = pm.unwrap_or_default();
    Ok(Json(json!({
        "brand": card_brand(&pm),
        "country": "US",
        "currencies": ["USD"],
        "payment_method": "CREDIT_CARD",
        "gateway_provider": "STRIPE",
    })))
}

fn method_index(m: Method) -> i64 {
    METHODS.iter().position(|x| *x == m.as_str()).unwrap_or(0) as i64
}

fn op_index(o: OpType) -> i64 {
    OP_TYPES.iter().position(|x| *x == o.as_str()).unwrap_or(0) as i64
}

/// `GET /v1/fees/gateway?payment_method=&operation_type=` (one `FeeWithProviderResponse`).
pub(crate) async fn fees_gateway(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let method = q
        .req_enum("payment_method", &METHODS)
        .and_then(|m| Method::parse(&m));
    let op = q
        .req_enum("operation_type", &OP_TYPES)
        .and_then(|o| OpType::parse(&o));
    q.finish()?;
    let (Some(method), Some(op)) = (method, op) else {
        return Err(ApiError::Internal(500));
    };
    let fee = gateway_fee(method, op);
    Ok(Json(json!({
        "id": method_index(method) * 4 + op_index(op) + 1,
        "provider_id": method.provider_id(),
        "operation_type": op.as_str(),
        "payment_method": method.as_str(),
        "percentage": fee.percentage.to_string(),
        "fixed_fee": fee.fixed.map(|(a, c)| money(a, c)),
        "fixed_fee_currency": fee.fixed.map(|(_, c)| c.code()),
        "effective_from": SCHEDULE_DATE,
        "effective_to": null,
        "created_at": SCHEDULE_DATE,
        "updated_at": SCHEDULE_DATE,
    })))
}

fn tier_json(t: Tier) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "is_default": t.is_default,
        "created_at": SCHEDULE_DATE,
        "updated_at": SCHEDULE_DATE,
    })
}

/// `GET /v1/fees/platform?operation_type=&fee_tier_name=`.
pub(crate) async fn fees_platform(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let op = q
        .req_enum("operation_type", &OP_TYPES)
        .and_then(|o| OpType::parse(&o));
    let name = q.req_str("fee_tier_name");
    q.finish()?;
    let (Some(op), Some(name)) = (op, name) else {
        return Err(ApiError::Internal(500));
    };
    let tier = TIERS
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&name))
        .copied()
        .ok_or_else(|| ApiError::NotFound("Fee tier not found".to_owned()))?;
    Ok(Json(json!({
        "id": (tier.id - 1) * 4 + op_index(op) + 1,
        "operation_type": op.as_str(),
        "percentage": platform_percentage(tier, op).to_string(),
        "fx_percentage": fx_percentage(tier).to_string(),
        "effective_from": SCHEDULE_DATE,
        "created_at": SCHEDULE_DATE,
        "payment_method": null,
        "fixed_fee": null,
        "fixed_fee_currency": null,
        "effective_to": null,
        "tier": tier_json(tier),
    })))
}

/// `GET /v1/fees/merchant-tier?owner_type=&owner_id=`: every owner is on the
/// default tier (nothing is assigned, so the default applies).
pub(crate) async fn fees_merchant_tier(
    State(_app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let owner_type = q.req_enum("owner_type", &OWNER_TYPES);
    let owner_id = q.req_int("owner_id");
    q.finish()?;
    Ok(Json(json!({
        "id": owner_id,
        "owner_type": owner_type,
        "owner_id": owner_id,
        "assigned_at": SCHEDULE_DATE,
        "assigned_by": null,
        "tier": tier_json(TIERS[0]),
    })))
}

/// `GET /v1/fees/tiers`. The tiers are constants, so their JSON is written once and every answer
/// shares its bytes (issue #19: this is the read path `make bench-ceiling` loads).
pub(crate) async fn fees_tiers(State(_app): State<App>, _a: Auth) -> Response {
    static BODY: LazyLock<Bytes> = LazyLock::new(|| {
        Bytes::from(Value::Array(TIERS.iter().copied().map(tier_json).collect()).to_string())
    });
    json_bytes(Bytes::clone(&BODY))
}

/// `GET /v1/merchants/merchant-info?merchant_id=&merchant_type=`.
pub(crate) async fn merchant_info(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let id = q.req_int("merchant_id");
    let kind = q.req_enum("merchant_type", &["MICRO_ORGANIZATION", "ORGANIZATION"]);
    q.finish()?;
    app.with(|st| {
        if id != Some(st.settings.merchant_id) || kind.as_deref() != Some("ORGANIZATION") {
            return Err(ApiError::NotFound("Merchant not found".to_owned()));
        }
        Ok(Json(json!({
            "id": st.settings.merchant_id,
            "name": st.settings.merchant_name,
            "type": "ORGANIZATION",
            "email": "merchant@sandbox.dollr.test",
            "phone": "231770000100",
        })))
    })
}

/// `POST /v1/realtime-keys/collection` (`session_id` is an INTEGER here).
pub(crate) async fn realtime_key(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let session_id = f.req_int("session_id");
    let source_type = f.req_enum("source_type", &["INVOICE", "ORDER"]);
    let reference = f.req_uuid4("reference_id");
    app.with(|st| {
        if let Some(sid) = session_id {
            match idx(sid).and_then(|i| st.sessions.get(i)) {
                None => f.error(
                    "session_id",
                    format!("session {sid} not found"),
                    "value_error.session",
                ),
                Some(s) => match &s.kind {
                    SessionKind::Checkout { source_kind, .. } => {
                        if source_type
                            .as_deref()
                            .is_some_and(|t| t != source_kind.as_str())
                        {
                            f.error(
                                "source_type",
                                format!("session {sid} is for a {}", source_kind.as_str()),
                                "value_error.mismatch",
                            );
                        }
                    }
                    other => f.error(
                        "session_id",
                        format!(
                            "session {sid} is a {} session: realtime keys need a checkout session",
                            other.noun()
                        ),
                        "value_error.session_type",
                    ),
                },
            }
        }
        f.finish()?;
        let channel = format!(
            "payment-intent:{}:{}",
            session_id.unwrap_or(0),
            reference.as_ref().map(|(r, _)| r.as_str()).unwrap_or("")
        );
        let ttl = st.settings.realtime_key_ttl_seconds;
        let jti = st.random_hex(8);
        let key = crate::realtime::realtime_key(&channel, ttl, &jti);
        Ok(Json(json!({ "access_token": key, "expires_in": ttl })))
    })
}
