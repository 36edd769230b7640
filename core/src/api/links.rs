//! `client.links()`: hosted payment and receipt URLs for published invoices and orders.

use crate::client::{ApiRequest, Client};
use crate::enums::SourceType;
use crate::error::Result;
use crate::models::checkout::public_source_type;
use crate::models::link::Link;
use crate::validate;

/// The links resource (`/v1/links/...`). Get it with [`Client::links`].
#[derive(Clone, Debug)]
pub struct Links {
    client: Client,
}

impl Client {
    /// Links: hosted payment and receipt pages.
    pub fn links(&self) -> Links {
        Links {
            client: self.clone(),
        }
    }
}

/// Hosted payment and receipt pages (`/v1/links/...`).
#[dollr_macros::operations("links")]
impl Links {
    /// `GET /v1/links/pay`: the hosted payment page of a published (`ACTIVE` or later) source created
    /// with `as_payment_link = true`. `source_number` is the document number (`INV-…`), not the id.
    pub async fn pay(
        &self,
        #[query("`INVOICE` or `ORDER`.")] source_type: SourceType,
        #[query("The document number (`INV-…`), not the id.")] source_number: &str,
    ) -> Result<Link> {
        self.get("/v1/links/pay", source_type, source_number).await
    }

    /// `GET /v1/links/receipt`: the hosted receipt page of a `PAID` source.
    pub async fn receipt(
        &self,
        #[query("`INVOICE` or `ORDER`.")] source_type: SourceType,
        #[query("The document number (`INV-…`), not the id.")] source_number: &str,
    ) -> Result<Link> {
        self.get("/v1/links/receipt", source_type, source_number)
            .await
    }

    async fn get(&self, path: &str, source_type: SourceType, source_number: &str) -> Result<Link> {
        public_source_type("source_type", &source_type)?;
        validate::non_empty("source_number", source_number)?;
        let request = ApiRequest::get(path)
            .query("source_type", &source_type)
            .query("source_number", source_number);
        self.client.send(request).await
    }
}
