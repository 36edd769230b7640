//! The Dollr v1 routes (all 59 operations).

mod accounts;
mod auth;
mod checkouts;
mod executions;
mod info;
mod parties;
mod sessions;
mod sources;

use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::error::{ApiError, ApiResult};
use crate::http::App;
use crate::state::State;

pub(crate) use checkouts::{hosted_pay, hosted_view, receipt_by_number};

/// 403 unless the merchant is verified.
pub(crate) fn require_verified(st: &State, feature: &str) -> ApiResult<()> {
    if st.settings.verified {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "Merchant account is not verified: {feature} are not available until verification (KYC/KYB) is complete"
        )))
    }
}

/// Every `/v1` route.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/jwt/client/obtain/token", post(auth::obtain_token))
        // parties & counterparties
        .route("/v1/parties/create", post(parties::create_party))
        .route("/v1/parties/list", get(parties::list_parties))
        .route("/v1/parties/retrieve/{id}", get(parties::retrieve_party))
        .route(
            "/v1/counterparties/create",
            post(parties::create_counterparty),
        )
        .route("/v1/counterparties/list", get(parties::list_counterparties))
        .route(
            "/v1/counterparties/retrieve/{id}",
            get(parties::retrieve_counterparty),
        )
        .route(
            "/v1/counterparties/update/{id}",
            put(parties::update_counterparty),
        )
        // invoices
        .route("/v1/invoices/create", post(sources::invoice_create))
        .route("/v1/invoices/list", get(sources::invoice_list))
        .route("/v1/invoices/retrieve/{id}", get(sources::invoice_retrieve))
        .route(
            "/v1/invoices/retrieve/number/{invoice_number}",
            get(sources::invoice_retrieve_number),
        )
        .route("/v1/invoices/update/{id}", put(sources::invoice_update))
        .route(
            "/v1/invoices/{invoice_id}/items/add",
            post(sources::invoice_item_add),
        )
        .route(
            "/v1/invoices/{invoice_id}/items/{id}/update",
            put(sources::invoice_item_update),
        )
        .route(
            "/v1/invoices/{invoice_id}/items/{id}/remove",
            delete(sources::invoice_item_remove),
        )
        .route("/v1/invoices/publish/{id}", put(sources::invoice_publish))
        .route("/v1/invoices/cancel/{id}", delete(sources::invoice_cancel))
        .route("/v1/invoices/receipt/{id}", get(sources::invoice_receipt))
        .route(
            "/v1/invoices/receipt/number/{invoice_number}",
            get(sources::invoice_receipt_number),
        )
        // orders
        .route("/v1/orders/create", post(sources::order_create))
        .route("/v1/orders/list", get(sources::order_list))
        .route("/v1/orders/retrieve/{id}", get(sources::order_retrieve))
        .route(
            "/v1/orders/retrieve/number/{order_number}",
            get(sources::order_retrieve_number),
        )
        .route("/v1/orders/update/{id}", put(sources::order_update))
        .route(
            "/v1/orders/{order_id}/items/add",
            post(sources::order_item_add),
        )
        .route(
            "/v1/orders/{order_id}/items/{id}/update",
            put(sources::order_item_update),
        )
        .route(
            "/v1/orders/{order_id}/items/{id}/remove",
            delete(sources::order_item_remove),
        )
        .route("/v1/orders/publish/{id}", put(sources::order_publish))
        .route("/v1/orders/cancel/{id}", delete(sources::order_cancel))
        .route("/v1/orders/receipt/{id}", get(sources::order_receipt))
        .route(
            "/v1/orders/receipt/number/{order_number}",
            get(sources::order_receipt_number),
        )
        // checkouts & links
        .route("/v1/checkouts/create", post(checkouts::create_checkout))
        .route("/v1/links/pay", get(checkouts::pay_link))
        .route("/v1/links/receipt", get(checkouts::receipt_link))
        // sessions
        .route("/v1/sessions/checkout", post(sessions::checkout_session))
        .route("/v1/sessions/payout", post(sessions::payout_session))
        .route("/v1/sessions/transfer", post(sessions::transfer_session))
        .route("/v1/sessions/refund", post(sessions::refund_session))
        // payment accounts
        .route(
            "/v1/payment-accounts/create",
            post(accounts::create_payment_account),
        )
        // executions & status
        .route("/v1/executions/collection", post(executions::collection))
        .route("/v1/executions/payout", post(executions::payout))
        .route("/v1/executions/transfer", post(executions::transfer))
        .route("/v1/executions/refund", post(executions::refund))
        .route(
            "/v1/status/collection/{reference_id}",
            get(executions::status_collection),
        )
        .route(
            "/v1/status/payout/{reference_id}",
            get(executions::status_payout),
        )
        .route(
            "/v1/status/transfer/{reference_id}",
            get(executions::status_transfer),
        )
        .route(
            "/v1/status/refund/{reference_id}",
            get(executions::status_refund),
        )
        .route("/v1/status/source", get(executions::status_source))
        // predictions, fees, merchants, realtime
        .route("/v1/predictions/amount-and-fees", get(info::predict_amount))
        .route("/v1/predictions/mmo-provider-info", get(info::predict_mmo))
        .route(
            "/v1/predictions/card-provider-info",
            get(info::predict_card),
        )
        .route(
            "/v1/predictions/payment-source/amount-and-fees",
            get(info::predict_source_amount),
        )
        .route("/v1/fees/gateway", get(info::fees_gateway))
        .route("/v1/fees/platform", get(info::fees_platform))
        .route("/v1/fees/merchant-tier", get(info::fees_merchant_tier))
        .route("/v1/fees/tiers", get(info::fees_tiers))
        .route("/v1/merchants/merchant-info", get(info::merchant_info))
        .route("/v1/realtime-keys/collection", post(info::realtime_key))
}
