//! `client.realtime_keys()`: Supabase Realtime tokens for live collection status.

use crate::client::{ApiRequest, Client, RetryClass};
use crate::error::Result;
use crate::models::realtime::{RealtimeKey, RealtimeKeyRequest};
use crate::validate::Validate;

/// Realtime keys (`/v1/realtime-keys/...`).
#[derive(Clone, Debug)]
pub struct RealtimeKeys {
    pub(crate) client: Client,
}

impl Client {
    /// Realtime keys.
    pub fn realtime_keys(&self) -> RealtimeKeys {
        RealtimeKeys {
            client: self.clone(),
        }
    }
}

/// Realtime keys for a collection's status channel (`/v1/realtime-keys/...`).
#[dollr_macros::operations("realtime_keys")]
impl RealtimeKeys {
    /// `POST /v1/realtime-keys/collection`: a Supabase Realtime token (lifetime in seconds) to
    /// watch one collection on the request's `channel`. A UX hint only; confirm with the status
    /// API.
    pub async fn collection(&self, #[body] request: &RealtimeKeyRequest) -> Result<RealtimeKey> {
        request.validate()?;
        // Minting a read-only token twice is harmless, so transient failures may be retried.
        let req = ApiRequest::post("/v1/realtime-keys/collection")
            .retry(RetryClass::Idempotent)
            .json(request)?;
        self.client.send(req).await
    }
}
