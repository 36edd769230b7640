//! `client.predictions()`: preview amounts, fees and routing before money moves.

use crate::client::{ApiRequest, Client};
use crate::enums::OperationType;
use crate::error::Result;
use crate::models::prediction::{
    AmountAndFeePrediction, AmountAndFeesQuery, CardProviderInfo, CardProviderQuery,
    MmoProviderInfo, MmoProviderQuery, PaymentSourceAmountAndFeesQuery,
};
use crate::validate::Validate;

/// Predictions (`/v1/predictions/...`).
#[derive(Clone, Debug)]
pub struct Predictions {
    pub(crate) client: Client,
}

impl Client {
    /// Amount, fee and routing previews.
    pub fn predictions(&self) -> Predictions {
        Predictions {
            client: self.clone(),
        }
    }
}

/// Amount, fee and routing previews (`/v1/predictions/...`).
#[dollr_macros::operations("predictions")]
impl Predictions {
    /// `GET /v1/predictions/amount-and-fees`: what the payer pays and the payee receives.
    pub async fn amount_and_fees(
        &self,
        #[query] query: &AmountAndFeesQuery,
    ) -> Result<AmountAndFeePrediction> {
        query.validate()?;
        let req = ApiRequest::get("/v1/predictions/amount-and-fees")
            .query("base_amount", query.base_amount)
            .query("base_currency", &query.base_currency)
            .query("target_currency", &query.target_currency)
            .query("payment_method", &query.payment_method)
            .query("operation_type", &query.operation_type)
            .query("provider", &query.provider)
            .query("fee_bearer", &query.fee_bearer)
            .query_opt("owner_type", query.owner_type.as_ref())
            .query_opt("owner_id", query.owner_id);
        self.client.send(req).await
    }

    /// `GET /v1/predictions/mmo-provider-info`: the operator behind a phone number; use its
    /// `payment_method` and `gateway_provider` for the payment account.
    #[query_fields(MmoProviderQuery)]
    pub async fn mmo_provider_info(
        &self,
        phone: &str,
        operation_type: OperationType,
    ) -> Result<MmoProviderInfo> {
        let query = MmoProviderQuery {
            phone: phone.to_string(),
            operation_type,
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/predictions/mmo-provider-info")
            .query("phone", &query.phone)
            .query("operation_type", &query.operation_type);
        self.client.send(req).await
    }

    /// `GET /v1/predictions/card-provider-info`: card routing from a Stripe `payment_method_id`.
    pub async fn card_provider_info(
        &self,
        #[query] query: &CardProviderQuery,
    ) -> Result<CardProviderInfo> {
        query.validate()?;
        let req = ApiRequest::get("/v1/predictions/card-provider-info")
            .query("payment_method_id", &query.payment_method_id)
            .query("operation_type", &query.operation_type)
            .query_opt("provider", query.provider.as_ref());
        self.client.send(req).await
    }

    /// `GET /v1/predictions/payment-source/amount-and-fees`: fees for paying a published invoice
    /// or order.
    pub async fn payment_source_amount_and_fees(
        &self,
        #[query] query: &PaymentSourceAmountAndFeesQuery,
    ) -> Result<AmountAndFeePrediction> {
        query.validate()?;
        let req = ApiRequest::get("/v1/predictions/payment-source/amount-and-fees")
            .query("target_currency", &query.target_currency)
            .query("payment_method", &query.payment_method)
            .query("provider", &query.provider)
            .query("source_type", &query.source_type)
            .query("source_id", query.source_id);
        self.client.send(req).await
    }
}
