//! The control plane under `/_sandbox/` (no auth, not logged, no faults), and
//! the operations the Rust [`crate::Sandbox`] handle shares with it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::api;
use crate::config::ConfigPatch;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::faults::{FaultConfig, FaultProblem, FaultRule, MAX_RULES};
use crate::http::{App, RawQuery, Shared};
use crate::model::{ts, ExecStatus};
use crate::money::Currency;
use crate::state::{MAX_BALANCE, MAX_CLOCK_OFFSET_MS};
use crate::validate::{number_to_decimal, QueryFields};

impl Shared {
    /// Resets data, faults, stats, logs and the clock.
    pub fn reset(&self) {
        self.with(|st| st.reset());
        self.notify.notify_one();
    }

    /// Moves one execution to its next state (or to its final state).
    pub fn advance(&self, reference: &str, to_final: bool) -> ApiResult<Value> {
        let result = self.with(|st| {
            let i = st
                .execution_by_reference(reference)
                .ok_or_else(|| ApiError::NotFound("Transaction not found".to_owned()))?;
            let previous = st
                .executions
                .get(i)
                .map(|e| e.status)
                .unwrap_or(ExecStatus::Failed);
            loop {
                match st.advance(i) {
                    Ok(s) if !to_final || s.is_terminal() => break,
                    Ok(_) => continue,
                    Err(s) => {
                        return Err(ApiError::Conflict(format!(
                            "execution {reference} is already {} (terminal)",
                            s.as_str()
                        )))
                    }
                }
            }
            let e = st.executions.get(i).ok_or(ApiError::Internal(500))?;
            Ok(json!({
                "reference_id": e.reference_id,
                "previous_status": previous.as_str(),
                "status": e.status.as_str(),
                "payment_intent_id": e.intent_id,
                "execution": e.json(),
            }))
        });
        self.notify.notify_one();
        result
    }

    /// Publishes a realtime change saying the collection `reference` is `status`, without changing
    /// the execution (`POST /_sandbox/realtime/publish`).
    pub fn publish_realtime_status(&self, reference: &str, status: &str) -> ApiResult<Value> {
        self.with(|st| {
            let e = st
                .execution_by_reference(reference)
                .and_then(|i| st.executions.get(i))
                .filter(|e| e.op == crate::money::OpType::Collection)
                .ok_or_else(|| {
                    ApiError::NotFound("No collection with this reference_id".to_owned())
                })?;
            let now = ts(st.now());
            let record = crate::realtime::status_row(
                e.intent_id,
                &e.reference_id,
                e.session_id,
                status,
                &now,
            );
            let change = crate::realtime::RowChange::new(false, record.clone(), now);
            let receivers = st.realtime.send(change).unwrap_or(0);
            Ok(json!({ "published": record, "sockets": receivers }))
        })
    }

    /// Moves the sandbox clock forward.
    pub fn advance_clock(&self, ms: u64) -> Value {
        let v = self.with(|st| {
            let step = i64::try_from(ms)
                .unwrap_or(MAX_CLOCK_OFFSET_MS)
                .min(MAX_CLOCK_OFFSET_MS);
            let total = (st.clock_offset.num_milliseconds() + step).min(MAX_CLOCK_OFFSET_MS);
            st.clock_offset = TimeDelta::milliseconds(total);
            st.tick();
            json!({ "offset_ms": st.clock_offset.num_milliseconds(), "now": ts(st.now()) })
        });
        self.notify.notify_one();
        v
    }

    /// Replaces the fault configuration.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.with(|st| st.faults = faults);
    }

    /// The current fault configuration (with remaining counts).
    pub fn faults(&self) -> FaultConfig {
        self.with(|st| st.faults.clone())
    }

    /// Applies a runtime config change.
    pub fn patch_config(&self, p: &ConfigPatch) {
        self.with(|st| {
            let s = &mut st.settings;
            if let Some(v) = p.settle_ms {
                s.settle_ms = v;
            }
            if let Some(v) = p.token_ttl_minutes {
                s.token_ttl_minutes = v;
                s.token_ttl_seconds = None;
            }
            if let Some(v) = p.token_ttl_seconds {
                s.token_ttl_seconds = Some(v);
            }
            if let Some(v) = p.verified {
                s.verified = v;
            }
            if let Some(v) = &p.passcode {
                s.passcode = v.clone();
            }
            if let Some(v) = p.checkout_session_ttl_seconds {
                s.checkout_ttl_seconds = v;
            }
            if let Some(v) = p.payout_session_ttl_seconds {
                s.payout_ttl_seconds = v;
            }
            if let Some(v) = p.realtime_key_ttl_seconds {
                s.realtime_key_ttl_seconds = v;
            }
            s.clamp();
        });
    }

    /// Invalidates every issued access token.
    pub fn revoke_tokens(&self) -> usize {
        self.with(|st| {
            let n = st.tokens.len();
            st.tokens.clear();
            n
        })
    }

    /// The merchant wallets.
    pub fn wallets_json(&self) -> Value {
        self.with(|st| Value::Array(st.wallets.iter().map(|w| w.json()).collect()))
    }

    /// Sets a wallet balance.
    pub fn set_wallet_balance(&self, currency: Currency, balance: rust_decimal::Decimal) -> Value {
        self.with(|st| {
            let Some(w) = st.wallet_for(currency).and_then(|i| st.wallets.get_mut(i)) else {
                return Value::Null;
            };
            w.balance = balance;
            w.json()
        })
    }

    /// Every payment intent (one per execution).
    pub fn payment_intents_json(&self) -> Value {
        self.with(|st| Value::Array(st.executions.iter().map(|e| e.intent_json()).collect()))
    }
}

