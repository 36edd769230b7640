//! Checkout sources: `POST /v1/checkouts/create` creates (or matches) the party, the counterparty
//! and an invoice or order from payer details in one call, and with `mode = HOSTED` returns the
//! hosted payment page's `url`.
//!
//! Wire quirks encoded here: the request names the document kind **`source_kind`** while the
//! response (and every other endpoint) calls it `source_type`; `party_name` is optional (conflict
//! #3, the OpenAPI wins); the response is `CreateCheckoutSourceLinkResponse`, which has `url` and no
//! `id` (conflict #4).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{CheckoutMode, RelationshipType, SourceStatus, SourceType};
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// One line of a checkout (`PaymentSourceItemInput`): no quantity, the amount is the line total.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckoutItem {
    /// What is sold (not blank).
    pub name: String,
    /// ISO 4217 currency code, uppercase.
    pub currency: String,
    /// The amount: at least one minor unit of `currency`, no more decimals than it has.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub amount: Decimal,
}

impl CheckoutItem {
    /// A line of `amount` in `currency`.
    pub fn new(name: impl Into<String>, currency: impl Into<String>, amount: Decimal) -> Self {
        CheckoutItem {
            name: name.into(),
            currency: currency.into(),
            amount,
        }
    }
}

/// Body of `POST /v1/checkouts/create` (`CreateCheckoutSourceRequestPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreateCheckoutRequest {
    /// The checkout mode; `HOSTED` returns a hosted payment page `url`.
    pub mode: CheckoutMode,
    /// Which document to create, `INVOICE` or `ORDER` (sent as `source_kind`, not `source_type`).
    pub source_kind: SourceType,
    /// The payer's phone: E.164 digits without `+` (e.g. `231771234567`).
    pub party_phone: String,
    /// ISO 4217 currency code, uppercase.
    pub currency: String,
    /// The lines (at least one).
    pub items: Vec<CheckoutItem>,
    /// The payer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub party_name: Option<String>,
    /// The payer's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub party_email: Option<String>,
    /// How the payer relates to the merchant (must be a known value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub party_relationship: Option<RelationshipType>,
    /// Your own reference (free-form; not an execution's UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reference_id: Option<String>,
    /// A note on the created document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub note: Option<String>,
    /// When payment is due.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(
        with = "crate::time::lenient_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub due_date: Option<Timestamp>,
    /// Where the hosted page sends the payer after paying (absolute http(s) URL). Never fulfil on
    /// this redirect alone: check `status().source(..)` for `PAID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub success_url: Option<String>,
    /// Where the hosted page sends the payer on cancel (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub cancel_url: Option<String>,
    /// When the checkout link expires.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(
        with = "crate::time::lenient_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub expires_at: Option<Timestamp>,
    /// Use this existing counterparty instead of matching one from the payer details.
    #[schemars(with = "Option<i64>")]
    #[serde(
        with = "crate::ids::flexible_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub counterparty_id: Option<Id>,
}

impl CreateCheckoutRequest {
    /// A `HOSTED` checkout of `source_kind` for the payer `party_phone`, with no optional fields.
    pub fn hosted(
        source_kind: SourceType,
        party_phone: impl Into<String>,
        currency: impl Into<String>,
        items: Vec<CheckoutItem>,
    ) -> Self {
        CreateCheckoutRequest {
            mode: CheckoutMode::Hosted,
            source_kind,
            party_phone: party_phone.into(),
            currency: currency.into(),
            items,
            party_name: None,
            party_email: None,
            party_relationship: None,
            reference_id: None,
            note: None,
            due_date: None,
            success_url: None,
            cancel_url: None,
            expires_at: None,
            counterparty_id: None,
        }
    }
}

/// `INVOICE` or `ORDER`: `SUBSCRIPTION` is reserved by Dollr and not publicly supported
/// (conflict #9: send INVOICE/ORDER only).
pub(crate) fn public_source_type(field: &str, value: &SourceType) -> Result<()> {
    match value {
        SourceType::Invoice | SourceType::Order => Ok(()),
        SourceType::Subscription => Err(Error::invalid_field(
            field,
            "SUBSCRIPTION is reserved by Dollr and not publicly supported; use INVOICE or ORDER",
        )),
        other => Err(Error::invalid_field(
            field,
            format!("\"{other}\" is not one of INVOICE, ORDER"),
        )),
    }
}

fn absolute_url(field: &str, value: &str) -> Result<()> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        _ => Err(Error::invalid_field(
            field,
            format!(
                "{value:?} is not an absolute http(s) URL (e.g. https://yourstore.com/success)"
            ),
        )),
    }
}

impl Validate for CreateCheckoutRequest {
    fn validate(&self) -> Result<()> {
        validate::known("mode", &self.mode)?;
        public_source_type("source_kind", &self.source_kind)?;
        validate::phone("party_phone", &self.party_phone)?;
        validate::currency("currency", &self.currency)?;
        if self.items.is_empty() {
            return Err(Error::invalid_field(
                "items",
                "at least one item is required",
            ));
        }
        for (index, item) in self.items.iter().enumerate() {
            validate::non_empty(&format!("items.{index}.name"), &item.name)?;
            let currency_field = format!("items.{index}.currency");
            validate::currency(&currency_field, &item.currency)?;
            validate::amount(
                &format!("items.{index}.amount"),
                &item.amount,
                &item.currency,
            )?;
        }
        if let Some(name) = &self.party_name {
            validate::non_empty("party_name", name)?;
        }
        if let Some(relationship) = &self.party_relationship {
            validate::known("party_relationship", relationship)?;
        }
        if let Some(url) = &self.success_url {
            absolute_url("success_url", url)?;
        }
        if let Some(url) = &self.cancel_url {
            absolute_url("cancel_url", url)?;
        }
        if let Some(counterparty_id) = self.counterparty_id {
            validate::id("counterparty_id", counterparty_id)?;
        }
        Ok(())
    }
}

/// The answer of `POST /v1/checkouts/create` (`CreateCheckoutSourceLinkResponse`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CheckoutLink {
    /// The checkout mode.
    pub mode: CheckoutMode,
    /// The kind of document created (`INVOICE` / `ORDER`).
    pub source_type: SourceType,
    /// The created document's id (for `status().source(..)` and sessions).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_id: Id,
    /// The created document's number (for the links API).
    pub source_number: String,
    /// The created document's status.
    pub source_status: SourceStatus,
    /// The matched or created counterparty.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub counterparty_id: Id,
    /// The matched or created party.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub party_id: Id,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The total, exact.
    #[schemars(with = "crate::money::DecimalSchema")]
    #[serde(with = "crate::money::exact")]
    pub total_amount: Decimal,
    /// The checkout configuration's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub source_checkout_config_id: Id,
    /// The hosted payment page: redirect the payer here.
    pub url: String,
    /// Your own reference.
    #[serde(default)]
    pub reference_id: Option<String>,
    /// When payment is due.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub due_date: Option<Timestamp>,
    /// When the link expires.
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    #[serde(with = "crate::time::lenient_opt", default)]
    pub expires_at: Option<Timestamp>,
    /// Dollr's internal routing path or token (prefer `url`).
    #[serde(default)]
    pub hosted_path_or_token: Option<String>,
    /// The success redirect.
    #[serde(default)]
    pub success_url: Option<String>,
    /// The cancel redirect.
    #[serde(default)]
    pub cancel_url: Option<String>,
}
