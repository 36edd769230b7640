//! Parties: contact records (name, phone, optional email and country) for anyone you collect from
//! or pay out to. `POST /v1/parties/create`, `GET /v1/parties/list`, `GET /v1/parties/retrieve/{id}`.
//!
//! Wire quirk: `phone` is required on create but nullable in `PartyResponse` (conflict #12; the
//! OpenAPI side wins), so [`Party::phone`] is an `Option`.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// A party (`PartyResponse`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Party {
    /// The party's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// Full name.
    pub fullname: String,
    /// When the party was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the party was last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// Email address, if known.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, E.164 digits without `+` (nullable in the API's response schema).
    #[serde(default)]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country code (e.g. `LR`), if known.
    #[serde(default)]
    pub country_code: Option<String>,
}

/// Body of `POST /v1/parties/create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreatePartyRequest {
    /// Full name (required, not blank).
    pub fullname: String,
    /// Phone number: E.164 digits without `+`, 8-15 digits (e.g. `231771234567`).
    pub phone: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2 country code, uppercase (e.g. `LR`, `RW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub country_code: Option<String>,
}

impl CreatePartyRequest {
    /// A request with the two required fields; set `email` / `country_code` as needed.
    pub fn new(fullname: impl Into<String>, phone: impl Into<String>) -> Self {
        CreatePartyRequest {
            fullname: fullname.into(),
            phone: phone.into(),
            email: None,
            country_code: None,
        }
    }

    /// Sets the email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the country code (ISO 3166-1 alpha-2).
    pub fn country_code(mut self, country_code: impl Into<String>) -> Self {
        self.country_code = Some(country_code.into());
        self
    }
}

impl Validate for CreatePartyRequest {
    fn validate(&self) -> Result<()> {
        validate::non_empty("fullname", &self.fullname)?;
        validate::phone("phone", &self.phone)?;
        if let Some(email) = &self.email {
            validate::non_empty("email", email)?;
        }
        if let Some(country_code) = &self.country_code {
            validate::country_code("country_code", country_code)?;
        }
        Ok(())
    }
}

/// Filters of `GET /v1/parties/list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ListPartiesQuery {
    /// Only parties whose full name matches (partial match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub fullname: Option<String>,
}

impl Validate for ListPartiesQuery {
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}