/// `rules[2].count` → `["body", "rules", 2, "count"]` (the FastAPI `loc` of that field).
fn loc_of(path: &str) -> Vec<Value> {
    let mut loc = vec![json!("body")];
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "?") {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            loc.push(json!(name));
        }
        for index in pieces {
            let index = index.trim_end_matches(']');
            match index.parse::<u64>() {
                Ok(i) => loc.push(json!(i)),
                Err(_) => loc.push(json!(index)),
            }
        }
    }
    loc
}

/// Parses a body straight from its bytes into `T` (keeps f64 parsing exact
/// under serde_json's arbitrary_precision). A 422 names the field at fault
/// (`["body", "rules", 0, "cout"]` for an unknown key, `["body", "latency_ms"]`
/// for a number out of range), or `["body"]` for a body that is not JSON.
fn typed<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let invalid = |loc: Vec<Value>, msg: String| {
        ApiError::field(FieldError::new(
            loc,
            format!("invalid body: {msg}"),
            "value_error.body",
        ))
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let mut path = e.path().to_string();
        if path == "." {
            path.clear();
        }
        let inner = e.inner().to_string();
        // An unknown key is reported at its object: point at the key itself.
        if let Some(key) = inner
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
        {
            if !path.ends_with(key) {
                path = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
            }
        }
        if path.is_empty() {
            invalid(vec![json!("body")], inner)
        } else {
            invalid(loc_of(&path), format!("{path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| invalid(vec![json!("body")], e.to_string()))?;
    Ok(value)
}

/// A fault setting out of bounds as a 422 at its field.
fn fault_problem(prefix: &[&str], problem: FaultProblem) -> ApiError {
    let mut loc = vec![json!("body")];
    loc.extend(prefix.iter().map(|p| json!(p)));
    loc.extend(loc_of(&problem.field).into_iter().skip(1));
    ApiError::field(FieldError::new(
        loc,
        format!("{}: {}", problem.field, problem.message),
        "value_error.faults",
    ))
}

fn limit(raw: Option<&str>) -> ApiResult<usize> {
    let mut q = QueryFields::parse(raw);
    let n = q.opt_int("limit");
    q.finish()?;
    Ok(n.map(|n| n.max(0) as usize).unwrap_or(usize::MAX))
}

fn json_of(r: ApiResult<Value>) -> Response {
    r.map(Json).into_response()
}

/// `GET /_sandbox/realtime`: what a Supabase client needs to subscribe.
async fn realtime_info(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "supabase_url": app.supabase_url,
        "supabase_anon_key": crate::realtime::anon_key(),
        "websocket_url": format!("{}/realtime/v1/websocket", app.supabase_url.replacen("http", "ws", 1)),
        "schema": crate::realtime::SCHEMA,
        "table": crate::realtime::TABLE,
    }))
}

