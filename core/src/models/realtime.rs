//! Realtime keys: short-lived Supabase Realtime tokens for live collection status
//! (`POST /v1/realtime-keys/collection`). A UX hint only: confirm outcomes with the status API.

use serde::{Deserialize, Serialize};

use crate::enums::SourceType;
use crate::error::Result;
use crate::ids::Id;
use crate::secret::Secret;
use crate::validate::{self, Validate};

/// The Supabase table to subscribe to (postgres_changes filtered by `reference_id`).
pub const REALTIME_TABLE: &str = "checkout_payment_intent_public_status";

/// Body of `POST /v1/realtime-keys/collection`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RealtimeKeyRequest {
    /// The checkout session's id (an **integer** here; executions take a string).
    #[schemars(with = "i64")]
    #[serde(with = "crate::ids::flexible")]
    pub session_id: Id,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The collection execution's `reference_id` (UUID v4).
    pub reference_id: String,
}

impl RealtimeKeyRequest {
    /// The Supabase channel to join: `payment-intent:{session_id}:{reference_id}`.
    pub fn channel(&self) -> String {
        format!("payment-intent:{}:{}", self.session_id, self.reference_id)
    }
}

impl Validate for RealtimeKeyRequest {
    fn validate(&self) -> Result<()> {
        validate::id("session_id", self.session_id)?;
        if let Some(error) =
            crate::models::session::unsupported_source_type("source_type", &self.source_type)
        {
            return Err(error);
        }
        validate::uuid_v4("reference_id", &self.reference_id)
    }
}

/// `RealtimeTokenResponse`: a JWT for Supabase Realtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RealtimeKey {
    /// The JWT (never printed by `Debug`).
    pub access_token: Secret,
    /// Lifetime in **seconds** (unlike the API token, whose `expires_in` is in minutes).
    pub expires_in: i64,
}
