//! Merchants: the profile behind your credentials (`GET /v1/merchants/merchant-info`).

use serde::{Deserialize, Serialize};

use crate::enums::MerchantType;
use crate::error::Result;
use crate::ids::Id;
use crate::validate::{self, Validate};

/// Query of `GET /v1/merchants/merchant-info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MerchantInfoQuery {
    /// The merchant entity id (portal: Settings → Business).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub merchant_id: Id,
    /// `ORGANIZATION` or `MICRO_ORGANIZATION`.
    pub merchant_type: MerchantType,
}

impl Validate for MerchantInfoQuery {
    fn validate(&self) -> Result<()> {
        validate::id("merchant_id", self.merchant_id)?;
        validate::known("merchant_type", &self.merchant_type)
    }
}

/// `MerchantInfoResponse`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MerchantInfo {
    /// The merchant's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The merchant's name.
    pub name: String,
    /// `ORGANIZATION` or `MICRO_ORGANIZATION` (wire name `type`).
    #[serde(rename = "type")]
    pub merchant_type: MerchantType,
    /// Contact email.
    #[serde(default)]
    pub email: Option<String>,
    /// Contact phone, E.164 digits without `+`.
    #[serde(default)]
    pub phone: Option<String>,
}
