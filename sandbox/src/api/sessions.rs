//! Sessions: checkout, payout, transfer, refund.
//!
//! A session is ACTIVE until an execution uses it (USED) or its `expires_at`
//! passes on the sandbox clock (EXPIRED).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::api::require_verified;
use crate::error::{ApiError, ApiResult};
use crate::http::{App, Auth, JsonBody};
use crate::model::{ExecStatus, Session, SessionKind, SourceKind, SourceStatus};
use crate::money::{money, OpType};
use crate::state::{idx, State as SandboxState};
use crate::validate::Fields;

/// Stores a session and returns its JSON.
pub(crate) fn insert_session(
    st: &mut SandboxState,
    kind: SessionKind,
    expires_at: DateTime<Utc>,
) -> (usize, Value) {
    let now = st.now();
    let index = st.sessions.len();
    let s = Session {
        id: index as i64 + 1,
        kind,
        expires_at,
        created_at: now,
        updated_at: now,
        used_by: None,
        payment_account_id: None,
    };
    let v = s.json(now);
    st.sessions.push(s);
    (index, v)
}

/// Checks that a source can be paid now (ACTIVE). Message on failure.
pub(crate) fn payable(st: &SandboxState, kind: SourceKind, id: i64) -> Result<(), String> {
    let Some(s) = st.source(kind, id) else {
        return Err(format!("{} {id} not found", kind.noun()));
    };
    match s.status {
        SourceStatus::Active => Ok(()),
        SourceStatus::Idle => Err(format!(
            "{} {} is IDLE: publish it before collecting",
            kind.noun(),
            s.number
        )),
        other => Err(format!(
            "{} {} is {}: it cannot be collected",
            kind.noun(),
            s.number,
            other.as_str()
        )),
    }
}

/// `POST /v1/sessions/checkout`.
pub(crate) async fn checkout_session(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let source_id = f.req_int("source_id");
    let source_type = f.req_enum("source_type", &["INVOICE", "ORDER", "SUBSCRIPTION"]);
    app.with(|st| {
        let kind = source_type.as_deref().and_then(SourceKind::parse);
        if source_type.as_deref() == Some("SUBSCRIPTION") {
            f.error(
                "source_type",
                "SUBSCRIPTION is reserved and not supported",
                "value_error.not_supported",
            );
        }
        if let (Some(kind), Some(id)) = (kind, source_id) {
            if let Err(msg) = payable(st, kind, id) {
                f.error("source_id", msg, "value_error.state");
            }
        }
        f.finish()?;
        let (Some(kind), Some(source_id)) = (kind, source_id) else {
            return Err(ApiError::Internal(500));
        };
        let expires = st.now() + TimeDelta::seconds(st.settings.checkout_ttl_seconds as i64);
        let (_, v) = insert_session(
            st,
            SessionKind::Checkout {
                source_kind: kind,
                source_id,
            },
            expires,
        );
        Ok(Json(v))
    })
}

/// `POST /v1/sessions/payout` (verified merchants only).
pub(crate) async fn payout_session(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    app.with(|st| require_verified(st, "payouts"))?;
    let mut f = Fields::body(body.as_ref());
    let account_id = f.req_int("payout_account_id");
    let amount = f.req_amount("amount");
    let currency = f.req_currency("currency");
    if let (Some(a), Some(c)) = (amount, currency) {
        f.check_decimals("amount", a, c);
    }
    app.with(|st| {
        let mut wallet_id = None;
        if let Some(a) = account_id {
            match st.account(a) {
                None => f.error(
                    "payout_account_id",
                    format!("payment account {a} not found"),
                    "value_error.not_found",
                ),
                Some(acc) if acc.op != OpType::Payout => f.error(
                    "payout_account_id",
                    format!(
                        "payment account {a} was created for {}, not PAYOUT",
                        acc.op.as_str()
                    ),
                    "value_error.operation_type",
                ),
                Some(acc) => {
                    if let Some(c) = currency {
                        if !acc.method.currencies().contains(&c) {
                            f.error(
                                "currency",
                                format!("{} payouts are not available in {c}", acc.method.as_str()),
                                "value_error.currency",
                            );
                        }
                    }
                }
            }
        }
        if let Some(c) = currency {
            match st.wallet_for(c) {
                Some(w) => wallet_id = st.wallets.get(w).map(|w| w.id),
                None => f.error(
                    "currency",
                    format!("the merchant has no {c} wallet"),
                    "value_error.wallet",
                ),
            }
        }
        f.finish()?;
        let (Some(payout_account_id), Some(amount), Some(currency), Some(wallet_id)) =
            (account_id, amount, currency, wallet_id)
        else {
            return Err(ApiError::Internal(500));
        };
        let expires = st.now() + TimeDelta::seconds(st.settings.payout_ttl_seconds as i64);
        let kind = SessionKind::Payout {
            payout_account_id,
            wallet_id,
            amount,
            currency,
        };
        Ok(Json(insert_session(st, kind, expires).1))
    })
}

