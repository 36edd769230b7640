//! `POST /v1/payment-accounts/create?operation_type=`.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::http::{App, Auth, JsonBody, RawQuery};
use crate::model::PaymentAccount;
use crate::money::{Method, OpType, METHODS, OP_TYPES, PROVIDERS};
use crate::phone::predict_operator;
use crate::validate::{is_phone, Fields, QueryFields};

/// Registers a wallet, card or payout destination for a party.
pub(crate) async fn create_payment_account(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let op = q
        .req_enum("operation_type", &OP_TYPES)
        .and_then(|s| OpType::parse(&s));
    let mut f = Fields::body(body.as_ref());
    let account_name = f.req_nonempty("account_name");
    let provider = f.req_enum("provider", &PROVIDERS);
    let method = f
        .req_enum("method", &METHODS)
        .and_then(|m| Method::parse(&m));
    let party_id = f.req_int("party_id");
    let country_code = f.opt_str("country_code");
    let number = f.opt_str("insensitive_account_number");

    if let (Some(m), Some(p)) = (method, provider.as_deref()) {
        if !m.accepts_provider(p) {
            f.error(
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
    if let Some(m) = method.filter(|m| m.is_mobile_money()) {
        match number.as_deref() {
            None => f.error(
                "insensitive_account_number",
                "field required for mobile-money accounts (the wallet phone number)",
                "value_error.missing",
            ),
            Some(n) if !is_phone(n) => f.error(
                "insensitive_account_number",
                "invalid phone: use E.164 digits without '+', e.g. 231771234567",
                "value_error.phone",
            ),
            Some(n) => match predict_operator(n) {
                None => f.error(
                    "insensitive_account_number",
                    "unsupported phone number",
                    "value_error.phone",
                ),
                Some(o) if o.method != m => f.error(
                    "method",
                    format!(
                        "invalid combination: {n} is a {} number, not {}",
                        o.method.as_str(),
                        m.as_str()
                    ),
                    "value_error.combination",
                ),
                Some(_) => {}
            },
        }
    }
    let q_result = q.finish();
    app.with(|st| {
        if let Some(p) = party_id {
            if st.party(p).is_none() {
                f.error(
                    "party_id",
                    format!("party {p} not found"),
                    "value_error.not_found",
                );
            }
        }
        // Query and body errors are reported together, query first (as FastAPI does).
        let body_result = f.finish();
        match (q_result, body_result) {
            (Err(ApiError::Validation(mut a)), Err(ApiError::Validation(b))) => {
                a.extend(b);
                return Err(ApiError::Validation(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
            _ => {}
        }
        let (Some(op), Some(account_name), Some(provider), Some(method), Some(party_id)) =
            (op, account_name, provider, method, party_id)
        else {
            return Err(ApiError::Internal(500));
        };
        let now = st.now();
        let account = PaymentAccount {
            id: st.accounts.len() as i64 + 1,
            account_name,
            provider,
            method,
            party_id,
            country_code,
            number,
            op,
            created_at: now,
            updated_at: now,
        };
        let v = account.json();
        st.accounts.push(account);
        Ok(Json(v))
    })
}
