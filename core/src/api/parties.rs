//! `client.parties()`: create, list and retrieve parties.

use crate::client::{path_segment, ApiRequest, Client};
use crate::error::Result;
use crate::ids::Id;
use crate::models::party::{CreatePartyRequest, ListPartiesQuery, Party};
use crate::validate::{self, Validate};

/// The parties resource (`/v1/parties/...`). Get it with [`Client::parties`].
#[derive(Clone, Debug)]
pub struct Parties {
    client: Client,
}

impl Client {
    /// Parties: contact records for anyone you collect from or pay out to.
    pub fn parties(&self) -> Parties {
        Parties {
            client: self.clone(),
        }
    }
}

/// Parties: contact records for anyone you collect from or pay out to (`/v1/parties/...`).
#[dollr_macros::operations("parties")]
impl Parties {
    /// `POST /v1/parties/create`: a contact record for anyone you collect from or pay out to.
    pub async fn create(&self, #[body] request: &CreatePartyRequest) -> Result<Party> {
        request.validate()?;
        self.client
            .send(ApiRequest::post("/v1/parties/create").json(request)?)
            .await
    }

    /// `GET /v1/parties/list`, optionally filtered by full name.
    pub async fn list(&self, #[query(default)] query: &ListPartiesQuery) -> Result<Vec<Party>> {
        query.validate()?;
        let request =
            ApiRequest::get("/v1/parties/list").query_opt("fullname", query.fullname.as_deref());
        self.client.send(request).await
    }

    /// `GET /v1/parties/retrieve/{id}`: one party.
    pub async fn retrieve(&self, #[path("The party's id.")] id: Id) -> Result<Party> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::get(format!(
                "/v1/parties/retrieve/{}",
                path_segment(id)
            )))
            .await
    }
}
