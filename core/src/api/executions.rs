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

    /// `POST /v1/executions/collection`: collect from the payer. The answer is often `PENDING` or
    /// `PROCESSING` (mobile money waits for the payer's approval): follow it with
    /// `client.status().wait(..)`. A card may answer `requires_action` with a `client_secret` for
    /// 3-D Secure.
    ///
    /// Errors: `Validation` (nothing sent), `Conflict` (the reference id is bound to another
    /// request; nothing sent), a 4xx kind (refused, nothing moved), `AmbiguousExecution` (the
    /// outcome could not be learned: resume with the error's reference id), `Internal` (journal).
    /// Every error carries the reference id.
    pub async fn collection(&self, request: &CollectionExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/payout`: pay out from the merchant wallet. The passcode is sent but
    /// never journaled or logged. Errors as for [`Executions::collection`]; a refused passcode is
    /// `PermissionDenied`.
    pub async fn payout(&self, request: &PayoutExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/transfer`: wallet to counterparty. Errors as for
    /// [`Executions::collection`].
    pub async fn transfer(&self, request: &TransferExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }

    /// `POST /v1/executions/refund`: money back on an earlier collection. Errors as for
    /// [`Executions::collection`].
    pub async fn refund(&self, request: &RefundExecutionRequest) -> Result<Execution> {
        execute(&self.client, request, &self.policy).await
    }
}
