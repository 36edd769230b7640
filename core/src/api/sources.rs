//! `client.invoices()` and `client.orders()`: one generic handle, [`Sources`], implements the twelve
//! operations once for both kinds; [`Invoices`] and [`Orders`] are its two instances. Only the path
//! prefix and the response types differ (see [`SourceKind`]).

use std::marker::PhantomData;

use serde::de::IgnoredAny;

use crate::client::{path_segment, ApiRequest, Client};
use crate::error::Result;
use crate::ids::Id;
use crate::models::source::{
    AddItemRequest, CreateSourceRequest, InvoiceKind, ListSourcesQuery, OrderKind, SourceItem,
    SourceKind, UpdateItemRequest, UpdateSourceRequest,
};
use crate::validate::{self, Validate};

/// The invoices or orders resource (`/v1/invoices/...` or `/v1/orders/...`). Get it with
/// [`Client::invoices`] or [`Client::orders`].
pub struct Sources<K: SourceKind> {
    client: Client,
    kind: PhantomData<fn() -> K>,
}

/// The invoices resource: `client.invoices()`.
pub type Invoices = Sources<InvoiceKind>;
/// The orders resource: `client.orders()`.
pub type Orders = Sources<OrderKind>;

impl<K: SourceKind> Clone for Sources<K> {
    fn clone(&self) -> Self {
        Sources {
            client: self.client.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: SourceKind> std::fmt::Debug for Sources<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("kind", &K::PATH)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Invoices: formal billing documents with numbers, due dates and line items.
    pub fn invoices(&self) -> Invoices {
        self.sources()
    }

    /// Orders: like invoices, for retail and e-commerce.
    pub fn orders(&self) -> Orders {
        self.sources()
    }

    /// Invoices or orders, chosen by type: for code that works with either kind
    /// (`client.sources::<InvoiceKind>()` is `client.invoices()`).
    pub fn sources<K: SourceKind>(&self) -> Sources<K> {
        Sources {
            client: self.clone(),
            kind: PhantomData,
        }
    }
}

/// The {kind} resource (`/v1/{kind}/...`): invoices are formal billing documents with numbers, due
/// dates and line items; orders are the same for retail and e-commerce.
#[dollr_macros::operations("invoices" = InvoiceKind, "orders" = OrderKind)]
impl<K: SourceKind> Sources<K> {
    fn path(&self, rest: &str) -> String {
        format!("/v1/{}/{rest}", K::PATH)
    }

    /// `POST /v1/{kind}/create`: a new document in `IDLE`; add items, then publish.
    pub async fn create(&self, #[body] request: &CreateSourceRequest) -> Result<K::Source> {
        request.validate()?;
        self.client
            .send(ApiRequest::post(self.path("create")).json(request)?)
            .await
    }

    /// `GET /v1/{kind}/list`, optionally filtered by currency and status.
    pub async fn list(&self, #[query(default)] query: &ListSourcesQuery) -> Result<Vec<K::Source>> {
        query.validate()?;
        let request = ApiRequest::get(self.path("list"))
            .query_opt("currency", query.currency.as_deref())
            .query_opt("status", query.status.as_ref());
        self.client.send(request).await
    }

    /// `GET /v1/{kind}/retrieve/{id}`: the document with its items and counterparty.
    pub async fn retrieve(&self, #[path("The document's id.")] id: Id) -> Result<K::Detail> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::get(
                self.path(&format!("retrieve/{}", path_segment(id))),
            ))
            .await
    }

    /// `GET /v1/{kind}/retrieve/number/{number}`: the same, by document number.
    pub async fn retrieve_by_number(
        &self,
        #[path("The document number (`INV-…` / `ORD-…`).")] number: &str,
    ) -> Result<K::Detail> {
        validate::non_empty(K::NUMBER_FIELD, number)?;
        self.client
            .send(ApiRequest::get(
                self.path(&format!("retrieve/number/{}", path_segment(number))),
            ))
            .await
    }

