//! Executions: the request payloads of `POST /v1/executions/{collection,payout,transfer,refund}` and
//! the `ExecutionResponse` they (and the four `GET /v1/status/{type}/{reference_id}`) return.
//!
//! Wire quirks encoded here: `session_id` and `payment_account_id` / `payout_account_id` are
//! **strings** on every execution body (`"55"`), although they are integers elsewhere.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{ExecutionStatus, OperationType};
use crate::error::Result;
use crate::ids::Id;
use crate::secret::Secret;
use crate::validate::{self, Validate};

/// Body of `POST /v1/executions/collection` (`CheckoutExecutionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CollectionExecutionRequest {
    /// The checkout session's id (sent as a string, e.g. `"55"`).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub session_id: Id,
    /// The payment account to collect from (sent as a string).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub payment_account_id: Id,
    /// The currency the payer pays in (the prediction's `target_currency`).
    pub currency: String,
    /// Your idempotency key: a UUID v4, journaled before the call. When absent from the input
    /// (bindings' `reference_id=None`) the core generates one; it comes back on the execution and
    /// on every error, so store it. Pass the same id again to resume, never a new one.
    #[serde(default = "crate::ids::new_reference_id")]
    pub reference_id: String,
}

impl Validate for CollectionExecutionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("session_id", self.session_id)?;
        validate::id("payment_account_id", self.payment_account_id)?;
        validate::currency("currency", &self.currency)?;
        validate::uuid_v4("reference_id", &self.reference_id)
    }
}

/// Body of `POST /v1/executions/payout` (`PayoutExecutionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PayoutExecutionRequest {
    /// The payout session's id (sent as a string).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub session_id: Id,
    /// The payout account (sent as a **string** here, an integer on the payout session).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub payout_account_id: Id,
    /// Your idempotency key: a UUID v4, journaled before the call. When absent from the input
    /// (bindings' `reference_id=None`) the core generates one; it comes back on the execution and
    /// on every error, so store it. Pass the same id again to resume, never a new one.
    #[serde(default = "crate::ids::new_reference_id")]
    pub reference_id: String,
    /// The merchant's passcode verification and device metadata.
    pub passcode: Passcode,
}

impl Validate for PayoutExecutionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("session_id", self.session_id)?;
        validate::id("payout_account_id", self.payout_account_id)?;
        validate::uuid_v4("reference_id", &self.reference_id)?;
        self.passcode.validate()
    }
}

/// The merchant passcode and the device it is entered from (`WithDeviceVerifyPasscodePayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Passcode {
    /// The passcode and who it belongs to.
    pub token: PasscodeToken,
    /// The device making the payout (all fields required, for audit).
    pub device: PasscodeDevice,
}

impl Validate for Passcode {
    fn validate(&self) -> Result<()> {
        self.token.validate()?;
        self.device.validate()
    }
}

/// The passcode itself plus the phone or user id it is tied to (give one of them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PasscodeToken {
    /// The merchant passcode (portal Settings → Security). Never printed by `Debug`.
    pub code: Secret,
    /// The portal user the passcode belongs to (alternative to `phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_id: Option<String>,
    /// The phone tied to the passcode, E.164 digits without `+` (alternative to `user_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub phone: Option<String>,
}

impl Validate for PasscodeToken {
    fn validate(&self) -> Result<()> {
        if self.code.expose().trim().is_empty() {
            return Err(crate::error::Error::missing_field("passcode.token.code"));
        }
        let user_id = self.user_id.as_deref().filter(|u| !u.trim().is_empty());
        let phone = self.phone.as_deref();
        if let Some(phone) = phone {
            validate::phone("passcode.token.phone", phone)?;
        }
        if user_id.is_none() && phone.is_none() {
            return Err(crate::error::Error::invalid_field(
                "passcode.token.phone",
                "give the phone or the user_id the passcode is tied to",
            ));
        }
        Ok(())
    }
}

/// The device a payout is made from. Every field is required by the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PasscodeDevice {
    /// A name for the device, e.g. `payout-worker-1`.
    pub name: String,
    /// The device type, e.g. `SERVER` or `MOBILE` (wire name `type`).
    #[serde(rename = "type")]
    pub device_type: String,
    /// The platform, e.g. `NODE` or `IOS`.
    pub platform: String,
    /// The user agent.
    pub user_agent: String,
    /// The client's IP address.
    pub client_ip: String,
}

impl Validate for PasscodeDevice {
    fn validate(&self) -> Result<()> {
        validate::non_empty("passcode.device.name", &self.name)?;
        validate::non_empty("passcode.device.type", &self.device_type)?;
        validate::non_empty("passcode.device.platform", &self.platform)?;
        validate::non_empty("passcode.device.user_agent", &self.user_agent)?;
        validate::non_empty("passcode.device.client_ip", &self.client_ip)
    }
}

/// Body of `POST /v1/executions/transfer` (`TransferExecutionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferExecutionRequest {
    /// The transfer session's id (sent as a string).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub session_id: Id,
    /// Your idempotency key: a UUID v4, journaled before the call. When absent from the input
    /// (bindings' `reference_id=None`) the core generates one; it comes back on the execution and
    /// on every error, so store it. Pass the same id again to resume, never a new one.
    #[serde(default = "crate::ids::new_reference_id")]
    pub reference_id: String,
}

impl Validate for TransferExecutionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("session_id", self.session_id)?;
        validate::uuid_v4("reference_id", &self.reference_id)
    }
}

/// Body of `POST /v1/executions/refund` (`RefundExecutionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RefundExecutionRequest {
    /// The refund session's id (sent as a string).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::as_string")]
    pub session_id: Id,
    /// Your idempotency key: a UUID v4, journaled before the call. When absent from the input
    /// (bindings' `reference_id=None`) the core generates one; it comes back on the execution and
    /// on every error, so store it. Pass the same id again to resume, never a new one.
    #[serde(default = "crate::ids::new_reference_id")]
    pub reference_id: String,
}

impl Validate for RefundExecutionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("session_id", self.session_id)?;
        validate::uuid_v4("reference_id", &self.reference_id)
    }
}

/// `ExecutionResponse`: the state of one execution, returned by every execution and by the four
/// `status/{type}/{reference_id}` endpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Execution {
    /// Your idempotency key.
    pub reference_id: String,
    /// `PENDING → PROCESSING → COMPLETED | FAILED`.
    pub status: ExecutionStatus,
    /// What the payer pays.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub payer_amount: Decimal,
    /// The payer's currency.
    pub payer_currency: String,
    /// The payee's currency.
    pub payee_currency: String,
    /// What the payee receives.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub payee_amount: Decimal,
    /// Which kind of execution this is.
    pub operation_type: OperationType,
    /// The operator's transaction id, once known.
    #[serde(default)]
    pub provider_transaction_id: Option<String>,
    /// The provider's status message.
    #[serde(default)]
    pub gateway_message: Option<String>,
    /// The wallet's status message.
    #[serde(default)]
    pub wallet_message: Option<String>,
    /// Stripe PaymentIntent client secret for 3-D Secure (card collections only). A secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// `true` when card 3-D Secure must be completed with `client_secret` before polling.
    #[serde(default)]
    pub requires_action: Option<bool>,
}
