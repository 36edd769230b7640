//! Fees: gateway fees per method, platform fee tiers and the merchant's assigned tier
//! (`GET /v1/fees/...`).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::enums::{OperationType, OwnerType, PaymentMethod};
use crate::error::Result;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// Query of `GET /v1/fees/gateway`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GatewayFeeQuery {
    /// The instrument.
    pub payment_method: PaymentMethod,
    /// The kind of money movement.
    pub operation_type: OperationType,
}

impl Validate for GatewayFeeQuery {
    fn validate(&self) -> Result<()> {
        validate::known("payment_method", &self.payment_method)?;
        validate::known("operation_type", &self.operation_type)
    }
}

/// `FeeWithProviderResponse`: one gateway's fee for a method and operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GatewayFee {
    /// The fee's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The gateway's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub provider_id: Id,
    /// The kind of money movement.
    pub operation_type: OperationType,
    /// The instrument.
    pub payment_method: PaymentMethod,
    /// The percentage charged (read from a number or a decimal string).
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub percentage: Decimal,
    /// When the fee was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the fee last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// A fixed fee on top of the percentage.
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    #[serde(with = "crate::money::exact_opt", default)]
    pub fixed_fee: Option<Decimal>,
    /// The fixed fee's currency.
    #[serde(default)]
    pub fixed_fee_currency: Option<String>,
    /// Valid from.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub effective_from: Option<Timestamp>,
    /// Valid until.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub effective_to: Option<Timestamp>,
}

/// The gateway fee list. The old docs return a bare array; the rendered reference example shows a
/// single object, so both are read (a single object becomes a one-element list).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct GatewayFees(pub Vec<GatewayFee>);

impl<'de> Deserialize<'de> for GatewayFees {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        // Through `Value` (not `untagged`): with `arbitrary_precision` the numbers keep their text.
        match Value::deserialize(deserializer)? {
            Value::Array(items) => items
                .into_iter()
                .map(serde_json::from_value)
                .collect::<std::result::Result<Vec<GatewayFee>, _>>()
                .map(GatewayFees)
                .map_err(serde::de::Error::custom),
            Value::Null => Ok(GatewayFees(Vec::new())),
            single => serde_json::from_value(single)
                .map(|fee| GatewayFees(vec![fee]))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Query of `GET /v1/fees/platform`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlatformFeeQuery {
    /// The kind of money movement.
    pub operation_type: OperationType,
    /// The tier's name (from `fees().merchant_tier` or `fees().tiers`; often `default`).
    pub fee_tier_name: String,
}

impl Validate for PlatformFeeQuery {
    fn validate(&self) -> Result<()> {
        validate::known("operation_type", &self.operation_type)?;
        validate::non_empty("fee_tier_name", &self.fee_tier_name)
    }
}

/// `FeeTier`: a named platform fee plan. One tier is the default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FeeTier {
    /// The tier's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The tier's name (use it as `fee_tier_name`).
    pub name: String,
    /// Whether merchants without a tier of their own get this one.
    pub is_default: bool,
    /// When the tier was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the tier last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}

/// `FeeTierRateResponse`: the platform's rates for one tier and operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlatformFee {
    /// The rate's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The kind of money movement.
    pub operation_type: OperationType,
    /// The percentage charged (a decimal string on the wire).
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::string")]
    pub percentage: Decimal,
    /// The FX percentage charged (a decimal string on the wire).
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::string")]
    pub fx_percentage: Decimal,
    /// Valid from.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub effective_from: Timestamp,
    /// When the rate was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// The instrument, when the rate is method-specific.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// A fixed fee on top of the percentage.
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    #[serde(with = "crate::money::exact_opt", default)]
    pub fixed_fee: Option<Decimal>,
    /// The fixed fee's currency.
    #[serde(default)]
    pub fixed_fee_currency: Option<String>,
    /// Valid until.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub effective_to: Option<Timestamp>,
    /// The tier these rates belong to.
    #[serde(default)]
    pub tier: Option<FeeTier>,
}

/// Query of `GET /v1/fees/merchant-tier`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MerchantTierQuery {
    /// The owner's type.
    pub owner_type: OwnerType,
    /// The owner's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub owner_id: Id,
}

impl Validate for MerchantTierQuery {
    fn validate(&self) -> Result<()> {
        validate::known("owner_type", &self.owner_type)?;
        validate::id("owner_id", self.owner_id)
    }
}

/// `MerchantFeeResponse`: the fee tier assigned to a merchant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MerchantFeeTier {
    /// The assignment's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The owner's type.
    pub owner_type: OwnerType,
    /// The owner's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub owner_id: Id,
    /// When the tier was assigned.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub assigned_at: Timestamp,
    /// Who assigned it.
    #[serde(default)]
    pub assigned_by: Option<String>,
    /// The tier.
    pub tier: FeeTier,
}
