//! `client.counterparties()`: link parties to the merchant with a relationship type.

use crate::client::{path_segment, ApiRequest, Client};
use crate::error::Result;
use crate::ids::Id;
use crate::models::counterparty::{
    Counterparty, CounterpartyWithParty, CreateCounterpartyRequest, ListCounterpartiesQuery,
    UpdateCounterpartyRequest,
};
use crate::validate::{self, Validate};

/// The counterparties resource (`/v1/counterparties/...`). Get it with [`Client::counterparties`].
#[derive(Clone, Debug)]
pub struct Counterparties {
    client: Client,
}

impl Client {
    /// Counterparties: parties linked to the merchant (needed to create invoices and orders).
    pub fn counterparties(&self) -> Counterparties {
        Counterparties {
            client: self.clone(),
        }
    }
}

/// Counterparties: how a party relates to the merchant; invoices and orders need one
/// (`/v1/counterparties/...`).
#[dollr_macros::operations("counterparties")]
impl Counterparties {
    /// `POST /v1/counterparties/create`: links a party to the merchant with a relationship type.
    pub async fn create(
        &self,
        #[body] request: &CreateCounterpartyRequest,
    ) -> Result<Counterparty> {
        request.validate()?;
        self.client
            .send(ApiRequest::post("/v1/counterparties/create").json(request)?)
            .await
    }

    /// `GET /v1/counterparties/list`, optionally filtered by the party's full name and the
    /// relationship type.
    pub async fn list(
        &self,
        #[query(default)] query: &ListCounterpartiesQuery,
    ) -> Result<Vec<Counterparty>> {
        query.validate()?;
        let request = ApiRequest::get("/v1/counterparties/list")
            .query_opt("fullname", query.fullname.as_deref())
            .query_opt("relationship_type", query.relationship_type.as_ref());
        self.client.send(request).await
    }

    /// `GET /v1/counterparties/retrieve/{id}`: the counterparty with its embedded party.
    pub async fn retrieve(
        &self,
        #[path("The counterparty's id.")] id: Id,
    ) -> Result<CounterpartyWithParty> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::get(format!(
                "/v1/counterparties/retrieve/{}",
                path_segment(id)
            )))
            .await
    }

    /// `PUT /v1/counterparties/update/{id}`: sends only the fields given.
    pub async fn update(
        &self,
        #[path("The counterparty's id.")] id: Id,
        #[body] request: &UpdateCounterpartyRequest,
    ) -> Result<Counterparty> {
        validate::path_id("id", id)?;
        request.validate()?;
        let path = format!("/v1/counterparties/update/{}", path_segment(id));
        self.client.send(ApiRequest::put(path).json(request)?).await
    }
}
