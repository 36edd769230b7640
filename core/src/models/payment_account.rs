//! Payment accounts: a party's mobile-money wallet or card bound to a `method` + `provider`
//! (`POST /v1/payment-accounts/create?operation_type=...`).

use serde::{Deserialize, Serialize};

use crate::enums::{PaymentMethod, Provider};
use crate::error::Result;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// Body of `POST /v1/payment-accounts/create` (`CreatePaymentAccountPayload`). The operation type
/// is a query parameter, passed separately to `payment_accounts().create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreatePaymentAccountRequest {
    /// A label, e.g. `Amara MTN Wallet`.
    pub account_name: String,
    /// The routing network; for mobile money use the MMO prediction's `gateway_provider`.
    pub provider: Provider,
    /// The instrument, e.g. `MTN_MOMO_LBR` or `CREDIT_CARD`.
    pub method: PaymentMethod,
    /// The party who owns the account.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub party_id: Id,
    /// ISO 3166-1 alpha-2 country code, e.g. `LR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub country_code: Option<String>,
    /// The mobile-money wallet number (E.164 digits without `+`); omit for cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub insensitive_account_number: Option<String>,
}

fn is_mobile_money(method: &PaymentMethod) -> bool {
    matches!(
        method,
        PaymentMethod::MtnMomoLbr
            | PaymentMethod::OrangeMoneyLbr
            | PaymentMethod::AirtelRwa
            | PaymentMethod::MtnMomoRwa
            | PaymentMethod::OrangeMoneyRwa
    )
}

impl Validate for CreatePaymentAccountRequest {
    fn validate(&self) -> Result<()> {
        validate::non_empty("account_name", &self.account_name)?;
        validate::known("provider", &self.provider)?;
        validate::known("method", &self.method)?;
        validate::id("party_id", self.party_id)?;
        if let Some(code) = &self.country_code {
            validate::country_code("country_code", code)?;
        }
        if let Some(number) = &self.insensitive_account_number {
            if is_mobile_money(&self.method) {
                validate::phone("insensitive_account_number", number)?;
            } else {
                validate::non_empty("insensitive_account_number", number)?;
            }
        }
        Ok(())
    }
}

/// `PaymentAccountResponse`. The account number is not echoed back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PaymentAccount {
    /// The account id (give it to executions).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The label.
    pub account_name: String,
    /// The routing network.
    pub provider: Provider,
    /// The instrument.
    pub method: PaymentMethod,
    /// The owning party.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub party_id: Id,
    /// Inactive accounts are refused by executions.
    pub is_active: bool,
    /// When the account was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the account last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country_code: Option<String>,
}
