//! Executions (collection, payout, transfer, refund) and the status endpoints.
//!
//! Idempotency: `reference_id` identifies one logical payment. The same
//! reference_id with the same request (same operation, session, account and
//! currency; the passcode is not compared) returns the existing execution with
//! 200 and creates nothing. The same reference_id with a different request is a
//! 422 whose msg contains "duplicate reference_id".

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::api::require_verified;
use crate::api::sessions::{payable, refundable};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{with_ref, App, Auth, Hold, JsonBody, RawQuery, RefTag};
use crate::model::{SessionKind, SessionStatus, SourceKind};
use crate::money::{quote, Currency, FeeBearer, Method, OpType};
use crate::phone::{card_behaviour, momo_behaviour, Behaviour};
use crate::state::{idx, NewExecution, State as SandboxState};
use crate::validate::{Fields, QueryFields};

fn tagged(result: ApiResult<Value>, reference: Option<&str>) -> Response {
    let mut resp = match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    };
    if let Some(r) = reference {
        resp.extensions_mut().insert(RefTag(r.to_owned()));
    }
    resp
}

/// Returns the existing execution for a replay, a 422 for a reuse with a
/// different request, or `None` for a new reference_id.
fn replay(
    st: &mut SandboxState,
    key: &str,
    raw: &str,
    fingerprint: &str,
) -> ApiResult<Option<Value>> {
    // A held original of this reference id gets there first; this POST then finds it.
    st.land_held(key);
    let Some(&i) = st.by_key.get(key) else {
        return Ok(None);
    };
    let Some(e) = st.executions.get(i) else {
        return Ok(None);
    };
    if e.fingerprint == fingerprint {
        let v = e.json();
        st.stats.idempotent_replays += 1;
        st.stats
            .by_reference
            .entry(key.to_owned())
            .or_default()
            .replays += 1;
        return Ok(Some(v));
    }
    let msg = format!(
        "duplicate reference_id: {raw} was already used for a different request ({} on session {}); \
         retry only the identical request, or poll its status",
        e.op.as_str(),
        e.session_id
    );
    st.stats.duplicate_reference_rejections += 1;
    st.stats
        .by_reference
        .entry(key.to_owned())
        .or_default()
        .rejected += 1;
    Err(ApiError::body("reference_id", msg, "value_error.duplicate"))
}

fn session_noun(op: OpType) -> &'static str {
    match op {
        OpType::Collection => "checkout",
        OpType::Payout => "payout",
        OpType::Transfer => "transfer",
        OpType::Refund => "refund",
    }
}

/// Finds an ACTIVE session of the right type, or the 422 explaining why not.
fn usable_session(st: &SandboxState, session_id: i64, op: OpType) -> Result<usize, FieldError> {
    let err = |msg: String, kind: &str| FieldError::body("session_id", msg, kind);
    let Some(i) = idx(session_id).filter(|&i| i < st.sessions.len()) else {
        return Err(err(
            format!("session {session_id} not found"),
            "value_error.session",
        ));
    };
    let Some(s) = st.sessions.get(i) else {
        return Err(err(
            format!("session {session_id} not found"),
            "value_error.session",
        ));
    };
    if s.kind.op() != op {
        return Err(err(
            format!(
                "session {session_id} is a {} session: executions/{} needs a {} session",
                s.kind.noun(),
                op.segment(),
                session_noun(op)
            ),
            "value_error.session_type",
        ));
    }
    match s.status(st.now()) {
        SessionStatus::Active => Ok(i),
        SessionStatus::Used => Err(err(
            format!("session {session_id} is not ACTIVE (USED): it was already executed; create a new session"),
            "value_error.session_used",
        )),
        SessionStatus::Expired => Err(err(
            format!(
                "session {session_id} is not ACTIVE (EXPIRED at {}): create a new session",
                crate::model::ts(s.expires_at)
            ),
            "value_error.session_expired",
        )),
    }
}

fn behaviour_for(method: Method, number: Option<&str>) -> Behaviour {
    if method == Method::CreditCard {
        card_behaviour(number)
    } else {
        number.map(momo_behaviour).unwrap_or(Behaviour::Complete)
    }
}

