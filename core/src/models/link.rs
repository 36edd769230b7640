//! Payment and receipt links: `GET /v1/links/pay` and `GET /v1/links/receipt`, both queried by
//! `source_type` and the document **number** (not the numeric id).

use serde::{Deserialize, Serialize};

/// A hosted URL (`LinkResponse`): a payment page (source `ACTIVE` or later, created with
/// `as_payment_link = true`) or a receipt page (source `PAID`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Link {
    /// The URL to share with or redirect the customer to.
    pub url: String,
}
