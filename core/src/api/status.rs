//! `client.status()`: where an execution or a payment source stands.

use crate::client::{path_segment, ApiRequest, Client};
use crate::enums::{OperationType, SourceType};
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::models::execution::Execution;
use crate::models::status::{SourceStatusInfo, SourceStatusQuery};
use crate::validate::{self, Validate};

/// Status (`/v1/status/...`).
#[derive(Clone, Debug)]
pub struct Status {
    pub(crate) client: Client,
}

impl Client {
    /// Execution and payment-source status.
    pub fn status(&self) -> Status {
        Status {
            client: self.clone(),
        }
    }
}

/// Where an execution or a payment source stands, and waits (`/v1/status/...`).
#[dollr_macros::operations("status")]
impl Status {
    async fn get_execution(&self, kind: &str, reference_id: &str) -> Result<Execution> {
        validate::path_uuid_v4("reference_id", reference_id)?;
        let req = ApiRequest::get(format!("/v1/status/{kind}/{}", path_segment(reference_id)));
        self.client.send(req).await
    }

    /// `GET /v1/status/collection/{reference_id}`: where a collection stands.
    pub async fn collection(
        &self,
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
    ) -> Result<Execution> {
        self.get_execution("collection", reference_id).await
    }

    /// `GET /v1/status/payout/{reference_id}`: where a payout stands.
    pub async fn payout(
        &self,
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
    ) -> Result<Execution> {
        self.get_execution("payout", reference_id).await
    }

    /// `GET /v1/status/transfer/{reference_id}`: where a transfer stands.
    pub async fn transfer(
        &self,
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
    ) -> Result<Execution> {
        self.get_execution("transfer", reference_id).await
    }

    /// `GET /v1/status/refund/{reference_id}`: where a refund stands.
    pub async fn refund(
        &self,
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
    ) -> Result<Execution> {
        self.get_execution("refund", reference_id).await
    }

    /// The status endpoint matching `operation_type` (`COLLECTION`, `PAYOUT`, `TRANSFER`, `REFUND`).
    pub async fn execution(
        &self,
        #[arg("Which kind of execution.")] operation_type: OperationType,
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
    ) -> Result<Execution> {
        match operation_type {
            OperationType::Collection => self.collection(reference_id).await,
            OperationType::Payout => self.payout(reference_id).await,
            OperationType::Transfer => self.transfer(reference_id).await,
            OperationType::Refund => self.refund(reference_id).await,
            OperationType::Other(value) => Err(Error::invalid_field(
                "operation_type",
                format!(
                    "\"{value}\" is not one of {}",
                    OperationType::KNOWN.join(", ")
                ),
            )),
        }
    }

    /// `GET /v1/status/source?source_type=..&source_id=..`: an invoice's or order's payment state.
    /// Fulfil only once it is `PAID`.
    #[query_fields(SourceStatusQuery)]
    pub async fn source(&self, source_type: SourceType, source_id: Id) -> Result<SourceStatusInfo> {
        let query = SourceStatusQuery {
            source_type,
            source_id,
        };
        query.validate()?;
        let req = ApiRequest::get("/v1/status/source")
            .query("source_type", &query.source_type)
            .query("source_id", query.source_id);
        self.client.send(req).await
    }
}
