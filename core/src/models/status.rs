//! Status: where an execution or a payment source (invoice/order) stands.
//! Execution status endpoints return [`crate::models::execution::Execution`]; the source status
//! endpoint returns [`SourceStatusInfo`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{SourceStatus, SourceType};
use crate::error::Result;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// Query of `GET /v1/status/source`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SourceStatusQuery {
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The invoice or order id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
}

impl Validate for SourceStatusQuery {
    fn validate(&self) -> Result<()> {
        validate::known("source_type", &self.source_type)?;
        validate::id("source_id", self.source_id)
    }
}

/// `PaymentSourceStatusResponse`: an invoice's or order's payment state. Fulfil only on `PAID`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SourceStatusInfo {
    /// The invoice or order id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The document number, e.g. `INV-2025-0042`.
    pub source_number: String,
    /// `IDLE → ACTIVE → PROCESSING → PAID | CANCELED`.
    pub status: SourceStatus,
    /// ISO 4217 currency code of the document.
    pub currency: String,
    /// The document's total, in major units.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub total_amount: Decimal,
    /// When it was paid.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub paid_at: Option<Timestamp>,
}
