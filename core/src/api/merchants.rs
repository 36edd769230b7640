//! `client.merchants()`: the merchant profile.

use crate::client::{ApiRequest, Client};
use crate::enums::MerchantType;
use crate::error::Result;
use crate::ids::Id;
use crate::models::merchant::{MerchantInfo, MerchantInfoQuery};
use crate::validate::Validate;

/// Merchants (`/v1/merchants/...`).
#[derive(Clone, Debug)]
pub struct Merchants {
    pub(crate) client: Client,
}

impl Client {
    /// Merchant profiles.
    pub fn merchants(&self) -> Merchants {
        Merchants {
            client: self.clone(),
        }
    }
}

/// Merchant information (`/v1/merchants/...`).
#[dollr_macros::operations("merchants")]
impl Merchants {
    /// `GET /v1/merchants/merchant-info`: the merchant profile.
    #[query_fields(MerchantInfoQuery)]
    pub async fn info(&self, merchant_id: Id, merchant_type: MerchantType) -> Result<MerchantInfo> {
        let query = MerchantInfoQuery {
            merchant_id,
            merchant_type,
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/merchants/merchant-info")
            .query("merchant_id", query.merchant_id)
            .query("merchant_type", &query.merchant_type);
        self.client.send(req).await
    }
}
