//! `client.fees()`: gateway fees, platform fee tiers and the merchant's tier.

use crate::client::{ApiRequest, Client};
use crate::enums::{OperationType, OwnerType, PaymentMethod};
use crate::error::Result;
use crate::ids::Id;
use crate::models::fee::{
    FeeTier, GatewayFee, GatewayFeeQuery, GatewayFees, MerchantFeeTier, MerchantTierQuery,
    PlatformFee, PlatformFeeQuery,
};
use crate::validate::Validate;

/// Fees (`/v1/fees/...`).
#[derive(Clone, Debug)]
pub struct Fees {
    pub(crate) client: Client,
}

impl Client {
    /// Fee schedules.
    pub fn fees(&self) -> Fees {
        Fees {
            client: self.clone(),
        }
    }
}

/// Fee schedules (`/v1/fees/...`).
#[dollr_macros::operations("fees")]
impl Fees {
    /// `GET /v1/fees/gateway`: the gateways' fees for a method and operation.
    #[query_fields(GatewayFeeQuery)]
    pub async fn gateway(
        &self,
        payment_method: PaymentMethod,
        operation_type: OperationType,
    ) -> Result<Vec<GatewayFee>> {
        let query = GatewayFeeQuery {
            payment_method,
            operation_type,
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/fees/gateway")
            .query("payment_method", &query.payment_method)
            .query("operation_type", &query.operation_type);
        let fees: GatewayFees = self.client.send(req).await?;
        Ok(fees.0)
    }

    /// `GET /v1/fees/platform`: the platform's rates for one tier and operation.
    #[query_fields(PlatformFeeQuery)]
    pub async fn platform(
        &self,
        operation_type: OperationType,
        fee_tier_name: &str,
    ) -> Result<PlatformFee> {
        let query = PlatformFeeQuery {
            operation_type,
            fee_tier_name: fee_tier_name.to_string(),
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/fees/platform")
            .query("operation_type", &query.operation_type)
            .query("fee_tier_name", &query.fee_tier_name);
        self.client.send(req).await
    }

    /// `GET /v1/fees/merchant-tier`: the fee tier assigned to a merchant.
    #[query_fields(MerchantTierQuery)]
    pub async fn merchant_tier(
        &self,
        owner_type: OwnerType,
        owner_id: Id,
    ) -> Result<MerchantFeeTier> {
        let query = MerchantTierQuery {
            owner_type,
            owner_id,
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/fees/merchant-tier")
            .query("owner_type", &query.owner_type)
            .query("owner_id", query.owner_id);
        self.client.send(req).await
    }

    /// `GET /v1/fees/tiers`: every platform fee tier.
    pub async fn tiers(&self) -> Result<Vec<FeeTier>> {
        self.client.send(ApiRequest::get("/v1/fees/tiers")).await
    }
}