/// `POST /_sandbox/realtime/publish {"reference_id", "status"}`: a realtime message that the
/// status API will not confirm.
async fn realtime_publish(State(app): State<App>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Publish {
        reference_id: String,
        status: String,
    }
    json_of(
        typed::<Publish>(&body)
            .and_then(|p| app.publish_realtime_status(&p.reference_id, &p.status)),
    )
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn reset(State(app): State<App>) -> Json<Value> {
    app.reset();
    Json(json!({ "reset": true }))
}

async fn get_config(State(app): State<App>) -> Json<Value> {
    let base = app.base_url.clone();
    Json(app.with(|st| st.config_json(&base)))
}

async fn patch_config(State(app): State<App>, body: Bytes) -> Response {
    json_of(typed::<ConfigPatch>(&body).map(|p| {
        app.patch_config(&p);
        let base = app.base_url.clone();
        app.with(|st| st.config_json(&base))
    }))
}

async fn get_faults(State(app): State<App>) -> Response {
    json_of(serde_json::to_value(app.faults()).map_err(|_| ApiError::Internal(500)))
}

async fn put_faults(State(app): State<App>, body: Bytes) -> Response {
    json_of(typed::<FaultConfig>(&body).and_then(|cfg| {
        if let Some(problem) = cfg.problem() {
            return Err(fault_problem(&[], problem));
        }
        app.set_faults(cfg);
        serde_json::to_value(app.faults()).map_err(|_| ApiError::Internal(500))
    }))
}

async fn add_fault_rule(State(app): State<App>, body: Bytes) -> Response {
    json_of(typed::<FaultRule>(&body).and_then(|rule| {
        if let Some(problem) = rule.problem() {
            return Err(fault_problem(&[], problem));
        }
        app.with(|st| {
            if st.faults.rules.len() >= MAX_RULES {
                return Err(ApiError::body(
                    "rules",
                    format!("rules: at most {MAX_RULES} rules"),
                    "value_error.faults",
                ));
            }
            st.faults.rules.push(rule);
            Ok(())
        })?;
        serde_json::to_value(app.faults()).map_err(|_| ApiError::Internal(500))
    }))
}

async fn clear_faults(State(app): State<App>) -> Response {
    app.set_faults(FaultConfig::none());
    json_of(serde_json::to_value(app.faults()).map_err(|_| ApiError::Internal(500)))
}

async fn revoke_tokens(State(app): State<App>) -> Json<Value> {
    Json(json!({ "revoked": app.revoke_tokens() }))
}

async fn advance(
    State(app): State<App>,
    Path(reference): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let mut q = QueryFields::parse(q.as_deref());
    let to = q.opt_enum("to", &["next", "final"]);
    if let Err(e) = q.finish() {
        return e.into_response();
    }
    json_of(app.advance(&reference, to.as_deref() == Some("final")))
}

async fn clock(State(app): State<App>) -> Json<Value> {
    Json(
        app.with(
            |st| json!({ "offset_ms": st.clock_offset.num_milliseconds(), "now": ts(st.now()) }),
        ),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    ms: u64,
}

async fn clock_advance(State(app): State<App>, body: Bytes) -> Response {
    json_of(typed::<ClockAdvance>(&body).map(|c| app.advance_clock(c.ms)))
}

async fn requests(State(app): State<App>, RawQuery(q): RawQuery) -> Response {
    let n = match limit(q.as_deref()) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    Json(app.with(|st| {
        let skip = st.log.len().saturating_sub(n);
        serde_json::to_value(st.log.iter().skip(skip).collect::<Vec<_>>()).unwrap_or(Value::Null)
    }))
    .into_response()
}

async fn events(State(app): State<App>, RawQuery(q): RawQuery) -> Response {
    let n = match limit(q.as_deref()) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    Json(app.with(|st| {
        let skip = st.events.len().saturating_sub(n);
        Value::Array(st.events.iter().skip(skip).cloned().collect())
    }))
    .into_response()
}

async fn stats(State(app): State<App>) -> Json<Value> {
    Json(app.with(|st| st.stats_json()))
}

async fn wallets(State(app): State<App>) -> Json<Value> {
    Json(app.wallets_json())
}

async fn set_wallet(State(app): State<App>, Path(code): Path<String>, body: Bytes) -> Response {
    let Some(currency) = Currency::parse(&code) else {
        return ApiError::NotFound(format!("no {code} wallet")).into_response();
    };
    let balance =
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| match v.get("balance") {
                Some(Value::Number(n)) => number_to_decimal(n).map(|(d, _)| d),
                _ => None,
            });
    match balance {
        Some(b)
            if b >= rust_decimal::Decimal::ZERO
                && b <= rust_decimal::Decimal::from(MAX_BALANCE) =>
        {
            let v = app.set_wallet_balance(currency, b);
            Json(v).into_response()
        }
        _ => ApiError::body(
            "balance",
            "balance must be a JSON number in [0, 10^15]",
            "value_error.number",
        )
        .into_response(),
    }
}

async fn payment_intents(State(app): State<App>) -> Json<Value> {
    Json(app.payment_intents_json())
}

async fn index() -> Response {
    let text = "dollr-sandbox: a local simulation of the Dollr v1 API. API under /v1 (described by /openapi.json), control under /_sandbox (see the README).\n";
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The `/_sandbox` routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(index))
        .route("/_sandbox/health", get(health))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/config", get(get_config).patch(patch_config))
        .route(
            "/_sandbox/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/_sandbox/faults/rules", post(add_fault_rule))
        .route("/_sandbox/tokens/revoke", post(revoke_tokens))
        .route("/_sandbox/advance/{reference_id}", post(advance))
        .route("/_sandbox/clock", get(clock))
        .route("/_sandbox/clock/advance", post(clock_advance))
        .route("/_sandbox/requests", get(requests))
        .route("/_sandbox/events", get(events))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/wallets", get(wallets))
        .route("/_sandbox/wallets/{currency}", put(set_wallet))
        .route("/_sandbox/payment-intents", get(payment_intents))
        .route("/_sandbox/realtime", get(realtime_info))
        .route("/_sandbox/realtime/publish", post(realtime_publish))
        .route("/_sandbox/hosted/{token}", get(api::hosted_view))
        .route("/_sandbox/hosted/{token}/pay", post(api::hosted_pay))
        .route(
            "/_sandbox/receipts/{kind}/{number}",
            get(api::receipt_by_number),
        )
}
