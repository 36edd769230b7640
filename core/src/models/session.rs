//! Sessions: the declared intent to move money (`POST /v1/sessions/{checkout,payout,transfer,refund}`).
//! A session is short-lived; create it right before the matching execution.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{SessionStatus, SourceType};
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// The error for a source type the API does not publicly support on request bodies: `SUBSCRIPTION`
/// is reserved by Dollr, and the body schemas of sessions and realtime keys list INVOICE and ORDER
/// only (REFERENCE conflict #9). `None` when the value is fine.
pub(crate) fn unsupported_source_type(field: &str, value: &SourceType) -> Option<Error> {
    if let Err(error) = validate::known(field, value) {
        return Some(error);
    }
    (*value == SourceType::Subscription).then(|| {
        Error::invalid_field(
            field,
            "\"SUBSCRIPTION\" is reserved by Dollr and not publicly supported; use INVOICE or ORDER",
        )
    })
}

/// Body of `POST /v1/sessions/checkout` (`CreateCheckoutSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreateCheckoutSessionRequest {
    /// The published (ACTIVE) invoice or order to collect for.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
}

impl Validate for CreateCheckoutSessionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("source_id", self.source_id)?;
        match unsupported_source_type("source_type", &self.source_type) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// `CheckoutSessionResponse`: a session for collecting one invoice or order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckoutSession {
    /// The session id (give it to `executions().collection` and `realtime_keys().collection`).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The invoice or order id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The session's status (undocumented values; `ACTIVE` is required to execute).
    pub status: SessionStatus,
    /// Execute before this instant.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// The payment account bound to the session, once one is.
    #[schemars(with = "Option<i64>")]
    #[serde(with = "crate::ids::flexible_opt", default)]
    pub payment_account_id: Option<Id>,
}

/// Body of `POST /v1/sessions/payout` (`CreatePayoutSessionPayload`). Dollr chooses the wallet to
/// debit and the expiry; both come back on the response (`wallet_id` and `expires_at` are never sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreatePayoutSessionRequest {
    /// A payment account created with `operation_type=PAYOUT` (an integer on the wire).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub payout_account_id: Id,
    /// The amount to pay out, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}

impl Validate for CreatePayoutSessionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("payout_account_id", self.payout_account_id)?;
        validate::currency("currency", &self.currency)?;
        validate::amount("amount", &self.amount, &self.currency)
    }
}

/// `PayoutSessionResponse`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PayoutSession {
    /// The session id (give it to `executions().payout`).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The merchant wallet Dollr will debit (chosen by Dollr).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub wallet_id: Id,
    /// The beneficiary's payment account.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub payout_account_id: Id,
    /// The amount, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}

/// Body of `POST /v1/sessions/transfer` (`CreateTransferSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreateTransferSessionRequest {
    /// Your Dollr wallet to debit.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub from_wallet_id: Id,
    /// The counterparty to credit.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub to_counterparty_id: Id,
    /// The amount, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the session expires (you choose it for transfers).
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
}

impl Validate for CreateTransferSessionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("from_wallet_id", self.from_wallet_id)?;
        validate::id("to_counterparty_id", self.to_counterparty_id)?;
        validate::currency("currency", &self.currency)?;
        validate::amount("amount", &self.amount, &self.currency)
    }
}

/// `TransferSessionResponse`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferSession {
    /// The session id (give it to `executions().transfer`).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The wallet debited.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub from_wallet_id: Id,
    /// The counterparty credited.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub to_counterparty_id: Id,
    /// The amount, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}

/// Body of `POST /v1/sessions/refund` (`CreateRefundSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreateRefundSessionRequest {
    /// The payment intent of the original, successful collection (from the merchant portal).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub original_payment_intent_id: Id,
    /// The amount to refund (partial or full), in major units of the original payment.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// Why the money goes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reason: Option<String>,
    /// When the session expires (you choose it for refunds).
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
}

impl Validate for CreateRefundSessionRequest {
    fn validate(&self) -> Result<()> {
        validate::id(
            "original_payment_intent_id",
            self.original_payment_intent_id,
        )?;
        validate::positive_amount("amount", &self.amount)
    }
}

/// The refund session response (its schema is not published; fields follow the other sessions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RefundSession {
    /// The session id (give it to `executions().refund`).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The payment intent being refunded.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub original_payment_intent_id: Id,
    /// The amount, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// Why the money goes back.
    #[serde(default)]
    pub reason: Option<String>,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}
