//! `client.checkouts()`: one-call checkout sources (party, counterparty and invoice/order from payer
//! details), with a hosted payment page.

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::models::checkout::{CheckoutLink, CreateCheckoutRequest};
use crate::validate::Validate;

/// The checkouts resource (`/v1/checkouts/...`). Get it with [`Client::checkouts`].
#[derive(Clone, Debug)]
pub struct Checkouts {
    client: Client,
}

impl Client {
    /// Checkouts: create an invoice or order straight from payer details.
    pub fn checkouts(&self) -> Checkouts {
        Checkouts {
            client: self.clone(),
        }
    }
}

/// Hosted checkouts (`/v1/checkouts/...`); the `hosted_checkout` flow is built on them.
#[dollr_macros::operations("checkouts")]
impl Checkouts {
    /// `POST /v1/checkouts/create`: party, counterparty and invoice or order from payer details in
    /// one call. With `mode = HOSTED`, redirect the payer to the returned `url`; fulfil only once
    /// the source's status is `PAID`.
    pub async fn create(&self, #[body] request: &CreateCheckoutRequest) -> Result<CheckoutLink> {
        request.validate()?;
        self.client
            .send(ApiRequest::post("/v1/checkouts/create").json(request)?)
            .await
    }
}
