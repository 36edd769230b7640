//! `client.payment_accounts()`: register a party's wallet or card for executions.

use crate::client::{ApiRequest, Client};
use crate::enums::OperationType;
use crate::error::Result;
use crate::models::payment_account::{CreatePaymentAccountRequest, PaymentAccount};
use crate::validate::{self, Validate};

/// Payment accounts (`/v1/payment-accounts/...`).
#[derive(Clone, Debug)]
pub struct PaymentAccounts {
    pub(crate) client: Client,
}

impl Client {
    /// Payment accounts.
    pub fn payment_accounts(&self) -> PaymentAccounts {
        PaymentAccounts {
            client: self.clone(),
        }
    }
}

/// Payment accounts: a party's wallet or card registered for executions
/// (`/v1/payment-accounts/...`).
#[dollr_macros::operations("payment_accounts")]
impl PaymentAccounts {
    /// `POST /v1/payment-accounts/create?operation_type=...`: a party's wallet or card for
    /// executions. Reuse mobile-money and payout accounts; create a new one for every card attempt.
    pub async fn create(
        &self,
        #[query("`COLLECTION` or `PAYOUT` (a query parameter).")] operation_type: OperationType,
        #[body] request: &CreatePaymentAccountRequest,
    ) -> Result<PaymentAccount> {
        validate::known("operation_type", &operation_type)?;
        request.validate()?;
        let req = ApiRequest::post("/v1/payment-accounts/create")
            .query("operation_type", &operation_type)
            .json(request)?;
        self.client.send(req).await
    }
}
