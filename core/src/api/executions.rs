//! `client.executions()`: move money, exactly once per `reference_id` (see [`crate::execute`]).

use crate::client::Client;
use crate::error::Result;
use crate::execute::{execute, ExecutePolicy};
use crate::models::{
    CollectionExecutionRequest, Execution, PayoutExecutionRequest, RefundExecutionRequest,
    TransferExecutionRequest,
};

/// Executions (`/v1/executions/...`), journaled and resolved by status on any ambiguous outcome.
#[derive(Clone, Debug)]
pub struct Executions {
    pub(crate) client: Client,
    policy: ExecutePolicy,
}

impl Client {
    /// Executions: collection, payout, transfer, refund — each at most once per reference id.
    pub fn executions(&self) -> Executions {
        Executions {
            client: self.clone(),
            policy: ExecutePolicy::default(),
        }
    }
}

/// Executions: money moves, each at most once per `reference_id` (journaled first, ambiguous
/// outcomes resolved by status) (`/v1/executions/...`).
#[dollr_macros::operations("executions")]
impl Executions {
    /// The same handle with another retry policy for ambiguous outcomes.
    pub fn with_policy(mut self, policy: ExecutePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy in effect.
    pub fn policy(&self) -> &ExecutePolicy {
        &self.policy
    }

    /// `POST /v1/executions/collection`: collect from the payer, exactly once per `reference_id`
    /// (journaled first; an ambiguous outcome is resolved by the status API). The answer is often
    /// `PENDING` or `PROCESSING` (mobile money waits for the payer's approval): follow it with
    /// `status.wait`. A card may answer `requires_action` with a `client_secret` for
    /// 3-D Secure.
    ///
    /// Errors: `Validation` (nothing sent), `Conflict` (the reference id is bound to another
    /// request; nothing sent), a 4xx kind (refused, nothing moved), `AmbiguousExecution` (the
    /// outcome could not be learned: resume with the error's reference id), `Internal` (journal).
    /// Every error carries the reference id.
    pub async fn collection(
        &self,
        #[body] request: &CollectionExecutionRequest,
    ) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/payout`: pay out from the merchant wallet, exactly once per
    /// `reference_id`. The passcode is sent but never journaled or logged. Errors as for
    /// `collection`; a refused passcode is `PermissionDenied`.
    pub async fn payout(&self, #[body] request: &PayoutExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/transfer`: wallet to counterparty, exactly once per `reference_id`.
    /// Errors as for `collection`.
    pub async fn transfer(&self, #[body] request: &TransferExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/refund`: money back on an earlier collection, exactly once per
    /// `reference_id`. Errors as for `collection`.
    pub async fn refund(&self, #[body] request: &RefundExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }
}