    /// `PUT /v1/{kind}/update/{id}` (only while `IDLE`): sends only the fields given.
    pub async fn update(
        &self,
        #[path("The document's id.")] id: Id,
        #[body] request: &UpdateSourceRequest,
    ) -> Result<K::Source> {
        validate::path_id("id", id)?;
        request.validate()?;
        let path = self.path(&format!("update/{}", path_segment(id)));
        self.client.send(ApiRequest::put(path).json(request)?).await
    }

    /// `POST /v1/{kind}/{id}/items/add` (only while `IDLE`).
    pub async fn add_item(
        &self,
        #[path("The document's id.")] id: Id,
        #[body] request: &AddItemRequest,
    ) -> Result<SourceItem> {
        validate::path_id("id", id)?;
        request.validate()?;
        let path = self.path(&format!("{}/items/add", path_segment(id)));
        self.client
            .send(ApiRequest::post(path).json(request)?)
            .await
    }

    /// `PUT /v1/{kind}/{id}/items/{item_id}/update` (only while `IDLE`): sends only the fields
    /// given.
    pub async fn update_item(
        &self,
        #[path("The document's id.")] id: Id,
        #[path("The item's id.")] item_id: Id,
        #[body] request: &UpdateItemRequest,
    ) -> Result<SourceItem> {
        validate::path_id("id", id)?;
        validate::path_id("item_id", item_id)?;
        request.validate()?;
        let path = self.path(&format!(
            "{}/items/{}/update",
            path_segment(id),
            path_segment(item_id)
        ));
        self.client.send(ApiRequest::put(path).json(request)?).await
    }

    /// `DELETE /v1/{kind}/{id}/items/{item_id}/remove` (only while `IDLE`; the API answers `{}`).
    pub async fn remove_item(
        &self,
        #[path("The document's id.")] id: Id,
        #[path("The item's id.")] item_id: Id,
    ) -> Result<()> {
        validate::path_id("id", id)?;
        validate::path_id("item_id", item_id)?;
        let path = self.path(&format!(
            "{}/items/{}/remove",
            path_segment(id),
            path_segment(item_id)
        ));
        self.client
            .send::<IgnoredAny>(ApiRequest::delete(path))
            .await?;
        Ok(())
    }

    /// `PUT /v1/{kind}/publish/{id}`: `IDLE → ACTIVE`; the document is locked and payable.
    pub async fn publish(&self, #[path("The document's id.")] id: Id) -> Result<K::Source> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::put(
                self.path(&format!("publish/{}", path_segment(id))),
            ))
            .await
    }

    /// `DELETE /v1/{kind}/cancel/{id}`: `IDLE | ACTIVE → CANCELED` (never while `PROCESSING`);
    /// returns the updated document.
    pub async fn cancel(&self, #[path("The document's id.")] id: Id) -> Result<K::Source> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::delete(
                self.path(&format!("cancel/{}", path_segment(id))),
            ))
            .await
    }

    /// `GET /v1/{kind}/receipt/{id}`: the receipt, once the document is `PAID`.
    pub async fn receipt(&self, #[path("The document's id.")] id: Id) -> Result<K::Receipt> {
        validate::path_id("id", id)?;
        self.client
            .send(ApiRequest::get(
                self.path(&format!("receipt/{}", path_segment(id))),
            ))
            .await
    }

    /// `GET /v1/{kind}/receipt/number/{number}`: the same, by document number.
    pub async fn receipt_by_number(
        &self,
        #[path("The document number (`INV-…` / `ORD-…`).")] number: &str,
    ) -> Result<K::Receipt> {
        validate::non_empty(K::NUMBER_FIELD, number)?;
        self.client
            .send(ApiRequest::get(
                self.path(&format!("receipt/number/{}", path_segment(number))),
            ))
            .await
    }
}
