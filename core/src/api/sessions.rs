//! `client.sessions()`: declare the intent to move money, right before executing it.

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::models::session::{
    CheckoutSession, CreateCheckoutSessionRequest, CreatePayoutSessionRequest,
    CreateRefundSessionRequest, CreateTransferSessionRequest, PayoutSession, RefundSession,
    TransferSession,
};
use crate::validate::Validate;

/// Sessions (`/v1/sessions/...`).
#[derive(Clone, Debug)]
pub struct Sessions {
    pub(crate) client: Client,
}

impl Client {
    /// Sessions: checkout, payout, transfer, refund.
    pub fn sessions(&self) -> Sessions {
        Sessions {
            client: self.clone(),
        }
    }
}

/// Sessions: the short-lived authorization an execution needs (`/v1/sessions/...`).
#[dollr_macros::operations("sessions")]
impl Sessions {
    /// `POST /v1/sessions/checkout`: a session for collecting a published invoice or order.
    pub async fn checkout(
        &self,
        #[body] request: &CreateCheckoutSessionRequest,
    ) -> Result<CheckoutSession> {
        request.validate()?;
        let req = ApiRequest::post("/v1/sessions/checkout").json(request)?;
        self.client.send(req).await
    }

    /// `POST /v1/sessions/payout`: Dollr picks the wallet to debit and the expiry (both on the
    /// response). Needs a fully verified merchant.
    pub async fn payout(
        &self,
        #[body] request: &CreatePayoutSessionRequest,
    ) -> Result<PayoutSession> {
        request.validate()?;
        let req = ApiRequest::post("/v1/sessions/payout").json(request)?;
        self.client.send(req).await
    }

    /// `POST /v1/sessions/transfer`: wallet to counterparty, expiring when you say.
    pub async fn transfer(
        &self,
        #[body] request: &CreateTransferSessionRequest,
    ) -> Result<TransferSession> {
        request.validate()?;
        let req = ApiRequest::post("/v1/sessions/transfer").json(request)?;
        self.client.send(req).await
    }

    /// `POST /v1/sessions/refund`: money back on an earlier collection.
    pub async fn refund(
        &self,
        #[body] request: &CreateRefundSessionRequest,
    ) -> Result<RefundSession> {
        request.validate()?;
        let req = ApiRequest::post("/v1/sessions/refund").json(request)?;
        self.client.send(req).await
    }
}