/// The parts of a collection request, validated.
pub(crate) struct Collect {
    pub reference_id: String,
    pub key: String,
    pub session_id: i64,
    pub account_id: i64,
    pub currency: Currency,
    pub via_hosted: bool,
}

fn collection_fingerprint(session_id: i64, account_id: i64, currency: Currency) -> String {
    format!("COLLECTION|{session_id}|{account_id}|{currency}")
}

/// Starts a collection (API or hosted page). Errors are 422 entries.
pub(crate) fn start_collection(
    st: &mut SandboxState,
    c: Collect,
) -> Result<usize, Vec<FieldError>> {
    let n = prepare_collection(st, c)?;
    Ok(st.create_execution(n))
}

/// Validates a collection and builds its execution (not created yet). Errors are 422 entries.
fn prepare_collection(st: &mut SandboxState, c: Collect) -> Result<NewExecution, Vec<FieldError>> {
    let mut errs = Vec::new();
    let session = usable_session(st, c.session_id, OpType::Collection)
        .map_err(|e| errs.push(e))
        .ok();
    let account = match st.account(c.account_id) {
        None => {
            errs.push(FieldError::body(
                "payment_account_id",
                format!("payment account {} not found", c.account_id),
                "value_error.not_found",
            ));
            None
        }
        Some(a) if a.op != OpType::Collection => {
            errs.push(FieldError::body(
                "payment_account_id",
                format!(
                    "payment account {} was created for {}, not COLLECTION",
                    a.id,
                    a.op.as_str()
                ),
                "value_error.operation_type",
            ));
            None
        }
        Some(a) => Some(a.clone()),
    };
    if let Some(a) = &account {
        if !a.method.currencies().contains(&c.currency) {
            let supported: Vec<&str> = a.method.currencies().iter().map(|c| c.code()).collect();
            errs.push(FieldError::body(
                "currency",
                format!(
                    "{} cannot pay in {} (supported: {})",
                    a.method.as_str(),
                    c.currency,
                    supported.join(", ")
                ),
                "value_error.currency",
            ));
        }
    }
    let mut source = None;
    if let Some(si) = session {
        if let Some(SessionKind::Checkout {
            source_kind,
            source_id,
        }) = st.sessions.get(si).map(|s| s.kind.clone())
        {
            match payable(st, source_kind, source_id) {
                Ok(()) => source = Some((source_kind, source_id)),
                Err(msg) => errs.push(FieldError::body("session_id", msg, "value_error.state")),
            }
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let (Some(si), Some(account), Some((kind, sid))) = (session, account, source) else {
        return Err(vec![FieldError::body(
            "session_id",
            "session not usable",
            "value_error.session",
        )]);
    };
    let Some(src) = st.source(kind, sid) else {
        return Err(vec![FieldError::body(
            "session_id",
            "source not found",
            "value_error.state",
        )]);
    };
    let q = quote(
        OpType::Collection,
        account.method,
        src.total(),
        src.currency,
        c.currency,
        src.fee_bearer,
    )
    .map_err(|m| vec![FieldError::body("session_id", m, "value_error.amount")])?;
    let n = NewExecution {
        reference_id: c.reference_id,
        key: c.key,
        op: OpType::Collection,
        fingerprint: collection_fingerprint(c.session_id, c.account_id, c.currency),
        session_idx: si,
        account_id: Some(account.id),
        method: account.method,
        provider: account.provider.clone(),
        account_name: Some(account.account_name.clone()),
        quote: q,
        behaviour: behaviour_for(account.method, account.number.as_deref()),
        source: Some((kind, sid)),
        debit_wallet: None,
        refund_of: None,
        via_hosted: c.via_hosted,
    };
    Ok(n)
}

/// `POST /v1/executions/collection`.
pub(crate) async fn collection(
    State(app): State<App>,
    _a: Auth,
    Hold(hold): Hold,
    JsonBody(body): JsonBody,
) -> Response {
    let mut f = Fields::body(body.as_ref());
    let session_id = f.req_id("session_id");
    let account_id = f.req_id("payment_account_id");
    let currency = f.req_currency("currency");
    let reference = f.req_uuid4("reference_id");
    let raw = reference.as_ref().map(|(r, _)| r.clone());
    let result = app.with(|st| {
        st.count_execution_post(reference.as_ref().map(|(_, k)| k.as_str()));
        f.finish()?;
        let (Some(session_id), Some(account_id), Some(currency), Some((raw, key))) =
            (session_id, account_id, currency, reference)
        else {
            return Err(ApiError::Internal(500));
        };
        if let Some(v) = replay(
            st,
            &key,
            &raw,
            &collection_fingerprint(session_id, account_id, currency),
        )? {
            return Ok(v);
        }
        let c = Collect {
            reference_id: raw,
            key,
            session_id,
            account_id,
            currency,
            via_hosted: false,
        };
        let n = prepare_collection(st, c).map_err(ApiError::Validation)?;
        Ok(st.commit(n, hold).unwrap_or(Value::Null))
    });
    if result.is_ok() {
        app.notify.notify_one();
    }
    tagged(result, raw.as_deref())
}

/// `POST /v1/executions/payout` (verified merchants; passcode checked first).
pub(crate) async fn payout(
    State(app): State<App>,
    _a: Auth,
    Hold(hold): Hold,
    JsonBody(body): JsonBody,
) -> Response {
    if let Err(e) = app.with(|st| require_verified(st, "payouts")) {
        app.with(|st| st.count_execution_post(None));
        return e.into_response();
    }
    let mut f = Fields::body(body.as_ref());
    let session_id = f.req_id("session_id");
    let account_id = f.req_id("payout_account_id");
    let reference = f.req_uuid4("reference_id");
    let mut code = None;
    if let Some(mut pc) = f.object("passcode", true) {
        if let Some(mut token) = pc.object("token", true) {
            code = token.req_str("code");
            token.opt_str("phone");
            token.opt_str("user_id");
            pc.merge(token);
        }
        if let Some(mut device) = pc.object("device", true) {
            for field in ["name", "type", "platform", "user_agent", "client_ip"] {
                device.req_nonempty(field);
            }
            pc.merge(device);
        }
        f.merge(pc);
    }
    let raw = reference.as_ref().map(|(r, _)| r.clone());
    let result = app.with(|st| {
        st.count_execution_post(reference.as_ref().map(|(_, k)| k.as_str()));
        f.finish()?;
        if code.as_deref() != Some(st.settings.passcode.as_str()) {
            return Err(ApiError::Forbidden("Invalid passcode".to_owned()));
        }
        let (Some(session_id), Some(account_id), Some((raw, key))) = (session_id, account_id, reference) else {
            return Err(ApiError::Internal(500));
        };
        let fingerprint = format!("PAYOUT|{session_id}|{account_id}");
        if let Some(v) = replay(st, &key, &raw, &fingerprint)? {
            return Ok(v);
        }
        let si = usable_session(st, session_id, OpType::Payout).map_err(ApiError::field)?;
        let Some(SessionKind::Payout { payout_account_id, wallet_id, amount, currency }) =
            st.sessions.get(si).map(|s| s.kind.clone())
        else {
            return Err(ApiError::Internal(500));
        };
        if payout_account_id != account_id {
            return Err(ApiError::body(
                "payout_account_id",
                format!("payout_account_id {account_id} does not match the session's payout account {payout_account_id}"),
                "value_error.mismatch",
            ));
        }
        let account = st
            .account(account_id)
            .cloned()
            .ok_or_else(|| ApiError::body("payout_account_id", "payment account not found", "value_error.not_found"))?;
        let q = quote(OpType::Payout, account.method, amount, currency, currency, FeeBearer::Payer)
            .map_err(|m| ApiError::body("session_id", m, "value_error.amount"))?;
        let n = NewExecution {
            reference_id: raw,
            key,
            op: OpType::Payout,
            fingerprint,
            session_idx: si,
            account_id: Some(account.id),
            method: account.method,
            provider: account.provider.clone(),
            account_name: Some(account.account_name.clone()),
            quote: q,
            behaviour: behaviour_for(account.method, account.number.as_deref()),
            source: None,
            debit_wallet: idx(wallet_id).filter(|&w| w < st.wallets.len()),
            refund_of: None,
            via_hosted: false,
        };
        Ok(st.commit(n, hold).unwrap_or(Value::Null))
    });
    if result.is_ok() {
        app.notify.notify_one();
    }
    tagged(result, raw.as_deref())
}

/// Body of transfer and refund executions: `session_id`, `reference_id`.
fn simple_body(body: Option<&Value>) -> (Fields<'_>, Option<i64>, Option<(String, String)>) {
    let mut f = Fields::body(body);
    let session_id = f.req_id("session_id");
    let reference = f.req_uuid4("reference_id");
    (f, session_id, reference)
}

/// `POST /v1/executions/transfer` (verified merchants).
pub(crate) async fn transfer(
    State(app): State<App>,
    _a: Auth,
    Hold(hold): Hold,
    JsonBody(body): JsonBody,
) -> Response {
    if let Err(e) = app.with(|st| require_verified(st, "transfers")) {
        app.with(|st| st.count_execution_post(None));
        return e.into_response();
    }
    let (f, session_id, reference) = simple_body(body.as_ref());
    let raw = reference.as_ref().map(|(r, _)| r.clone());
    let result = app.with(|st| {
        st.count_execution_post(reference.as_ref().map(|(_, k)| k.as_str()));
        f.finish()?;
        let (Some(session_id), Some((raw, key))) = (session_id, reference) else {
            return Err(ApiError::Internal(500));
        };
        let fingerprint = format!("TRANSFER|{session_id}");
        if let Some(v) = replay(st, &key, &raw, &fingerprint)? {
            return Ok(v);
        }
        let si = usable_session(st, session_id, OpType::Transfer).map_err(ApiError::field)?;
        let Some(SessionKind::Transfer {
            from_wallet_id,
            to_counterparty_id,
            amount,
            currency,
        }) = st.sessions.get(si).map(|s| s.kind.clone())
        else {
            return Err(ApiError::Internal(500));
        };
        let q = quote(
            OpType::Transfer,
            Method::Wallet,
            amount,
            currency,
            currency,
            FeeBearer::Payer,
        )
        .map_err(|m| ApiError::body("session_id", m, "value_error.amount"))?;
        let phone = st
            .counterparty(to_counterparty_id)
            .and_then(|c| c.party_id)
            .and_then(|p| st.party(p))
            .and_then(|p| p.phone.clone());
        let n = NewExecution {
            reference_id: raw,
            key,
            op: OpType::Transfer,
            fingerprint,
            session_idx: si,
            account_id: None,
            method: Method::Wallet,
            provider: "PLATFORM".to_owned(),
            account_name: None,
            quote: q,
            behaviour: behaviour_for(Method::Wallet, phone.as_deref()),
            source: None,
            debit_wallet: idx(from_wallet_id).filter(|&w| w < st.wallets.len()),
            refund_of: None,
            via_hosted: false,
        };
        Ok(st.commit(n, hold).unwrap_or(Value::Null))
    });
    if result.is_ok() {
        app.notify.notify_one();
    }
    tagged(result, raw.as_deref())
}

/// `POST /v1/executions/refund` (verified merchants).
pub(crate) async fn refund(
    State(app): State<App>,
    _a: Auth,
    Hold(hold): Hold,
    JsonBody(body): JsonBody,
) -> Response {
    if let Err(e) = app.with(|st| require_verified(st, "refunds")) {
        app.with(|st| st.count_execution_post(None));
        return e.into_response();
    }
    let (f, session_id, reference) = simple_body(body.as_ref());
    let raw = reference.as_ref().map(|(r, _)| r.clone());
    let result = app.with(|st| {
        st.count_execution_post(reference.as_ref().map(|(_, k)| k.as_str()));
        f.finish()?;
        let (Some(session_id), Some((raw, key))) = (session_id, reference) else {
            return Err(ApiError::Internal(500));
        };
        let fingerprint = format!("REFUND|{session_id}");
        if let Some(v) = replay(st, &key, &raw, &fingerprint)? {
            return Ok(v);
        }
        let si = usable_session(st, session_id, OpType::Refund).map_err(ApiError::field)?;
        let Some(SessionKind::Refund {
            intent_id, amount, ..
        }) = st.sessions.get(si).map(|s| s.kind.clone())
        else {
            return Err(ApiError::Internal(500));
        };
        let (orig_idx, left) = refundable(st, intent_id)
            .map_err(|m| ApiError::body("session_id", m, "value_error.payment_intent"))?;
        if amount > left {
            return Err(ApiError::body(
                "session_id",
                format!(
                    "refund exceeds the original payment: at most {left} can still be refunded"
                ),
                "value_error.refund_exceeds",
            ));
        }
        let Some(orig) = st.executions.get(orig_idx).cloned() else {
            return Err(ApiError::Internal(500));
        };
        let q = quote(
            OpType::Refund,
            orig.method,
            amount,
            orig.quote.payer_currency,
            orig.quote.base_currency,
            FeeBearer::Payer,
        )
        .map_err(|m| ApiError::body("session_id", m, "value_error.amount"))?;
        let n = NewExecution {
            reference_id: raw,
            key,
            op: OpType::Refund,
            fingerprint,
            session_idx: si,
            account_id: orig.account_id,
            method: orig.method,
            provider: orig.provider.clone(),
            account_name: orig.account_name.clone(),
            quote: q,
            behaviour: Behaviour::Complete,
            source: None,
            debit_wallet: st.wallet_for(orig.quote.base_currency),
            refund_of: Some(orig_idx),
            via_hosted: false,
        };
        Ok(st.commit(n, hold).unwrap_or(Value::Null))
    });
    if result.is_ok() {
        app.notify.notify_one();
    }
    tagged(result, raw.as_deref())
}

fn status(app: &App, op: OpType, reference: &str) -> Response {
    let result = app.with(|st| {
        if st.lookup_held(reference, op) {
            return Err(ApiError::NotFound("Transaction not found".to_owned()));
        }
        st.execution_by_reference(reference)
            .and_then(|i| st.executions.get(i))
            .filter(|e| e.op == op)
            .map(|e| e.json())
            .ok_or_else(|| ApiError::NotFound("Transaction not found".to_owned()))
    });
    match result {
        Ok(v) => with_ref(v, reference),
        Err(e) => {
            // The lookup may have landed a held commit: its clock starts now.
            app.notify.notify_one();
            tagged(Err(e), Some(reference))
        }
    }
}

/// `GET /v1/status/collection/{reference_id}`.
pub(crate) async fn status_collection(
    State(app): State<App>,
    _a: Auth,
    Path(r): Path<String>,
) -> Response {
    status(&app, OpType::Collection, &r)
}

/// `GET /v1/status/payout/{reference_id}`.
pub(crate) async fn status_payout(
    State(app): State<App>,
    _a: Auth,
    Path(r): Path<String>,
) -> Response {
    status(&app, OpType::Payout, &r)
}

/// `GET /v1/status/transfer/{reference_id}`.
pub(crate) async fn status_transfer(
    State(app): State<App>,
    _a: Auth,
    Path(r): Path<String>,
) -> Response {
    status(&app, OpType::Transfer, &r)
}

/// `GET /v1/status/refund/{reference_id}`.
pub(crate) async fn status_refund(
    State(app): State<App>,
    _a: Auth,
    Path(r): Path<String>,
) -> Response {
    status(&app, OpType::Refund, &r)
}

/// `GET /v1/status/source?source_type=&source_id=`.
pub(crate) async fn status_source(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let source_type = q.req_enum("source_type", &["INVOICE", "ORDER", "SUBSCRIPTION"]);
    let source_id = q.req_int("source_id");
    q.finish()?;
    let (Some(source_type), Some(source_id)) = (source_type, source_id) else {
        return Err(ApiError::Internal(500));
    };
    let Some(kind) = SourceKind::parse(&source_type) else {
        return Err(ApiError::NotFound("Subscription not found".to_owned()));
    };
    app.with(|st| {
        st.source(kind, source_id)
            .map(|s| Json(s.status_json()))
            .ok_or_else(|| ApiError::NotFound(format!("{} not found", kind.title())))
    })
}
