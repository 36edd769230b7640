//! Counterparties: a [`Party`] linked to the merchant with a relationship type.
//! `POST /v1/counterparties/create`, `GET /v1/counterparties/list`,
//! `GET /v1/counterparties/retrieve/{id}`, `PUT /v1/counterparties/update/{id}`.
//!
//! Two response shapes exist (conflict #13): the create/update answer (`CounterPartyResponse`, old
//! docs: `party_id`, no owner fields) and the retrieve/embedded answer
//! (`CounterPartyWithPartyResponse`: owner fields and an embedded `party`, no `party_id`). Which one
//! the list returns is undocumented, so [`Counterparty`] reads both: every field the two shapes do
//! not share is optional.

use serde::{Deserialize, Serialize};

use crate::enums::{OwnerType, RelationshipType};
use crate::error::Result;
use crate::ids::Id;
use crate::models::party::Party;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// A counterparty as returned by create, update and list (`CounterPartyResponse`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Counterparty {
    /// The counterparty's id (use it as `counterparty_id` on invoices and orders).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// How the party relates to the merchant.
    pub relationship_type: RelationshipType,
    /// The linked party, when the API names it.
    #[schemars(with = "Option<i64>")]
    #[serde(with = "crate::ids::flexible_opt", default)]
    pub party_id: Option<Id>,
    /// The kind of owner (the merchant), when the API includes it.
    #[serde(default)]
    pub owner_party_type: Option<OwnerType>,
    /// The owner's id, when the API includes it.
    #[schemars(with = "Option<i64>")]
    #[serde(with = "crate::ids::flexible_opt", default)]
    pub owner_party_id: Option<Id>,
    /// When the counterparty was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the counterparty was last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// The linked party's details, when the API embeds them (the list may).
    #[serde(default)]
    pub party: Option<Party>,
}

/// A counterparty with its owner and embedded party (`CounterPartyWithPartyResponse`), as returned
/// by retrieve and embedded in invoice and order details.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CounterpartyWithParty {
    /// The counterparty's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub id: Id,
    /// The kind of owner (the merchant).
    pub owner_party_type: OwnerType,
    /// The owner's id.
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub owner_party_id: Id,
    /// How the party relates to the merchant.
    pub relationship_type: RelationshipType,
    /// When the counterparty was created.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub created_at: Timestamp,
    /// When the counterparty was last changed.
    #[schemars(with = "crate::time::TimestampSchema")]
    #[serde(with = "crate::time::lenient")]
    pub updated_at: Timestamp,
    /// The linked party.
    #[serde(default)]
    pub party: Option<Party>,
}

/// Body of `POST /v1/counterparties/create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreateCounterpartyRequest {
    /// How the party relates to the merchant (must be a known value).
    pub relationship_type: RelationshipType,
    /// The party to link. Optional in the API, but always pass it in document-first flows.
    #[schemars(with = "Option<i64>")]
    #[serde(
        with = "crate::ids::flexible_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub party_id: Option<Id>,
}

impl CreateCounterpartyRequest {
    /// Links `party_id` with `relationship_type`.
    pub fn new(relationship_type: RelationshipType, party_id: Id) -> Self {
        CreateCounterpartyRequest {
            relationship_type,
            party_id: Some(party_id),
        }
    }
}

impl Validate for CreateCounterpartyRequest {
    fn validate(&self) -> Result<()> {
        validate::known("relationship_type", &self.relationship_type)?;
        if let Some(party_id) = self.party_id {
            validate::id("party_id", party_id)?;
        }
        Ok(())
    }
}

/// Body of `PUT /v1/counterparties/update/{id}`: only the fields you set are sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UpdateCounterpartyRequest {
    /// A new relationship type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub relationship_type: Option<RelationshipType>,
    /// Re-link to a different existing party.
    #[schemars(with = "Option<i64>")]
    #[serde(
        with = "crate::ids::flexible_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub party_id: Option<Id>,
}

impl Validate for UpdateCounterpartyRequest {
    fn validate(&self) -> Result<()> {
        if let Some(relationship_type) = &self.relationship_type {
            validate::known("relationship_type", relationship_type)?;
        }
        if let Some(party_id) = self.party_id {
            validate::id("party_id", party_id)?;
        }
        Ok(())
    }
}

/// Filters of `GET /v1/counterparties/list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ListCounterpartiesQuery {
    /// Only counterparties whose linked party's full name matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub fullname: Option<String>,
    /// Only counterparties with this relationship type (must be a known value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub relationship_type: Option<RelationshipType>,
}

impl Validate for ListCounterpartiesQuery {
    fn validate(&self) -> Result<()> {
        if let Some(relationship_type) = &self.relationship_type {
            validate::known("relationship_type", relationship_type)?;
        }
        Ok(())
    }
}
