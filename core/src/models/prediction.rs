//! Predictions: read-only previews of amounts, fees and routing before money moves
//! (`GET /v1/predictions/...`). Amounts in prediction responses are decimal **strings** on the wire.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::enums::{FeeBearer, OperationType, OwnerType, PaymentMethod, Provider, SourceType};
use crate::error::Result;
use crate::ids::Id;
use crate::validate::{self, Validate};

/// Query of `GET /v1/predictions/amount-and-fees`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AmountAndFeesQuery {
    /// The amount to price, in major units of `base_currency`.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub base_amount: Decimal,
    /// The currency of `base_amount`.
    pub base_currency: String,
    /// The currency the payer pays in (execute with this currency).
    pub target_currency: String,
    /// The instrument.
    pub payment_method: PaymentMethod,
    /// The kind of money movement.
    pub operation_type: OperationType,
    /// The routing network.
    pub provider: Provider,
    /// Who pays the fees.
    pub fee_bearer: FeeBearer,
    /// For merchant-specific tier pricing: the owner's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub owner_type: Option<OwnerType>,
    /// For merchant-specific tier pricing: the owner's id.
    #[schemars(with = "Option<i64>")]
    #[serde(
        with = "crate::ids::flexible_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub owner_id: Option<Id>,
}

impl Validate for AmountAndFeesQuery {
    fn validate(&self) -> Result<()> {
        validate::currency("base_currency", &self.base_currency)?;
        validate::amount("base_amount", &self.base_amount, &self.base_currency)?;
        validate::currency("target_currency", &self.target_currency)?;
        validate::known("payment_method", &self.payment_method)?;
        validate::known("operation_type", &self.operation_type)?;
        validate::known("provider", &self.provider)?;
        validate::known("fee_bearer", &self.fee_bearer)?;
        if let Some(owner_type) = &self.owner_type {
            validate::known("owner_type", owner_type)?;
        }
        if let Some(owner_id) = self.owner_id {
            validate::id("owner_id", owner_id)?;
        }
        Ok(())
    }
}

/// `AmountAndFeePredictionResponse`: what the payer pays and the payee receives, with fees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AmountAndFeePrediction {
    /// What the payer pays.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::string")]
    pub payer_amount: Decimal,
    /// The payer's currency.
    pub payer_currency: String,
    /// What the payee receives.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::string")]
    pub payee_amount: Decimal,
    /// The payee's currency.
    pub payee_currency: String,
    /// Dollr's platform fee.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::string")]
    pub platform_fee: Decimal,
    /// The platform fee's currency.
    pub platform_currency: String,
    /// The FX fee, when currencies differ.
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    #[serde(with = "crate::money::string_opt", default)]
    pub fx_fee: Option<Decimal>,
    /// The gateway's fee.
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    #[serde(with = "crate::money::string_opt", default)]
    pub gateway_fee: Option<Decimal>,
    /// The gateway fee's currency.
    #[serde(default)]
    pub gateway_currency: Option<String>,
}

/// Query of `GET /v1/predictions/mmo-provider-info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MmoProviderQuery {
    /// The payer's or beneficiary's phone, E.164 digits without `+`.
    pub phone: String,
    /// The kind of money movement.
    pub operation_type: OperationType,
}

impl Validate for MmoProviderQuery {
    fn validate(&self) -> Result<()> {
        validate::phone("phone", &self.phone)?;
        validate::known("operation_type", &self.operation_type)
    }
}

/// Reads a currency list leniently: a JSON array of codes, one code, a comma-separated string, or
/// `null` (the MMO and card prediction schemas were never published).
fn currency_list(value: Value) -> std::result::Result<Vec<String>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(text
            .split([',', ' '])
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_string)
            .collect()),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(code) => Ok(code),
                other => Err(format!("expected a currency code, got {other}")),
            })
            .collect(),
        other => Err(format!("expected a list of currency codes, got {other}")),
    }
}

mod currencies {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Vec<String>, D::Error> {
        currency_list(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

mod currencies_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Option<Vec<String>>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            other => currency_list(other)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `PredictPhonePaymentInfoResponse`: the operator behind a phone number. Create the payment
/// account with `method = payment_method` and `provider = gateway_provider`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MmoProviderInfo {
    /// The mobile network, e.g. `MTN`.
    #[serde(default)]
    pub carrier: String,
    /// The country, e.g. `LR`.
    #[serde(default)]
    pub country: String,
    /// The currencies the wallet can use (read from a list or a single string).
    #[serde(deserialize_with = "currencies::deserialize", default)]
    pub currencies: Vec<String>,
    /// The phone, normalised.
    #[serde(default)]
    pub phone: String,
    /// The instrument to use, e.g. `MTN_MOMO_LBR`.
    pub payment_method: PaymentMethod,
    /// The routing network to use, e.g. `PAWAPAY`.
    pub gateway_provider: Provider,
    /// The kind of money movement asked about.
    pub operation_type: OperationType,
}

/// Query of `GET /v1/predictions/card-provider-info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CardProviderQuery {
    /// The Stripe PaymentMethod id (`pm_...`) from Stripe Elements.
    pub payment_method_id: String,
    /// The kind of money movement.
    pub operation_type: OperationType,
    /// The routing network; the docs send `STRIPE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub provider: Option<Provider>,
}

impl Validate for CardProviderQuery {
    fn validate(&self) -> Result<()> {
        validate::non_empty("payment_method_id", &self.payment_method_id)?;
        validate::known("operation_type", &self.operation_type)?;
        if let Some(provider) = &self.provider {
            validate::known("provider", provider)?;
        }
        Ok(())
    }
}

/// The card routing preview (schema unpublished: every field is optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CardProviderInfo {
    /// The card brand, e.g. `visa`.
    #[serde(default)]
    pub brand: Option<String>,
    /// The issuing country.
    #[serde(default)]
    pub country: Option<String>,
    /// The currencies the card can pay in (read from a list or a single string).
    #[serde(deserialize_with = "currencies_opt::deserialize", default)]
    pub currencies: Option<Vec<String>>,
    /// The instrument, normally `CREDIT_CARD`.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// The routing network, normally `STRIPE`.
    #[serde(default)]
    pub gateway_provider: Option<Provider>,
}

/// Query of `GET /v1/predictions/payment-source/amount-and-fees`: fees for paying a published
/// invoice or order (its total is the base amount and its fee bearer applies).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PaymentSourceAmountAndFeesQuery {
    /// The currency the payer pays in.
    pub target_currency: String,
    /// The instrument.
    pub payment_method: PaymentMethod,
    /// The routing network.
    pub provider: Provider,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The invoice or order id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
}

impl Validate for PaymentSourceAmountAndFeesQuery {
    fn validate(&self) -> Result<()> {
        validate::currency("target_currency", &self.target_currency)?;
        validate::known("payment_method", &self.payment_method)?;
        validate::known("provider", &self.provider)?;
        validate::known("source_type", &self.source_type)?;
        validate::id("source_id", self.source_id)
    }
}
