//! Sessions: the declared intent to move money (`POST /v1/sessions/{checkout,payout,transfer,refund}`).
//! A session is short-lived; create it right before the matching execution.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{SessionStatus, SourceType};
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// Refuses source types the API does not publicly support on request bodies (`SUBSCRIPTION` is
/// reserved by Dollr; the body schemas of sessions and realtime keys list INVOICE and ORDER only).
pub(crate) fn public_source_type(field: &str, value: &SourceType) -> Result<()> {
    validate::known(field, value)?;
    if *value == SourceType::Subscription {
        return Err(Error::invalid_field(
            field,
            "\"SUBSCRIPTION\" is reserved by Dollr and not publicly supported; use INVOICE or ORDER",
        ));
    }
    Ok(())
}

/// Body of `POST /v1/sessions/checkout` (`CreateCheckoutSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateCheckoutSessionRequest {
    /// The published (ACTIVE) invoice or order to collect for.
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
}

impl Validate for CreateCheckoutSessionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("source_id", self.source_id)?;
        public_source_type("source_type", &self.source_type)
    }
}

/// `CheckoutSessionResponse`: a session for collecting one invoice or order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutSession {
    /// The session id (give it to `executions().collection` and `realtime_keys().collection`).
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The invoice or order id.
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The session's status (undocumented values; `ACTIVE` is required to execute).
    pub status: SessionStatus,
    /// Execute before this instant.
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// The payment account bound to the session, once one is.
    #[serde(with = "crate::ids::flexible_opt", default)]
    pub payment_account_id: Option<Id>,
}

/// Body of `POST /v1/sessions/payout` (`CreatePayoutSessionPayload`). Dollr chooses the wallet to
/// debit and the expiry; both come back on the response (`wallet_id` and `expires_at` are never sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatePayoutSessionRequest {
    /// A payment account created with `operation_type=PAYOUT` (an integer on the wire).
    #[serde(with = "crate::ids::flexible")]
    pub payout_account_id: Id,
    /// The amount to pay out, in major units.
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayoutSession {
    /// The session id (give it to `executions().payout`).
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The merchant wallet Dollr will debit (chosen by Dollr).
    #[serde(with = "crate::ids::flexible")]
    pub wallet_id: Id,
    /// The beneficiary's payment account.
    #[serde(with = "crate::ids::flexible")]
    pub payout_account_id: Id,
    /// The amount, in major units.
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}

/// Body of `POST /v1/sessions/transfer` (`CreateTransferSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateTransferSessionRequest {
    /// Your Dollr wallet to debit.
    #[serde(with = "crate::ids::flexible")]
    pub from_wallet_id: Id,
    /// The counterparty to credit.
    #[serde(with = "crate::ids::flexible")]
    pub to_counterparty_id: Id,
    /// The amount, in major units.
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the session expires (you choose it for transfers).
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferSession {
    /// The session id (give it to `executions().transfer`).
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The wallet debited.
    #[serde(with = "crate::ids::flexible")]
    pub from_wallet_id: Id,
    /// The counterparty credited.
    #[serde(with = "crate::ids::flexible")]
    pub to_counterparty_id: Id,
    /// The amount, in major units.
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}

/// Body of `POST /v1/sessions/refund` (`CreateRefundSessionPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateRefundSessionRequest {
    /// The payment intent of the original, successful collection (from the merchant portal).
    #[serde(with = "crate::ids::flexible")]
    pub original_payment_intent_id: Id,
    /// The amount to refund (partial or full), in major units of the original payment.
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// Why the money goes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the session expires (you choose it for refunds).
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundSession {
    /// The session id (give it to `executions().refund`).
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The payment intent being refunded.
    #[serde(with = "crate::ids::flexible")]
    pub original_payment_intent_id: Id,
    /// The amount, in major units.
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
    /// Why the money goes back.
    #[serde(default)]
    pub reason: Option<String>,
    /// The session's status.
    pub status: SessionStatus,
    /// Execute before this instant.
    #[serde(with = "crate::time::lenient")]
    pub expires_at: Timestamp,
    /// When the session was created.
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the session last changed.
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
}