fn check_future(f: &mut Fields<'_>, st: &SandboxState, expires: Option<DateTime<Utc>>) {
    if let Some(e) = expires {
        if e <= st.now() {
            f.error(
                "expires_at",
                "expires_at must be in the future",
                "value_error.datetime.past",
            );
        }
    }
}

/// `POST /v1/sessions/transfer` (verified merchants only).
pub(crate) async fn transfer_session(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    app.with(|st| require_verified(st, "transfers"))?;
    let mut f = Fields::body(body.as_ref());
    let wallet_id = f.req_int("from_wallet_id");
    let counterparty_id = f.req_int("to_counterparty_id");
    let amount = f.req_amount("amount");
    let currency = f.req_currency("currency");
    let expires = f.req_datetime("expires_at");
    if let (Some(a), Some(c)) = (amount, currency) {
        f.check_decimals("amount", a, c);
    }
    app.with(|st| {
        if let Some(w) = wallet_id {
            match idx(w).and_then(|i| st.wallets.get(i)) {
                None => f.error(
                    "from_wallet_id",
                    format!("wallet {w} not found"),
                    "value_error.not_found",
                ),
                Some(wallet) => {
                    if let Some(c) = currency {
                        if wallet.currency != c {
                            f.error(
                                "currency",
                                format!("wallet {w} holds {}, not {c}", wallet.currency),
                                "value_error.currency_mismatch",
                            );
                        }
                    }
                }
            }
        }
        if let Some(c) = counterparty_id {
            if st.counterparty(c).is_none() {
                f.error(
                    "to_counterparty_id",
                    format!("counterparty {c} not found"),
                    "value_error.not_found",
                );
            }
        }
        check_future(&mut f, st, expires);
        f.finish()?;
        let (
            Some(from_wallet_id),
            Some(to_counterparty_id),
            Some(amount),
            Some(currency),
            Some(expires),
        ) = (wallet_id, counterparty_id, amount, currency, expires)
        else {
            return Err(ApiError::Internal(500));
        };
        let kind = SessionKind::Transfer {
            from_wallet_id,
            to_counterparty_id,
            amount,
            currency,
        };
        Ok(Json(insert_session(st, kind, expires).1))
    })
}

/// How much of a collection can still be refunded, in its payer currency.
pub(crate) fn refundable(st: &SandboxState, intent_id: i64) -> Result<(usize, Decimal), String> {
    let Some(i) = idx(intent_id).filter(|&i| i < st.executions.len()) else {
        return Err(format!("payment intent {intent_id} not found"));
    };
    let Some(e) = st.executions.get(i) else {
        return Err(format!("payment intent {intent_id} not found"));
    };
    if e.op != OpType::Collection {
        return Err(format!(
            "payment intent {intent_id} is a {}, only collections can be refunded",
            e.op.as_str()
        ));
    }
    if e.status != ExecStatus::Completed {
        return Err(format!(
            "payment intent {intent_id} is {}: only COMPLETED collections can be refunded",
            e.status.as_str()
        ));
    }
    Ok((i, e.quote.payer_amount - e.refunded - e.refund_pending))
}

/// `POST /v1/sessions/refund` (verified merchants only).
pub(crate) async fn refund_session(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    app.with(|st| require_verified(st, "refunds"))?;
    let mut f = Fields::body(body.as_ref());
    let intent_id = f.req_int("original_payment_intent_id");
    let amount = f.req_amount("amount");
    let reason = f.opt_str("reason");
    let expires = f.req_datetime("expires_at");
    app.with(|st| {
        let mut currency = None;
        if let Some(id) = intent_id {
            match refundable(st, id) {
                Err(msg) => f.error("original_payment_intent_id", msg, "value_error.payment_intent"),
                Ok((i, left)) => {
                    let cur = st.executions.get(i).map(|e| e.quote.payer_currency);
                    currency = cur;
                    if let (Some(a), Some(c)) = (amount, cur) {
                        if f.check_decimals("amount", a, c) && a > left {
                            f.error(
                                "amount",
                                format!(
                                    "refund exceeds the original payment: at most {} {c} can still be refunded",
                                    money(left, c)
                                ),
                                "value_error.refund_exceeds",
                            );
                        }
                    }
                }
            }
        }
        check_future(&mut f, st, expires);
        f.finish()?;
        let (Some(intent_id), Some(amount), Some(currency), Some(expires)) = (intent_id, amount, currency, expires)
        else {
            return Err(ApiError::Internal(500));
        };
        let kind = SessionKind::Refund { intent_id, amount, currency, reason };
        Ok(Json(insert_session(st, kind, expires).1))
    })
}
